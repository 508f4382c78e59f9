"""Benchmark: a channel of templated posts, where every post is a near-copy of the others.

    .venv/bin/python bench/bench_templated.py [--posts 6000]

Bots post the same text with new numbers all day (exchange rates, weather, alerts). Each new
post then shares its MinHash band keys with every earlier one; the writer meets only the latest
holders of each key (`KEY_HOLDERS` in store/sql.py), without which its grouping grew with the
square of the channel's size. This writes such a channel (a rates
post every two hours, three numbers changing), ingests it with `multivector ingest --no-ner`
into a fresh SQLite file and prints the time, posts/s, CPU and how the posts were grouped.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import run  # noqa: E402


def write_channel(path: Path, posts: int) -> None:
    rng = random.Random(1)
    first = datetime(2024, 1, 1, 9)
    with path.open("w", encoding="utf-8") as out:
        for i in range(posts):
            when = first + timedelta(hours=2 * i)
            usd, eur, cny = 90 + rng.random() * 5, 98 + rng.random() * 5, 12 + rng.random()
            text = (
                f"Курсы валют ЦБ России на {when:%d.%m.%Y}: доллар США — {usd:.2f} руб., евро — {eur:.2f} руб., "
                f"китайский юань — {cny:.2f} руб. Биржевой курс доллара к {when:%H:%M} составил {usd + 0.3:.2f} руб. "
                "Подписывайтесь на наш канал, чтобы первыми узнавать курсы валют и новости экономики."
            )
            record = {"id": i, "text": text, "date": when.isoformat(), "channel": "rates"}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=6000)
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "multivector")
    with tempfile.TemporaryDirectory() as tmp:
        source, db = Path(tmp) / "rates.jsonl", Path(tmp) / "bench.db"
        write_channel(source, args.posts)
        m = run([exe, "--db", str(db), "ingest", str(source), "--no-ner"])
        if m.returncode != 0:
            sys.exit(f"ingest failed ({m.returncode}): {m.stderr[-2000:]}")
        with sqlite3.connect(db) as conn:
            groups, stored = conn.execute("SELECT count(DISTINCT dup_root), count(*) FROM posts").fetchone()
            links = conn.execute("SELECT count(*) FROM dup_links").fetchone()[0]
    print(f"posts: {stored}")
    print(
        f"ingest: {m.seconds:.1f} s, {stored / m.seconds:.0f} posts/s, CPU {m.cpu_seconds:.1f} s (without NER)"
    )
    print(f"duplicate groups: {groups}, links: {links}")


if __name__ == "__main__":
    main()
