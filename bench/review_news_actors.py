"""Print a fixed random sample of general Russian news posts with the actors the tagger finds.

    .venv/bin/python bench/review_news_actors.py [--n 100] [--seed 20250611] [--cut 600] [--full]

The sample is drawn from ../shared/corpora/tg_news_ru_nktkln/raw/*.json (JSON arrays of
`{message_id, text, date, channel, ...}`; `--corpus GLOB` reads others, `.jsonl` files too).
Posts with fewer than 5 words are skipped before sampling. Files and items are read in a fixed order (files sorted by name, items in file order)
and the draw uses `random.Random(seed)`, so the same seed gives the same 100 posts.

For each post: its number, channel, message_id, detected language, the text (cut at `--cut`
characters unless `--full`), and every gazetteer mention as `span -> actor (kind)`.
Used for the manual audit in bench/review_news_actors.md.
"""

from __future__ import annotations

import argparse
import glob
import json
import random
import sys
from pathlib import Path

from multivector.annotate.annotator import Annotator
from multivector.knowledge import load_knowledge
from multivector.prepare.language import detect_many

# ../shared/corpora beside the repository, wherever it is checked out.
CORPUS = str(
    Path(__file__).resolve().parents[2] / "shared" / "corpora" / "tg_news_ru_nktkln" / "raw" / "*.json"
)
SEED = 20250611
N = 100
MIN_WORDS = 5


def load_posts(pattern: str) -> list[dict]:
    posts = []
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as f:
            if path.endswith(".jsonl"):  # one object a line (tests/data/eval/*.jsonl)
                items = [json.loads(line) for line in f if line.strip()]
            else:
                items = json.load(f)
        for item in items:
            text = item.get("text") or ""
            if len(text.split()) < MIN_WORDS:
                continue
            posts.append(item)
    return posts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=CORPUS)
    ap.add_argument("--n", type=int, default=N)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--cut", type=int, default=600, help="characters of text to print")
    ap.add_argument("--full", action="store_true", help="print whole texts")
    args = ap.parse_args(argv)

    posts = load_posts(args.corpus)
    if not posts:
        print(f"no posts under {args.corpus}", file=sys.stderr)
        return 1
    sample = random.Random(args.seed).sample(posts, min(args.n, len(posts)))
    texts = [p["text"] for p in sample]
    langs = detect_many(texts)

    knowledge = load_knowledge()
    annotator = Annotator(knowledge, profile="kz", ner=False)
    annotations = annotator.annotate_many(list(zip(texts, langs, strict=True)))

    print(f"# {len(sample)} posts of {len(posts)} with >= {MIN_WORDS} words; seed {args.seed}\n")
    for k, (post, lang, ann) in enumerate(zip(sample, langs, annotations, strict=True), 1):
        text = post["text"]
        shown = text if args.full or len(text) <= args.cut else text[: args.cut] + " […]"
        print("=" * 100)
        print(f"[{k}] {post.get('channel')}:{post.get('message_id')}  lang={lang}  date={post.get('date')}")
        print("-" * 100)
        print(shown)
        print("-" * 100)
        found = [m for m in ann.mentions if m.actor is not None]
        if not found:
            print("actors: —")
        for m in found:
            kind = knowledge.actors[m.actor].kind if m.actor in knowledge.actors else m.kind
            print(f"  {m.text!r} [{m.start}:{m.end}] -> {m.actor} ({kind})")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
