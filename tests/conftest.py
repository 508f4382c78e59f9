"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import CORPORA  # real public corpora live beside the repository, never inside it

SOURCES_DATA = Path(__file__).resolve().parent / "data" / "sources"


@pytest.fixture
def corpora() -> Path:
    """The shared corpora folder; the test is skipped when it is absent (a fresh clone)."""
    if not CORPORA.is_dir():
        pytest.skip(f"real corpora not found at {CORPORA}")
    return CORPORA


@pytest.fixture
def sources_data() -> Path:
    """Small hand-written fixtures for the source readers."""
    return SOURCES_DATA


# ---- both stores -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_run_db():
    """A PostgreSQL database made for this test run and dropped after it (see pg_support.py)."""
    from pg_support import make_run_database

    yield from make_run_database()


@pytest.fixture
def postgres_url(postgres_run_db) -> str:
    """The URL of an empty PostgreSQL store of its own for one test."""
    from pg_support import new_schema

    return new_schema(postgres_run_db)


@pytest.fixture(params=["sqlite", "postgres"])
def db_target(request, tmp_path) -> str | Path:
    """Where a test's store lives: an SQLite file, then a PostgreSQL schema (the test runs twice)."""
    if request.param == "sqlite":
        return tmp_path / "t.db"
    return request.getfixturevalue("postgres_url")
