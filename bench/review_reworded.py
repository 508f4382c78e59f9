"""Count the duplicate links of a database by kind, and print a fixed random sample of the
reworded-copy links (annotate/reworded.py) for a hand check.

    .venv/bin/multivector --db /tmp/news.db ingest ../shared/corpora/tg_news_ru_nktkln/raw --no-ner
    .venv/bin/python bench/review_reworded.py /tmp/news.db [--n 30] [--seed 2024] [--cut 500]

Prints the links per kind, the posts that are copies with every link and without the reworded
ones (duplicate groups are the connected parts of the links), then for each sampled link both
posts (channel, date, text cut at `--cut` characters), their content-lemma overlap and whether
they share a channel. Links are sampled in storage order with `random.Random(seed)`, so the same
database and seed give the same sample. Used for the figures in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from multivector.annotate.reworded import content_lemmas, reword_overlap
from multivector.store.sqlite import Store, union_groups


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db", type=Path)
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--cut", type=int, default=500)
    args = ap.parse_args()
    with Store.open(args.db, create=False, read_only=True) as store:
        c = store.conn
        links = c.execute("SELECT post, other, kind FROM dup_links ORDER BY rowid").fetchall()
        kinds: dict[str, int] = {}
        for _, _, kind in links:
            kinds[kind] = kinds.get(kind, 0) + 1

        def copies(pairs: list[tuple[int, int, str]]) -> int:
            return sum(len(g) - 1 for g in union_groups((a, b) for a, b, _ in pairs))

        print(f"posts: {store.count_posts()}")
        print("links: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        without = copies([x for x in links if x[2] != "reworded"])
        print(f"posts that are copies: {copies(links)} (without the reworded links: {without})")
        reworded = [x for x in links if x[2] == "reworded"]
        sample = random.Random(args.seed).sample(reworded, min(args.n, len(reworded)))
        for i, (a, b, _) in enumerate(sample, 1):
            rows = [
                c.execute(
                    "SELECT p.channel, p.date, p.text, coalesce(f.lemmas, '') FROM posts p "
                    "LEFT JOIN posts_fts f ON f.rowid = p.rowid WHERE p.rowid = ?",
                    (r,),
                ).fetchone()
                for r in (a, b)
            ]
            overlap = reword_overlap(content_lemmas(rows[0][3]), content_lemmas(rows[1][3]))
            print(f"\n=== {i}  overlap {overlap:.2f}  same channel: {rows[0][0] == rows[1][0]}")
            for channel, date, text, _ in rows:
                print(f"  [{channel} {date}] {text[: args.cut]!r}")


if __name__ == "__main__":
    main()
