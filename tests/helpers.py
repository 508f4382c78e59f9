"""Helpers for tests: run the installed `multivector` command, find the real corpora."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
# Statements that take a database back to before schema 6, for tests that fake an older file:
# the band keys waiting in `lsh_new` go where older schemas kept them.
BEFORE_SCHEMA_6 = ("INSERT INTO lsh(key, post) SELECT key, post FROM lsh_new", "DROP TABLE lsh_new")


def corpus(*parts: str) -> Path:
    """A folder or file of ../shared/corpora, or a clean skip when this checkout has none."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real corpus not available: {path}")
    return path


def multivector(
    *args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run the installed console script, as a user would."""
    exe = Path(sys.executable).parent / "multivector"
    return subprocess.run(
        [str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def stored_posts(db: Path) -> int:
    """Posts committed to the SQLite file `db` so far (0 while it cannot be read yet): for
    polling an ingest that runs in another process."""
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT count(*) FROM posts").fetchone()[0]
    except sqlite3.Error:
        return 0
