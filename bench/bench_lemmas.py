"""Russian lemmas: pymorphy3's full analysis against the dictionary shortcut of annotate/tokens.py.

    .venv/bin/python bench/bench_lemmas.py [--corpus ../shared/corpora/tg_news_ru_nktkln/raw]

Takes every distinct lower-case Cyrillic word form of the corpus (Kazakh-only letters left
out, as the Kazakh stemmer reads those), counts the forms the shortcut answers (the words of
pymorphy3's dictionary), checks that each gets the lemma `parse()` gives, and times both ways
over those forms (best of three passes).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from multivector.annotate import tokens
from multivector.knowledge.patterns import WORD_RE
from multivector.sources import iter_input_files, read_path
from multivector.sources.base import ReadContext

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "tg_news_ru_nktkln" / "raw"
RUSSIAN = re.compile(r"[а-яё]")
KAZAKH_ONLY = re.compile(r"[әғқңөұүһі]")


def best_of_three(fn, words: list[str]) -> float:
    """Microseconds a word, the fastest of three passes."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        for w in words:
            fn(w)
        times.append(time.perf_counter() - t0)
    return 1e6 * min(times) / max(len(words), 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT)
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        sys.exit(f"{args.corpus}: corpus not found")
    forms: set[str] = set()
    for path in iter_input_files([args.corpus]):
        for post in read_path(path, ReadContext(file=str(path))):
            for w in WORD_RE.findall(post.text.lower()):
                if RUSSIAN.search(w) and not KAZAKH_ONLY.search(w) and "-" not in w:
                    forms.add(w)
    morph = tokens._morph()
    known = [w for w in sorted(forms) if tokens._known_word_lemma(w) is not None]
    differ = [w for w in known if tokens._known_word_lemma(w) != morph.parse(w)[0].normal_form]
    print(
        f"{len(forms)} word forms, {len(known)} in the dictionary, {len(differ)} with another lemma {differ[:5]}"
    )
    full = best_of_three(lambda w: morph.parse(w)[0].normal_form, known)
    lean = best_of_three(tokens._known_word_lemma, known)
    other = [w for w in sorted(forms) if tokens._known_word_lemma(w) is None]
    rest = best_of_three(lambda w: morph.parse(w)[0].normal_form, other)
    print(
        f"dictionary words: parse() {full:.1f} us, shortcut {lean:.1f} us a word; other words: parse() {rest:.1f} us"
    )
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
