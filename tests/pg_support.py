"""A PostgreSQL server for the tests: one database per test run, one schema per test.

The server is $MULTIVECTOR_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test,
the server every machine of this project runs; `.ci/run` starts one where none runs). Each
run makes a database of its own (a unique name) and drops it at the end; each test gets an
empty schema of it, so tests never see each other's posts. Without a server the PostgreSQL
tests skip with the reason, unless $MULTIVECTOR_REQUIRE_POSTGRES is set (CI), where they fail.
"""

from __future__ import annotations

import itertools
import os
import secrets
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
_schemas = itertools.count(1)


def server_url() -> str:
    return os.environ.get("MULTIVECTOR_TEST_POSTGRES") or DEFAULT_URL


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def with_schema(url: str, schema: str) -> str:
    joiner = "&" if urlsplit(url).query else "?"
    return url + joiner + "options=" + quote(f"-csearch_path={schema}", safe="")


def unavailable(reason: str) -> None:
    if os.environ.get("MULTIVECTOR_REQUIRE_POSTGRES"):
        pytest.fail(f"PostgreSQL required here but {reason}")
    pytest.skip(reason)


def make_run_database():
    """Yield the URL of a fresh database for this run; drop it afterwards."""
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (pip install 'multivector[postgres]')")
    from multivector.store.postgres import shown_url

    url = server_url()
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.Error as e:
        unavailable(f"no PostgreSQL server at {shown_url(url)}: {' '.join(str(e).split())[:200]}")
    name = f"mv_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(url, name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def new_schema(run_url: str) -> str:
    """An empty schema of the run's database, as a store URL that uses it."""
    import psycopg

    schema = f"t{next(_schemas)}"
    with psycopg.connect(run_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return with_schema(run_url, schema)
