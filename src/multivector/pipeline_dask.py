"""The Dask engine: the per-post work of ingest and annotate on a Dask cluster.

`multivector ingest ... --engine dask [--scheduler tcp://host:8786] [--workers N]` runs the
same pipeline as the default engine (pipeline.py: reading, skipping unchanged posts, writing,
retrying a failed batch post by post), with one difference: the batches (the partitions) are
prepared and annotated by Dask workers instead of a local process pool. Without a scheduler
address a `LocalCluster` of N single-threaded worker processes is started and stopped with
the run.

- Streaming: the client reads the sources and keeps at most two partitions per worker in
  flight, never the corpus.
- Knowledge (gazetteer, themes, models) is loaded once per worker, at its first partition,
  and kept on the worker for the rest of the run.
- Near-duplicates: the workers compute each post's exact hash, MinHash signature and LSH band
  keys (prepare/dedup.py). The join on band keys across partitions is the store's LSH index:
  the client writes each partition in input order, and each post is matched against every
  band key written before it, in this partition or any earlier one, by the same code as the
  default engine, so the duplicate groups are the same.
- Writing: the client writes each partition in one transaction as it completes (in input
  order). Ctrl-C keeps what was committed; running the command again finishes the job and
  adds nothing twice.

Dask is optional (`pip install 'multivector[dask]'`); this module is imported only when the
engine is asked for, and says in one line what to install when it is missing.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from threading import Lock

from multivector.model import InputError
from multivector.pipeline import AnnotateOptions, Preparer, batches_ahead

INSTALL_HINT = "--engine dask needs Dask: pip install 'multivector[dask]'"
CONNECT_SECONDS = 30

# One Preparer per worker, made at the worker's first partition: loading the knowledge and
# models takes seconds, a partition a fraction of that. Keyed by worker, so that the workers of
# a threaded cluster (one process) do not share an annotator's caches between threads.
_PREPARERS: dict[tuple[str, str], Preparer] = {}
_PREPARERS_LOCK = Lock()


def _preparer(annotate: AnnotateOptions) -> Preparer:
    from distributed import get_worker

    try:
        worker = get_worker().address
    except ValueError:  # run outside a worker (a test calling the function directly)
        worker = ""
    key = (worker, repr(annotate))
    with _PREPARERS_LOCK:
        preparer = _PREPARERS.get(key)
        if preparer is None:
            preparer = _PREPARERS[key] = Preparer(annotate)
    return preparer


def run_partition(method: str, annotate: AnnotateOptions, batch: list) -> list:
    """What a worker runs: one Preparer method (`prepare`, `annotate_rows`) on one partition."""
    return getattr(_preparer(annotate), method)(batch)


class DaskExecutor:
    """The Dask counterpart of pipeline._Executor: `map` yields each partition's result in input
    order, with a bounded number of partitions in flight; `close` stops what it started."""

    def __init__(self, annotate: AnnotateOptions, scheduler: str | None = None, workers: int = 0):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError(INSTALL_HINT) from None
        self.annotate = annotate
        self.cluster = None
        self._pending: deque = deque()
        # One core per worker: BLAS threads inside numpy would only fight each other.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=CONNECT_SECONDS)
            except (OSError, TimeoutError, ValueError) as exc:  # ValueError: not an address
                raise InputError(f"--scheduler {scheduler}: cannot connect ({_brief(exc)})") from None
        else:
            n = workers or min(os.cpu_count() or 1, 4)
            # Ctrl-C reaches the whole process group: the workers ignore it (they inherit the
            # ignored signal) and this process, the client, stops them, as the local pool does.
            with _sigint_ignored():
                self.cluster = LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.ERROR,
                )  # fmt: skip
            self.client = Client(self.cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self._stop = False
        self._old_handlers: dict = {}
        self._catch_signals()

    def _catch_signals(self) -> None:
        """Ctrl-C and SIGTERM set a flag that `map` turns into KeyboardInterrupt between
        partitions. Raised at a random point instead, the interrupt can land in one of Dask's own
        callbacks, which swallows it (seen: the run went on to the end)."""
        if threading.current_thread() is not threading.main_thread():
            return

        def stop(signum, frame) -> None:
            self._stop = True

        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) in (signal.default_int_handler, signal.SIG_DFL):
                self._old_handlers[sig] = signal.signal(sig, stop)

    def _result(self, future) -> list:
        from distributed import wait

        # Wait in short steps to see the flag; `wait` leaves the future alone on a timeout
        # (seen: `result(timeout=...)` timing out left its key forgotten, and the gather looping).
        while not future.done():
            if self._stop:
                raise KeyboardInterrupt
            with suppress(TimeoutError):
                wait(future, timeout=0.5)
        if self._stop:
            raise KeyboardInterrupt
        return future.result()

    def map(self, method: str, batches: Iterable[list]) -> Iterator[list]:
        pending = self._pending = deque()
        for batch in batches:
            if self._stop:
                raise KeyboardInterrupt
            pending.append(self.client.submit(run_partition, method, self.annotate, batch, pure=False))
            while len(pending) > batches_ahead(self.workers):
                yield self._result(pending.popleft())
        while pending:
            yield self._result(pending.popleft())

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pending = deque()
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        self._old_handlers = {}


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signals belong to the main thread; a caller elsewhere has its own plan
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _brief(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
