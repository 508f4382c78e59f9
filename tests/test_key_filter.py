"""The writer's Bloom filter of band keys (store/key_filter.py): never "absent" for a key it was
given, and "absent" for nearly every other key until it is full."""

from __future__ import annotations

import random

from multivector.store.key_filter import KeyFilter


def _keys(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(56) for _ in range(n)]


def test_a_key_once_added_is_never_called_absent():
    # Far more keys than the filter was sized for, in one call: many of them set bits of the
    # same byte at once, and none of those bits may be lost.
    found = KeyFilter(1_000)
    keys = _keys(150_000, 1)
    found.add(keys[:75_000])
    found.add(keys[75_000:])
    assert found.may_hold(keys).all()
    assert found.count == 150_000 and found.full


def test_until_full_nearly_every_absent_key_is_called_absent():
    found = KeyFilter(10_000)
    keys = _keys(found.capacity, 2)  # exactly full: the fewest bits a key it ever works with
    found.add(keys)
    assert not found.full
    others = _keys(50_000, 3)
    passed = found.may_hold(others).mean()
    assert passed < 0.03, passed  # about 2% at 8 bits a key


def test_an_empty_question_has_an_empty_answer():
    found = KeyFilter(0)
    found.add([])
    assert found.may_hold([]).shape == (0,) and found.count == 0
