"""The database and the output files where the disk says no: read-only media, a full disk,
--out into a missing or read-only folder. One line that names the file, never a traceback.

Read-only media and a full disk are made for real: as root (CI), the command runs in a private
mount namespace where its folder is bind-mounted read-only, or is a tiny tmpfs; nothing is seen
outside that one process. Another user gets file modes instead.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import multivector
from multivector.pipeline import AnnotateOptions, IngestOptions, ingest
from multivector.store.sqlite import Store

EXE = str(Path(sys.executable).parent / "multivector")
RO_MOUNT = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
TMPFS = 'mount -t tmpfs -o size="$2" tmpfs "$1" && shift 2 && exec "$@"'


@functools.cache
def _namespaces_work() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"mv-ro-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        r = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", RO_MOUNT, "sh", str(probe),
             "sh", "-c", '! touch "$0/x" 2>/dev/null', str(probe)],
            capture_output=True, timeout=30,
        )  # fmt: skip
        return r.returncode == 0
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def read_only(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """`multivector ARGS` with `folder` read-only, as on a mounted CD or a read-only share."""
    if _namespaces_work():
        cmd = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            RO_MOUNT,
            "sh",
            str(folder),
            EXE,
            *args,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if os.geteuid() == 0:
        pytest.skip("root without mount namespaces: cannot make a folder read-only")
    modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
    try:
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=600)
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def one_error_line(r: subprocess.CompletedProcess) -> str:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert "Traceback" not in r.stderr
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: "), lines
    return lines[0]


@pytest.fixture(scope="module")
def built_db(tmp_path_factory) -> Path:
    """A small annotated database, written where it can be, then closed cleanly."""
    from multivector.cli import sample_dir

    folder = tmp_path_factory.mktemp("built")
    with Store.open(folder / "mv.db") as store:
        ingest(
            store, [sample_dir() / "telegram" / "news_ru"], IngestOptions(annotate=AnnotateOptions(ner=False))
        )
    assert not (folder / "mv.db-wal").exists()  # a clean close leaves no -wal, and no -shm to read it by
    return folder / "mv.db"


@pytest.fixture
def media(tmp_path, built_db) -> Path:
    """A folder holding a copy of the database, to be mounted read-only."""
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copy(built_db, folder / "mv.db")
    return folder


def reading_commands(db: Path) -> dict[str, list[str]]:
    return {
        "stats": ["--db", str(db), "stats", "--json"],
        "search": ["--db", str(db), "search", "Казахстан", "--json", "--limit", "3"],
        "export": ["--db", str(db), "export", "--format", "jsonl"],
        "report": ["--db", str(db), "report", "--year", "2024", "--format", "md"],
        "trends": ["--db", str(db), "trends", "--year", "2024", "--json"],
        "events": ["--db", str(db), "events", "--year", "2024", "--json"],
        "balance": ["--db", str(db), "balance", "--year", "2024", "--json"],
    }


def test_reading_commands_work_on_a_database_on_read_only_media(media, built_db):
    expected = {name: multivector(*args) for name, args in reading_commands(built_db).items()}
    for name, args in reading_commands(media / "mv.db").items():
        r = read_only(media, *args)
        assert r.returncode == 0, (name, r.stderr)
        assert r.stdout == expected[name].stdout, name  # the same answers as from a writable copy
    posts = json.loads(expected["stats"].stdout)["posts"]
    assert posts > 10 and len(expected["export"].stdout.splitlines()) == posts
    assert sorted(p.name for p in media.iterdir()) == ["mv.db"]  # nothing was written beside it


def test_a_read_only_copy_with_its_wal_and_shm_files_is_read_with_them(tmp_path, built_db):
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(built_db, media / "mv.db")
    # Leave the copy as a crash would: a write still in the -wal file, the -shm beside it.
    writer = sqlite3.connect(media / "mv.db")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE posts SET channel = 'только в журнале' WHERE rowid = 1")
    writer.commit()
    saved = tmp_path / "saved"
    saved.mkdir()
    for suffix in ("", "-wal", "-shm"):
        shutil.copy(f"{media / 'mv.db'}{suffix}", saved / f"mv.db{suffix}")
    writer.close()
    r = read_only(
        saved, "--db", str(saved / "mv.db"), "search", "Казахстан", "--channel", "только в журнале", "--json"
    )
    assert r.returncode == 0, r.stderr
    r = read_only(saved, "--db", str(saved / "mv.db"), "stats", "--json")
    assert r.returncode == 0, r.stderr
    channels = dict(json.loads(r.stdout)["by_channel"])
    assert channels.get("только в журнале") == 1  # the change that lives only in the -wal file


def test_write_commands_say_in_one_line_that_the_database_is_read_only(media, tmp_path):
    db = media / "mv.db"
    post = tmp_path / "note.txt"
    post.write_text("Date: 2024-05-01\n\nЗаметка о переговорах.", encoding="utf-8")
    sources = tmp_path / "sources.yaml"
    sources.write_text("feeds:\n  - name: local\n    url: http://127.0.0.1:9/feed.xml\n", encoding="utf-8")
    for args in (
        ["ingest", "--no-annotate", str(post)],
        ["annotate"],
        ["collect", "--sources", str(sources)],
    ):
        r = read_only(media, "--db", str(db), *args)
        assert r.returncode == 2, (args, r.stderr)
        line = one_error_line(r)
        assert line == (
            f"error: {db}: the database file is read-only (reading commands such as stats or report still work)"
        ), line
    # A new database in a read-only folder: the folder is named.
    r = read_only(media, "--db", str(media / "new.db"), "ingest", "--no-annotate", str(post))
    assert r.returncode == 2
    assert one_error_line(r).startswith(
        f"error: {media}: the folder is read-only, and the new database 'new.db'"
    )


def test_out_into_a_missing_read_only_or_folder_path_is_one_line_before_any_work(tmp_path, built_db):
    missing = tmp_path / "no" / "such" / "posts.csv"
    r = multivector("--db", str(built_db), "export", "--format", "csv", "--out", str(missing))
    assert r.returncode == 2
    assert one_error_line(r) == f"error: {missing}: no such folder '{missing.parent}'; create it first"
    r = multivector("--db", str(built_db), "report", "--year", "2024", "--out", str(tmp_path))
    assert r.returncode == 2
    assert one_error_line(r) == f"error: {tmp_path}: is a folder; --out wants a file name"
    locked = tmp_path / "locked"
    locked.mkdir()
    for args in (["report", "--year", "2024", "--format", "md"], ["export", "--format", "parquet"]):
        out = locked / "file.out"
        r = read_only(locked, "--db", str(built_db), *args, "--out", str(out))
        assert r.returncode == 2, r.stderr
        assert one_error_line(r) == f"error: {out}: cannot write here (the folder '{locked}' is read-only)"
    assert not missing.parent.exists() and list(locked.iterdir()) == []


def test_a_full_disk_is_one_line_naming_the_database(tmp_path):
    if not _namespaces_work():
        pytest.skip("needs root and mount namespaces for a small tmpfs")
    small = tmp_path / "small"
    small.mkdir()
    table = tmp_path / "posts.jsonl"
    with table.open("w", encoding="utf-8") as fh:
        for i in range(3000):
            words = " ".join(f"слово{(i * 13 + k) % 5003}" for k in range(60))
            fh.write(
                json.dumps({"id": i, "date": "2024-05-01", "text": f"Пост {i}: {words}"}, ensure_ascii=False)
                + "\n"
            )
    db = small / "mv.db"
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", TMPFS, "sh", str(small), "1m",
           EXE, "--db", str(db), "ingest", "--no-annotate", str(table)]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 1, r.stderr
    line = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert line == [f"error: {db}: database or disk is full; free some space and run the command again"
                    " (what was written before is kept)"], r.stderr  # fmt: skip
    assert "Traceback" not in r.stderr
