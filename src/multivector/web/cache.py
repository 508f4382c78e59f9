"""Results that take seconds to compute, computed once per database state and kept in memory.

A year's report over 200,000 posts takes several seconds and its charts another second, so the
dashboard never builds one while a person waits if it can help it: results are keyed by what
was asked (year, country, options) and by the database's *generation*, a counter that moves
whenever any connection, in this process or another (an `ingest`, an `annotate`, a correction
made in the browser) commits a change. A result of an older generation is never served; it is
recomputed in the background as soon as the change is seen, so the next visit finds it ready.

Two worker threads: one for the heavy report builds, one for the light whole-corpus figures
(corpus overview, an actor's or a channel's page), so a page of the second kind never queues
behind a report.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from multivector.store import Store

MAX_ENTRIES = 48  # results kept; a report is a few hundred kilobytes
WATCH_SECONDS = 2.0  # how often the background watcher looks for changes made elsewhere


class Computing(Exception):
    """The result is being computed and was not ready in the time the caller would wait."""

    def __init__(self, key: Hashable, started: float):
        super().__init__(f"computing {key!r}")
        self.key = key
        self.started = started


@dataclass
class _Entry:
    generation: int
    value: Any
    seconds: float


@dataclass
class _Job:
    generation: int
    future: Future
    started: float


class Stores:
    """One Store (one SQLite connection) per thread, opened on first use."""

    def __init__(self, open_store: Callable[[], Store]):
        self._open = open_store
        self._local = threading.local()
        self._all: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = self._open()
            with self._lock:
                self._all.append(store)
        return store

    def open_private(self) -> Store:
        """A connection of its own, for a stream that may outlive the request's thread."""
        return self._open()

    def close(self) -> None:
        with self._lock:
            for store in self._all:
                with contextlib.suppress(Exception):  # closing at exit; nothing to tell anyone
                    store.close()
            self._all.clear()


class ResultCache:
    def __init__(self, stores: Stores):
        self.stores = stores
        self._watch_store = stores.open_private()  # never writes: its data_version sees every commit
        self._watch_lock = threading.Lock()
        self._version = self._watch_store.data_version()
        self.generation = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._jobs: dict[Hashable, _Job] = {}
        self._recipes: dict[Hashable, tuple[str, Callable[[Store], Any]]] = {}
        self._pools = {
            "heavy": ThreadPoolExecutor(1, thread_name_prefix="mv-analysis"),
            "light": ThreadPoolExecutor(1, thread_name_prefix="mv-figures"),
        }
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    # ---- the database's state --------------------------------------------------------------
    def check(self) -> int:
        """The current generation; a change seen here starts recomputing what was cached."""
        with self._watch_lock:
            version = self._watch_store.data_version()
            changed = version != self._version
            if changed:
                self._version = version
                self.generation += 1
            generation = self.generation
        if changed:
            self._refresh(generation)
        return generation

    def changed(self) -> int:
        """Called after this process wrote (a correction): the watcher connection sees the
        commit too, this only makes sure the refresh starts now."""
        return self.check()

    def _refresh(self, generation: int) -> None:
        with self._lock:
            keys = list(self._entries)[-12:]  # the most recently used: what people are looking at
        for key in reversed(keys):
            kind, compute = self._recipes[key]
            self._submit(key, kind, compute, generation)

    # ---- results ---------------------------------------------------------------------------
    def get(
        self, key: Hashable, compute: Callable[[Store], Any], *, kind: str = "heavy", wait: float = 60.0
    ) -> Any:
        """The result for `key` at the current generation, computing it if needed; raises
        Computing when it is not ready within `wait` seconds (it goes on in the background)."""
        generation = self.check()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.generation == generation:
                self._entries.move_to_end(key)
                return entry.value
            self._recipes[key] = (kind, compute)
        job = self._submit(key, kind, compute, generation)
        try:
            return job.future.result(timeout=wait)
        except FutureTimeout:
            raise Computing(key, job.started) from None

    def peek(self, key: Hashable) -> tuple[Any, bool] | None:
        """A kept result whatever its generation, and whether it is current; None if none."""
        with self._lock:
            entry = self._entries.get(key)
            return None if entry is None else (entry.value, entry.generation == self.generation)

    def warm(self, key: Hashable, compute: Callable[[Store], Any], kind: str = "heavy") -> None:
        """Start computing in the background, without waiting."""
        with self._lock:
            self._recipes[key] = (kind, compute)
        self._submit(key, kind, compute, self.check())

    def _submit(self, key: Hashable, kind: str, compute: Callable[[Store], Any], generation: int) -> _Job:
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.generation == generation:
                return job
            future: Future = Future()
            job = self._jobs[key] = _Job(generation, future, time.monotonic())
        self._pools[kind].submit(self._run, key, compute, job)
        return job

    def _run(self, key: Hashable, compute: Callable[[Store], Any], job: _Job) -> None:
        if job.future.done() or self._stop.is_set():
            return
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.generation >= job.generation:  # done meanwhile
                job.future.set_result(entry.value)
                return
            newer = self._jobs.get(key)
            if newer is not None and newer is not job:  # the data changed again before we began
                newer.future.add_done_callback(lambda f: _pass_on(f, job.future))
                return
        t0 = time.perf_counter()
        try:
            value = compute(self.stores.get())
        except BaseException as e:  # noqa: BLE001 - handed to whoever waits for it
            with self._lock:
                if self._jobs.get(key) is job:
                    del self._jobs[key]
            job.future.set_exception(e)
            return
        with self._lock:
            old = self._entries.get(key)
            if old is None or old.generation <= job.generation:
                self._entries[key] = _Entry(job.generation, value, time.perf_counter() - t0)
                self._entries.move_to_end(key)
                while len(self._entries) > MAX_ENTRIES:
                    dropped, _ = self._entries.popitem(last=False)
                    self._recipes.pop(dropped, None)
            if self._jobs.get(key) is job:
                del self._jobs[key]
        job.future.set_result(value)

    def status(self) -> dict:
        with self._lock:
            return {
                "generation": self.generation,
                "ready": [
                    {"key": list(map(str, k)) if isinstance(k, tuple) else str(k), "seconds": round(e.seconds, 3),
                     "current": e.generation == self.generation}
                    for k, e in self._entries.items()
                ],
                "computing": [list(map(str, k)) if isinstance(k, tuple) else str(k) for k in self._jobs],
            }  # fmt: skip

    # ---- lifetime --------------------------------------------------------------------------
    def start_watching(self, every: float = WATCH_SECONDS) -> None:
        def loop() -> None:
            while not self._stop.wait(every):
                with contextlib.suppress(Exception):  # a busy or vanished file: try again later
                    self.check()

        self._watcher = threading.Thread(target=loop, name="mv-watch", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        self._stop.set()
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        with self._watch_lock:
            self._watch_store.close()


def _pass_on(done: Future, waiting: Future) -> None:
    if waiting.done():
        return
    error = done.exception()
    if error is not None:
        waiting.set_exception(error)
    else:
        waiting.set_result(done.result())
