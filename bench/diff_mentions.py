"""What a linking change changes: every gazetteer mention, counted by actor and surface, on the
texts the project may read, before and after.

    .venv/bin/python bench/diff_mentions.py --out /tmp/new.json
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/diff_mentions.py --out /tmp/old.json  # a worktree
    .venv/bin/python bench/diff_mentions.py --compare /tmp/old.json /tmp/new.json

The texts: the written training posts and the evaluation sets' dev halves (`tests/data/about/train`,
`dev`, `dev2`), the older theme sets (`tests/data/eval*`), every post of the real news set and
every KazNERD sentence (../shared/corpora; skipped when absent). The held-out written halves
(`test`, `test2`) are not read.
Mentions come from the annotator without NER and without the aboutness model, each text in its
labelled language (news posts: detected), so only the linker and its tables matter.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from labelled import DATA, DEV_FOLDERS, MissingCorpus, kaznerd_sentences, load_written, news_posts  # noqa: E402


def texts() -> list[tuple[str, str | None]]:
    out = []
    folders = [
        DATA / "about" / "train",
        *(DATA / "about" / f for f in DEV_FOLDERS),
        *sorted(DATA.glob("eval*")),
    ]
    for folder in folders:
        out += [(d["text"], d.get("lang")) for d in load_written(folder)]
    try:
        news = news_posts()
        out += [(news[k]["text"], None) for k in sorted(news)]
        out += [(s, "kk") for s in kaznerd_sentences()]
    except MissingCorpus as e:
        print(f"{e}: without the real corpora", file=sys.stderr)
    return out


def count(items: list[tuple[str, str | None]]) -> Counter:
    from multivector.annotate.annotator import Annotator
    from multivector.knowledge import load_knowledge
    from multivector.prepare.language import detect_many

    langs = detect_many([t for t, lang in items if lang is None])
    it = iter(langs)
    annotator = Annotator(load_knowledge(), ner=False, model=False)
    found: Counter = Counter()
    for text, lang in items:
        for m in annotator.annotate(text, lang or next(it)).mentions:
            found[f"{m.actor}\t{m.text}"] += 1
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="write the counts of this checkout here (JSON)")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args(argv)
    if args.compare:
        before, after = (Counter(json.loads(p.read_text(encoding="utf-8"))) for p in args.compare)
        changed = sorted(k for k in before.keys() | after.keys() if before[k] != after[k])
        print(
            f"mentions: {before.total()} before, {after.total()} after; {len(changed)} (actor, surface) pairs changed"
        )
        for k in changed:
            actor, surface = k.split("\t")
            print(f"  {actor:<16} {surface!r:<40} {before[k]:>5} -> {after[k]}")
        return 0
    if not args.out:
        ap.error("give --out FILE or --compare BEFORE AFTER")
    items = texts()
    found = count(items)
    args.out.write_text(json.dumps(dict(sorted(found.items())), ensure_ascii=False), encoding="utf-8")
    print(f"{len(items)} texts, {found.total()} mentions -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
