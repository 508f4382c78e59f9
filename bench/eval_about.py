"""How well the annotator tells what a post is about: scope, about-actors, themes, genre.

    .venv/bin/python bench/eval_about.py --data tests/data/eval_about          # written sets
    .venv/bin/python bench/eval_about.py --news tests/data/news_labels/eval.jsonl --by sample
    .venv/bin/python bench/eval_about.py --kaznerd tests/data/kaznerd_labels/eval.jsonl
    .venv/bin/python bench/eval_about.py --agreement tests/data/about/dev tests/data/about/test \
        tests/data/about/agreement/second_labeller_ru_en.jsonl                 # two labellers

Written sets are JSONL files of `{id, lang, style, text, in_scope, about_actors, themes, genre}`.
Labels of real posts name their post (see bench/labelled.py): the texts are read from
../shared/corpora, never copied into this repository.

About-actors are compared at the level labellers use: countries, organisations and the region.
The tool's people and companies count as their country, and a summit format as its partners
and the region. Themes are scored on in-scope posts as labelled (an out-of-scope post has no
theme by definition, so a theme found there is a false positive). `--mentions` scores every
mention as if it were a subject (what the annotator did before `about` existed).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from labelled import MissingCorpus, labelled_level, load_kaznerd, load_news, load_written


class Score:
    __slots__ = ("tp", "fp", "fn")

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, gold: set, found: set) -> None:
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
        return (
            f"  {name:<26} P {self.p:5.3f}  R {self.r:5.3f}  F1 {self.f1:5.3f}"
            f"   (tp {self.tp}, fp {self.fp}, fn {self.fn})"
        )


LOW_CELL = 0.70


def project(ids, knowledge) -> set[str]:
    """Tool ids at the labellers' level (`labelled.labelled_level`)."""
    return {x for actor_id in ids for x in labelled_level(actor_id, knowledge)}


def score(items: list[dict], predictions: list[dict], by: str = "lang") -> dict:
    """Scores of predictions ({in_scope, about_actors, themes, genre}) against labels."""
    scope = Score()
    scope_by: dict[str, Score] = defaultdict(Score)
    actors = Score()
    actors_by: dict[str, Score] = defaultdict(Score)
    themes = Score()
    themes_by: dict[tuple[str, str], Score] = defaultdict(Score)
    theme_all: dict[str, Score] = defaultdict(Score)
    themes_lang: dict[str, Score] = defaultdict(Score)
    genre_ok = genre_n = 0
    unlinked = 0  # subjects the gazetteer never found: no salience model can recover them
    for d, p in zip(items, predictions, strict=True):
        group = "all" if d.get(by) in (None, "") else str(d[by])  # a bool field too (--by in_scope)
        gold_s, found_s = ({1} if d["in_scope"] else set()), ({1} if p["in_scope"] else set())
        scope.add(gold_s, found_s)
        scope_by[group].add(gold_s, found_s)
        gold_a, found_a = set(d["about_actors"]), set(p["about_actors"])
        actors.add(gold_a, found_a)
        actors_by[group].add(gold_a, found_a)
        if "mentioned" in p:
            unlinked += len(gold_a - p["mentioned"])
        gold_t = set(d["themes"]) if d["in_scope"] else set()
        found_t = set(p["themes"]) if p["in_scope"] else set()
        themes.add(gold_t, found_t)
        themes_lang[group].add(gold_t, found_t)
        for t in gold_t | found_t:
            themes_by[(t, group)].add(gold_t & {t}, found_t & {t})
            theme_all[t].add(gold_t & {t}, found_t & {t})
        if d.get("genre") and p.get("genre"):
            genre_n += 1
            genre_ok += d["genre"] == p["genre"]
    return {
        "scope": scope, "scope_by": dict(scope_by), "actors": actors, "actors_by": dict(actors_by), "themes": themes,
        "themes_by": dict(themes_by), "theme_all": dict(theme_all), "themes_lang": dict(themes_lang),
        "genre": (genre_ok, genre_n), "unlinked": unlinked,
    }  # fmt: skip


def print_scores(s: dict, title: str) -> None:
    print(f"\n{title}")
    print(s["scope"].row("scope (in_scope)"))
    for g in sorted(s["scope_by"]):
        print(s["scope_by"][g].row(f"scope {g}"))
    print(s["actors"].row("about-actors, all"))
    for g in sorted(s["actors_by"]):
        print(s["actors_by"][g].row(f"about-actors {g}"))
    if s["unlinked"] or s["actors"].fn:
        passing = s["actors"].fn - s["unlinked"]
        print(
            f"    missed subjects: {s['unlinked']} never found in the text, {passing} found but judged passing"
        )
    print(s["themes"].row("themes, micro"))
    for g in sorted(s["themes_lang"]):
        print(s["themes_lang"][g].row(f"themes {g}"))
    ok, n = s["genre"]
    if n:
        print(f"  genre accuracy             {ok / n:5.3f}   ({ok}/{n})")
    groups = sorted({g for _, g in s["themes_by"]})
    print(f"\n  per theme F1 ({' / '.join(groups)}), all:")
    for t in sorted(s["theme_all"]):
        parts = []
        for g in groups:
            sc = s["themes_by"].get((t, g))
            parts.append(f"{sc.f1:4.2f} ({sc.tp + sc.fn:>2})" if sc else "   -     ")
        a = s["theme_all"][t]
        print(f"    {t:<24} {'  '.join(parts)}   all P {a.p:4.2f} R {a.r:4.2f} F1 {a.f1:4.2f}")
    # The bar is per theme and group: the cells under it, unrounded.
    cells = {k: sc for k, sc in s["themes_by"].items() if sc.tp + sc.fn}
    low = sorted((sc.f1, t, g) for (t, g), sc in cells.items() if sc.f1 < LOW_CELL)
    print(f"  cells under F1 {LOW_CELL}: {len(low)} of {len(cells)}", end="")
    print(": " + ", ".join(f"{t} {g} {f:.3f}" for f, t, g in low) if low else "")


def predict(items: list[dict], mentions_as_about: bool, profile: str, ner: bool) -> list[dict]:
    from multivector.annotate.annotator import Annotator
    from multivector.knowledge import load_knowledge
    from multivector.prepare.language import detect_many
    from multivector.prepare.normalize import cut_repeated_body, normalize

    knowledge = load_knowledge()
    annotator = Annotator(knowledge, profile=profile, ner=ner)
    texts = [cut_repeated_body(normalize(d["text"]))[0] for d in items]
    langs = [d.get("lang") or lang for d, lang in zip(items, detect_many(texts), strict=True)]
    out = []
    for ann in annotator.annotate_many(list(zip(texts, langs, strict=True))):
        actors = ann.actors if mentions_as_about else ann.about_actors
        themes = ann.theme_ids if mentions_as_about else ann.about_themes
        out.append({
            "in_scope": ann.in_scope, "about_actors": sorted(project(actors, knowledge)),
            "themes": themes, "genre": getattr(ann, "genre", None), "ann": ann,
            "mentioned": project(ann.actors, knowledge),
        })  # fmt: skip
    return out


def errors(items: list[dict], predictions: list[dict]) -> None:
    print("\nErrors")
    for d, p in zip(items, predictions, strict=True):
        parts = []
        if bool(d["in_scope"]) != bool(p["in_scope"]):
            parts.append(
                f"scope {p['in_scope']} (gold {d['in_scope']}; {getattr(p['ann'], 'scope_reason', '')})"
            )
        ga, fa = set(d["about_actors"]), set(p["about_actors"])
        if ga != fa:
            parts.append(f"actors +{sorted(fa - ga)} -{sorted(ga - fa)}")
        gt = set(d["themes"]) if d["in_scope"] else set()
        ft = set(p["themes"]) if p["in_scope"] else set()
        if gt != ft:
            parts.append(f"themes +{sorted(ft - gt)} -{sorted(gt - ft)}")
        if parts:
            print(f"- {d.get('id')}: {'; '.join(parts)}")
            print(f"    {d['text'][:400]!r}")


def agreement(firsts: list[Path], b: Path) -> None:
    first = {d.get("id") or d.get("n"): d for a in firsts for d in load_written(a)}
    second = load_written(b)
    items = [first[d.get("id") or d.get("n")] for d in second]
    names = ", ".join(map(str, firsts))
    print_scores(score(items, second), f"Agreement: {b} against {names} ({len(second)} posts)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, help="a written labelled set (a JSONL file or a folder of them)")
    ap.add_argument("--news", type=Path, help="labels of real news posts (channel, message_id)")
    ap.add_argument("--kaznerd", type=Path, help="labels of KazNERD sentences (sentence index)")
    ap.add_argument(
        "--agreement", type=Path, nargs="+", metavar="PATH",
        help="the first labeller's files or folders, then the second labeller's file",
    )  # fmt: skip
    ap.add_argument("--mentions", action="store_true", help="score every mention as a subject (the old way)")
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--by", default="lang", help="group figures by this field (lang, style, sample ...)")
    ap.add_argument("--profile", default="kz")
    ap.add_argument("--ner", action="store_true", help="run NER too (it does not change these figures)")
    args = ap.parse_args(argv)
    if args.agreement:
        if len(args.agreement) < 2:
            ap.error("--agreement needs the first labeller's set(s) and the second labeller's file")
        agreement(args.agreement[:-1], args.agreement[-1])
        return 0
    if args.data:
        items = load_written(args.data)
        title = f"{len(items)} written posts from {args.data}"
    elif args.news or args.kaznerd:
        try:
            items = load_news(args.news) if args.news else load_kaznerd(args.kaznerd)
        except MissingCorpus as e:
            print(e, file=sys.stderr)
            return 2
        title = f"{len(items)} real posts labelled in {args.news or args.kaznerd}"
    else:
        ap.error("give --data, --news, --kaznerd or --agreement")
    predictions = predict(items, args.mentions, args.profile, args.ner)
    print_scores(
        score(items, predictions, args.by), title + (" (mentions as subjects)" if args.mentions else "")
    )
    if args.errors:
        errors(items, predictions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
