"""Benchmark: search latency on an existing database, SQLite file or PostgreSQL server.

    .venv/bin/python bench/bench_search.py --db /tmp/mvb100k.db
    .venv/bin/python bench/bench_search.py --db postgresql://postgres@127.0.0.1:5432/mv_bench100k

Runs the 200 seeded queries of bench_ingest.py (one or two words, some joined by OR) through
the library, 20 hits each, after one warm-up query, and prints p50/p95 and the mean number of
matches per query (counted by the dashboard's search, which the index answers).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import QUERY_WORDS  # noqa: E402


def queries(n: int = 200, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        q = " ".join(rng.sample(QUERY_WORDS, rng.choice([1, 1, 2])))
        out.append(q if " " not in q or rng.random() < 0.5 else q.replace(" ", " OR ", 1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, help="an SQLite file or a postgresql:// URL")
    args = ap.parse_args()
    from multivector.store import open_store

    qs = queries()
    with open_store(args.db, create=False) as store:
        n = store.count_posts()
        store.search(qs[0])  # warm the caches once, as a real session would be
        times = []
        for q in qs:
            t = time.perf_counter()
            store.search(q, 20)
            times.append((time.perf_counter() - t) * 1000)
        totals = [store.search_page(q, limit=1)["total"] for q in qs]
    times.sort()
    print(f"posts: {n}")
    print(
        f"search: p50 {statistics.median(times):.1f} ms, p95 {times[int(0.95 * len(times)) - 1]:.1f} ms "
        f"over {len(times)} queries ({statistics.mean(totals):.0f} matches per query on average)"
    )


if __name__ == "__main__":
    main()
