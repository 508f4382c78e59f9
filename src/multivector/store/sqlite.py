"""The default store: one SQLite file in WAL mode.

What both SQL stores do alike (writing, duplicate groups, corrections, the dashboard's reads)
lives in store/sql.py; here is what is SQLite's own: opening a file (read-only media
included), migrations, transactions, the FTS5 index with BM25 ranking, and the frames
analysis reads. One writer at a time: `BEGIN IMMEDIATE` serialises writers across processes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from multivector.annotate.reworded import REWORD_DAYS, REWORD_THRESHOLD
from multivector.model import InputError
from multivector.prepare.dedup import DEFAULT_DUP_THRESHOLD
from multivector.store.base import Coder, Content, day_number, indicator
from multivector.store.query import to_fts
from multivector.store.schema import MIGRATIONS, SCHEMA_VERSION
from multivector.store.sql import SqlStore

PROBE_SLACK = 50  # extra best matches read when a filtered search tries the index's best first


# ---- errors ------------------------------------------------------------------------------------
# SQLite result codes that say something about the file or the machine, not about the data:
# they concern every file of a run, so an ingest stops on them instead of going on.
_STORAGE_CODES = frozenset(
    {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CORRUPT,
     sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED,
     sqlite3.SQLITE_PERM, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_PROTOCOL}
)  # fmt: skip


def _shown(path: Path) -> str:
    # A path fit for a one-line message, whatever bytes its name holds.
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def storage_failure(exc: BaseException) -> bool:
    """Whether `exc` is the database or the disk failing (full, read-only, damaged, locked)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in _STORAGE_CODES


def describe_error(exc: sqlite3.Error, path: Path | str, opening: bool = False) -> str:
    """One line for an SQLite error that names the database file and says what to do."""
    name = _shown(Path(path))
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code == sqlite3.SQLITE_FULL:
        return f"{name}: database or disk is full; free some space and run the command again (what was written before is kept)"
    if code == sqlite3.SQLITE_READONLY:
        return f"{name}: the database is read-only here; run this command where the file can be written"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return f"{name}: the database is locked by another program (another multivector writing?); try again"
    if code == sqlite3.SQLITE_IOERR:
        return f"{name}: disk error while using the database ({exc})"
    if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return f"{name}: not a multivector database, or a damaged one ({exc})"
    if code == sqlite3.SQLITE_CANTOPEN:
        return f"{name}: cannot open the database file ({exc})"
    if opening:
        return f"{name}: not a multivector database ({exc})"
    return f"{name}: database error ({exc})"


def _read_only_reason(path: Path) -> str | None:
    """Why SQLite could not write `path` (a file, or one to be made), or None when it can.

    SQLite writes the file itself and, in WAL mode, a -wal and a -shm file beside it.
    """
    name, folder = _shown(path), path.parent
    if path.exists() and not os.access(path, os.W_OK):
        return f"{name}: the database file is read-only (reading commands such as stats or report still work)"
    if not os.access(folder, os.W_OK | os.X_OK):
        what = "database" if path.exists() else "new database"
        return (
            f"{_shown(folder)}: the folder is read-only, and the {what} {path.name!r} needs to write its"
            " files there (reading commands such as stats or report still work on an existing one)"
        )
    return None


class SqliteStore(SqlStore):
    """A multivector database in one SQLite file (the `Store` interface of store/base.py).

    Use `SqliteStore.open(path)`; close it or use it as a context manager.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        dup_threshold: float = DEFAULT_DUP_THRESHOLD,
        reword_days: float = REWORD_DAYS,
        reword_threshold: float = REWORD_THRESHOLD,
    ):
        self.conn = conn
        self.path = path
        self.location = str(path)
        self._asof_end: str | None = None  # the date `asof_copy` was last built for
        self._set_dedup(dup_threshold, reword_days, reword_threshold)

    # ---- opening and schema -------------------------------------------------------------
    read_only = False  # True when opened with SQLite's mode=ro (the file or its folder is read-only)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        create: bool = True,
        read_only: bool = False,
        dup_threshold: float = DEFAULT_DUP_THRESHOLD,
        reword_days: float = REWORD_DAYS,
        reword_threshold: float = REWORD_THRESHOLD,
    ) -> SqliteStore:
        """Open (or with `create`, make) a database.

        `read_only` is for commands that only read: when the file or its folder cannot be
        written (read-only media, another user's file), the database is opened with SQLite's
        ``mode=ro``, or ``immutable=1`` when not even its -wal/-shm files can be made. Without
        `read_only`, such a database is refused with one line saying what is read-only.
        Errors are InputError with one line naming the file.
        """
        path = Path(path)
        name = _shown(path)
        if not create and not path.exists():
            raise InputError(f"{name}: no such database (run `multivector ingest` first)")
        if path.exists() and path.is_dir():
            raise InputError(f"{name}: is a folder, not a database file")
        if read_only and path.exists() and _read_only_reason(path) is not None:
            return cls._open_read_only(path, dup_threshold, reword_days, reword_threshold)
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise InputError(
                    f"{_shown(path.parent)}: cannot make the database folder ({e.strerror or e})"
                ) from None
        reason = _read_only_reason(path)
        if reason is not None:
            raise InputError(reason)
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as e:
            raise InputError(describe_error(e, path, opening=True)) from None
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA cache_size=-65536")
        store = cls(conn, path, dup_threshold, reword_days, reword_threshold)
        store._migrate()
        return store

    @classmethod
    def _open_read_only(
        cls,
        path: Path,
        dup_threshold: float,
        reword_days: float = REWORD_DAYS,
        reword_threshold: float = REWORD_THRESHOLD,
    ) -> SqliteStore:
        # file: URIs want an absolute, percent-encoded path; "?" or "#" in a name would cut it.
        uri = "file:" + quote(str(path.resolve()), safe="/")
        error: sqlite3.DatabaseError | None = None
        for params in ("mode=ro", "mode=ro&immutable=1"):
            conn = sqlite3.connect(f"{uri}?{params}", uri=True, isolation_level=None, check_same_thread=False)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.DatabaseError as e:
                conn.close()
                error = e
                if e.sqlite_errorcode & 0xFF != sqlite3.SQLITE_CANTOPEN:
                    break  # not a database, damaged ...: immutable would not help
                continue  # no -shm beside a WAL database and no way to make one: read it as immutable
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("PRAGMA temp_store=MEMORY")
            store = cls(conn, path, dup_threshold, reword_days, reword_threshold)
            store.read_only = True
            store._check_schema_read_only()
            return store
        assert error is not None
        raise InputError(describe_error(error, path, opening=True))

    def _check_schema_read_only(self) -> None:
        name = _shown(self.path)
        try:
            has_meta = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone()
            row = (
                self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if has_meta
                else None
            )
        except sqlite3.DatabaseError as e:
            self.conn.close()
            raise InputError(describe_error(e, self.path, opening=True)) from None
        version = int(row[0]) if row else 0
        if version == SCHEMA_VERSION:
            return
        self.conn.close()
        if not has_meta:
            raise InputError(f"{name}: an SQLite file, but not a multivector database")
        if version > SCHEMA_VERSION:
            raise InputError(
                f"{name}: made by a newer multivector (schema {version} > {SCHEMA_VERSION}); upgrade multivector"
            )
        raise InputError(
            f"{name}: read-only, and made by an older multivector (schema {version}); run any command"
            " once where the file can be written, to upgrade it"
        )

    def _migrate(self) -> None:
        try:
            has_meta = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone()
        except sqlite3.DatabaseError as e:
            raise InputError(describe_error(e, self.path, opening=True)) from None
        version = 0
        if has_meta:
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else 0
        elif self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise InputError(f"{self.path}: an SQLite file, but not a multivector database")
        if version > SCHEMA_VERSION:
            raise InputError(
                f"{self.path}: made by a newer multivector (schema {version} > {SCHEMA_VERSION}); upgrade multivector"
            )
        for step in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in MIGRATIONS[step].split(";\n"):
                    if statement.strip():
                        self.conn.execute(statement)
                if step == SCHEMA_VERSION and version < 4:
                    # Older posts become reworded-copy candidates, linked among themselves (the
                    # keys as the newest schema stores them).
                    self.link_reworded(self.conn)
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(step),)
                )

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            # SQLite's data_version moves with every commit of another connection, not ours.
            self._see_other_writers(int(self.conn.execute("PRAGMA data_version").fetchone()[0]))
            yield self.conn
        except BaseException:
            self._recent.clear()  # rowids of a rolled-back batch are given out again
            # SQLite has already rolled back after some errors (a full disk, an I/O error): a
            # second ROLLBACK would fail and hide the error that matters.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # ---- the hooks of store/sql.py ---------------------------------------------------------
    def _index_lemmas(
        self, conn: sqlite3.Connection, rows: list[tuple[int, str]], fresh: bool = False
    ) -> None:
        if not fresh:
            conn.executemany("DELETE FROM posts_fts WHERE rowid=?", [(r,) for r, _ in rows])
        conn.executemany("INSERT INTO posts_fts(rowid, lemmas) VALUES (?, ?)", rows)

    def _compile_query(self, query: str) -> str:
        return to_fts(query)

    def _match_count(self, fts: str) -> tuple[int, bool]:
        return self.conn.execute("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?", [fts]).fetchone()[
            0
        ], True

    def _query_failure(self, exc: Exception) -> bool:
        text = str(exc).lower()
        return isinstance(exc, sqlite3.OperationalError) and ("fts5" in text or "syntax" in text)

    def _insert_posts(self, conn: sqlite3.Connection, rows: list[dict]) -> dict[str, int]:
        cols = list(rows[0])
        conn.executemany(
            f"INSERT INTO posts ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})", rows
        )
        return self._rowids(conn, [r["id"] for r in rows])

    def _bulk_insert(self, conn: sqlite3.Connection, table: str, columns: str, rows: list[tuple]) -> None:
        marks = ", ".join("?" * (columns.count(",") + 1))
        conn.executemany(f"INSERT INTO {table}({columns}) VALUES ({marks})", rows)

    def content(self, start: str, end: str, mentions: bool = True) -> Content:
        """The in-scope content posts dated in [start, end), with what they are about and their
        reach (and, with `mentions`, every actor they mention), read a page of rows at a time:
        holding every (post, actor) row of two years as Python tuples cost more memory than the
        whole frame."""
        conn = self.conn
        self._groups_as_of(end)
        args = (start, end)
        sql = (
            "SELECT p.rowid, p.id, substr(p.date, 1, 10), p.channel, coalesce(p.lang, 'und'), coalesce(p.genre, ''), "
            f"coalesce(p.forwards, 0), coalesce(p.views, 0) FROM posts p WHERE {_CONTENT} ORDER BY p.id"
        )
        ids: list[str] = []
        rowid_parts, day_parts, chan_parts, lang_parts, genre_parts, fw_parts, vw_parts = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        chans, langs_, genres_ = Coder(), Coder(), Coder()
        day_of: dict[str, int] = {}
        for page in _pages(conn, sql, args):
            k = len(page)
            rowid_parts.append(np.fromiter((r[0] for r in page), np.int64, k))
            ids.extend(r[1] for r in page)
            for r in page:
                if r[2] not in day_of:
                    day_of[r[2]] = day_number(r[2])
            day_parts.append(np.fromiter((day_of[r[2]] for r in page), np.int32, k))
            chan_parts.append(chans.add(r[3] for r in page))
            lang_parts.append(langs_.add(r[4] for r in page))
            genre_parts.append(genres_.add(r[5] for r in page))
            fw_parts.append(np.fromiter((r[6] for r in page), np.float64, k))
            vw_parts.append(np.fromiter((r[7] for r in page), np.float64, k))
        n = len(ids)
        rowid = _joined(rowid_parts, np.int64)
        day = _joined(day_parts, np.int32)
        # The posts' rowids and positions in a temporary table: the queries below join it, not the
        # posts (whose wide rows, texts and all, would be read again for every query).
        self._temp_table("content_rows", "rowid INTEGER PRIMARY KEY, pos INTEGER NOT NULL")
        self._bulk_insert(
            conn, "content_rows", "rowid, pos", list(zip(rowid.tolist(), range(n), strict=True))
        )
        # The other members of each post's group dated before `end`: reach and amplification.
        sql = (
            "SELECT c.pos, m.channel, coalesce(m.forwards, 0), coalesce(m.views, 0) FROM content_rows c "
            "JOIN asof_copy a ON a.root = c.rowid JOIN posts m ON m.rowid = a.rowid"
        )
        mp_parts, mc_parts = [np.arange(n)], [_joined(chan_parts, np.int64)]  # each post itself first
        for page in _pages(conn, sql, ()):
            k = len(page)
            mp_parts.append(np.fromiter((r[0] for r in page), np.int64, k))
            mc_parts.append(chans.add(r[1] for r in page))
            fw_parts.append(np.fromiter((r[2] for r in page), np.float64, k))
            vw_parts.append(np.fromiter((r[3] for r in page), np.float64, k))
        mp = _joined(mp_parts, np.int64)
        fw = np.bincount(mp, weights=_joined(fw_parts, np.float64), minlength=n).astype(np.int64)
        vw = np.bincount(mp, weights=_joined(vw_parts, np.float64), minlength=n).astype(np.int64)
        size = np.bincount(mp, minlength=n)
        copies = np.maximum(size - 1, 0).astype(np.int32)

        chan_names, chan_map = chans.done()
        m_chan = chan_map[_joined(mc_parts, np.int64)]
        channel = m_chan[:n].astype(np.int32)
        lang_names, lang_map = langs_.done()
        lang_codes = lang_map[_joined(lang_parts, np.int64)]
        genre_names, genre_map = genres_.done()
        genre_codes = genre_map[_joined(genre_parts, np.int64)]
        reach = indicator(mp, m_chan, n, len(chan_names))

        def pairs(table: str, col: str) -> tuple[list[str], Any, list[str], Any]:
            """The (post, value) rows the post is about, and all of them (mentions in passing
            too), as values and 0/1 matrices, read in one pass."""
            sql = f"SELECT c.pos, t.{col}, t.about FROM content_rows c JOIN {table} t ON t.post = c.rowid"
            keys = Coder()
            rs, ks, ab = [], [], []
            for page in _pages(conn, sql, ()):
                rs.append(np.fromiter((r[0] for r in page), np.int64, len(page)))
                ks.append(keys.add(r[1] for r in page))
                ab.append(np.fromiter((r[2] == 1 for r in page), bool, len(page)))
            names, remap = keys.done()
            rows, cols, is_about = _joined(rs, np.int64), remap[_joined(ks, np.int64)], _joined(ab, bool)
            used = np.unique(cols[is_about])  # sorted codes: the values of the about rows, sorted
            about = indicator(rows[is_about], np.searchsorted(used, cols[is_about]), n, len(used))
            return [names[j] for j in used], about, names, indicator(rows, cols, n, len(names))

        def about_pairs(table: str, col: str) -> tuple[list[str], Any]:
            sql = f"SELECT c.pos, t.{col} FROM content_rows c JOIN {table} t ON t.post = c.rowid WHERE t.about = 1"
            keys = Coder()
            rs, ks = [], []
            for page in _pages(conn, sql, ()):
                rs.append(np.fromiter((r[0] for r in page), np.int64, len(page)))
                ks.append(keys.add(r[1] for r in page))
            names, remap = keys.done()
            return names, indicator(_joined(rs, np.int64), remap[_joined(ks, np.int64)], n, len(names))

        # What posts are about carries every count; mentions in passing are kept apart.
        theme_ids, themes = about_pairs("post_themes", "theme")
        if mentions:
            actor_ids, actors, mention_ids, mentioned = pairs("post_actors", "actor")
        else:
            (actor_ids, actors), mention_ids, mentioned = about_pairs("post_actors", "actor"), [], None
        return Content(
            start=start, end=end, ids=ids, day=day, channel=channel, lang=lang_codes.astype(np.int32),
            copies=copies, forwards=fw, views=vw, themes=themes, actors=actors, reach=reach,
            channels=chan_names, langs=lang_names, theme_ids=theme_ids, actor_ids=actor_ids,
            mentioned=mentioned, mention_ids=mention_ids, genre=genre_codes.astype(np.int32), genres=genre_names,
        )  # fmt: skip

    def data_version(self) -> int:
        """A number that changes when another connection (any process) commits a change."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def _probe_page(
        self, fts: str, where: str, args: list, total: int, limit: int, offset: int
    ) -> list[tuple] | None:
        """The page of a filtered relevance search from the index's best matches alone, when the
        filters let enough of them through: ranking a common word over tens of thousands of
        posts, then reading every one of those posts to filter it, is what makes such a search
        slow. None when the best matches do not fill the page (then every match is read)."""
        matches = self.conn.execute(
            "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?", [fts]
        ).fetchone()[0]
        need = offset + limit
        passing = max(total / max(matches, 1), 1e-6)  # the share of matches the filters keep
        k = int(need / passing * 1.5) + PROBE_SLACK
        if k >= matches // 2:
            return None
        best = self.conn.execute(
            "SELECT rowid, bm25(posts_fts) AS s FROM posts_fts WHERE posts_fts MATCH ? ORDER BY s, rowid LIMIT ?",
            [fts, k],
        ).fetchall()
        kept: set[int] = set()
        for start in range(0, len(best), 900):
            chunk = [r for r, _ in best[start : start + 900]]
            q = f"SELECT p.rowid FROM posts p WHERE p.rowid IN ({','.join('?' * len(chunk))}) {where}"
            kept.update(r for (r,) in self.conn.execute(q, [*chunk, *args]))
        ordered = [row for row in best if row[0] in kept]
        return ordered[offset:need] if len(ordered) >= need else None

    def _best_of_newest(self, fts: str, limit: int, offset: int, window: int) -> list[tuple[int, float]]:
        # The index gives its matches newest-stored first without ranking them, and ranks only
        # those the window keeps; no post row is read until the page is chosen.
        return self.conn.execute(
            "SELECT rowid, s FROM (SELECT rowid, bm25(posts_fts) AS s FROM posts_fts WHERE posts_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT ?) ORDER BY s, rowid LIMIT ? OFFSET ?",
            [fts, window, limit, offset],
        ).fetchall()

    def _search_ids(self, fts: str | None, where: str, args: list, sort: str | None) -> tuple[str, list]:
        """(rowid, bm25) of the matching posts, in the asked order: narrow rows, so sorting many
        matches moves no text; the page's posts are read afterwards."""
        if fts is not None:
            order = {"newest": "p.date DESC, p.rowid DESC", "oldest": "p.date, p.rowid"}.get(
                sort or "", "s, p.rowid"
            )
            if where or sort in ("newest", "oldest"):
                sql = (
                    "SELECT p.rowid, bm25(posts_fts) AS s FROM posts_fts JOIN posts p ON p.rowid = posts_fts.rowid "
                    f"WHERE posts_fts MATCH ? {where}"
                )
            else:  # the index alone: no post row is read until the page is chosen
                sql = "SELECT rowid, bm25(posts_fts) AS s FROM posts_fts WHERE posts_fts MATCH ?"
                order = "s, rowid"
            return sql + (f" ORDER BY {order}" if sort else ""), [fts, *args]
        # Browsing without words: the date index gives the order.
        order = "p.date, p.rowid" if sort == "oldest" else "p.date DESC, p.rowid DESC"
        sql = f"SELECT p.rowid, NULL AS s FROM posts p WHERE 1 = 1 {where}"
        return sql + (f" ORDER BY {order}" if sort else ""), list(args)


PAGE = 50_000  # rows fetched at a time when a frame is built


def _pages(conn: sqlite3.Connection, sql: str, args: tuple) -> Iterator[list[tuple]]:
    cur = conn.execute(sql, args)
    while page := cur.fetchmany(PAGE):
        yield page


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


# `asof_copy` (filled by `_groups_as_of`) lists the posts that are copies as of the range's end.
_CONTENT = "p.in_scope = 1 AND p.date >= ? AND p.date < ? AND p.rowid NOT IN (SELECT rowid FROM asof_copy)"


# The store under its interface's name, for code that opens a file directly.
Store = SqliteStore
