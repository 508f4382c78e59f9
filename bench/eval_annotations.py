"""Precision and recall of actor linking and theme tagging on the labelled evaluation set.

    .venv/bin/python bench/eval_annotations.py [--data tests/data/eval] [--no-ner] [--errors]
                                               [--knowledge DIR ...] [--profile kz]

The set is one or more JSONL files, one post per line:
`{"id", "lang", "text", "actors": [ids], "themes": [ids], "note"}`. Scores are micro-averaged
over (post, id) pairs: actors per language and per actor kind, themes overall and per theme.
`--errors` lists every post with a missed or a spurious id, with the spans that were found.
NER spans carry no actor id, so NER does not change these figures; `--no-ner` only saves time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from multivector.annotate.annotator import Annotator
from multivector.knowledge import load_knowledge
from multivector.model import InputError

ROOT = Path(__file__).resolve().parent.parent


class Score:
    __slots__ = ("tp", "fp", "fn")

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, gold: set[str], found: set[str]) -> None:
        self.tp += len(gold & found)
        self.fp += len(found - gold)
        self.fn += len(gold - found)

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def row(self, name: str) -> str:
        return f"  {name:<24} P {self.p:6.3f}  R {self.r:6.3f}  F1 {self.f1:6.3f}   (tp {self.tp}, fp {self.fp}, fn {self.fn})"


def load_items(data: Path) -> list[dict]:
    files = sorted(data.glob("*.jsonl")) if data.is_dir() else [data]
    if not files:
        raise InputError(f"{data}: no *.jsonl files")
    items = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{f}: line {n}: not JSON ({e.msg})") from None
            d.setdefault("id", f"{f.stem}-{n}")
            items.append(d)
    return items


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "eval")
    ap.add_argument("--no-ner", action="store_true", help="skip natasha NER (it does not change the scores)")
    ap.add_argument("--errors", action="store_true", help="list every post with a missed or spurious id")
    ap.add_argument("--knowledge", type=Path, action="append", default=[], help="extra knowledge directory")
    ap.add_argument("--profile", default="kz")
    args = ap.parse_args(argv)

    try:
        items = load_items(args.data)
        knowledge = load_knowledge(args.knowledge)
    except InputError as e:
        print(e, file=sys.stderr)
        return 2
    annotator = Annotator(knowledge, profile=args.profile, ner=not args.no_ner)
    t0 = time.perf_counter()
    results = annotator.annotate_many([(d["text"], d["lang"]) for d in items])
    elapsed = time.perf_counter() - t0

    by_lang: dict[str, Score] = defaultdict(Score)
    by_kind: dict[str, Score] = defaultdict(Score)
    actors_all = Score()
    themes_all = Score()
    by_theme: dict[str, Score] = defaultdict(Score)
    errors = []
    for d, ann in zip(items, results, strict=True):
        gold_a, found_a = set(d.get("actors", [])), set(ann.actors)
        gold_t, found_t = set(d.get("themes", [])), set(ann.theme_ids)
        actors_all.add(gold_a, found_a)
        by_lang[d["lang"]].add(gold_a, found_a)
        for a in gold_a | found_a:
            kind = knowledge.kind_of(a) or "unknown"
            by_kind[kind].add(gold_a & {a}, found_a & {a})
        themes_all.add(gold_t, found_t)
        for t in gold_t | found_t:
            by_theme[t].add(gold_t & {t}, found_t & {t})
        if gold_a != found_a or gold_t != found_t:
            errors.append((d, ann, gold_a, found_a, gold_t, found_t))

    print(
        f"{len(items)} posts from {args.data}, annotated in {elapsed:.2f} s (NER {'off' if args.no_ner else 'on'})"
    )
    print("\nActors")
    print(actors_all.row("all"))
    for lang in sorted(by_lang):
        print(by_lang[lang].row(f"lang {lang}"))
    for kind in sorted(by_kind):
        print(by_kind[kind].row(f"kind {kind}"))
    print("\nThemes")
    print(themes_all.row("all"))
    for t in sorted(by_theme):
        print(by_theme[t].row(t))
    if args.errors:
        print(f"\nErrors ({len(errors)} posts)")
        for d, ann, gold_a, found_a, gold_t, found_t in errors:
            parts = []
            if found_a - gold_a:
                parts.append(f"actor FP {sorted(found_a - gold_a)}")
            if gold_a - found_a:
                parts.append(f"actor FN {sorted(gold_a - found_a)}")
            if found_t - gold_t:
                parts.append(f"theme FP {sorted(found_t - gold_t)}")
            if gold_t - found_t:
                parts.append(f"theme FN {sorted(gold_t - found_t)}")
            print(f"- {d['id']}: {'; '.join(parts)}")
            print(f"    {d['text']}")
            spans = [f"{m.text}->{m.actor}" for m in ann.mentions if m.actor]
            hits = [f"{h.text}->{h.theme}" for h in ann.themes]
            print(f"    found: {', '.join(spans) or '-'} | {', '.join(hits) or '-'}")
            if d.get("note"):
                print(f"    note: {d['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
