"""Fingerprints for duplicate detection: an exact content hash, a MinHash signature, and the
reworded-copy rule (at the end of this module; docs/duplicates.md).

Exact: the hash of the text's words, lower-cased, punctuation and links dropped, so the
same post with other emoji or spacing is still the same post. Near: MinHash over word
bigrams with locality-sensitive banding; the store looks up candidates by band key and
confirms them with the estimated Jaccard similarity. Pure functions: the grouping itself
(which post is the original) happens in the store, which sees the whole database.
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

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
_LINKS = re.compile(r"https?://\S+|www\.\S+")
MIN_WORDS = 6  # shorter texts ("Доброе утро!") are not compared at all
DEFAULT_DUP_THRESHOLD = 0.6  # MinHash similarity at which two texts are near-duplicates
NUM_PERM = 64
_PRIME = np.uint64((1 << 61) - 1)
_MAX32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_SHIFT61 = np.uint64(61)


@dataclass(frozen=True)
class Fingerprint:
    content_hash: str | None  # None when the text is too short to call anything a copy
    signature: bytes | None  # NUM_PERM little-endian uint32 values


def _words(text: str) -> list[str]:
    return _WORDS.findall(_LINKS.sub(" ", text.lower().replace("ё", "е")))


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    # Fixed seed: signatures stored today must compare with signatures computed next year.
    rng = np.random.default_rng(20240706)
    a = rng.integers(1, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
    b = rng.integers(0, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
    return a, b


@lru_cache(maxsize=1)
def _permutation_columns() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The permutations' a (high and low 32 bits) and b, as columns against a row of hashes."""
    a, b = _permutations()
    return (a >> _SHIFT32)[:, None], (a & _MAX32)[:, None], b[:, None]


def fingerprint(text: str) -> Fingerprint:
    words = _words(text)
    if len(words) < MIN_WORDS:
        return Fingerprint(None, None)
    content_hash = hashlib.blake2b(" ".join(words).encode(), digest_size=12).hexdigest()
    shingles = {zlib.crc32(f"{x} {y}".encode()) for x, y in zip(words, words[1:], strict=False)}
    h = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
    a_hi, a_lo, b = _permutation_columns()
    # (a*h + b) mod 2^64 as before, with a split in two halves so that h < 2^32 times a < 2^61
    # needs no wider type; then mod p without a division: 2^61 = 1 (mod p), so x = high bits
    # + low 61 bits (mod p), a sum below 2p, from which p is taken once where it fits (the
    # minimum: where it does not fit, x - p wraps around to a larger number).
    x = a_hi * h
    x <<= _SHIFT32
    x += a_lo * h
    x += b
    high = x >> _SHIFT61
    x &= _PRIME
    x += high
    np.minimum(x, x - _PRIME, out=x)
    x &= _MAX32
    return Fingerprint(content_hash, x.min(axis=1).astype("<u4").tobytes())


def similarity(sig_a: bytes, sig_b: bytes) -> float:
    """Estimated Jaccard similarity of the two texts' bigram sets."""
    a = np.frombuffer(sig_a, dtype="<u4")
    b = np.frombuffer(sig_b, dtype="<u4")
    return float(np.count_nonzero(a == b)) / NUM_PERM


def band_rows(threshold: float) -> int:
    """Rows per LSH band, so that pairs a little below `threshold` still become candidates."""
    best = 1
    for rows in range(1, NUM_PERM + 1):
        bands = NUM_PERM // rows
        if (1.0 / bands) ** (1.0 / rows) <= threshold - 0.1:
            best = rows
    return best


# Each band's hash is personalised with its number, so equal values in different bands differ.
_BAND_PERSONS = tuple(band.to_bytes(2, "little") for band in range(NUM_PERM))


def _band_hashes(signature: bytes, rows: int, persons: tuple[bytes, ...], salt: bytes = b"") -> list[int]:
    """A 56-bit integer per band of `rows` little-endian uint32 values, each hashed with its
    band's person (and the salt in front): equal keys mean equal bands."""
    width = 4 * rows
    return [
        int.from_bytes(
            hashlib.blake2b(
                salt + signature[k * width : (k + 1) * width], digest_size=7, person=person
            ).digest(),
            "little",
        )
        for k, person in enumerate(persons[: len(signature) // width])
    ]


def band_keys(signature: bytes, rows: int) -> list[int]:
    """One integer key per band: equal keys mean the two signatures agree on that band."""
    return _band_hashes(signature, rows, _BAND_PERSONS)


# ---- reworded copies ----------------------------------------------------------------------
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
    for raw in _NUMBER.findall(_HANDLES.sub(" ", _LINKS.sub(" ", text))):
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
    return RewordPrint(content, bucket, _band_hashes(sig.tobytes(), REWORD_ROWS, _REWORD_PERSONS, salt))


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
