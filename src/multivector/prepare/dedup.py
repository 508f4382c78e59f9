"""Fingerprints for duplicate detection: an exact content hash and a MinHash signature
(docs/duplicates.md; the reworded-copy rule, which reads lemmas and actors, is in
annotate/reworded.py).

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
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
LINKS = re.compile(r"https?://\S+|www\.\S+")  # links, left out of every comparison
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
    return _WORDS.findall(LINKS.sub(" ", text.lower().replace("ё", "е")))


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


def similarities(sig: bytes, others: list[bytes]) -> list[float]:
    """The estimated Jaccard similarity of one text's bigram set with each of the others' (the
    share of signature slots that agree), in one numpy pass: a channel of templated posts
    (rates, weather) gives each new post hundreds of candidates."""
    if not others:
        return []
    a = np.frombuffer(sig, dtype="<u4")
    rows = np.frombuffer(b"".join(others), dtype="<u4").reshape(len(others), len(a))
    return (np.count_nonzero(rows == a, axis=1) / NUM_PERM).tolist()


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


def band_hashes(signature: bytes, rows: int, persons: tuple[bytes, ...], salt: bytes = b"") -> list[int]:
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
    return band_hashes(signature, rows, _BAND_PERSONS)
