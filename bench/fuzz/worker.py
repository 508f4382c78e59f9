"""One fuzz case, checked the way a user meets it: `ingest` of the file into a real database.

The invariant: whatever the bytes, `Ingestor.add_file` stores posts and/or reports problems,
and raises nothing. Feed seeds also go through `parse_feed_bytes`, the parser `collect` uses,
which may raise only InputError (a body that is not a feed). Runs inside a worker process
(run.py kills it when a case hangs).
"""

from __future__ import annotations

import os
import shutil
import time
import traceback
from pathlib import Path

from multivector.model import InputError
from multivector.pipeline import AnnotateOptions, IngestOptions, Ingestor, IngestReport
from multivector.sources.base import Limits, ReadContext
from multivector.sources.feeds import parse_feed_bytes
from multivector.store.sqlite import Store

# A short reading budget, so that a case that would run on past it shows as a hang.
FUZZ_LIMITS = Limits(read_seconds=10.0, read_seconds_per_mb=1.0)


class CaseRunner:
    """Holds one database and one Ingestor for all the cases of a worker (as a long ingest would)."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.store = Store.open(workdir / "fuzz.db")
        options = IngestOptions(annotate=AnnotateOptions(enabled=False), workers=1, limits=FUZZ_LIMITS)
        self.ingestor = Ingestor(self.store, options)

    def close(self) -> None:
        self.ingestor.__exit__(None, None, None)
        self.store.close()

    def run(self, name: bytes, data: bytes, fmt: str | None) -> dict:
        """Ingest one case; returns what happened (crash: the traceback of an escaped exception)."""
        folder = self.workdir / "case"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        path = Path(os.fsdecode(folder)) / os.fsdecode(name)
        path.write_bytes(data)
        self.ingestor.options.fmt = fmt
        self.ingestor.report = report = IngestReport()
        started = time.perf_counter()
        crash = None
        try:
            self.ingestor.add_file(path)
        except Exception:  # noqa: BLE001 - what the fuzzer is looking for
            crash = traceback.format_exc()
        outcome = {
            "seconds": time.perf_counter() - started,
            "read": report.read,
            "stored": report.new + report.updated + report.unchanged,
            "problems": len(report.problems),
            "file_error": any(p.place == "" for p in report.problems) and report.read == 0,
            "crash": crash,
        }
        if crash is None and name.endswith(b".xml"):
            outcome["crash"] = self._collect_feed(data)
        outcome["seconds"] = time.perf_counter() - started
        return outcome

    def _collect_feed(self, data: bytes) -> str | None:
        ctx = ReadContext(limits=FUZZ_LIMITS)
        try:
            posts = list(parse_feed_bytes(data, "https://feeds.example.org/fuzz.xml", ctx))
        except InputError:
            return None
        except Exception:  # noqa: BLE001
            return traceback.format_exc()
        try:
            self.ingestor.add_posts(posts)
        except Exception:  # noqa: BLE001
            return traceback.format_exc()
        return None


def serve(conn, workdir: str) -> None:
    """Worker process: answer (name, data, fmt) messages with outcomes until None arrives."""
    runner = CaseRunner(Path(workdir))
    conn.send("ready")
    try:
        while True:
            message = conn.recv()
            if message is None:
                break
            conn.send(runner.run(*message))
    finally:
        runner.close()
