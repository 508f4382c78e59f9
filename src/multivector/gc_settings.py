"""Garbage-collector settings for the long batch runs: ingest and re-annotation.

CPython runs its cycle collector every 700 new container objects (lists, dicts, model objects)
and, now and then, walks every object alive. A batch run makes and drops millions of small
objects that hold no cycles (posts, mentions, rows), while the objects that live long are many
(a worker's knowledge and caches; the writer's recent posts), so most of those walks find
nothing: collecting less often, and never walking what a worker loaded at its start, took an
eighth off the CPU of a 150,000-post ingest with the same peak memory (BENCHMARKS.md, "Fourth
pass"). The few cycles a run makes are still collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Young objects collected every 100,000 allocations instead of 700; the older generations after
# 50 and 100 of the younger collections instead of 10 and 10.
BATCH_THRESHOLDS = (100_000, 50, 100)


def settle_worker() -> None:
    """In a worker process once its models are loaded: those stay for the process's life, so the
    collector stops walking them (`gc.freeze`), and collects less often from then on."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*BATCH_THRESHOLDS)


@contextmanager
def batch_collection() -> Iterator[None]:
    """Collect less often for the length of a batch run in this process; the old settings after."""
    old = gc.get_threshold()
    gc.set_threshold(*BATCH_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*old)
