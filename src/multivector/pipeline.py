"""Ingest: sources -> prepare -> annotate -> store, in batches, resumable.

The main process reads the sources and writes the database; the heavy per-post work
(normalising, language, lemmas, fingerprints, annotation) runs in a pool of worker
processes when the input is large enough to pay for starting them. Each batch is one
transaction: a crash or Ctrl-C loses at most the batch in flight, and because posts are
keyed by stable ids, running the same ingest again completes the job and adds nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from pathlib import Path
from typing import TypeVar

from multivector.gc_settings import batch_collection
from multivector.model import InputError, Post, PreparedPost, Problem
from multivector.preparer import AnnotateOptions, Preparer, _init_worker, _run_worker
from multivector.sources import iter_input_files, read_path
from multivector.sources.base import Limits, ReadContext, one_line, shown
from multivector.store import storage_failure
from multivector.store.base import Store, WriteResult

T = TypeVar("T")

BATCH_SIZE = 500
# Prepared batches are written this many posts at a time, in one transaction: each commit
# writes every index page the batch touched, and the pages of a large database's key indexes
# are touched at random, so fewer, larger commits write far fewer pages a post.
WRITE_SIZE = 2000


def batches_ahead(workers: int) -> int:
    """Batches handed to the workers ahead of the one the writer waits for: enough that they
    stay busy while the writer commits WRITE_SIZE posts, and never the whole corpus."""
    return 2 * workers + WRITE_SIZE // BATCH_SIZE


# Below this many bytes of input, starting worker processes costs more than it saves.
POOL_MIN_BYTES = 3_000_000


@dataclass
class IngestOptions:
    fmt: str | None = None
    channel: str | None = None
    default_date: date | None = None
    field_map: dict[str, str] = field(default_factory=dict)
    annotate: AnnotateOptions = field(default_factory=AnnotateOptions)
    workers: int = 0  # 0: as many as there are cores, when the input is large
    batch_size: int = BATCH_SIZE
    engine: str = "local"  # "local": the pool below; "dask": a Dask cluster (pipeline_dask.py)
    scheduler: str | None = None  # with engine "dask": tcp://host:8786; None starts a LocalCluster
    limits: Limits = field(default_factory=Limits.from_env)  # reading budgets (sources.base)


@dataclass
class IngestReport:
    files: int = 0
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    service: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Progress:
    """What the pipeline tells its caller as it goes (the CLI draws a bar from it)."""

    on_file: Callable[[Path, int, int], None] = lambda path, index, total: None
    on_batch: Callable[[int], None] = lambda posts: None
    on_problem: Callable[[Problem], None] = lambda problem: None


def revision(post: Post) -> str:
    """A hash of what the source says about a post; it changes when the post is edited.

    Views and forward counts are left out: they change every hour and are not an edit.
    """
    key = json.dumps(
        [post.text, post.date and post.date.isoformat(), post.edited and post.edited.isoformat(),
         post.author, post.forwarded_from, post.reply_to, post.url, post.media, post.links, post.hashtags],
        ensure_ascii=False, default=str,
    )  # fmt: skip
    # surrogatepass: a lone surrogate (the readers replace them) must not make hashing fail.
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Executor:
    """Runs a Preparer method in-process or in a bounded pool, yielding results in input order.

    Workers end with their parent, even one killed with SIGKILL (see `_die_with_parent`). While
    the pool runs in the main thread, SIGTERM is turned into KeyboardInterrupt, as Ctrl-C is: the
    batches already written stay, the workers are stopped, and the command ends cleanly.
    """

    def __init__(self, annotate: AnnotateOptions, workers: int):
        self.workers = workers
        self.local = Preparer(annotate) if workers <= 1 else None
        self.pool = None
        self._pending: list[Future] = []
        self._old_sigterm = None
        if workers > 1:
            # Each worker is one core's worth of work: BLAS threads inside numpy/natasha would
            # only fight each other (seen: NER ten times slower with two threads per worker).
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ.setdefault(var, "1")
            import threading

            main = threading.current_thread() is threading.main_thread()
            ctx = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(
                workers, mp_context=ctx, initializer=_init_worker, initargs=(annotate, os.getpid(), main)
            )
            if main:
                self._catch_sigterm()

    def _abort(self) -> None:
        """Interrupted or failed mid-run: stop the workers now instead of waiting for their batches
        (their results would be thrown away anyway)."""
        assert self.pool is not None
        # No future is cancelled here: the pool, broken by the kills below, fails every pending
        # one itself, and on a cancelled one that step raises (CPython 3.11) before it closes
        # the queue the workers read from, which then keeps its feeder thread, and the process's
        # exit, waiting on a pipe nobody reads (seen with several batches queued ahead).
        processes = list((self.pool._processes or {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(timeout=10)
        # A worker killed while it was sending a result leaves half a message in the result pipe,
        # and the pool's manager thread would wait for the rest forever (seen: Ctrl-C hung on a
        # loaded machine). With every worker gone, closing our own copy of the pipe's write end
        # turns that wait into end-of-file: the pool then counts as broken and shuts down.
        writer = getattr(getattr(self.pool, "_result_queue", None), "_writer", None)
        if writer is not None and not writer.closed:
            writer.close()

    def _catch_sigterm(self) -> None:
        import signal

        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return  # the application has its own handler

        def interrupt(signum, frame) -> None:
            raise KeyboardInterrupt

        self._old_sigterm = signal.signal(signal.SIGTERM, interrupt)

    def map(self, method: str, batches: Iterable[list]) -> Iterator[list]:
        """`method` of the preparers on each batch, results in order. An empty batch (the end
        of a file, see `Ingestor._run`) is answered with an empty result, by no worker."""
        if self.local is not None:
            fn = getattr(self.local, method)
            for batch in batches:
                yield fn(batch) if batch else []
            return
        assert self.pool is not None
        pending = self._pending = []
        for batch in batches:
            if batch:
                pending.append(self.pool.submit(_run_worker, method, batch))
            else:
                pending.append(Future())
                pending[-1].set_result([])
            while len(pending) > batches_ahead(self.workers):
                yield pending[0].result()
                pending.pop(0)
        while pending:
            yield pending[0].result()
            pending.pop(0)

    def close(self) -> None:
        if self.pool is None:
            return
        if any(not f.done() for f in self._pending):
            self._abort()
        self._pending = []
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None
        if self._old_sigterm is not None:
            import signal
            import threading

            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, self._old_sigterm)
                self._old_sigterm = None


def choose_workers(requested: int, input_bytes: int) -> int:
    if requested:
        return requested
    return min(os.cpu_count() or 1, 4) if input_bytes >= POOL_MIN_BYTES else 1


ENGINES = ("local", "dask")


def make_executor(
    annotate: AnnotateOptions, engine: str, workers: int, input_bytes: int, scheduler: str | None = None
) -> _Executor:
    """The executor of `engine`: both run Preparer methods on batches and yield results in order.

    Dask is imported only here, when asked for: the default install runs without it.
    """
    if engine == "dask":
        from multivector.pipeline_dask import DaskExecutor

        return DaskExecutor(annotate, scheduler=scheduler, workers=workers)  # type: ignore[return-value]
    if engine != "local":
        raise InputError(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
    return _Executor(annotate, choose_workers(workers, input_bytes))


class Ingestor:
    """Feeds posts from files or from live collectors through prepare/annotate into the store.

    Use as a context manager: it owns the worker pool, which is started once and shared by
    every file or feed of the run.
    """

    def __init__(
        self, store: Store, options: IngestOptions, progress: Progress | None = None, input_bytes: int = 0
    ):
        self.store = store
        self.options = options
        self.progress = progress or Progress()
        self.report = IngestReport()
        self._executor = make_executor(
            options.annotate, options.engine, options.workers, input_bytes, options.scheduler
        )
        # Like the pool, held from here to __exit__ (collect.py calls that without `with`).
        self._held = ExitStack()
        self._held.enter_context(batch_collection())

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._executor.close()
        finally:
            self._held.close()

    def add_posts(self, posts: Iterable[Post]) -> WriteResult:
        """Store posts from any iterator; returns what was new, updated or unchanged.

        What was read is never lost to an error further on: when the iterator itself fails
        (a reader meeting something it did not expect), the posts read before are stored and
        then the error is raised again; when preparing or writing a batch fails on its data,
        the batch is redone one post at a time and only the posts that fail again are left
        out, each as a problem. Errors of the database or the disk (full, read-only) stop.
        """
        part = _Part(posts)
        self._run(iter([part]))
        if part.failure is not None:
            raise part.failure
        return part.result

    def add_file(self, path: Path) -> None:
        """Read one file; a bad file or record becomes a problem in the report, never an exception."""
        self.add_files([path])

    def add_files(
        self, paths: Sequence[Path], on_file: Callable[[Path, int, int], None] | None = None
    ) -> None:
        """Read the files one after the other as one stream of batches.

        The workers go on with the next file while the writer stores the end of the last one:
        a folder of many small channel files used to wait, at every file's end, for its last
        batch to be prepared and written before the next file was even read (BENCHMARKS.md).
        Each file is still accounted for alone: its problems, its counts, and its line in the
        files table once its last post is stored.

        A bad file or record becomes a problem in the report, never an exception. Only a
        failing database or disk (full, read-only) stops the run: it concerns every file.
        With MULTIVECTOR_DEBUG=1 an unexpected error is raised, with its traceback.
        """

        def parts() -> Iterator[_Part]:
            for index, path in enumerate(paths):
                if on_file is not None:
                    on_file(path, index, len(paths))
                yield self._file_part(path)

        self._run(parts())

    def _file_part(self, path: Path) -> _Part:
        opts = self.options
        name = shown(path)
        ctx = ReadContext(
            channel=opts.channel, default_date=opts.default_date, field_map=opts.field_map,
            on_problem=self.problem, file=name, limits=opts.limits,
        )  # fmt: skip

        def read() -> Iterator[Post]:
            yield from read_path(path, ctx, opts.fmt)  # read_path may fail before the first post

        def finish(part: _Part) -> None:
            ctx.close_problems()
            e = part.failure
            if isinstance(e, InputError):
                self.problem(Problem(name, "", one_line(str(e).removeprefix(f"{name}: "))))
                if part.read == 0:
                    return
            elif e is not None:
                self.problem(Problem(name, "", f"unexpected error while reading: {_one_line(e)}"
                                     f" (set MULTIVECTOR_DEBUG=1 for the traceback); {part.read} posts read before it are kept"))  # fmt: skip
            service = ctx.counts.get("service", 0)
            self.report.service += service
            self.report.files += 1
            self.store.record_file(
                shown(path.resolve()), opts.fmt or "auto", part.read, part.result.new,
                part.result.updated, service, ctx.problem_count,
            )  # fmt: skip

        return _Part(read(), finish=finish, raise_debug=True)

    def problem(self, p: Problem) -> None:
        self.report.problems.append(p)
        self.progress.on_problem(p)

    def _run(self, parts: Iterator[_Part]) -> None:
        """Prepare and write every part's posts through one executor stream, in order.

        A part ends (its `finish` runs) once its last batch is written; the batches of the next
        part are already being prepared by then.
        """

        def guarded(part: _Part) -> Iterator[Post]:
            try:
                yield from part.posts
            except Exception as exc:  # noqa: BLE001 - kept, and raised or reported once the rest is stored
                if storage_failure(exc) or (
                    part.raise_debug and _debug() and not isinstance(exc, InputError)
                ):
                    raise
                part.failure = exc

        def changed_batches() -> Iterator[_Batch]:
            # Unchanged posts are dropped here, before any expensive work: a re-run is cheap.
            for part in parts:
                for batch in _batches(guarded(part), self.options.batch_size):
                    todo = self._changed(part, batch)
                    if todo is None:  # the store could not say what is new: the part ends here
                        break
                    if todo:
                        yield _Batch(part, todo)
                # An empty batch marks the part's end (the executor answers it without a worker):
                # its posts are written and the part finished when the stream reaches it.
                yield _Batch(part, [])

        pending: deque[_Batch] = deque()  # handed to the executor, not yet written

        def handed(batches: Iterator[_Batch]) -> Iterator[list[tuple[Post, str]]]:
            for batch in batches:
                pending.append(batch)
                yield batch.posts

        ready: list[tuple[list[PreparedPost], _Batch]] = []  # prepared, not yet written: one part's

        def write_ready() -> None:
            if not ready:
                return
            part = ready[0][1].part
            if not any(prepared for prepared, _ in ready):
                ready.clear()
                return
            try:
                self._write([p for prepared, _ in ready for p in prepared], part.result)
            except Exception as exc:  # noqa: BLE001 - sorted out post by post
                if storage_failure(exc) or _debug():
                    raise
                for _, batch in ready:
                    self._one_by_one(batch.posts, part.result)
            ready.clear()

        def take(prepared: list[PreparedPost], batch: _Batch) -> None:
            ready.append((prepared, batch))
            if batch.last or sum(len(p) for p, _ in ready) >= WRITE_SIZE:
                write_ready()
            if batch.last:
                self._finish(batch.part)

        batches: Iterator[_Batch] = changed_batches()
        while True:
            try:
                for prepared in self._executor.map("prepare", handed(batches)):
                    take(prepared, pending.popleft())
                break
            except Exception as exc:  # noqa: BLE001 - preparing the oldest batch in flight failed
                if storage_failure(exc) or _debug() or not pending:
                    raise
                write_ready()  # the batches before the failed one are written first, in order
                failed = pending.popleft()
                in_flight = list(pending)  # lost with the executor's stream: handed out again
                pending.clear()
                self._one_by_one(failed.posts, failed.part.result)
                take([], failed)
                batches = chain(in_flight, batches)

    def _changed(self, part: _Part, batch: list[Post]) -> list[tuple[Post, str]] | None:
        """The posts of a batch that are new or edited, with their revisions (None: that failed,
        and the part's failure says why)."""
        part.read += len(batch)
        self.report.read += len(batch)
        try:
            todo = self._new_or_edited(part.result, batch)
        except Exception as exc:  # noqa: BLE001 - ends the part like a reader error would
            if storage_failure(exc):
                raise
            part.failure = exc
            return None
        self.progress.on_batch(len(batch) - len(todo))
        return todo

    def _new_or_edited(self, total: WriteResult, batch: list[Post]) -> list[tuple[Post, str]]:
        keyed = []
        for post in batch:
            try:
                keyed.append((post.id, revision(post), post))
            except Exception as exc:  # noqa: BLE001 - a post no reader should have made
                self._post_failed(post, exc)
        known = self.store.revisions(pid for pid, _, _ in keyed)
        todo = []
        seen: set[tuple[str, str]] = set()
        counts = []
        for pid, rev, post in keyed:
            if known.get(pid) == rev or (pid, rev) in seen:
                total.unchanged += 1
                if post.views is not None or post.forwards is not None:
                    counts.append((pid, post.views, post.forwards))
                continue
            seen.add((pid, rev))
            todo.append((post, rev))
        if counts:  # views and forward counts grow after a post is stored; they are no edit
            self.store.refresh_counts(counts)
        return todo

    def _finish(self, part: _Part) -> None:
        self.report.new += part.result.new
        self.report.updated += part.result.updated
        self.report.unchanged += part.result.unchanged
        if part.finish is not None:
            part.finish(part)

    def _write(self, prepared: list[PreparedPost], total: WriteResult) -> None:
        result = self.store.write_batch(prepared)
        total.new += result.new
        total.updated += result.updated
        total.unchanged += result.unchanged
        self.progress.on_batch(len(prepared))

    def _one_by_one(self, batch: list[tuple[Post, str]], total: WriteResult) -> None:
        """Prepare and write each post of a failed batch alone; report the ones that fail."""
        for post, rev in batch:
            if post.text_raw is not None:  # prepared (in this process) before the failure
                post.text = post.text_raw
                post.text_raw = None
            try:
                for prepared in self._executor.map("prepare", [[(post, rev)]]):
                    self._write(prepared, total)
            except Exception as exc:  # noqa: BLE001 - this post, not the run
                if storage_failure(exc) or _debug():
                    raise
                self._post_failed(post, exc)

    def _post_failed(self, post: Post, exc: Exception) -> None:
        origin = post.origin if isinstance(post.origin, str) else ""
        file, _, place = origin.rpartition(": ") if ": " in origin else (origin, "", "")
        self.problem(
            Problem(file or str(post.channel), place, f"could not be stored ({_one_line(exc)}); skipped")
        )


@dataclass(eq=False)
class _Part:
    """One file, or one call of `add_posts`, on its way through the executor stream."""

    posts: Iterable[Post]
    finish: Callable[[_Part], None] | None = None  # run once its last post is written
    raise_debug: bool = False  # with MULTIVECTOR_DEBUG=1, a reader's unexpected error is raised
    read: int = 0
    result: WriteResult = field(default_factory=WriteResult)
    failure: Exception | None = None  # what stopped its reader, if anything


@dataclass(eq=False)
class _Batch:
    part: _Part
    posts: list[tuple[Post, str]]

    @property
    def last(self) -> bool:
        """The empty batch that ends its part: the part is written and finished when it is ready."""
        return not self.posts


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone or unreadable: reading it will say so
        return 0


def _debug() -> bool:
    return bool(os.environ.get("MULTIVECTOR_DEBUG"))


def _one_line(exc: BaseException) -> str:
    text = one_line(" ".join(str(exc).split()), 200)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def ingest(
    store: Store, paths: Sequence[Path], options: IngestOptions, progress: Progress | None = None
) -> IngestReport:
    """Read every file under `paths` into the store. Bad files and records are reported, not fatal."""
    progress = progress or Progress()
    walk_problems: list[Problem] = []
    files = list(iter_input_files(list(paths), walk_problems.append))
    input_bytes = sum(map(_size, files))
    with Ingestor(store, options, progress, input_bytes) as ingestor:
        for p in walk_problems:
            ingestor.problem(p)
        ingestor.add_files(files, progress.on_file)
    return ingestor.report


def reannotate(
    store: Store,
    annotate: AnnotateOptions,
    since: str | None = None,
    everything: bool = False,
    workers: int = 0,
    on_batch: Callable[[int], None] = lambda n: None,
    engine: str = "local",
    scheduler: str | None = None,
) -> int:
    """Annotate stored posts again after the knowledge files changed, without re-reading sources.

    By default only posts annotated with other knowledge (or never) are redone; `everything`
    redoes all of them. Returns the number of posts annotated.
    """
    preparer_fingerprint = _knowledge_fingerprint(annotate)
    stale = None if everything else preparer_fingerprint
    total = store.count_posts()
    executor = make_executor(annotate, engine, workers, total * 600, scheduler)
    done = 0
    try:
        with batch_collection():
            # Only the ids are listed up front (writing while a cursor walks the same table
            # is unsafe); the texts are read a batch at a time.
            ids = store.ids_to_annotate(since=since, only_stale=stale)
            batches = (store.texts(chunk) for chunk in _batches(ids, BATCH_SIZE))
            for result in executor.map("annotate_rows", batches):
                store.write_annotations(result, preparer_fingerprint)
                done += len(result)
                on_batch(len(result))
    finally:
        executor.close()
    return done


def _knowledge_fingerprint(annotate: AnnotateOptions) -> str:
    from multivector.knowledge import load_knowledge

    return load_knowledge(annotate.knowledge_dirs).fingerprint
