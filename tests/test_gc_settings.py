"""The garbage-collector settings of batch runs (gc_settings.py): a pool worker freezes what it
loaded and collects less often; an ingest collects less often while it runs and gives the
process its old settings back, even when it is interrupted."""

from __future__ import annotations

import gc
import multiprocessing
from contextlib import nullcontext
from datetime import UTC, datetime

import pytest

from multivector.gc_settings import BATCH_THRESHOLDS
from multivector.model import Post
from multivector.pipeline import AnnotateOptions, IngestOptions, Ingestor, _init_worker
from multivector.store import open_store


def _collector_state() -> tuple[tuple[int, int, int], int]:
    return gc.get_threshold(), gc.get_freeze_count()


def test_a_pool_worker_freezes_its_loaded_models_and_collects_less_often():
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, initializer=_init_worker, initargs=(AnnotateOptions(ner=False),)) as pool:
        thresholds, frozen = pool.apply(_collector_state)
    assert thresholds == BATCH_THRESHOLDS
    # The knowledge and models of the worker's Preparer are tens of thousands of objects.
    assert frozen > 10_000
    assert gc.get_threshold() != BATCH_THRESHOLDS  # the test process itself is left alone


def _posts(n: int) -> list[Post]:
    day = datetime(2024, 3, 1, tzinfo=UTC)
    return [
        Post(source="telegram", channel="c", message_id=str(i), date=day, text=f"Казахстан и Китай {i}")
        for i in range(n)
    ]


class _Recording:
    """A real store that notes the collector's thresholds at every write (or is interrupted in one)."""

    def __init__(self, store, fail: bool = False):
        self.store, self.fail, self.seen = store, fail, []

    def __getattr__(self, name):
        return getattr(self.store, name)

    def write_batch(self, items):
        self.seen.append(gc.get_threshold())
        if self.fail:
            raise KeyboardInterrupt  # Ctrl-C in the middle of a write
        return self.store.write_batch(items)


@pytest.mark.parametrize("fail", [False, True])
def test_an_ingest_collects_less_often_and_restores_the_settings_after(tmp_path, fail):
    before = gc.get_threshold()
    assert before != BATCH_THRESHOLDS
    with open_store(tmp_path / "t.db") as real:
        store = _Recording(real, fail)
        options = IngestOptions(annotate=AnnotateOptions(enabled=False), workers=1)
        interrupted = pytest.raises(KeyboardInterrupt) if fail else nullcontext()
        with interrupted, Ingestor(store, options) as ingestor:  # type: ignore[arg-type]
            ingestor.add_posts(_posts(30))
        assert store.seen and set(store.seen) == {BATCH_THRESHOLDS}
        if not fail:
            assert real.count_posts() == 30
    assert gc.get_threshold() == before


def test_an_ingestor_used_without_with_holds_the_settings_until_it_is_closed(tmp_path):
    # `multivector collect` (collect.py) makes its Ingestor on the first new posts and closes it at the end.
    before = gc.get_threshold()
    with open_store(tmp_path / "t.db") as store:
        ingestor = Ingestor(store, IngestOptions(annotate=AnnotateOptions(enabled=False), workers=1))
        assert gc.get_threshold() == BATCH_THRESHOLDS
        ingestor.add_posts(_posts(5))
        ingestor.__exit__(None, None, None)
        assert gc.get_threshold() == before
        ingestor.__exit__(None, None, None)  # closing twice changes nothing
        assert gc.get_threshold() == before and store.count_posts() == 5
