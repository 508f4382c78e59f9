"""Where posts live: one `Store` interface (base.py), SQLite by default, PostgreSQL on a server.

    from multivector.store import open_store
    with open_store("multivector.db") as store: ...                 # an SQLite file
    with open_store("postgresql://user@host:5432/db") as store: ... # a PostgreSQL server

`store/` is the only package that speaks SQL; everything else asks the interface.
"""

from __future__ import annotations

import sys
from pathlib import Path

from multivector.store.base import Content, SearchFilters, Store, WriteResult

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def open_store(target: str | Path, *, create: bool = True, read_only: bool = False, **options) -> Store:
    """Open the database at `target`: a PostgreSQL URL, or else a path to an SQLite file."""
    if is_server_url(target):
        from multivector.store.postgres import PostgresStore

        return PostgresStore.open(str(target), create=create, read_only=read_only, **options)
    from multivector.store.sqlite import SqliteStore

    if read_only:
        options["read_only"] = True
    return SqliteStore.open(Path(target), create=create, **options)


def database_errors() -> tuple[type[BaseException], ...]:
    """The exception classes of the database drivers in use: callers that must let a database
    failure through (it concerns every source, not one) catch these without importing a driver.

    A driver that was never imported raised nothing, and importing it here cost every command
    a tenth of a second at its end (the CLI's `except` clauses are evaluated for its SystemExit).
    """
    import sqlite3

    errors: list[type[BaseException]] = [sqlite3.Error]
    psycopg = _imported_driver()
    if psycopg is not None:
        errors.append(psycopg.Error)
    return tuple(errors)


def _imported_driver():
    """The psycopg module if this process has imported it (opened a server), else None."""
    return sys.modules.get("psycopg")


def storage_failure(exc: BaseException) -> bool:
    """Whether `exc` is the database or the disk failing (full, read-only, damaged, locked,
    the server gone) rather than one bad record: an ingest stops on these."""
    from multivector.store.sqlite import storage_failure as sqlite_failure

    if sqlite_failure(exc):
        return True
    psycopg = _imported_driver()
    if psycopg is None:
        return False
    return isinstance(
        exc, psycopg.OperationalError | psycopg.errors.DiskFull | psycopg.errors.ReadOnlySqlTransaction
    )


def describe_database_error(exc: BaseException, location: str | Path) -> str:
    """One line for a database failure that names the database and says what to do."""
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        from multivector.store.sqlite import describe_error

        return describe_error(exc, location)
    from multivector.store.postgres import describe_error as describe_server_error

    return describe_server_error(exc, str(location))


__all__ = [
    "Content",
    "SearchFilters",
    "Store",
    "WriteResult",
    "database_errors",
    "is_server_url",
    "open_store",
]
