"""What each worker process of an ingest does: turn read posts into PreparedPosts.

The main process (pipeline.py) reads the sources and writes the database; a worker only
prepares (normalising, language, lemmas, fingerprints, annotation). This module imports no
reader and no store, so a worker starts without loading what only the main process needs
(tests/test_pipeline_workers.py checks it).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path

from multivector.annotate.reworded import reword_print
from multivector.annotate.tokens import lemma_text
from multivector.gc_settings import settle_worker
from multivector.model import Annotation, Post, PreparedPost
from multivector.prepare.dedup import DEFAULT_DUP_THRESHOLD, band_keys, band_rows, fingerprint
from multivector.prepare.language import detect_many
from multivector.prepare.normalize import cut_repeated_body, normalize

# Posts longer than this are cut for annotation and indexing (the full text is still stored).
MAX_ANALYSED_CHARS = 100_000
DEFAULT_BAND_ROWS = band_rows(DEFAULT_DUP_THRESHOLD)


@dataclass
class AnnotateOptions:
    enabled: bool = True
    ner: bool = True
    knowledge_dirs: tuple[Path, ...] = ()
    profile: str = "kz"


class Preparer:
    """Turns read posts into PreparedPosts. One per process: it holds the loaded models."""

    # Texts met lately, and what preparing them gave: a forward or a repost is the same text
    # again (a tenth of a news corpus), and all of prepare depends on the text and language alone.
    REUSE_LIMIT = 5_000

    def __init__(self, annotate: AnnotateOptions):
        self.annotator = None
        self.knowledge_fingerprint = None
        self._done: dict[tuple[str, str | None], PreparedPost] = {}
        if annotate.enabled:
            from multivector.annotate.annotator import Annotator
            from multivector.knowledge import load_knowledge

            knowledge = load_knowledge(annotate.knowledge_dirs)
            self.annotator = Annotator(knowledge, profile=annotate.profile, ner=annotate.ner)
            self.knowledge_fingerprint = knowledge.fingerprint

    def prepare(self, batch: Sequence[tuple[Post, str]]) -> list[PreparedPost]:
        """Normalise, identify the language, lemmatise, fingerprint and annotate new posts."""
        posts = []
        for post, _ in batch:
            text, repeated = cut_repeated_body(normalize(post.text))
            # The original is kept only when it differs: half the bytes sent back to the writer.
            post.text_raw = post.text if text != post.text else None
            post.text = text
            post.repeated_body = repeated
            posts.append(post)
        for post, lang in zip(posts, detect_many([p.text for p in posts]), strict=True):
            post.lang = lang
        if len(self._done) > self.REUSE_LIMIT:
            self._done.clear()
        keys = [(post.text[:MAX_ANALYSED_CHARS], post.lang) for post, _ in batch]
        fresh: list[PreparedPost] = []  # texts not met lately: prepared here
        for (post, rev), key in zip(batch, keys, strict=True):
            if key in self._done:
                continue
            fp = fingerprint(key[0])
            # Band keys are hashed here, in the worker, to keep the single writer light.
            bands = (DEFAULT_BAND_ROWS, band_keys(fp.signature, DEFAULT_BAND_ROWS)) if fp.signature else None
            self._done[key] = PreparedPost(post, rev, "", fp.content_hash, fp.signature, bands=bands)
            fresh.append(self._done[key])
        if self.annotator is None:
            for prepared in fresh:
                prepared.lemmas = lemma_text(prepared.post.text[:MAX_ANALYSED_CHARS], prepared.post.lang)
        else:
            items = [(p.post.text[:MAX_ANALYSED_CHARS], p.post.lang or "und") for p in fresh]
            # The annotator's word pass also yields the lemmas for the index: one pass per post.
            for prepared, (text, _), (annotation, lemmas, content) in zip(
                fresh, items, self.annotator.annotate_for_index(items), strict=True
            ):
                prepared.annotation = annotation
                prepared.annotated_with = self.knowledge_fingerprint
                prepared.lemmas = lemmas
                # The reworded-copy signature needs the actors, so it comes after annotation.
                found = reword_print(lemmas, text, annotation.actors, content)
                prepared.reword_bands = found.bands if found else []
        # The same text again (a forward, a repost): the same fingerprint, lemmas and tags.
        out = []
        for (post, rev), key in zip(batch, keys, strict=True):
            done = self._done[key]
            out.append(done if done.post is post else replace(done, post=post, revision=rev))
        return out

    def annotate_rows(self, rows: Sequence[tuple[str, str, str | None]]) -> list[tuple[str, Annotation, str]]:
        """Re-annotation of stored posts: (id, text, lang) in, (id, annotation, lemmas) out.

        The lemmas are returned too, so a stemmer or knowledge change also refreshes the index.
        """
        assert self.annotator is not None
        items = [(text[:MAX_ANALYSED_CHARS], lang or "und") for _, text, lang in rows]
        results = self.annotator.annotate_for_index(items)
        return [
            (pid, found.annotation, found.lemmas) for (pid, _, _), found in zip(rows, results, strict=True)
        ]


# ---- worker-process plumbing --------------------------------------------------------------
_WORKER: Preparer | None = None
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# The single writer is the pipeline's narrow stage: the workers together can prepare more than it
# writes once the database is large, yet at equal priority they took a third of its core from
# it (two workers and the writer on two cores). Workers run this much nicer, so the writer gets
# the CPU whenever it can use it and the workers take the rest (BENCHMARKS.md, "Fifth pass").
WORKER_NICENESS = 10


def _init_worker(annotate: AnnotateOptions, parent_pid: int | None = None, pdeathsig: bool = False) -> None:
    global _WORKER
    if parent_pid is not None:
        _die_with_parent(parent_pid, pdeathsig)
    _WORKER = Preparer(annotate)
    settle_worker()
    _yield_to_writer()
    atexit.register(_exit_at_once)


def _exit_at_once() -> None:
    """End a pool worker without tearing its heap down object by object.

    A worker leaves once the pool shuts down, after it has sent every result. A normal exit then
    frees its knowledge tables and lemma caches one object at a time: a tenth of a second or
    more that the writer, joining its workers, waited for at the end of every run.
    Registered last, this runs first among the exit handlers; the process's own
    (multiprocessing's) has already run by then.
    """
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(0)


def _yield_to_writer() -> None:
    """Lower this worker's scheduling priority below the writer's (a no-op where unsupported)."""
    with suppress(AttributeError, OSError):  # Windows has no nice(); a sandbox may refuse it
        os.nice(WORKER_NICENESS)


def _die_with_parent(parent_pid: int, pdeathsig: bool) -> None:
    """Make this worker end as soon as the process that started it is gone, however it went.

    A parent killed with SIGKILL cannot stop its pool; workers blocked on the task queue (or in
    the middle of a batch) would then live on for minutes, holding the parent's stdout and
    stderr, so a cron job reading the output never sees it end.
    - Ctrl-C reaches the whole process group: workers ignore it; the parent ends the pool.
    - Linux: the kernel sends SIGKILL when the parent goes (PR_SET_PDEATHSIG). It is tied to
      the parent *thread* that started the worker, hence only when that is the main thread.
    - Everywhere: a watchdog thread wakes when the parent's end of the spawn pipe closes (the
      kernel closes it when the parent dies) or the parent pid changes, and exits at once.
    """
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if pdeathsig and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog below still covers it
    if os.getppid() != parent_pid:  # the parent died before we could ask to follow it
        os._exit(1)
    parent = multiprocessing.parent_process()
    sentinel = parent.sentinel if parent is not None else None

    def watch() -> None:
        from multiprocessing.connection import wait

        while True:
            if sentinel is not None and wait([sentinel], timeout=1.0):
                os._exit(1)  # the pipe from the parent closed: the parent is gone
            if sentinel is None:
                threading.Event().wait(1.0)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _run_worker(method: str, batch: list) -> list:
    assert _WORKER is not None
    return getattr(_WORKER, method)(batch)
