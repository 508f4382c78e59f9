"""A Bloom filter of the near-duplicate band keys a database holds.

Each new post looks up its MinHash band keys (prepare/dedup.py) among the stored posts' keys.
Only copies share keys, so nearly every lookup finds nothing, yet each one walks the `lsh`
key index, and at a million posts that index is larger than the page cache: every lookup is
a read at a random place. The writer keeps this bit array beside it and asks the database only
for the keys the filter may hold. A false "may hold" costs one lookup. There is no false
"not held" for a key that was added, so the store adds every key it writes or reads back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Four probes a key, from multiply-shift hashing: the top bits of key * a for odd constants a.
# The band keys are uniform 56-bit digests already; the products spread them over the array.
_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64
)
BITS_PER_KEY = 32  # when (re)built: the filter takes four times as many keys before it is full
FULL_BITS_PER_KEY = 8  # then rebuilt larger; at 8 bits a key about 2% of absent keys pass
MIN_LOG2_BITS = 20
MAX_LOG2_BITS = 31  # 256 MB; beyond about 270 million keys more absent keys pass, none is lost


class KeyFilter:
    """A set of integer keys below 2**64 that answers "surely absent" or "may be present"."""

    def __init__(self, expected_keys: int):
        wanted = max(1, expected_keys) * BITS_PER_KEY
        log2_bits = min(MAX_LOG2_BITS, max(MIN_LOG2_BITS, math.ceil(math.log2(wanted))))
        self._shift = np.uint64(64 - log2_bits)
        self._bytes = np.zeros(1 << (log2_bits - 3), dtype=np.uint8)
        self.count = 0  # keys added, repeats included
        self.capacity = (1 << log2_bits) // FULL_BITS_PER_KEY

    @property
    def full(self) -> bool:
        return self.count > self.capacity and self._shift > 64 - MAX_LOG2_BITS

    def _positions(self, keys: Sequence[int] | np.ndarray) -> np.ndarray:
        values = np.asarray(keys, dtype=np.uint64)
        return (values[:, None] * _MULTIPLIERS[None, :]) >> self._shift  # wraps modulo 2**64

    def add(self, keys: Sequence[int] | np.ndarray) -> None:
        if len(keys) == 0:
            return
        bits = self._positions(keys).ravel()
        # `.at` applies every position, also when two fall in one byte of the same call.
        np.bitwise_or.at(
            self._bytes, bits >> np.uint64(3), np.left_shift(1, bits & np.uint64(7)).astype(np.uint8)
        )
        self.count += len(keys)

    def may_hold(self, keys: Sequence[int] | np.ndarray) -> np.ndarray:
        """A boolean per key: False means the key was never added."""
        if len(keys) == 0:
            return np.zeros(0, dtype=bool)
        bits = self._positions(keys)
        found = (self._bytes[bits >> np.uint64(3)] >> (bits & np.uint64(7)).astype(np.uint8)) & 1
        return found.all(axis=1)
