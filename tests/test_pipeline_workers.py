"""Worker processes of `multivector ingest` end with their parent, however the parent ends.

Real processes: the installed command on a generated input, with `--workers 2` so that the
pool is used. The checks poll for an outcome with a generous guard; nothing asserts how fast.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers import stored_posts
from multivector.preparer import WORKER_NICENESS

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

EXE = Path(sys.executable).with_name("multivector")
GUARD = 180.0  # seconds before a poll gives up: a hang fails the test instead of stalling the suite
WORDS = (
    "Казахстан Китай Россия транзит уран соглашение визит министр экономика торговля коридор Каспий "
    "энергетика вода саммит Астана Пекин Москва поставки контракт"
).split()


def make_input(path: Path, n: int) -> Path:
    rng = random.Random(5)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            text = " ".join(rng.choice(WORDS) for _ in range(50)) + "."
            f.write(
                json.dumps({"id": i, "text": text, "date": "2024-03-01", "channel": "ch"}, ensure_ascii=False)
            )
            f.write("\n")
    return path


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for whoever adopted it to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_for(condition, what: str):
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


def start_ingest(tmp_path: Path, posts: int, **popen) -> subprocess.Popen:
    source = make_input(tmp_path / "posts.jsonl", posts)
    cmd = [str(EXE)] if EXE.exists() else [sys.executable, "-c", "from multivector.cli import main; main()"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MULTIVECTOR_")}
    return subprocess.Popen(
        [*cmd, "--db", str(tmp_path / "t.db"), "ingest", str(source), "--workers", "2", "--no-ner"],
        env=env, stdin=subprocess.DEVNULL, **popen,
    )  # fmt: skip


def pool_of(parent: int) -> tuple[list[int], list[int]]:
    """(workers, resource trackers) among the children of `parent`, once both workers exist."""

    def look():
        kids = children(parent)
        workers = [k for k in kids if "spawn_main" in cmdline(k)]
        trackers = [k for k in kids if "resource_tracker" in cmdline(k)]
        return (workers, trackers) if len(workers) == 2 else None

    return wait_for(look, "two worker processes")


def niceness(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    except (OSError, IndexError, ValueError):
        return None


def test_the_workers_run_nicer_than_the_writer_they_feed(tmp_path):
    proc = start_ingest(tmp_path, 20_000, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        writer = niceness(proc.pid)
        assert writer is not None
        workers, _ = pool_of(proc.pid)
        nicer = min(19, writer + WORKER_NICENESS)  # the kernel caps niceness at 19
        # A worker lowers its priority once its models are loaded, before its first batch.
        wait_for(lambda: [niceness(w) for w in workers] == [nicer, nicer], "both workers to be nicer")
        assert niceness(proc.pid) == writer  # the writer keeps its priority
    finally:
        proc.kill()
        proc.wait()


def test_sigkill_of_ingest_takes_its_workers_and_the_resource_tracker_along(tmp_path):
    # stdout and stderr go into one pipe, as in `multivector ingest ... 2>&1 | tee log` from cron.
    proc = start_ingest(tmp_path, 4000, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        workers, trackers = pool_of(proc.pid)
    except BaseException:
        proc.kill()
        raise
    reader_done = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        while proc.stdout.read(65536):
            pass
        reader_done.set()

    threading.Thread(target=drain, daemon=True).start()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    leftovers = workers + trackers
    try:
        wait_for(
            lambda: not any(running(p) for p in leftovers), "the workers and the resource tracker to end"
        )
        # Nobody holds the pipe any more: the reader sees the end of the output.
        assert reader_done.wait(GUARD), "the output pipe never reached EOF"
    finally:
        for pid in leftovers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_sigterm_or_ctrl_c_keep_committed_batches_and_stop_the_workers(tmp_path, how):
    n = 6000  # three writing transactions of 2,000 posts (pipeline.WRITE_SIZE)
    proc = start_ingest(
        tmp_path, n, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    db = tmp_path / "t.db"

    try:
        workers, trackers = pool_of(proc.pid)
        wait_for(lambda: stored_posts(db), "the first batch to be committed")
    except BaseException:
        proc.kill()
        raise
    if how == "SIGINT":
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group
    else:
        proc.send_signal(signal.SIGTERM)  # `kill PID`, systemd, a cron timeout: the parent alone
    _, err = proc.communicate(timeout=GUARD)
    assert proc.returncode == 130, err
    assert "interrupted: every batch written so far is kept" in err and "Traceback" not in err
    wait_for(lambda: not any(running(p) for p in workers + trackers), "the workers to end")
    kept = stored_posts(db)
    assert 0 < kept < n and kept % 2000 == 0  # whole transactions only

    # Running the same command again finishes the job and stores nothing twice.
    again = subprocess.run(
        [str(EXE), "--db", str(db), "ingest", str(tmp_path / "posts.jsonl"), "--no-ner"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"{n - kept} new, 0 updated, {kept} unchanged" in again.stderr
    assert stored_posts(db) == n


# An exception in the pool's own threads (a future failed twice) left the queue to the workers
# open and the process hanging at exit: it must fail this test, not pass as a warning.
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_interrupted_pool_shuts_down_even_with_half_a_result_in_its_pipe():
    """A worker killed while sending its result leaves half a message behind; close() must not hang.

    White-box: the half message is written into the pool's result pipe by hand, which is what a
    worker killed mid-send leaves (seen as a hang of Ctrl-C on a loaded machine). The pool runs
    in a thread of its own, so that a hang fails the test instead of stopping the suite.
    """
    import struct

    from multivector.model import Post
    from multivector.pipeline import AnnotateOptions, _Executor, revision

    text = "Казахстан и Китай подписали соглашение о транзите через Каспий. " * 300
    posts = [Post("text", "c", str(i), f"{text} {i}") for i in range(3000)]
    batches = ([(p, revision(p)) for p in posts[i : i + 300]] for i in range(0, len(posts), 300))
    steps: list[str] = []

    def scenario() -> None:
        executor = _Executor(AnnotateOptions(enabled=False), 2)
        results = executor.map("prepare", batches)
        assert len(next(results)) == 300  # the pool works; more batches are in flight
        steps.append("first result")
        writer = executor.pool._result_queue._writer  # type: ignore[union-attr]
        os.write(writer.fileno(), struct.pack("!i", 1 << 20) + b"half a result")
        executor.close()
        steps.append("closed")

    thread = threading.Thread(target=scenario, daemon=True)
    thread.start()
    thread.join(GUARD)
    assert steps == ["first result", "closed"], "close() hung on a half-sent result"


def test_a_worker_imports_no_reader_no_store_and_no_scipy():
    # A spawned worker imports multivector.preparer to run; every module it pulls in is paid
    # for at each worker's start, so the readers, the store and scipy stay with the main process.
    code = (
        "import sys, multivector.preparer\n"
        "print(sorted(m for m in sys.modules if m.startswith("
        "('multivector.sources', 'multivector.store', 'scipy', 'sqlite3', 'feedparser', 'pyarrow'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_a_worker_ends_at_once_once_its_work_is_sent():
    # A pool worker's exit skips the object-by-object teardown of its tables and caches (the
    # writer joins its workers at the end of every run); what it printed still gets out.
    code = (
        "import atexit, os, multivector.preparer as p\n"
        "atexit.register(os.write, 1, b'finalised\\n')\n"
        "p._init_worker(p.AnnotateOptions(enabled=False))\n"
        "print('prepared')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["prepared"]


def test_workers_spawned_under_the_console_script_do_not_import_the_cli(tmp_path):
    # A spawned worker re-runs its parent's main module; under the `multivector` script that
    # would be the whole CLI. A probe command, added to the CLI here, asks a spawned process.
    script = tmp_path / "console_script.py"
    script.write_text(
        "import multiprocessing, sys\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from multivector import cli\n"
        "def probe():\n"
        "    ctx = multiprocessing.get_context('spawn')\n"
        "    with ProcessPoolExecutor(1, mp_context=ctx) as pool:\n"
        "        print(pool.submit(eval, \"'multivector.cli' in __import__('sys').modules\").result())\n"
        "cli.app.command('probe')(probe)\n"
        "if __name__ == '__main__':\n"
        "    sys.argv = ['multivector', 'probe']\n"
        "    cli.main()\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stdout + out.stderr[-2000:]
