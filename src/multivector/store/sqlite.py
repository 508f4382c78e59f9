"""The default store: one SQLite file in WAL mode.

Every batch of posts is written in one transaction, so a crash or Ctrl-C loses at most the
batch in flight and never leaves half a post behind. Writing is idempotent: a post is keyed
by its stable id, an unchanged post is skipped, an edited one is updated in place.
Duplicate groups are kept across the whole database as new files arrive: every post
points at the earliest post of its group (`dup_root`), and nothing is ever dropped.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from multivector.model import Annotation, InputError, PreparedPost
from multivector.prepare.dedup import band_keys, band_rows, similarity
from multivector.store.query import QueryError, to_fts
from multivector.store.schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_DUP_THRESHOLD = 0.6
LINKS_PER_GROUP = 2  # direct matches kept per group a new post joins


@dataclass
class WriteResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class SearchFilters:
    actors: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    date_from: str | None = None  # inclusive, ISO date
    date_to: str | None = None  # inclusive, ISO date


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _earliest_key(date: str | None, post_id: str) -> tuple[bool, str, str]:
    # Undated posts can head a group only when no member has a date.
    return (date is None, date or "", post_id)


def _actor_rows(rowid: int, ann: Annotation) -> list[tuple]:
    about = set(ann.about_actors)
    return [(a, rowid, int(a in about), ann.salience.get(a)) for a in ann.actors]


def _theme_rows(rowid: int, ann: Annotation) -> list[tuple]:
    about = set(ann.about_themes)
    return [(t, rowid, int(t in about), ann.theme_scores.get(t)) for t in ann.theme_ids]


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


class Store:
    """A multivector database. Use `Store.open(path)`; close it or use it as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path, dup_threshold: float = DEFAULT_DUP_THRESHOLD):
        self.conn = conn
        self.path = path
        self.dup_threshold = dup_threshold
        self._rows = band_rows(dup_threshold)

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
    ) -> Store:
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
            return cls._open_read_only(path, dup_threshold)
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
        store = cls(conn, path, dup_threshold)
        store._migrate()
        return store

    @classmethod
    def _open_read_only(cls, path: Path, dup_threshold: float) -> Store:
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
            store = cls(conn, path, dup_threshold)
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
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(step),)
                )

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            # SQLite has already rolled back after some errors (a full disk, an I/O error): a
            # second ROLLBACK would fail and hide the error that matters.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # ---- writing ----------------------------------------------------------------------------
    def revisions(self, ids: Iterable[str]) -> dict[str, str]:
        """The stored revision of each id that is already in the database."""
        ids = list(ids)
        out: dict[str, str] = {}
        for i in range(0, len(ids), 900):
            chunk = ids[i : i + 900]
            q = f"SELECT id, revision FROM posts WHERE id IN ({','.join('?' * len(chunk))})"
            out.update(self.conn.execute(q, chunk).fetchall())
        return out

    def write_batch(self, items: list[PreparedPost]) -> WriteResult:
        """Insert new posts and update edited ones, all in one transaction."""
        result = WriteResult()
        if not items:
            return result
        with self.transaction() as conn:
            known = self.revisions(p.post.id for p in items)
            fresh: list[PreparedPost] = []
            later: list[PreparedPost] = []  # edits, and a second version of a post in this batch
            fresh_ids: set[str] = set()
            for item in items:
                pid = item.post.id
                if pid in known:
                    if known[pid] == item.revision:
                        result.unchanged += 1
                    else:
                        later.append(item)
                        known[pid] = item.revision
                elif pid in fresh_ids:
                    later.append(item)
                else:
                    fresh.append(item)
                    fresh_ids.add(pid)
            self._insert_many(conn, fresh)
            result.new += len(fresh)
            for item in later:
                self._update(conn, item)
                result.updated += 1
        return result

    def refresh_counts(self, counts: list[tuple[str, int | None, int | None]]) -> None:
        """Store the latest views and forward counts of known posts: (id, views, forwards)."""
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE posts SET views = coalesce(?, views), forwards = coalesce(?, forwards) WHERE id = ?",
                [(views, forwards, pid) for pid, views, forwards in counts],
            )

    def _row(self, item: PreparedPost) -> dict:
        p = item.post
        return {
            "id": p.id, "source": p.source, "channel": p.channel, "message_id": p.message_id,
            "author": p.author, "date": _iso(p.date), "url": p.url, "lang": p.lang, "text": p.text,
            "text_raw": p.text_raw if p.text_raw != p.text else None,
            "forwarded_from": p.forwarded_from, "reply_to": p.reply_to, "edited": _iso(p.edited),
            "links": json.dumps(p.links, ensure_ascii=False) if p.links else None,
            "hashtags": json.dumps(p.hashtags, ensure_ascii=False) if p.hashtags else None,
            "media": p.media, "views": p.views, "forwards": p.forwards, "origin": p.origin,
            "repeated_body": int(p.repeated_body), "revision": item.revision,
            "content_hash": item.content_hash, "minhash": item.signature,
        }  # fmt: skip

    def _insert_many(self, conn: sqlite3.Connection, items: list[PreparedPost]) -> None:
        """New posts: rows, index and annotations written with one statement per table;
        only the duplicate grouping goes post by post, since each post may join the last."""
        if not items:
            return
        now = _now()
        rows = []
        for item in items:
            row = self._row(item)
            row["dup_root"] = row["id"]
            row["ingested_at"] = now
            ann = item.annotation
            row["in_scope"] = None if ann is None else int(ann.in_scope)
            row["scope_score"] = None if ann is None else ann.scope_score
            row["scope_reason"] = None if ann is None else ann.scope_reason
            row["genre"] = None if ann is None else ann.genre
            row["annotated_with"] = None if ann is None else item.annotated_with
            rows.append(row)
        cols = list(rows[0])
        conn.executemany(
            f"INSERT INTO posts ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})", rows
        )
        rowids: dict[str, int] = {}
        ids = [r["id"] for r in rows]
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            rowids.update(
                conn.execute(f"SELECT id, rowid FROM posts WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            )
        conn.executemany(
            "INSERT INTO posts_fts(rowid, lemmas) VALUES (?, ?)",
            [(rowids[i.post.id], i.lemmas) for i in items],
        )
        for item in items:
            self._group(conn, rowids[item.post.id], item)
        annotated = [(rowids[i.post.id], i.annotation) for i in items if i.annotation is not None]
        conn.executemany(
            'INSERT INTO mentions(post, actor, kind, start, "end", text) VALUES (?, ?, ?, ?, ?, ?)',
            [(r, m.actor, m.kind, m.start, m.end, m.text) for r, a in annotated for m in a.mentions],
        )
        conn.executemany(
            "INSERT INTO post_actors(actor, post, about, salience) VALUES (?, ?, ?, ?)",
            [row for r, a in annotated for row in _actor_rows(r, a)],
        )
        conn.executemany(
            'INSERT INTO theme_hits(post, theme, start, "end", text) VALUES (?, ?, ?, ?, ?)',
            [(r, t.theme, t.start, t.end, t.text) for r, a in annotated for t in a.themes],
        )
        conn.executemany(
            "INSERT INTO post_themes(theme, post, about, score) VALUES (?, ?, ?, ?)",
            [row for r, a in annotated for row in _theme_rows(r, a)],
        )

    def _update(self, conn: sqlite3.Connection, item: PreparedPost) -> None:
        row = self._row(item)
        rowid, old_root = conn.execute(
            "SELECT rowid, dup_root FROM posts WHERE id=?", (row["id"],)
        ).fetchone()
        sets = ", ".join(f"{c}=:{c}" for c in row if c != "id")
        conn.execute(f"UPDATE posts SET {sets} WHERE id=:id", row)
        conn.execute("DELETE FROM posts_fts WHERE rowid=?", (rowid,))
        conn.execute("INSERT INTO posts_fts(rowid, lemmas) VALUES (?, ?)", (rowid, item.lemmas))
        # The text changed: leave the old group and find the post's place again.
        conn.execute("DELETE FROM lsh WHERE post=?", (rowid,))
        conn.execute("DELETE FROM dup_links WHERE post=? OR other=?", (rowid, rowid))
        conn.execute("UPDATE posts SET dup_root=id WHERE rowid=?", (rowid,))
        if old_root == row["id"]:
            self._reroot(conn, row["id"])
        self._group(conn, rowid, item)
        if item.annotation is not None:
            self._write_annotation(conn, rowid, item.annotation, item.annotated_with)

    def _reroot(self, conn: sqlite3.Connection, old_root: str) -> None:
        members = conn.execute(
            "SELECT id, date FROM posts WHERE dup_root=? AND id<>?", (old_root, old_root)
        ).fetchall()
        if members:
            new_root = min(members, key=lambda m: _earliest_key(m[1], m[0]))[0]
            conn.execute("UPDATE posts SET dup_root=? WHERE dup_root=?", (new_root, old_root))

    def _group(self, conn: sqlite3.Connection, rowid: int, item: PreparedPost) -> None:
        """Join the post to every duplicate group it matches, merging them if several.

        Besides the group root, the post's direct matches are kept in `dup_links`: a later
        post can bridge two groups, and an analysis of an earlier year must not see that
        bridge (see `analyze/data.py`, groups as of a date).
        """
        pid = item.post.id
        matches: list[tuple[int, str, str | None]] = []  # (rowid, dup_root, date) of matched posts
        if item.content_hash:
            matches += conn.execute(
                "SELECT rowid, dup_root, date FROM posts WHERE content_hash=? AND rowid<>? "
                "ORDER BY date IS NULL, date, id LIMIT ?",
                (item.content_hash, rowid, LINKS_PER_GROUP * 8),
            ).fetchall()
        if item.signature:
            if item.bands is not None and item.bands[0] == self._rows:
                keys = item.bands[1]
            else:  # prepared for another threshold, or by hand
                keys = band_keys(item.signature, self._rows)
            q = f"SELECT DISTINCT post FROM lsh WHERE key IN ({','.join('?' * len(keys))})"
            candidates = [c for (c,) in conn.execute(q, keys) if c != rowid]
            for start in range(0, len(candidates), 900):
                chunk = candidates[start : start + 900]
                q = f"SELECT rowid, dup_root, date, minhash FROM posts WHERE rowid IN ({','.join('?' * len(chunk))})"
                for other, root, when, sig in conn.execute(q, chunk):
                    if sig and similarity(item.signature, sig) >= self.dup_threshold:
                        matches.append((other, root, when))
            conn.executemany("INSERT INTO lsh(key, post) VALUES (?, ?)", [(k, rowid) for k in keys])
        roots = {root for _, root, _ in matches} - {pid}
        if not roots:
            return
        # Link to the earliest matches of each group: those are the ones an earlier year sees.
        linked: dict[str, list[int]] = {}
        for other, root, _ in sorted(set(matches), key=lambda m: (m[2] is None, m[2] or "", m[0])):
            if len(linked.setdefault(root, [])) < LINKS_PER_GROUP:
                linked[root].append(other)
        conn.executemany(
            "INSERT INTO dup_links(post, other) VALUES (?, ?)",
            [(rowid, o) for group in linked.values() for o in group],
        )
        heads = [(pid, _iso(item.post.date))]
        q = f"SELECT id, date FROM posts WHERE id IN ({','.join('?' * len(roots))})"
        heads += conn.execute(q, sorted(roots)).fetchall()
        new_root = min(heads, key=lambda h: _earliest_key(h[1], h[0]))[0]
        for old in sorted(roots | {pid}):
            if old != new_root:
                conn.execute("UPDATE posts SET dup_root=? WHERE dup_root=?", (new_root, old))
        conn.execute("UPDATE posts SET dup_root=? WHERE rowid=?", (new_root, rowid))

    def _write_annotation(
        self, conn: sqlite3.Connection, rowid: int, ann: Annotation, fingerprint: str | None
    ) -> None:
        for table in ("mentions", "post_actors", "theme_hits", "post_themes"):
            conn.execute(f"DELETE FROM {table} WHERE post=?", (rowid,))
        conn.executemany(
            'INSERT INTO mentions(post, actor, kind, start, "end", text) VALUES (?, ?, ?, ?, ?, ?)',
            [(rowid, m.actor, m.kind, m.start, m.end, m.text) for m in ann.mentions],
        )
        conn.executemany(
            "INSERT INTO post_actors(actor, post, about, salience) VALUES (?, ?, ?, ?)",
            _actor_rows(rowid, ann),
        )
        conn.executemany(
            'INSERT INTO theme_hits(post, theme, start, "end", text) VALUES (?, ?, ?, ?, ?)',
            [(rowid, t.theme, t.start, t.end, t.text) for t in ann.themes],
        )
        conn.executemany(
            "INSERT INTO post_themes(theme, post, about, score) VALUES (?, ?, ?, ?)", _theme_rows(rowid, ann)
        )
        conn.execute(
            "UPDATE posts SET in_scope=?, scope_score=?, scope_reason=?, genre=?, annotated_with=? WHERE rowid=?",
            (int(ann.in_scope), ann.scope_score, ann.scope_reason, ann.genre, fingerprint, rowid),
        )

    def write_annotations(self, items: list[tuple[int, Annotation, str]], fingerprint: str | None) -> None:
        """Replace the annotations and indexed lemmas of stored posts: (rowid, annotation, lemmas)."""
        with self.transaction() as conn:
            for rowid, annotation, lemmas in items:
                self._write_annotation(conn, rowid, annotation, fingerprint)
                conn.execute("DELETE FROM posts_fts WHERE rowid=?", (rowid,))
                conn.execute("INSERT INTO posts_fts(rowid, lemmas) VALUES (?, ?)", (rowid, lemmas))

    def record_file(
        self, path: str, fmt: str, posts: int, new: int, updated: int, service: int, problems: int
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO files(path, format, posts, new, updated, service, problems, read_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (path, fmt, posts, new, updated, service, problems, _now()),
        )

    # ---- cursors for live collection --------------------------------------------------------
    def get_cursor(self, source: str) -> str | None:
        row = self.conn.execute("SELECT value FROM cursors WHERE source=?", (source,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, source: str, value: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO cursors(source, value, updated_at) VALUES (?, ?, ?)",
            (source, value, _now()),
        )

    # ---- reading ----------------------------------------------------------------------------
    def count_posts(self) -> int:
        return self.conn.execute("SELECT count(*) FROM posts").fetchone()[0]

    def rowids_to_annotate(self, since: str | None = None, only_stale: str | None = None) -> list[int]:
        """Row ids of posts to (re-)annotate: dated from `since`, and/or not annotated with `only_stale`."""
        q = "SELECT rowid FROM posts WHERE 1=1"
        args: list = []
        if since:
            q += " AND date >= ?"
            args.append(since)
        if only_stale:
            q += " AND (annotated_with IS NULL OR annotated_with <> ?)"
            args.append(only_stale)
        return [r for (r,) in self.conn.execute(q + " ORDER BY rowid", args)]

    def texts(self, rowids: list[int]) -> list[tuple[int, str, str | None]]:
        """(rowid, text, lang) of the given posts, in the given order."""
        q = f"SELECT rowid, text, lang FROM posts WHERE rowid IN ({','.join('?' * len(rowids))})"
        found = {r[0]: r for r in self.conn.execute(q, rowids)}
        return [found[r] for r in rowids if r in found]

    def search(self, query: str, limit: int = 20, filters: SearchFilters | None = None) -> list[sqlite3.Row]:
        """Posts matching a lemma-aware query, best first (BM25), with optional filters."""
        fts = to_fts(query)
        where, args = self._filter_sql(filters or SearchFilters())
        sql = (
            "SELECT p.rowid, p.id, p.channel, p.date, p.lang, p.text, p.dup_root, p.url, bm25(posts_fts) AS score "
            "FROM posts_fts JOIN posts p ON p.rowid = posts_fts.rowid "
            f"WHERE posts_fts MATCH ? {where} ORDER BY score, p.date, p.id LIMIT ?"
        )
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        try:
            return cur.execute(sql, [fts, *args, limit]).fetchall()
        except sqlite3.OperationalError as e:
            raise QueryError(f"cannot search for {query!r}: {e}") from None

    @staticmethod
    def _filter_sql(f: SearchFilters) -> tuple[str, list]:
        parts: list[str] = []
        args: list = []
        for actor in f.actors:
            parts.append("AND EXISTS (SELECT 1 FROM post_actors a WHERE a.post = p.rowid AND a.actor = ?)")
            args.append(actor)
        for theme in f.themes:
            parts.append("AND EXISTS (SELECT 1 FROM post_themes t WHERE t.post = p.rowid AND t.theme = ?)")
            args.append(theme)
        if f.langs:
            parts.append(f"AND p.lang IN ({','.join('?' * len(f.langs))})")
            args += f.langs
        if f.channels:
            parts.append(f"AND p.channel IN ({','.join('?' * len(f.channels))})")
            args += f.channels
        if f.date_from:
            parts.append("AND p.date >= ?")
            args.append(f.date_from)
        if f.date_to:
            parts.append("AND p.date < date(?, '+1 day')")
            args.append(f.date_to)
        return " ".join(parts), args

    def actors_of(self, rowids: list[int]) -> dict[int, list[str]]:
        return self._grouped(
            "SELECT post, actor FROM post_actors WHERE post IN ({}) ORDER BY post, actor", rowids
        )

    def themes_of(self, rowids: list[int]) -> dict[int, list[str]]:
        return self._grouped(
            "SELECT post, theme FROM post_themes WHERE post IN ({}) ORDER BY post, theme", rowids
        )

    def _grouped(self, sql: str, rowids: list[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {r: [] for r in rowids}
        for start in range(0, len(rowids), 900):
            chunk = rowids[start : start + 900]
            for post, value in self.conn.execute(sql.format(",".join("?" * len(chunk))), chunk):
                out[post].append(value)
        return out

    def iter_export(self) -> Iterator[dict]:
        """Every post as a dict of the JSONL export contract, streamed in rowid order."""
        posts = self.conn.cursor()
        posts.row_factory = sqlite3.Row
        posts.execute("SELECT rowid, * FROM posts ORDER BY rowid")
        side = {
            "actors": self._stream("SELECT post, actor, about FROM post_actors ORDER BY post, actor"),
            "themes": self._stream("SELECT post, theme, about FROM post_themes ORDER BY post, theme"),
            "mentions": self._stream('SELECT post, actor, kind, start, "end", text FROM mentions ORDER BY post, start, "end"'),
        }  # fmt: skip
        for row in posts:
            rowid = row["rowid"]
            found = {name: stream.take(rowid) for name, stream in side.items()}
            yield {
                "id": row["id"],
                "source": row["source"],
                "channel": row["channel"],
                "message_id": row["message_id"],
                "author": row["author"],
                "date": row["date"],
                "url": row["url"],
                "lang": row["lang"],
                "text": row["text"],
                "forwarded_from": row["forwarded_from"],
                "duplicate_of": row["dup_root"] if row["dup_root"] != row["id"] else None,
                "in_scope": None if row["in_scope"] is None else bool(row["in_scope"]),
                "about": {
                    "actors": [r[1] for r in found["actors"] if r[2]],
                    "themes": [r[1] for r in found["themes"] if r[2]],
                },
                "actors": [r[1] for r in found["actors"]],
                "themes": [r[1] for r in found["themes"]],
                "mentions": [
                    {"actor": r[1], "kind": r[2], "start": r[3], "end": r[4], "text": r[5]}
                    for r in found["mentions"]
                ],
            }

    def _stream(self, sql: str) -> _MergeStream:
        return _MergeStream(self.conn.execute(sql))

    def group_sizes(self) -> dict[str, int]:
        """Size of every duplicate group with more than one post, keyed by its root id."""
        return dict(
            self.conn.execute("SELECT dup_root, count(*) FROM posts GROUP BY dup_root HAVING count(*) > 1")
        )

    def vector_counts(self, vectors_of: dict[str, list[str]]) -> list[tuple[str, int]]:
        """Posts per partner vector, given each actor's vectors (a post counts once per vector)."""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS actor_vectors (actor TEXT, vector TEXT)")
        self.conn.execute("DELETE FROM actor_vectors")
        self.conn.executemany(
            "INSERT INTO actor_vectors VALUES (?, ?)", [(a, v) for a, vs in vectors_of.items() for v in vs]
        )
        return self.conn.execute(
            "SELECT v.vector, count(DISTINCT pa.post) AS n FROM post_actors pa "
            "JOIN actor_vectors v ON v.actor = pa.actor GROUP BY v.vector ORDER BY n DESC, v.vector"
        ).fetchall()

    def stats(self) -> dict:
        c = self.conn
        one = lambda sql: c.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "posts": one("SELECT count(*) FROM posts"),
            "channels": one("SELECT count(DISTINCT channel) FROM posts"),
            "first_date": one("SELECT min(date) FROM posts"),
            "last_date": one("SELECT max(date) FROM posts"),
            "undated": one("SELECT count(*) FROM posts WHERE date IS NULL"),
            "empty_text": one("SELECT count(*) FROM posts WHERE text = ''"),
            "duplicates": one("SELECT count(*) FROM posts WHERE dup_root <> id"),
            "duplicate_groups": one(
                "SELECT count(*) FROM (SELECT 1 FROM posts GROUP BY dup_root HAVING count(*) > 1)"
            ),
            "largest_group": one(
                "SELECT coalesce(max(n), 1) FROM (SELECT count(*) AS n FROM posts GROUP BY dup_root)"
            ),
            "forwards": one("SELECT count(*) FROM posts WHERE forwarded_from IS NOT NULL"),
            "repeated_bodies": one("SELECT count(*) FROM posts WHERE repeated_body = 1"),
            "annotated": one("SELECT count(*) FROM posts WHERE in_scope IS NOT NULL"),
            "in_scope": one("SELECT count(*) FROM posts WHERE in_scope = 1"),
            "off_topic": one("SELECT count(*) FROM posts WHERE in_scope = 0"),
            "service_messages": one("SELECT coalesce(sum(service), 0) FROM files"),
            "files": one("SELECT count(*) FROM files"),
            "by_channel": c.execute(
                "SELECT channel, count(*) AS n FROM posts GROUP BY channel ORDER BY n DESC, channel"
            ).fetchall(),
            "by_lang": c.execute(
                "SELECT coalesce(lang, 'und'), count(*) AS n FROM posts GROUP BY 1 ORDER BY n DESC, 1"
            ).fetchall(),
            "by_month": c.execute(
                "SELECT substr(date, 1, 7) AS m, count(*) FROM posts WHERE date IS NOT NULL GROUP BY m ORDER BY m"
            ).fetchall(),
            "top_actors": c.execute(
                "SELECT actor, count(*) AS n FROM post_actors GROUP BY actor ORDER BY n DESC, actor LIMIT 15"
            ).fetchall(),
            "top_themes": c.execute(
                "SELECT theme, count(*) AS n FROM post_themes GROUP BY theme ORDER BY n DESC, theme LIMIT 25"
            ).fetchall(),
        }


class _MergeStream:
    """Walks a query ordered by post rowid alongside the posts query (a merge join)."""

    def __init__(self, cursor: sqlite3.Cursor):
        self._cursor = cursor
        self._next = cursor.fetchone()

    def take(self, rowid: int) -> list[tuple]:
        out = []
        while self._next is not None and self._next[0] <= rowid:
            if self._next[0] == rowid:
                out.append(self._next)
            self._next = self._cursor.fetchone()
        return out
