"""Annotation throughput on the real news set, single process, against natasha's own pipeline.

    .venv/bin/python bench/bench_annotate.py [--corpus DIR] [--limit N] [--ner-limit N]

Reads the JSON arrays in `DIR/*.json` and the lines of `DIR/*.jsonl` (posts with a `text`
field; default: the Russian Telegram news set in ../shared/corpora/tg_news_ru_nktkln/raw; a
clean checkout can use tests/data/eval), then times, on one core:
1. `Annotator(ner=False).annotate_many` over the first `--limit` posts (lemma caches start
   cold, as in a fresh `ingest`);
2. `Annotator(ner=True).annotate_many` over the first `--ner-limit` posts;
3. natasha's full `Doc` pipeline (segment, tag_morph, tag_ner, lemmatize) over the same
   `--ner-limit` posts, and the ratios of 1 and 2 to it.
Model loading is not timed; each stage gets one warm-up batch of 50 posts first.

BLAS is pinned to one thread (OMP_NUM_THREADS=1 ... unless already set): "single process" then
means one core, and on a loaded 2-core machine a second BLAS thread only fights the other
worker (natasha's own pipeline ran 10x slower that way in our runs).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import machine_probe  # noqa: E402
from multivector.annotate.annotator import Annotator  # noqa: E402
from multivector.knowledge import load_knowledge  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpora" / "tg_news_ru_nktkln" / "raw"


def _items(corpus: Path):
    """Posts of `DIR/*.json` (JSON arrays) and `DIR/*.jsonl` (one object a line), in name order."""
    for f in sorted([*corpus.glob("*.json"), *corpus.glob("*.jsonl")]):
        if f.suffix == ".jsonl":
            with f.open(encoding="utf-8") as lines:
                yield from (json.loads(line) for line in lines if line.strip())
        else:
            yield from json.loads(f.read_text(encoding="utf-8"))


def load_posts(corpus: Path) -> list[str]:
    texts = []
    for item in _items(corpus):
        if isinstance(item, dict):
            text = item.get("text")
            if isinstance(text, list):  # Telegram export style: a list of strings and entities
                text = "".join(t if isinstance(t, str) else t.get("text", "") for t in text)
            if text and text.strip():
                texts.append(text)
    return texts


def timed(label: str, n: int, fn) -> float:
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    print(f"  {label:<44} {n:>6} posts in {dt:7.2f} s = {n / dt:8.0f} posts/s")
    return n / dt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT)
    ap.add_argument("--limit", type=int, default=0, help="posts for the no-NER run (0 = all)")
    ap.add_argument("--ner-limit", type=int, default=2000, help="posts for the NER and natasha runs")
    args = ap.parse_args(argv)

    texts = load_posts(args.corpus)
    if not texts:
        print(f"{args.corpus}: no posts", file=sys.stderr)
        return 2
    fast = texts[: args.limit] if args.limit else texts
    slow = texts[: args.ner_limit]
    words = sum(len(t.split()) for t in fast) / len(fast)
    print(f"{len(texts)} posts in {args.corpus} ({words:.0f} words per post on average)")

    t0 = time.perf_counter()
    knowledge = load_knowledge()
    t1 = time.perf_counter()
    plain = Annotator(knowledge, ner=False)
    plain.compile_all()  # every language's tables before the clock starts
    t2 = time.perf_counter()
    print(f"  load_knowledge {t1 - t0:.2f} s, compile tables {t2 - t1:.2f} s")

    batch = 256

    def run(annotator: Annotator, items: list[str]) -> None:
        for k in range(0, len(items), batch):
            annotator.annotate_many([(t, "ru") for t in items[k : k + batch]])

    no_ner = timed("multivector, no NER", len(fast), lambda: run(plain, fast))

    with_ner = Annotator(knowledge, ner=True)
    with_ner.annotate_many([(t, "ru") for t in slow[:50]])  # loads the model
    ner = timed("multivector, with natasha NER", len(slow), lambda: run(with_ner, slow))

    from natasha import Doc, MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

    emb = NewsEmbedding()
    segmenter, morph, ner_tagger, vocab = Segmenter(), NewsMorphTagger(emb), NewsNERTagger(emb), MorphVocab()

    def natasha(items: list[str]) -> None:
        for text in items:
            doc = Doc(text)
            doc.segment(segmenter)
            doc.tag_morph(morph)
            doc.tag_ner(ner_tagger)
            for token in doc.tokens:
                token.lemmatize(vocab)

    natasha(slow[:50])
    nat = timed("natasha Doc (segment, morph, NER, lemmas)", len(slow), lambda: natasha(slow))
    print(f"  ratio to natasha: no NER x{no_ner / nat:.1f}, with NER x{ner / nat:.1f}")
    print(f"  machine probe: {machine_probe():.0f} ms (measure.py; lower is faster, for comparing sessions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
