"""`--engine dask`: the bundled sample through a real Dask LocalCluster gives the same database
as the default engine: the same posts, duplicate groups, actors, themes and annotations.

One cluster of two single-threaded worker processes serves the module (starting workers and
loading the knowledge in each costs seconds); the default engine runs in-process.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import multivector, stored_posts
from multivector.cli import sample_dir
from multivector.pipeline import AnnotateOptions, IngestOptions, ingest, reannotate
from multivector.store import open_store

pytest.importorskip("distributed")

WORKERS = 2


def export_rows(db: Path) -> dict[str, dict]:
    with open_store(db, create=False) as store:
        return {row["id"]: row for row in store.iter_export()}


def groups(rows: dict[str, dict]) -> set[frozenset[str]]:
    """The duplicate groups of more than one post, as sets of post ids."""
    by_root: dict[str, set[str]] = {}
    for pid, row in rows.items():
        by_root.setdefault(row["duplicate_of"] or pid, set()).add(pid)
    return {frozenset(g) for g in by_root.values() if len(g) > 1}


def run_ingest(db: Path, engine: str, paths: list[Path] | None = None) -> None:
    options = IngestOptions(engine=engine, workers=WORKERS if engine == "dask" else 1)
    with open_store(db) as store:
        report = ingest(store, paths or [sample_dir()], options)
    assert report.new > 0
    assert not report.problems, report.problems


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("engines")
    local, dask = folder / "local.db", folder / "dask.db"
    run_ingest(local, "local")
    run_ingest(dask, "dask")
    return local, dask


def test_dask_ingest_gives_the_same_posts_groups_actors_and_themes(both):
    local, dask = (export_rows(db) for db in both)
    assert len(local) > 300
    assert local.keys() == dask.keys()
    assert groups(local), "the sample has duplicate groups: the comparison below must see some"
    assert groups(local) == groups(dask)
    for pid, row in local.items():
        other = dask[pid]
        keys = (
            "text",
            "date",
            "lang",
            "channel",
            "duplicate_of",
            "in_scope",
            "about",
            "actors",
            "themes",
            "mentions",
        )
        for key in keys:
            assert row[key] == other[key], (pid, key)
    assert sum(bool(r["actors"]) for r in local.values()) > 100
    assert sum(bool(r["themes"]) for r in local.values()) > 100


def test_dask_rerun_adds_nothing(both):
    _, dask = both
    before = export_rows(dask)
    with open_store(dask) as store:
        report = ingest(store, [sample_dir()], IngestOptions(engine="dask", workers=WORKERS))
    assert report.new == 0 and report.updated == 0
    assert report.unchanged == len(before)
    assert export_rows(dask) == before


def test_dask_annotate_gives_the_same_annotations(both, tmp_path):
    local, dask = both
    # Drop the annotations of a copy of each, then re-tag: locally, and on the cluster.
    copies = []
    for db, name in ((local, "local"), (dask, "dask")):
        copy = tmp_path / f"{name}.db"
        with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        with sqlite3.connect(copy) as conn:
            for table in ("mentions", "post_actors", "theme_hits", "post_themes"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("UPDATE posts SET annotated_with = NULL, in_scope = NULL")
        copies.append(copy)
    stripped = export_rows(copies[1])
    assert not any(r["actors"] for r in stripped.values())
    for copy, engine in zip(copies, ("local", "dask"), strict=True):
        with open_store(copy) as store:
            n = reannotate(
                store, AnnotateOptions(), engine=engine, workers=WORKERS if engine == "dask" else 1
            )
        assert n == len(stripped)
    local_rows, dask_rows = export_rows(copies[0]), export_rows(copies[1])
    assert local_rows == dask_rows
    assert local_rows == export_rows(local)  # and both as the first ingest annotated them


def test_dask_ingest_of_a_parquet_export_keeps_the_ids(both, tmp_path):
    local, _ = both
    out = tmp_path / "posts.parquet"
    result = multivector("--db", str(local), "export", "--format", "parquet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    db = tmp_path / "again.db"
    result = multivector(
        "--db", str(db), "ingest", str(out), "--engine", "dask", "--workers", "1", "--no-ner"
    )
    assert result.returncode == 0, result.stderr
    original, again = export_rows(local), export_rows(db)
    assert original.keys() == again.keys()
    assert all(original[pid]["text"] == again[pid]["text"] for pid in original)
    assert groups(original) == groups(again)


def test_engine_dask_without_dask_installed_says_what_to_install(tmp_path):
    # A `distributed` package that cannot be imported stands in for an install without the extra.
    blocked = tmp_path / "blocked" / "distributed"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('not installed')\n")
    result = multivector(
        "--db", str(tmp_path / "x.db"), "ingest", str(sample_dir() / "pasted"), "--engine", "dask",
        env={"PYTHONPATH": str(blocked.parent)},
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "multivector[dask]" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_engine_and_stray_scheduler_are_refused(tmp_path):
    result = multivector("--db", str(tmp_path / "x.db"), "ingest", str(sample_dir()), "--engine", "spark")
    assert result.returncode == 2 and "--engine 'spark'" in result.stderr
    result = multivector(
        "--db", str(tmp_path / "x.db"), "ingest", str(sample_dir()), "--scheduler", "tcp://127.0.0.1:1"
    )
    assert result.returncode == 2 and "--engine dask" in result.stderr
    result = multivector(
        "--db",
        str(tmp_path / "x.db"),
        "ingest",
        str(sample_dir()),
        "--engine",
        "dask",
        "--scheduler",
        "nowhere",
    )
    assert result.returncode == 2 and "--scheduler nowhere: cannot connect" in result.stderr, result.stderr


def test_ingest_on_a_running_scheduler(tmp_path):
    """`--scheduler tcp://...`: the client sends the partitions to a cluster it did not start
    (here one worker thread in this process, listening on 127.0.0.1), and leaves it running."""
    from distributed import LocalCluster

    pasted = sample_dir() / "pasted"
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:  # fmt: skip
        db = tmp_path / "remote.db"
        args = (
            "ingest",
            str(pasted),
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
            "--no-ner",
        )
        result = multivector("--db", str(db), *args)
        assert result.returncode == 0, result.stderr
        assert cluster.scheduler.address == cluster.scheduler_address  # still serving
    local = tmp_path / "local.db"
    assert multivector("--db", str(local), "ingest", str(pasted), "--no-ner").returncode == 0
    remote_rows, local_rows = export_rows(db), export_rows(local)
    assert len(local_rows) >= len(list(pasted.iterdir()))  # a pasted file may hold several posts
    assert remote_rows == local_rows


def _terminal_sigint() -> None:
    # As in a terminal: a suite run in the background (nohup, `&`) inherits SIGINT ignored.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def descendants(pid: int) -> list[int]:
    try:
        kids = [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in descendants(k)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_keeps_committed_partitions_and_stops_the_local_cluster(tmp_path):
    rng = random.Random(3)
    words = "Казахстан Китай транзит уран соглашение визит министр торговля коридор Астана Пекин".split()
    source = tmp_path / "posts.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for i in range(6000):
            text = " ".join(rng.choice(words) for _ in range(40))
            fh.write(json.dumps({"id": i, "text": text, "date": "2024-03-01", "channel": "ch"}) + "\n")
    db = tmp_path / "t.db"
    exe = Path(sys.executable).with_name("multivector")
    cmd = [str(exe), "--db", str(db), "ingest", str(source), "--engine", "dask", "--workers", "1", "--no-ner"]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=_terminal_sigint,
    )  # fmt: skip

    deadline = time.monotonic() + 300  # a guard against a hang, not a timing assertion
    try:
        while not stored_posts(db) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        cluster = descendants(proc.pid)
        assert stored_posts(db) and proc.poll() is None, "no partition was committed while the ingest ran"
    except BaseException:
        proc.kill()
        raise
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted: every batch written so far is kept" in err and "Traceback" not in err
    while any(Path(f"/proc/{p}").exists() for p in cluster) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(Path(f"/proc/{p}").exists() for p in cluster), "the local cluster outlived the ingest"
    kept = stored_posts(db)
    assert 0 < kept < 6000 and kept % 500 == 0  # whole partitions only
    again = multivector(
        "--db", str(db), "ingest", str(source), "--engine", "dask", "--workers", "1", "--no-ner"
    )
    assert again.returncode == 0, again.stderr
    assert f"{6000 - kept} new, 0 updated, {kept} unchanged" in again.stderr
    assert stored_posts(db) == 6000
