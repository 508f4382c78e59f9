"""Benchmark: the full year report over a large synthetic database.

    .venv/bin/python bench/bench_report.py [--posts 200000] [--db /tmp/bench200k.db] [--year 2024]
    .venv/bin/python bench/bench_report.py --posts 100000 --db postgresql://postgres@127.0.0.1:5432/bench100k

Makes the database with `bench/make_corpus.py` when it is missing or, on PostgreSQL, empty
(not timed: that is the ingest's job; its posts/s are printed), then times `multivector report --year Y --format json` as a subprocess and
samples its peak RSS (children included; see measure.py). Target: <= 30 s and <= 1.5 GB for
200,000 posts. It runs the report twice (the second run must give the same bytes), then
prints the time of each stage measured in-process, and checks the answers the corpus plants:
the trend ranking of the themes with known paths, and how well events match the planted
events (their posts carry `author = "event:<n>"`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import run  # noqa: E402

HERE = Path(__file__).resolve().parent


def stages(db: Path | str, year: int) -> list[tuple[str, float]]:
    """Seconds per stage of build_report, in this process."""
    from multivector.analyze.balance import balance
    from multivector.knowledge import load_knowledge
    from multivector.report import build
    from multivector.store import open_store

    out = []
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        out.append((name, now - t))
        t = now

    knowledge = load_knowledge()
    lexicon = build.Lexicon.from_knowledge(knowledge, "KZ")
    lap("load knowledge")
    opt = build.ReportOptions()
    with open_store(db, create=False) as store:
        data = build.load_year(store, lexicon, year)
        lap("load posts, lemmas, TF-IDF (two years)")
        model = build._topics(data, opt)
        lap(f"topics (NMF, {model.n_components} components)")
        scored = build.rank_trends(data, opt, model)
        lap("trend scores")
        build.trend_dicts(store, data, opt, scored, model)
        lap("trend terms, partners, evidence")
        build.event_dicts(store, data, opt)
        lap("events and their evidence")
        balance(data.cur, data.prev, lexicon, "month", data.year_periods)
        lap("balance")
    return out


def planted_checks(db: Path | str, report: dict) -> list[str]:
    """How the report matches what make_corpus.py planted."""
    import numpy as np

    from multivector.store import open_store

    lines = []
    ranks = {t["theme"]: t["rank"] for t in report["trends"]}
    lines.append(
        "trends: " + ", ".join(f"{t['rank']}. {t['theme']} ({t['label']})" for t in report["trends"])
    )
    lines.append(
        "bursts kept out of the trends: " + (", ".join(b["theme"] for b in report["bursts"]) or "none")
    )
    expected_up = ["nuclear_energy", "transport_corridors", "critical_minerals"]
    lines.append(
        "planted growers in the top trends: "
        + ", ".join(f"{t}={'#' + str(ranks[t]) if t in ranks else 'absent'}" for t in expected_up)
    )
    year = str(report["year"])
    with open_store(db, create=False) as store:
        rows = store.conn.execute("SELECT id, author, date FROM posts WHERE author LIKE 'event:%'").fetchall()
    label = {pid: author for pid, author, _ in rows}
    planted_year = {author for _, author, d in rows if d.startswith(year)}
    events = report["events"]
    purity = []
    found = set()
    for ev in events:
        c = Counter(label.get(p, "") for p in ev["post_ids"])
        lab, n = c.most_common(1)[0]
        purity.append(n / len(ev["post_ids"]) if lab else 0.0)
        if lab:
            found.add(lab)
    lines.append(
        f"top {len(events)} events: mean purity {np.mean(purity) if purity else 0:.2f} "
        f"(share of an event's posts from one planted event), {len(found)} distinct planted events "
        f"(of {len(planted_year)} planted in {year})"
    )
    return lines


def _missing(db: Path | str) -> bool:
    """Whether the benchmark database is still to be made (no file, or an empty server database)."""
    from multivector.store import is_server_url, open_store

    if not is_server_url(db):
        return not Path(db).exists()
    with open_store(db) as store:
        return store.count_posts() == 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=200_000)
    ap.add_argument(
        "--db",
        default=None,
        help="an SQLite file or a postgresql:// URL; default: /tmp/multivector-bench-<posts>.db",
    )
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--no-stages", action="store_true", help="skip the in-process stage timings")
    args = ap.parse_args()
    db = args.db or Path(tempfile.gettempdir()) / f"multivector-bench-{args.posts}.db"
    if _missing(db):
        print(f"making {db} with {args.posts} posts ...", file=sys.stderr)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, str(HERE / "make_corpus.py"), str(args.posts), "--out", str(db),
             "--start-year", str(args.year - 1)],
            check=True,
        )  # fmt: skip
        print(f"corpus made in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    exe = str(Path(sys.executable).parent / "multivector")
    outs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(2):
            out = Path(tmp) / f"report{i}.json"
            m = run(
                [
                    exe,
                    "--db",
                    str(db),
                    "report",
                    "--year",
                    str(args.year),
                    "--format",
                    "json",
                    "--out",
                    str(out),
                ]
            )
            if m.returncode != 0:
                sys.exit(f"report failed ({m.returncode}): {m.stderr[-2000:]}")
            outs.append((m, out.read_bytes()))
        import json

        report = json.loads(outs[0][1])
    from multivector.store import open_store

    with open_store(db, create=False) as store:
        n = store.count_posts()
    gen = report["generated_from"]
    print(f"database: {n} posts; year {args.year}: {gen['content_posts']} in-scope content posts "
          f"({gen['content_posts_prev']} the year before), {gen['channels']} channels")  # fmt: skip
    for i, (m, _) in enumerate(outs, start=1):
        print(f"report run {i}: {m.seconds:.1f} s, peak RSS {m.peak_rss_mb:.0f} MB")
    print(f"byte-identical runs: {outs[0][1] == outs[1][1]}")
    if not args.no_stages:
        for name, sec in stages(db, args.year):
            print(f"  {name}: {sec:.2f} s")
    for line in planted_checks(db, report):
        print(line)


if __name__ == "__main__":
    main()
