"""Fingerprints for duplicate detection: an exact content hash and a MinHash signature.

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
_LINKS = re.compile(r"https?://\S+|www\.\S+")
MIN_WORDS = 6  # shorter texts ("Доброе утро!") are not compared at all
NUM_PERM = 64
_PRIME = np.uint64((1 << 61) - 1)
_MAX32 = np.uint64(0xFFFFFFFF)


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


def fingerprint(text: str) -> Fingerprint:
    words = _words(text)
    if len(words) < MIN_WORDS:
        return Fingerprint(None, None)
    content_hash = hashlib.blake2b(" ".join(words).encode(), digest_size=12).hexdigest()
    shingles = {zlib.crc32(f"{x} {y}".encode()) for x, y in zip(words, words[1:], strict=False)}
    h = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
    a, b = _permutations()
    # (a*h + b) mod p, kept in 64 bits: h < 2^32 and a < 2^61 would overflow, so split a.
    a_hi, a_lo = a >> np.uint64(32), a & _MAX32
    prod = ((a_hi[:, None] * h[None, :]) << np.uint64(32)) + a_lo[:, None] * h[None, :] + b[:, None]
    sig = ((prod % _PRIME) & _MAX32).min(axis=1).astype("<u4")
    return Fingerprint(content_hash, sig.tobytes())


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


def band_keys(signature: bytes, rows: int) -> list[int]:
    """One integer key per band: equal keys mean the two signatures agree on that band."""
    sig = np.frombuffer(signature, dtype="<u4")
    keys = []
    for band in range(NUM_PERM // rows):
        chunk = sig[band * rows : (band + 1) * rows].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=7, person=band.to_bytes(2, "little")).digest()
        keys.append(int.from_bytes(digest, "little"))
    return keys
