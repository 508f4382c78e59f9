"""Which language a post is written in: ru, kk, en, other, or und (too short to tell).

lingua is built for a small set of languages only: the three we analyse plus the ones most
often confused with them (Ukrainian, Belarusian and Kyrgyz-like Cyrillic texts fall back to
Russian or Kazakh otherwise) and a few frequent neighbours, which all map to `other`.
"""

from __future__ import annotations

import re
from functools import lru_cache

UNDETERMINED = "und"
OTHER = "other"

# Letters only Kazakh uses among the languages we meet (ң ө ү are Kyrgyz and Mongolian too).
_KAZAKH_LETTERS = re.compile(r"[әғқұһӘҒҚҰҺ]")
# Cyrillic letters outside the Russian alphabet: Ukrainian, Belarusian, Kazakh, Kyrgyz, Serbian ...
_RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_CYRILLIC_ALPHABET = [c for c in map(chr, range(0x400, 0x500)) if c.isalpha()]  # not its signs and marks
_CYRILLIC_LETTER = re.compile("[" + "".join(_CYRILLIC_ALPHABET) + "]")
# The Cyrillic letters Russian does not use, in either case, so that one search of the text as
# written answers "only Russian letters?".
_NON_RUSSIAN_CYRILLIC = re.compile(
    "[" + "".join(c for c in _CYRILLIC_ALPHABET if c.lower() not in _RUSSIAN) + "]"
)
_LETTER = re.compile(r"[^\W\d_]")
_URL = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")
MIN_LETTERS = 12  # below this a guess is noise
SAMPLE_CHARS = 300  # the first sentences decide; whole articles only cost time


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.RUSSIAN, Language.KAZAKH, Language.ENGLISH, Language.UKRAINIAN,
        Language.BELARUSIAN, Language.MONGOLIAN, Language.CHINESE, Language.TURKISH,
        Language.GERMAN, Language.FRENCH, Language.ARABIC, Language.PERSIAN,
    ]  # fmt: skip
    codes = {Language.RUSSIAN: "ru", Language.KAZAKH: "kk", Language.ENGLISH: "en"}
    # Low-accuracy mode (trigram models only) agreed with the full models on 99% of the real
    # news set and is 2-3x faster; Kazakh-only letters decide most Kazakh texts before it.
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build(), codes


def _sample(text: str) -> tuple[str, int] | None:
    """The start of the text without links, and how many letters it holds; None when too few."""
    s = _URL.sub(" ", text[: SAMPLE_CHARS * 2])[:SAMPLE_CHARS]
    letters = _LETTER.subn("", s)[1]  # a count without a list of one-letter strings
    return (s, letters) if letters >= MIN_LETTERS else None


def _by_script(sample: str, letters: int) -> str | None:
    """Decide from the alphabet alone when it is unambiguous; None sends the text to lingua.

    A Cyrillic text with several Kazakh-only letters is Kazakh; one written only in letters
    of the Russian alphabet is Russian (Ukrainian, Belarusian, Kazakh and Kyrgyz all use
    letters Russian lacks). This skips the statistical model for most posts.
    """
    cyrillic = _CYRILLIC_LETTER.subn("", sample)[1]
    if cyrillic < 0.7 * letters:
        return None
    kazakh = len(_KAZAKH_LETTERS.findall(sample))
    if kazakh >= 3 and kazakh >= 0.02 * cyrillic:
        return "kk"
    if kazakh == 0 and not _NON_RUSSIAN_CYRILLIC.search(sample):
        return "ru"
    return None


def detect(text: str) -> str:
    """Language code of one text."""
    return detect_many([text])[0]


def detect_many(texts: list[str]) -> list[str]:
    """Language codes of many texts; lingua works through the batch in one call."""
    out = [UNDETERMINED] * len(texts)
    todo_idx: list[int] = []
    todo: list[str] = []
    for i, text in enumerate(texts):
        found = _sample(text)
        if found is None:
            continue
        s, letters = found
        by_script = _by_script(s, letters)
        if by_script is not None:
            out[i] = by_script
            continue
        todo_idx.append(i)
        todo.append(s)
    if todo:
        detector, codes = _detector()
        for i, lang in zip(todo_idx, detector.detect_languages_in_parallel_of(todo), strict=True):
            out[i] = codes.get(lang, OTHER) if lang is not None else UNDETERMINED
    return out
