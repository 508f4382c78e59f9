"""Benchmark: what reading the written forms of the key terms adds to the year report.

    .venv/bin/python bench/bench_terms.py --db PATH [--year 2024] [--lang ru] [--runs 3]

Builds the report in this process `--runs` times and prints, per run, the whole build and the
part spent in `_terms_for` (class-based TF-IDF ranking plus reading a bounded sample of each
trend's posts, analyze/terms.py), then the terms of each trend, so a reader can judge them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--lang", default="ru")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import multivector.report.build as build
    from multivector.knowledge import load_knowledge
    from multivector.store.sqlite import Store

    knowledge = load_knowledge()
    inner = build._terms_for
    spent: list[float] = []

    def timed(*a, **kw):
        t = time.perf_counter()
        out = inner(*a, **kw)
        spent.append(time.perf_counter() - t)
        return out

    build._terms_for = timed
    report = None
    for run in range(1, args.runs + 1):
        spent.clear()
        with Store.open(args.db, create=False) as store:
            t = time.perf_counter()
            report = build.build_report(store, knowledge, args.year, lang=args.lang)
            total = time.perf_counter() - t
        print(f"run {run}: report {total:.2f} s, of which terms {sum(spent):.2f} s")
    for trend in (report or {}).get("trends", []):
        print(f"  {trend['rank']}. {trend['label']}: {', '.join(trend['terms'])}")


if __name__ == "__main__":
    main()
