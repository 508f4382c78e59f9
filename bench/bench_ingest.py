"""Benchmark: ingest the real 22k-post news set into a fresh database, then search it.

    .venv/bin/python bench/bench_ingest.py [--corpus ../shared/corpora/tg_news_ru_nktkln/raw] [--ner]
        [--db postgresql://postgres@127.0.0.1:5432/bench_ingest]

Prints posts/s, peak RSS and CPU time (the main process apart from its workers) of `multivector
ingest` (a subprocess, workers included), and
search latency p50/p95 over 200 queries run through the library on the same database, and the
machine probe of `measure.py` just before and after the ingest: this VM's speed moves by a factor
of two between minutes and sessions, and the probe says how fast the machine was around the run. The
database is a fresh SQLite file, or with `--db URL` a PostgreSQL database that must be empty
(it is made when missing, and left in place afterwards for a look).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import machine_probe, run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "tg_news_ru_nktkln" / "raw"
QUERY_WORDS = [
    "Россия", "Китай", "санкции", "нефть", "выборы", "Москва", "Путин", "США", "рубль", "доллар",
    "погода", "суд", "президент", "армия", "Украина", "банк", "школа", "наука", "космос", "технологии",
    "Трамп", "закон", "налог", "бензин", "цены", "ипотека", "учёные", "искусственный интеллект", "Telegram", "Apple",
]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--ner", action="store_true", help="run NER too (default: the --no-ner fast path)")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument(
        "--db",
        default=None,
        help="a postgresql:// URL of an empty database (default: a temporary SQLite file)",
    )
    args = ap.parse_args()
    if not args.corpus.exists():
        sys.exit(f"{args.corpus}: corpus not found")
    exe = str(Path(sys.executable).parent / "multivector")
    from multivector.store import open_store

    if args.db:
        with open_store(args.db) as store:
            if store.count_posts():
                sys.exit(f"{store.location}: already holds posts; the benchmark needs an empty database")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        cmd = [exe, "--db", str(db), "ingest", str(args.corpus), "--workers", str(args.workers)]
        if not args.ner:
            cmd.append("--no-ner")
        probe_before = machine_probe()
        m = run(cmd)
        probe_after = machine_probe()
        if m.returncode != 0:
            sys.exit(f"ingest failed ({m.returncode}): {m.stderr[-2000:]}")
        with open_store(db, create=False) as store:
            n = store.count_posts()
            rng = random.Random(7)
            queries = []
            for _ in range(200):
                k = rng.choice([1, 1, 2])
                q = " ".join(rng.sample(QUERY_WORDS, k))
                queries.append(q if " " not in q or rng.random() < 0.5 else q.replace(" ", " OR ", 1))
            store.search(queries[0])  # warm the page cache once, as a real session would be
            times = []
            for q in queries:
                t = time.perf_counter()
                store.search(q, 20)
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        print(f"posts: {n}")
        print(
            f"ingest: {m.seconds:.1f} s, {n / m.seconds:.0f} posts/s, peak RSS {m.peak_rss_mb:.0f} MB ({'with' if args.ner else 'without'} NER)"
        )
        print(
            f"CPU {m.cpu_seconds:.1f} s ({m.cpu_seconds / (m.seconds * (os.cpu_count() or 1)):.0%} of the cores): "
            f"the main process (reading, writing) {m.own_cpu_seconds:.1f} s, "
            f"the workers {max(m.cpu_seconds - m.own_cpu_seconds, 0.0):.1f} s"
        )
        print(
            f"machine probe: {probe_before:.0f} ms before, {probe_after:.0f} ms after (measure.py; lower is faster)"
        )
        print(
            f"search: p50 {statistics.median(times):.1f} ms, p95 {times[int(0.95 * len(times)) - 1]:.1f} ms over {len(times)} queries"
        )


if __name__ == "__main__":
    main()
