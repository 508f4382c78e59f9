"""Moving a database from an SQLite file into PostgreSQL (`multivector migrate --to URL`).

Every table is copied as it is (rowids, duplicate groups and links, tags, corrections, read
files, collection cursors), so the server answers exactly as the file did: nothing is
recomputed, nothing is re-annotated. Rows are streamed a page at a time from SQLite and
written with COPY, all in one transaction on the server: an interrupted copy leaves the
target empty, and running the command again starts over. A target that already holds posts
is refused, so a second run cannot mix two databases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from multivector.model import InputError
from multivector.store.postgres import FTS_INDEX, PostgresStore, describe_error, tsvector_text
from multivector.store.sqlite import SqliteStore

PAGE = 5000  # rows read from SQLite and written per step
# Every table of the schema, in an order where what a row points at is copied before it.
TABLES = (
    "posts", "posts_fts", "lsh", "lsh_new", "reword_lsh", "dup_links", "mentions", "post_actors",
    "theme_hits", "post_themes", "corrections", "files", "cursors",
)  # fmt: skip
SKIPPED_META = {"schema_version", "data_version"}  # the target keeps its own


@dataclass
class MigrateReport:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied

    @property
    def posts(self) -> int:
        return self.rows.get("posts", 0)


def _columns(source: SqliteStore, table: str) -> list[str]:
    if table == "posts_fts":
        return ["rowid", "lemmas"]
    return [r[1] for r in source.conn.execute(f"PRAGMA table_info({table})")]


def _count(source: SqliteStore, table: str) -> int:
    return source.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def migrate(
    source: SqliteStore, target_url: str, on_rows: Callable[[str, int, int], None] | None = None
) -> MigrateReport:
    """Copy every row of `source` into the (empty) PostgreSQL database at `target_url`.

    `on_rows(table, done, total)` is called after each page. Errors are InputError with one line."""
    import psycopg

    target = PostgresStore.open(target_url, create=True)
    report = MigrateReport()
    try:
        held = target.count_posts() + target.count_corrections()
        if held:
            raise InputError(
                f"{target.location}: already holds {held} posts or corrections; `migrate` copies into an "
                "empty database only (make a new one, or drop this one first)"
            )
        with target.transaction():
            target.conn.execute("DROP INDEX posts_fts_tsv")  # built once, after its rows are in
            for table in TABLES:
                report.rows[table] = _copy_table(source, target, table, on_rows)
            target.conn.execute(FTS_INDEX)
            meta = [
                (k, v) for k, v in source.conn.execute("SELECT key, value FROM meta") if k not in SKIPPED_META
            ]
            for key, value in meta:
                target.set_meta(key, value)
            # The next post or correction written on the server is numbered after the copied ones.
            for table, column in (("posts", "rowid"), ("corrections", "id")):
                target.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f"(SELECT coalesce(max({column}), 0) + 1 FROM {table}), false)"
                )
        for table in TABLES:  # statistics for the planner, and every copied row marked settled
            target.conn.execute(f"VACUUM (ANALYZE) {table}")
    except psycopg.Error as e:
        raise InputError(describe_error(e, target_url)) from None
    finally:
        target.close()
    return report


def _copy_table(
    source: SqliteStore, target: PostgresStore, table: str, on_rows: Callable[[str, int, int], None] | None
) -> int:
    columns = _columns(source, table)
    total = _count(source, table)
    order = " ORDER BY rowid" if table in ("posts", "posts_fts") else ""
    rows = source.conn.execute(f"SELECT {', '.join(columns)} FROM {table}{order}")
    if table == "posts_fts":
        columns = [*columns, "tsv"]
    done = 0
    quoted = ", ".join(f'"{c}"' for c in columns)
    with target.raw.cursor().copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        while page := rows.fetchmany(PAGE):
            for row in page:
                if table == "posts_fts":
                    row = (row[0], row[1] or "", tsvector_text(row[1] or "", row[0]))
                copy.write_row(row)
            done += len(page)
            if on_rows:
                on_rows(table, done, total)
    if on_rows and not total:
        on_rows(table, 0, 0)
    return done
