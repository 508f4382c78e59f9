"""Where posts live: one `Store` interface (base.py), SQLite by default, PostgreSQL on a server.

    from multivector.store import open_store
    with open_store("multivector.db") as store: ...                 # an SQLite file
    with open_store("postgresql://user@host:5432/db") as store: ... # a PostgreSQL server

`store/` is the only package that speaks SQL; everything else asks the interface.
"""

from __future__ import annotations

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
    failure through (it concerns every source, not one) catch these without importing a driver."""
    import sqlite3

    errors: list[type[BaseException]] = [sqlite3.Error]
    try:
        import psycopg
    except ImportError:
        pass
    else:
        errors.append(psycopg.Error)
    return tuple(errors)


__all__ = [
    "Content",
    "SearchFilters",
    "Store",
    "WriteResult",
    "database_errors",
    "is_server_url",
    "open_store",
]
