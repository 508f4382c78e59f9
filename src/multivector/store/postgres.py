"""The team store: a PostgreSQL database on a server (psycopg 3).

Select it with `--db postgresql://user@host:5432/db` (or `MULTIVECTOR_DB`). It holds the same
tables as an SQLite file (store/schema.py, the same schema versions and migrations) and runs
the same shared SQL (store/sql.py); what is its own:

- writers take one transaction-scoped advisory lock, so several ingests, a `collect` and the
  dashboard can run at once: readers never wait, writers queue as SQLite's `BEGIN IMMEDIATE`
  makes them queue, and duplicate grouping sees every committed post;
- new posts, their index and their tags are loaded with COPY;
- the full-text index is a `tsvector` of the same tokens FTS5 indexes (no stemming: the
  lemmas were made on ingest), with a GIN index; queries are the same language, translated
  by the shared parser into a tsquery (store/query.py), ranked with ts_rank_cd. A GIN index
  neither keeps its matches in post order nor knows where words stand, so every lexeme
  carries its post's bucket (`FTS_BUCKET_BITS`: the newest matches are found in the newest
  buckets without reading a common word's older posts) and each pair of adjacent words is a
  lexeme too (a phrase of two common words checks a handful of posts, not every post
  holding both);
- the analysis frame (`content`) is computed in SQL, grouped by post, and read through
  server-side cursors, so the client never holds a row per duplicate or per tag.

Every connection runs in autocommit; writes go through `transaction()`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from multivector.annotate.reworded import REWORD_DAYS, REWORD_THRESHOLD
from multivector.model import InputError
from multivector.prepare.dedup import DEFAULT_DUP_THRESHOLD
from multivector.store.base import Content, indicator
from multivector.store.query import in_bucket, in_buckets, index_tokens, pair_lexeme, to_tsquery, ts_lexeme
from multivector.store.schema import POSTGRES_MIGRATIONS, SCHEMA_VERSION
from multivector.store.sql import SqlStore

try:
    import psycopg
    from psycopg import sql as pgsql
except ImportError:  # the `postgres` extra is not installed
    psycopg = None  # type: ignore[assignment]

WRITE_LOCK = 0x6D76_7772  # advisory lock key ("mvwr") held by every writing transaction
SCHEMA_LOCK = 0x6D76_7363  # ("mvsc") held while a database is created or migrated
MAX_POSITION = 16383  # the largest word position a tsvector keeps
MAX_POSITIONS = 256  # positions kept per lexeme
MAX_LEXEME_BYTES = 2046
FTS_BUCKET_BITS = 16  # a post's lexemes are tagged with rowid >> this: 65,536 posts a bucket
# Relevance without filters ranks the newest this many matches (SQLite: store/sql.py's
# RANK_WINDOW), and the dashboard's total of such a search is counted as far as this. Each
# match counted or ranked is a read of a table row here (FTS5 counts and ranks in its index),
# about 5 microseconds when the row is not in the server's buffers: 3,000 keep a search at 1M
# posts within 50 ms on a server with PostgreSQL's default settings (BENCHMARKS.md).
PG_RANK_WINDOW = 3_000
# The full-text index, as schema 1 made it; bulk copies drop it first and build it once after.
FTS_INDEX = "CREATE INDEX posts_fts_tsv ON posts_fts USING GIN (tsv)"
STREAM_PAGE = 5000  # rows per round trip of a server-side cursor
_names = itertools.count()


# ---- messages -----------------------------------------------------------------------------------
def shown_url(url: str) -> str:
    """The URL without its password, fit for a message."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the PostgreSQL server"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def describe_error(exc: BaseException, location: str) -> str:
    """One line for a PostgreSQL failure that names the server (never its password)."""
    where = shown_url(location)
    text = " ".join(str(exc).split()) or type(exc).__name__
    password = _password(location)
    if password:
        text = text.replace(password, "***")
    if psycopg is not None and isinstance(exc, psycopg.OperationalError):
        low = text.lower()
        if "connection refused" in low or "could not connect" in low or "timeout" in low or "no route" in low:
            return f"{where}: cannot reach the PostgreSQL server; is it running? ({text})"
        if "authentication" in low or "password" in low:
            return f"{where}: the server refused the login ({text})"
        if "does not exist" in low:
            return f"{where}: no such database on the server ({text})"
        if "terminat" in low or "closed" in low:
            return f"{where}: the connection to the server was lost; run the command again ({text})"
    if psycopg is not None and isinstance(exc, psycopg.errors.DiskFull):
        return f"{where}: the server's disk is full; free some space and run the command again ({text})"
    if psycopg is not None and isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        return f"{where}: the server is read-only here (a standby?); write to the primary ({text})"
    return f"{where}: database error ({text})"


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


# ---- the connection store/sql.py talks to ---------------------------------------------------
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def _pg_sql(sql: str, named: bool) -> str:
    """SQL with `?` (or `:name`) placeholders, spelled for psycopg (`%s`, `%(name)s`)."""
    sql = sql.replace("%", "%%")
    if named:
        return _NAMED.sub(r"%(\1)s", sql)
    return sql.replace("?", "%s")


class _Connection:
    """A psycopg connection taking the `?` placeholders of the shared SQL."""

    def __init__(self, raw: Any):
        self.raw = raw

    def execute(self, sql: str, args: Sequence | dict = ()) -> Any:
        cur = self.raw.cursor()
        if args:
            cur.execute(_pg_sql(sql, isinstance(args, dict)), args)
        else:
            cur.execute(sql)
        return cur

    def executemany(self, sql: str, rows: Sequence) -> None:
        rows = list(rows)
        if rows:
            self.raw.cursor().executemany(_pg_sql(sql, isinstance(rows[0], dict)), rows)

    def close(self) -> None:
        self.raw.close()


def tsvector_text(lemmas: str, rowid: int) -> str:
    """The tsvector literal of a post's indexed lemma string: its tokens (as FTS5 splits them)
    with their positions, so that phrases match where FTS5 phrases match, then the lexemes of
    its adjacent pairs (no positions), all tagged with the post's bucket."""
    tag = f"{rowid >> FTS_BUCKET_BITS}~"
    tokens = index_tokens(lemmas)
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens, 1):
        if len(token.encode()) + len(tag) > MAX_LEXEME_BYTES:
            continue
        found = positions.setdefault(token, [])
        if len(found) < MAX_POSITIONS:
            found.append(min(i, MAX_POSITION))
    words = [f"{ts_lexeme(tag + t)}:{','.join(map(str, p))}" for t, p in positions.items()]
    pairs = dict.fromkeys(ts_lexeme(tag + pair_lexeme(a, b)) for a, b in pairwise(tokens))
    return " ".join([*words, *pairs])


@dataclass(frozen=True)
class BucketQuery:
    """A search as the bucketed index is asked it: `match` finds posts (phrases through their
    pairs), `rank` scores them (words only: pair lexemes have no positions), in the index's
    `buckets` buckets as they were when the query was compiled."""

    match: str
    rank: str
    buckets: int

    def matching(self, buckets: range | list[int] | None = None) -> str:
        return in_buckets(self.match, range(self.buckets) if buckets is None else buckets)

    def ranking(self, first: int = 0) -> list[str]:
        """The rank query of each bucket from `first` on, for `RANK_SQL`: ranking a post with
        every bucket's copy would cost as many times more (ts_rank_cd looks up each lexeme)."""
        return [in_bucket(self.rank, b) for b in range(first, self.buckets)]


# ts_rank_cd of a row `f` with its own bucket's query, from the array BucketQuery.ranking
# gives (its first bucket is the second parameter).
RANK_SQL = "ts_rank_cd(f.tsv, (CAST(? AS tsquery[]))[(f.rowid >> {bits}) - ? + 1])"


class PostgresStore(SqlStore):
    """A multivector database on a PostgreSQL server (the `Store` interface of store/base.py).

    Use `PostgresStore.open(url)`; close it or use it as a context manager.
    """

    _IS = "IS NOT DISTINCT FROM"
    _IS_NOT = "IS DISTINCT FROM"
    read_only = False
    rank_window = PG_RANK_WINDOW
    _last_count: tuple[BucketQuery, int, tuple[int, int]] | None = None  # of _count_newest

    def __init__(
        self,
        raw: Any,
        url: str,
        dup_threshold: float = DEFAULT_DUP_THRESHOLD,
        reword_days: float = REWORD_DAYS,
        reword_threshold: float = REWORD_THRESHOLD,
    ):
        self.conn = _Connection(raw)
        self.raw = raw
        self.url = url
        self.location = shown_url(url)
        self._asof_end: str | None = None
        self._set_dedup(dup_threshold, reword_days, reword_threshold)

    # ---- opening and schema -------------------------------------------------------------
    @classmethod
    def open(
        cls,
        url: str,
        *,
        create: bool = True,
        read_only: bool = False,
        dup_threshold: float = DEFAULT_DUP_THRESHOLD,
        reword_days: float = REWORD_DAYS,
        reword_threshold: float = REWORD_THRESHOLD,
    ) -> PostgresStore:
        """Connect to the database at `url`; with `create`, make the database (when the server
        lets us) and its tables. Errors are InputError with one line naming the server."""
        if psycopg is None:
            raise InputError(
                f"{shown_url(url)}: PostgreSQL needs psycopg; install it with: pip install 'multivector[postgres]'"
            )
        try:
            raw = cls._connect(url, create)
        except psycopg.Error as e:
            raise InputError(describe_error(e, url)) from None
        store = cls(raw, url, dup_threshold, reword_days, reword_threshold)
        try:
            store._migrate(create)
        except InputError:
            raw.close()
            raise
        except psycopg.Error as e:
            raw.close()
            raise InputError(describe_error(e, url)) from None
        return store

    @staticmethod
    def _connect(url: str, create: bool) -> Any:
        try:
            return psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as e:
            if not create or "does not exist" not in str(e):
                raise
        # The server is there but not the database: make it, from the server's own database.
        info = psycopg.conninfo.conninfo_to_dict(url)
        name = info.get("dbname")
        if not name:
            raise psycopg.OperationalError(f"no database named in {shown_url(url)}")
        admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
        # suppress: another process may have made it meanwhile
        with (
            psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn,
            suppress(psycopg.errors.DuplicateDatabase),
        ):
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
        return psycopg.connect(url, autocommit=True, connect_timeout=10)

    def _version(self) -> int | None:
        """The schema version recorded in the database; None when it has no multivector tables."""
        if self.raw.execute("SELECT to_regclass('meta')").fetchone()[0] is None:
            return None
        row = self.raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self, create: bool) -> None:
        where = self.location
        self.raw.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            version = self._version()
            if version is None:
                tables = self.raw.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                ).fetchone()[0]
                if tables:
                    raise InputError(f"{where}: the database holds other tables; not a multivector database")
                if not create:
                    raise InputError(
                        f"{where}: no multivector database there (run `multivector ingest` first)"
                    )
                version = 0
            if version > SCHEMA_VERSION:
                raise InputError(
                    f"{where}: made by a newer multivector (schema {version} > {SCHEMA_VERSION}); upgrade multivector"
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                with self.raw.transaction():
                    self.raw.execute(POSTGRES_MIGRATIONS[step])
                    if step == 7:
                        self._rebuild_fts()
                    if step == SCHEMA_VERSION and version < 4:
                        # Older posts become reworded-copy candidates, linked among themselves
                        # (the keys as the newest schema stores them).
                        self.link_reworded(self.conn)
                    self.set_meta("schema_version", str(step))
            if version < SCHEMA_VERSION:
                self.raw.execute(
                    "INSERT INTO meta(key, value) VALUES ('data_version', '0') ON CONFLICT (key) DO NOTHING"
                )
        finally:
            self.raw.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))

    def _rebuild_fts(self) -> None:
        """Schema 7: every post's index entry made again from its lemmas (bucket-tagged
        lexemes and word pairs), into a new table that replaces posts_fts; the GIN index is
        built once, after the rows are in."""
        cur = self.raw.cursor(name="mv_rebuild_fts")
        cur.execute("SELECT rowid, lemmas FROM posts_fts ORDER BY rowid")
        while page := cur.fetchmany(STREAM_PAGE):
            self._copy(
                "posts_fts_v7",
                ["rowid", "lemmas", "tsv"],
                [(r, lem, tsvector_text(lem, r)) for r, lem in page],
            )
        cur.close()
        self.raw.execute("DROP TABLE posts_fts")
        self.raw.execute("ALTER TABLE posts_fts_v7 RENAME TO posts_fts")
        self.raw.execute("ALTER INDEX posts_fts_v7_pkey RENAME TO posts_fts_pkey")
        self.raw.execute(FTS_INDEX)

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[_Connection]:
        """One writing transaction: writers queue on an advisory lock (what SQLite's single
        writer gave for free: duplicate grouping must see every committed post), readers
        never wait. The data version goes up with the commit, for the dashboard's caches."""
        try:
            with self.raw.transaction():
                self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                version = self.raw.execute(
                    "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'data_version' RETURNING value"
                ).fetchone()
                # Every commit counts one: anything but one more than this writer's last is another's.
                mark = int(version[0]) - 1 if version else 0
                self._see_other_writers(mark)
                yield self.conn
                self._others_mark = mark + 1
        except BaseException:
            self._recent.clear()  # what a rolled-back batch cached is not in the database
            raise

    def data_version(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
        return int(row[0]) if row else 0

    # ---- the hooks of store/sql.py ---------------------------------------------------------
    def _copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        if not rows:
            return
        cols = ", ".join(columns)
        with self.raw.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _bulk_insert(self, conn: Any, table: str, columns: str, rows: list[tuple]) -> None:
        self._copy(table, [c.strip() for c in columns.split(",")], rows)

    def _insert_posts(self, conn: Any, rows: list[dict]) -> dict[str, int]:
        # Rowids are taken from the sequence first, so COPY can write them in the order of the
        # batch (the order SQLite numbers them in), and no read-back is needed.
        rowids = sorted(
            r
            for (r,) in self.raw.execute(
                "SELECT nextval(pg_get_serial_sequence('posts', 'rowid')) FROM generate_series(1, %s)",
                (len(rows),),
            )
        )
        cols = ["rowid", *rows[0]]
        self._copy("posts", cols, [(rid, *row.values()) for rid, row in zip(rowids, rows, strict=True)])
        return {row["id"]: rid for rid, row in zip(rowids, rows, strict=True)}

    def _index_lemmas(self, conn: Any, rows: list[tuple[int, str]], fresh: bool = False) -> None:
        if not rows:
            return
        if not fresh:
            self.raw.execute("DELETE FROM posts_fts WHERE rowid = ANY(%s)", ([r for r, _ in rows],))
        self._copy(
            "posts_fts", ["rowid", "lemmas", "tsv"], [(r, lem, tsvector_text(lem, r)) for r, lem in rows]
        )

    def _stream_query(self, sql: str, args: Sequence = ()) -> Iterator[tuple]:
        # A server-side cursor: the client holds one page of rows, never the whole result.
        cur = self.raw.cursor(name=f"mv_stream_{next(_names)}", withhold=True)
        cur.itersize = STREAM_PAGE
        try:
            cur.execute(_pg_sql(sql, False) if args else sql, list(args) or None)
            yield from cur
        finally:
            cur.close()

    def _insert_id(self, conn: Any, sql: str, args: Sequence) -> int:
        return int(conn.execute(sql + " RETURNING id", args).fetchone()[0])

    def _temp_table(self, name: str, columns: str) -> None:
        columns = columns.replace("TEXT", 'TEXT COLLATE "C"')  # compare and sort as the posts' columns do
        self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")
        self.conn.execute(f"TRUNCATE {name}")

    def _compile_query(self, query: str) -> BucketQuery:
        top = self.conn.execute("SELECT max(rowid) FROM posts_fts").fetchone()[0]
        buckets = 0 if top is None else (top >> FTS_BUCKET_BITS) + 1
        return BucketQuery(to_tsquery(query, pairs=True), to_tsquery(query), buckets)

    def _match_count(self, fts: BucketQuery) -> tuple[int, bool]:
        """Counted newest bucket first, up to just past the ranking window: every match of a
        common word would be a visit to a quarter of the table."""
        with self._quick_reads():
            found = self._count_newest(fts, self.rank_window + 1)[1]
        return min(found, self.rank_window), found <= self.rank_window

    def _query_failure(self, exc: Exception) -> bool:
        return isinstance(exc, psycopg.errors.SyntaxError)

    @contextmanager
    def _quick_reads(self) -> Iterator[None]:
        """A read-only transaction for a search's short queries: a parallel plan or a compiled
        one costs more to start than such a query takes."""
        with self.raw.transaction():
            self.raw.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            self.raw.execute("SET LOCAL jit = off")
            yield

    def _count_newest(self, fts: BucketQuery, most: int) -> tuple[int, int]:
        """(the oldest bucket needed, matches counted): the buckets' matches counted newest
        first, one bucket, one, two, four ... a round trip, until there are `most`. A
        dashboard page counts its total, then its window, of one query: the second is the
        first's answer (buckets holding more matches than asked still hold the newest)."""
        last = self._last_count
        if last is not None and last[0] is fts and last[1] >= most:
            return last[2]
        oldest, found, rounds = fts.buckets, 0, 0
        while oldest > 0 and found < most:
            size = 1 << max(rounds - 1, 0)
            group = range(oldest - 1, max(oldest - 1 - size, -1), -1)
            counts = self._bucket_counts(fts, group, most - found)
            for bucket in group:
                oldest, found = bucket, found + counts[bucket]
                if found >= most:
                    break
            rounds += 1
        self._last_count = (fts, most, (oldest, found))
        return oldest, found

    def _best_of_newest(
        self, fts: BucketQuery, limit: int, offset: int, window: int
    ) -> list[tuple[int, float]]:
        """A page of the newest `window` matches, best first: only the newest buckets
        that hold them are read and ranked. A common word is answered from the newest posts
        alone, a rare one after a few cheap counts."""
        with self._quick_reads():
            oldest = self._count_newest(fts, window)[0]
            # The window's rows are picked by their rowid alone, then read by their place in
            # the table (ctid) to be ranked: sorting thousands of whole rows costs more than
            # ranking them. `rowid + 0`: ordering by the key itself would walk the table
            # backwards, testing every post, instead of asking the index.
            rank = RANK_SQL.format(bits=FTS_BUCKET_BITS)
            return self.conn.execute(
                "WITH m AS MATERIALIZED (SELECT ctid AS t FROM posts_fts WHERE tsv @@ CAST(? AS tsquery) "
                f"ORDER BY rowid + 0 DESC LIMIT ?) SELECT f.rowid, -{rank} AS s FROM posts_fts f "
                "WHERE f.ctid = ANY(ARRAY(SELECT t FROM m)) ORDER BY s, f.rowid LIMIT ? OFFSET ?",
                [
                    fts.matching(range(oldest, fts.buckets)),
                    window,
                    fts.ranking(oldest),
                    oldest,
                    limit,
                    offset,
                ],
            ).fetchall()

    def _bucket_counts(self, fts: BucketQuery, group: range, most: int) -> dict[int, int]:
        """How many posts of each bucket of `group` match, counting up to `most`."""
        counts = " UNION ALL ".join(
            f"SELECT {b}, count(*) FROM (SELECT 1 FROM posts_fts WHERE tsv @@ CAST(? AS tsquery) LIMIT ?) m{b}"
            for b in group
        )
        args = [arg for b in group for arg in (fts.matching([b]), most)]
        return dict(self.conn.execute(counts, args).fetchall())

    def _search_ids(
        self, fts: BucketQuery | None, where: str, args: list, sort: str | None
    ) -> tuple[str, list]:
        """(rowid, score) of the matching posts in the asked order; the score is the negated
        rank, so lower is better as with SQLite's bm25()."""
        if fts is not None:
            order = {
                "newest": "p.date DESC NULLS LAST, p.rowid DESC",
                "oldest": "p.date NULLS FIRST, p.rowid",
            }.get(sort or "", "s, p.rowid")
            rank = RANK_SQL.format(bits=FTS_BUCKET_BITS)
            sql = (
                f"SELECT p.rowid, -{rank} AS s FROM posts_fts f "
                f"JOIN posts p ON p.rowid = f.rowid WHERE f.tsv @@ CAST(? AS tsquery) {where}"
            )
            return sql + (f" ORDER BY {order}" if sort else ""), [fts.ranking(), 0, fts.matching(), *args]
        order = "p.date NULLS FIRST, p.rowid" if sort == "oldest" else "p.date DESC NULLS LAST, p.rowid DESC"
        sql = f"SELECT p.rowid, NULL::real AS s FROM posts p WHERE 1 = 1 {where}"
        return sql + (f" ORDER BY {order}" if sort else ""), list(args)

    # ---- reading ----------------------------------------------------------------------------
    # ---- frames for analysis ------------------------------------------------------------
    def content(self, start: str, end: str, mentions: bool = True) -> Content:
        """The in-scope content posts dated in [start, end), with what they are about and their
        reach: counted and summed by the server, read a page at a time."""
        self._groups_as_of(end)
        # Every content post with its position in the frame (the order of its id).
        self._temp_table("content_posts", "rowid BIGINT PRIMARY KEY, pos INTEGER NOT NULL")
        self.conn.execute(
            "INSERT INTO content_posts(rowid, pos) SELECT p.rowid, row_number() OVER (ORDER BY p.id) - 1 "
            "FROM posts p WHERE p.in_scope = 1 AND p.date >= ? AND p.date < ? "
            "AND NOT EXISTS (SELECT 1 FROM asof_copy a WHERE a.rowid = p.rowid)",
            (start, end),
        )
        self.conn.execute("ANALYZE content_posts")
        n = self.conn.execute("SELECT count(*) FROM content_posts").fetchone()[0]
        members = (  # the other posts of each content post's group, as of `end`
            "FROM content_posts c JOIN asof_copy a ON a.root = c.rowid JOIN posts m ON m.rowid = a.rowid"
        )
        chan_names = self._values(
            "SELECT p.channel FROM content_posts c JOIN posts p ON p.rowid = c.rowid "
            f"UNION SELECT m.channel {members}"
        )
        lang_names = self._values(
            "SELECT coalesce(p.lang, 'und') FROM content_posts c JOIN posts p ON p.rowid = c.rowid GROUP BY 1"
        )
        genre_names = self._values(
            "SELECT coalesce(p.genre, '') FROM content_posts c JOIN posts p ON p.rowid = c.rowid GROUP BY 1"
        )
        chan_code = {k: i for i, k in enumerate(chan_names)}
        lang_code = {k: i for i, k in enumerate(lang_names)}
        genre_code = {k: i for i, k in enumerate(genre_names)}

        ids: list[str] = []
        day = np.zeros(n, np.int32)
        channel = np.zeros(n, np.int32)
        lang = np.zeros(n, np.int32)
        genre = np.zeros(n, np.int32)
        forwards = np.zeros(n, np.int64)
        views = np.zeros(n, np.int64)
        rows = self._stream_query(
            "SELECT c.pos, p.id, CAST(substr(p.date, 1, 10) AS date) - DATE '1970-01-01', p.channel, "
            "coalesce(p.lang, 'und'), coalesce(p.genre, ''), coalesce(p.forwards, 0), coalesce(p.views, 0) "
            "FROM content_posts c JOIN posts p ON p.rowid = c.rowid ORDER BY c.pos"
        )
        for pos, pid, d, ch, lg, gn, fw, vw in rows:
            ids.append(pid)
            day[pos], channel[pos], lang[pos], genre[pos] = d, chan_code[ch], lang_code[lg], genre_code[gn]
            forwards[pos], views[pos] = fw, vw
        # Amplification: copies of each group and the forwards and views of its other posts.
        copies = np.zeros(n, np.int32)
        for pos, k, fw, vw in self._stream_query(
            "SELECT c.pos, count(*), sum(coalesce(m.forwards, 0))::bigint, sum(coalesce(m.views, 0))::bigint "
            f"{members} GROUP BY c.pos"
        ):
            copies[pos], forwards[pos], views[pos] = k, forwards[pos] + fw, views[pos] + vw
        # Reach: the channels a group appeared in (its root's own channel included).
        rp, rc = self._pairs(f"SELECT DISTINCT c.pos, m.channel {members}", chan_code)
        reach = indicator(
            np.concatenate([np.arange(n), rp]),
            np.concatenate([channel.astype(np.int64), rc]),
            n,
            len(chan_names),
        )

        def tags(table: str, col: str, about_only: bool = True) -> tuple[list[str], Any]:
            about = " AND t.about = 1" if about_only else ""
            names = self._values(
                f"SELECT DISTINCT t.{col} FROM content_posts c JOIN {table} t ON t.post = c.rowid{about}"
            )
            code = {k: i for i, k in enumerate(names)}
            pos, cols = self._pairs(
                f"SELECT c.pos, t.{col} FROM content_posts c JOIN {table} t ON t.post = c.rowid{about}", code
            )
            return names, indicator(pos, cols, n, len(names))

        # What posts are about carries every count; mentions in passing are kept apart.
        theme_ids, themes = tags("post_themes", "theme")
        actor_ids, actors = tags("post_actors", "actor")
        mention_ids, mentioned = tags("post_actors", "actor", about_only=False) if mentions else ([], None)
        return Content(
            start=start, end=end, ids=ids, day=day, channel=channel, lang=lang, copies=copies,
            forwards=forwards, views=views, themes=themes, actors=actors, reach=reach,
            channels=chan_names, langs=lang_names, theme_ids=theme_ids, actor_ids=actor_ids,
            mentioned=mentioned, mention_ids=mention_ids, genre=genre, genres=genre_names,
        )  # fmt: skip

    def _values(self, sql: str) -> list[str]:
        """The distinct values a query returns, sorted as Python sorts strings."""
        return sorted({v for (v,) in self._stream_query(sql)})

    def _pairs(self, sql: str, code: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """(position, value) rows as two int64 arrays, values coded by `code`; filled a page at
        a time, so no Python tuple per row is kept."""
        pos: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        rows = self._stream_query(sql)
        while page := list(itertools.islice(rows, STREAM_PAGE)):
            pos.append(np.fromiter((p for p, _ in page), np.int64, len(page)))
            cols.append(np.fromiter((code[v] for _, v in page), np.int64, len(page)))
        if not pos:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(pos), np.concatenate(cols)
