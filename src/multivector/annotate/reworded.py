"""The reworded-copy rule (docs/duplicates.md): which posts retell another channel's post.

It reads what annotation makes (lemmas, the actors a post names), so it sits after annotation,
beside it; the exact and near-duplicate fingerprints it complements are in prepare/dedup.py.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from sys import intern

import numpy as np

from multivector.annotate.stopwords import content_words
from multivector.prepare.dedup import LINKS, band_hashes

# A digest that retells another channel's post in its own words shares almost no word pairs
# with it, so the bigram MinHash above never sees it. The second signal works on lemmas (the
# same ones the full-text index holds), ignores word order, and asks for what a retelling keeps
# and separate reporting does not: the same actors, the same numbers, most of the same content
# words both ways, within a few days. Another newsroom covering the same happening names the
# same actors on the same day, but brings its own quotes and details, so a large part of its
# content words is its own: the two-way containment below keeps it out of the group.

REWORD_DAYS = 3  # a retelling appears within days; later texts on the same matter are coverage
REWORD_THRESHOLD = 0.6  # share of content lemmas each text shares with the other (both ways)
# A text needs this many content lemmas to be judged, and a pair must share this many: on
# short texts 60% is a handful of words, too few to tell a retelling from the next report.
REWORD_MIN_LEMMAS = 8
REWORD_ROWS = 2  # LSH rows per band: a pair at Jaccard 0.43 (containment 0.6 both ways) is a
REWORD_BANDS = 16  # candidate with p = 0.96; the buckets below keep the candidate lists short

# Digits with thousands separators ("1 500", "1 500,5") read as one number; a four-digit run
# (a year) is never glued to the next number.
_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?")
_HANDLES = re.compile(r"@\w+")
_REWORD_PERSONS = tuple(b"reword" + band.to_bytes(2, "little") for band in range(REWORD_BANDS))
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class RewordPrint:
    """What the reworded-copy rule compares: a text's content lemmas and its LSH band values.

    `bucket` names the actors and numbers of the text; every band value is salted with it, so
    only texts with the same actors and the same numbers can ever share one. A store indexes
    the band values with the post's day, so that a lookup reads the days of the window only.
    """

    lemmas: frozenset[str]
    bucket: str
    bands: list[int]


def numbers(text: str) -> frozenset[str]:
    """The numbers a text states, written one way: no separators, a decimal point, no leading zeros."""
    if not _DIGIT.search(text):
        return frozenset()
    found = set()
    for raw in _NUMBER.findall(_HANDLES.sub(" ", LINKS.sub(" ", text))):
        if raw.isdigit():  # most numbers: no separator, no fraction
            found.add(raw.lstrip("0") or "0")
            continue
        n = re.sub(r"[ \u00a0\u202f]", "", raw).replace(",", ".")
        whole, _, frac = n.partition(".")
        frac = frac.rstrip("0")
        found.add((whole.lstrip("0") or "0") + (f".{frac}" if frac else ""))
    return frozenset(found)


def content_lemmas(lemmas: str) -> frozenset[str]:
    """The content words of a lemma string (the full-text index's): no stop words, numbers, debris.

    The words are interned: a writer keeps the sets of thousands of recent posts (store/sql.py),
    and one copy of each word serves them all."""
    return frozenset(map(intern, content_words(set(lemmas.split()))))


def reword_bucket(actors: Iterable[str], nums: Iterable[str]) -> str:
    """The key of a text's actors and numbers: texts in different buckets are never retellings."""
    return "|".join(sorted(set(actors))) + "#" + "|".join(sorted(set(nums)))


def reword_print(
    lemmas: str, text: str, actors: Iterable[str], content: frozenset[str] | None = None
) -> RewordPrint | None:
    """The reworded-copy signature of a post: its lemma string, its text (for the numbers) and
    the ids of every actor it names (`content`: its content lemmas, when the caller has them
    already). None when the text has too few content words to judge."""
    if content is None:
        content = content_lemmas(lemmas)
    if len(content) < REWORD_MIN_LEMMAS:
        return None
    bucket = reword_bucket(actors, numbers(text))
    h = np.fromiter((zlib.crc32(w.encode()) for w in content), dtype=np.uint64, count=len(content))
    a, b = _reword_hashes()
    # Multiply-shift hashing: (a*h + b) mod 2^64, high 32 bits; unsigned overflow is the modulo,
    # so there is no 64-bit division as in the prime-field hashes of `fingerprint`.
    sig = ((a[:, None] * h[None, :] + b[:, None]) >> np.uint64(32)).min(axis=1).astype("<u4")
    salt = hashlib.blake2b(bucket.encode(), digest_size=8).digest()
    return RewordPrint(content, bucket, band_hashes(sig.tobytes(), REWORD_ROWS, _REWORD_PERSONS, salt))


@lru_cache(maxsize=1)
def _reword_hashes() -> tuple[np.ndarray, np.ndarray]:
    # Fixed seed, as for `_permutations`: stored keys must match keys computed later.
    rng = np.random.default_rng(20261205)
    n = REWORD_ROWS * REWORD_BANDS
    a = rng.integers(0, 1 << 63, size=n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd
    b = rng.integers(0, 1 << 63, size=n, dtype=np.uint64)
    return a, b


def reword_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """The smaller of the two containments: shared content lemmas over the larger text's count.

    At 0.6 the copy keeps at least 60% of the original's content words and at most 40% of its
    own are new; separate coverage, with its own quotes and details, falls below.
    """
    if not a or not b:
        return 0.0
    return len(a & b) / max(len(a), len(b))


def is_reworded(
    a: frozenset[str],
    b: frozenset[str],
    hours_apart: float,
    same_channel: bool = False,
    days: float = REWORD_DAYS,
    threshold: float = REWORD_THRESHOLD,
) -> bool:
    """The decision for two texts of the same bucket (same actors and numbers): one retells the
    other. Symmetric, so it does not matter which of the two was stored first.

    A channel's own second text on a matter is an update (the plane has landed, the bill was
    withdrawn), not amplification: retellings are looked for between channels only. A channel
    repeating its own words is still caught by the exact and near rules.
    """
    if same_channel or abs(hours_apart) > days * 24:
        return False
    # The overlap is at most the smaller count over the larger: texts of very different lengths
    # are rejected before the intersection, the costly part, which is then taken once.
    larger = max(len(a), len(b), 1)
    if min(len(a), len(b)) / larger < threshold:
        return False
    overlap = reword_overlap(a, b)
    return overlap >= threshold and round(overlap * larger) >= REWORD_MIN_LEMMAS  # the shared count
