"""Where a worker's time goes: each stage of `Preparer.prepare`, per post, in one process.

    .venv/bin/python bench/bench_prepare.py [--corpus DIR] [--every 2] [--limit 11000] [--batch 64]

Reads the news set's files as `multivector ingest` does (../shared/corpora/tg_news_ru_nktkln/raw
by default; any folder `ingest` reads works), keeps every `--every`-th post (a worker sees
about half of them when two share an ingest), and prepares them in batches of `--batch`, lemma
caches cold, with the annotator and no NER. Prints the whole of `prepare` per post and, by
stage, the time inside each function the stages call (normalising, language, MinHash, the
reworded-copy signature, the word pass with its lemmas, gazetteer linking, theme evidence,
the aboutness observation and decisions). The stage figures come from timing those functions
where `prepare` calls them, so the same command measures an older checkout too:
`PYTHONPATH=/tmp/old/src .venv/bin/python bench/bench_prepare.py`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections import Counter
from pathlib import Path

import multivector.annotate.annotator as annotator_module
from multivector.annotate.about import AboutModel
from multivector.sources import iter_input_files, read_path
from multivector.sources.base import ReadContext

# The module that defines Preparer: multivector.preparer, or pipeline in older checkouts.
try:
    preparer_module = importlib.import_module("multivector.preparer")
except ImportError:
    preparer_module = importlib.import_module("multivector.pipeline")
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "tg_news_ru_nktkln" / "raw"
# (module, function) pairs timed where prepare calls them: the names each module imported.
STAGES = [
    (preparer_module, "normalize"), (preparer_module, "cut_repeated_body"), (preparer_module, "detect_many"),
    (preparer_module, "fingerprint"), (preparer_module, "band_keys"), (preparer_module, "reword_print"),
    (annotator_module, "make_stream"), (annotator_module, "link"), (annotator_module, "evidence"),
    (annotator_module, "observe"),
]  # fmt: skip


def timing(spent: Counter, owner, name: str) -> None:
    """Replace `owner.name` by a wrapper that adds its time to `spent[name]`."""
    inner = getattr(owner, name)

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - t0

    setattr(owner, name, timed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT)
    ap.add_argument("--every", type=int, default=2, help="keep every N-th post (default 2)")
    ap.add_argument("--limit", type=int, default=11_000)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        sys.exit(f"{args.corpus}: corpus not found")
    posts = []
    for path in iter_input_files([args.corpus]):
        posts.extend(read_path(path, ReadContext(file=str(path))))
    posts = posts[:: args.every][: args.limit]

    t0 = time.perf_counter()
    preparer = preparer_module.Preparer(preparer_module.AnnotateOptions(ner=False))
    print(f"preparer loaded in {time.perf_counter() - t0:.2f} s; {len(posts)} posts")
    spent: Counter = Counter()
    for owner, name in STAGES:
        timing(spent, owner, name)
    timing(spent, AboutModel, "decide")
    t0 = time.perf_counter()
    for i in range(0, len(posts), args.batch):
        preparer.prepare([(p, "") for p in posts[i : i + args.batch]])
    total = time.perf_counter() - t0
    print(f"  {'prepare, all of it':<22} {total:7.2f} s {1000 * total / len(posts):7.3f} ms/post")
    for name, seconds in spent.most_common():
        print(f"  {name:<22} {seconds:7.2f} s {1000 * seconds / len(posts):7.3f} ms/post")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
