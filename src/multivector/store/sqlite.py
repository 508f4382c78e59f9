"""The default store: one SQLite file in WAL mode.

Every batch of posts is written in one transaction, so a crash or Ctrl-C loses at most the
batch in flight and never leaves half a post behind. Writing is idempotent: a post is keyed
by its stable id, an unchanged post is skipped, an edited one is updated in place.
Duplicate groups are kept across the whole database as new files arrive: every post
points at the earliest post of its group (`dup_root`), and nothing is ever dropped.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import numpy as np

from multivector.model import Annotation, InputError, PreparedPost
from multivector.prepare.dedup import (
    REWORD_DAYS,
    REWORD_THRESHOLD,
    band_keys,
    band_rows,
    content_lemmas,
    is_reworded,
    reword_print,
    similarity,
)
from multivector.store.base import (
    CORRECTION_KEYS,
    DEFAULT_DUP_THRESHOLD,
    EPOCH,
    Content,
    SearchFilters,
    WriteResult,
    check_correction,
    chunks,
    codes,
    day_number,
    earliest_root,
    indicator,
)
from multivector.store.query import QueryError, to_fts
from multivector.store.schema import MIGRATIONS, SCHEMA_VERSION

LINKS_PER_GROUP = 2  # direct matches kept per group a new post joins
LINK_KINDS = ("exact", "near", "reworded")  # why two posts are in one group, strongest first
PROBE_SLACK = 50  # extra best matches read when a filtered search tries the index's best first


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


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


_CORRECTION_COLUMNS = ", ".join(CORRECTION_KEYS)


class SqliteStore:
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
        self.dup_threshold = dup_threshold
        self._rows = band_rows(dup_threshold)
        self.reword_days = reword_days  # 0 turns the reworded-copy rule off
        self.reword_threshold = reword_threshold
        self._content_of: dict[int, frozenset[str]] = {}  # rowid -> content lemmas, for reworded-copy checks

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
                if step == 4:  # older posts become reworded-copy candidates, linked among themselves
                    self.link_reworded(self.conn)
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(step),)
                )

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self._content_of.clear()  # rowids of a rolled-back batch are given out again
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
        self._asof_end = None  # duplicate groups may change
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
        self._apply_corrections(conn, [r for r, _ in annotated])

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
        conn.execute("DELETE FROM reword_lsh WHERE post=?", (rowid,))
        self._content_of.pop(rowid, None)
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
            new_root = earliest_root((m[0], m[1], m[0]) for m in members)
            conn.execute("UPDATE posts SET dup_root=? WHERE dup_root=?", (new_root, old_root))

    def _group(self, conn: sqlite3.Connection, rowid: int, item: PreparedPost) -> None:
        """Join the post to every duplicate group it matches, merging them if several.

        Besides the group root, the post's direct matches are kept in `dup_links` with the kind
        of match (exact, near, reworded): a later post can bridge two groups, and an analysis
        of an earlier year must not see that bridge (see `_groups_as_of`: groups as of a date).
        """
        pid = item.post.id
        matches: list[tuple[int, str, str | None, str]] = []  # (rowid, dup_root, date, kind) of matched posts
        if item.content_hash:
            matches += [
                (*m, "exact")
                for m in conn.execute(
                    "SELECT rowid, dup_root, date FROM posts WHERE content_hash=? AND rowid<>? "
                    "ORDER BY date IS NULL, date, id LIMIT ?",
                    (item.content_hash, rowid, LINKS_PER_GROUP * 8),
                )
            ]
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
                        matches.append((other, root, when, "near"))
            conn.executemany("INSERT INTO lsh(key, post) VALUES (?, ?)", [(k, rowid) for k in keys])
        bands = item.reword_bands
        if bands is None and item.annotation is not None:  # prepared by hand, not by a Preparer
            found = reword_print(item.lemmas, item.post.text, item.annotation.actors)
            bands = found.bands if found else []
        if bands and item.post.date is not None:
            matches += self._reworded(
                conn, rowid, bands, item.post.date, item.post.channel, item.lemmas, {m[0] for m in matches}
            )
        self._join(conn, rowid, pid, _iso(item.post.date), pid, matches)

    def _join(
        self, conn: sqlite3.Connection, rowid: int, pid: str, date: str | None, own_root: str,
        matches: list[tuple[int, str, str | None, str]],
    ) -> None:  # fmt: skip
        """Link the post to its matches and merge its group (rooted at `own_root`) with theirs."""
        roots = {m[1] for m in matches} - {own_root}
        if not roots:
            return
        roots.add(own_root)
        # Link to the earliest matches of each group: those are the ones an earlier year sees.
        # A pair matched two ways keeps the strongest kind (exact before near before reworded).
        kind_of: dict[int, str] = {}
        for other, _, _, kind in matches:
            if other not in kind_of or LINK_KINDS.index(kind) < LINK_KINDS.index(kind_of[other]):
                kind_of[other] = kind
        linked: dict[str, list[int]] = {}
        for other, root, _ in sorted(
            {m[:3] for m in matches}, key=lambda m: (m[2] is None, m[2] or "", m[0])
        ):
            if len(linked.setdefault(root, [])) < LINKS_PER_GROUP:
                linked[root].append(other)
        conn.executemany(
            "INSERT INTO dup_links(post, other, kind) VALUES (?, ?, ?)",
            [(rowid, o, kind_of[o]) for group in linked.values() for o in group],
        )
        heads = [(pid, date)]
        q = f"SELECT id, date FROM posts WHERE id IN ({','.join('?' * len(roots))})"
        heads += conn.execute(q, sorted(roots)).fetchall()
        new_root = earliest_root((h[0], h[1], h[0]) for h in heads)
        for old in sorted(roots | {pid}):
            if old != new_root:
                conn.execute("UPDATE posts SET dup_root=? WHERE dup_root=?", (new_root, old))
        conn.execute("UPDATE posts SET dup_root=? WHERE rowid=?", (new_root, rowid))

    def _reworded(
        self, conn: sqlite3.Connection, rowid: int, bands: list[int], date: datetime, channel: str,
        lemmas: str, known: set[int],
    ) -> list[tuple[int, str, str | None, str]]:  # fmt: skip
        """Stored posts this post retells or that retell it (prepare/dedup.py: the rule); its
        band keys are stored too.

        Candidates share a band key of the lemma MinHash, which is salted with the actors and
        numbers, so they have those in common; the channels, the date window and the lemma
        containment, checked here on the full-text index's lemmas, decide.
        """
        when = date.replace(tzinfo=None)  # stored dates carry no offset
        day = when.toordinal() - EPOCH
        conn.executemany(
            "INSERT OR IGNORE INTO reword_lsh(key, day, post) VALUES (?, ?, ?)",
            [(k, day, rowid) for k in bands],
        )
        if self.reword_days <= 0:
            return []
        # (key, day) is indexed: the lookup reads the days of the window only, whatever the database holds.
        reach = math.ceil(self.reword_days)
        q = f"SELECT DISTINCT post FROM reword_lsh WHERE key IN ({','.join('?' * len(bands))}) AND day BETWEEN ? AND ?"
        candidates = [
            c for (c,) in conn.execute(q, [*bands, day - reach, day + reach]) if c != rowid and c not in known
        ]
        if not candidates:
            return []
        window = timedelta(days=self.reword_days)
        if len(self._content_of) > 50_000:  # candidates are recent posts: a small cache serves them
            self._content_of.clear()
        mine = self._content_of[rowid] = content_lemmas(lemmas)
        out = []
        for chunk in chunks(candidates):
            q = (
                "SELECT p.rowid, p.dup_root, p.date, p.channel, f.lemmas FROM posts p "
                "JOIN posts_fts f ON f.rowid = p.rowid "
                f"WHERE p.rowid IN ({','.join('?' * len(chunk))}) AND p.date >= ? AND p.date <= ?"
            )
            args = [*chunk, _iso(when - window), _iso(when + window)]
            for other, root, their_date, their_channel, their_lemmas in conn.execute(q, args):
                hours = (
                    datetime.fromisoformat(their_date).replace(tzinfo=None) - when
                ).total_seconds() / 3600
                theirs = self._content_of.get(other)
                if theirs is None:
                    theirs = self._content_of[other] = content_lemmas(their_lemmas or "")
                if is_reworded(
                    mine, theirs, hours, their_channel == channel, self.reword_days, self.reword_threshold
                ):
                    out.append((other, root, their_date, "reworded"))
        return out

    def link_reworded(self, conn: sqlite3.Connection, rowids: Iterable[int] | None = None) -> int:
        """Find reworded copies for annotated posts that have no reworded-copy keys yet: the
        posts of a database made before schema 4, or ingested without annotation and annotated
        later. Everything is read from the database (lemmas, text, the actors of the mentions);
        posts are taken in date order, as an ingest would have met them. Returns the posts keyed."""
        where = "p.annotated_with IS NOT NULL AND p.date IS NOT NULL AND p.rowid NOT IN (SELECT post FROM reword_lsh)"
        if rowids is None:
            found_rows = conn.execute(f"SELECT p.rowid, p.date, p.id FROM posts p WHERE {where}").fetchall()
        else:
            found_rows = []
            for part in chunks(list(rowids)):
                marks = ",".join("?" * len(part))
                q = f"SELECT p.rowid, p.date, p.id FROM posts p WHERE {where} AND p.rowid IN ({marks})"
                found_rows += conn.execute(q, list(part)).fetchall()
        todo = [r for r, _, _ in sorted(found_rows, key=lambda x: (x[1], x[2]))]
        keyed = 0
        for chunk in chunks(todo):
            marks = ",".join("?" * len(chunk))
            actors: dict[int, list[str]] = {}
            for r, actor in conn.execute(
                f"SELECT DISTINCT post, actor FROM mentions WHERE post IN ({marks}) AND actor IS NOT NULL",
                chunk,
            ):
                actors.setdefault(r, []).append(actor)
            rows = {
                r[0]: r
                for r in conn.execute(
                    "SELECT p.rowid, p.id, p.date, p.channel, p.text, coalesce(f.lemmas, '') FROM posts p "
                    f"LEFT JOIN posts_fts f ON f.rowid = p.rowid WHERE p.rowid IN ({marks})",
                    chunk,
                )
            }
            for rowid in chunk:
                _, pid, date, channel, text, lemmas = rows[rowid]
                found = reword_print(lemmas, text, actors.get(rowid, []))
                if found is None:
                    continue
                keyed += 1
                when = datetime.fromisoformat(date)
                matches = self._reworded(conn, rowid, found.bands, when, channel, lemmas, set())
                (own_root,) = conn.execute("SELECT dup_root FROM posts WHERE rowid=?", (rowid,)).fetchone()
                self._join(conn, rowid, pid, date, own_root, matches)
        return keyed

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
        self._apply_corrections(conn, [rowid])

    def write_annotations(self, items: list[tuple[str, Annotation, str]], fingerprint: str | None) -> None:
        """Replace the annotations and indexed lemmas of stored posts: (post id, annotation, lemmas)."""
        with self.transaction() as conn:
            rowids = self._rowids(conn, [pid for pid, _, _ in items])
            for pid, annotation, lemmas in items:
                rowid = rowids.get(pid)
                if rowid is None:
                    continue  # deleted meanwhile
                self._write_annotation(conn, rowid, annotation, fingerprint)
                conn.execute("DELETE FROM posts_fts WHERE rowid=?", (rowid,))
                conn.execute("INSERT INTO posts_fts(rowid, lemmas) VALUES (?, ?)", (rowid, lemmas))
                self._content_of.pop(rowid, None)
            # Posts stored without annotation had no actors, hence no reworded-copy keys: now they can.
            self.link_reworded(conn, rowids.values())
            self._asof_end = None

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

    def _rowids(self, conn: sqlite3.Connection, ids: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in chunks(ids):
            q = f"SELECT id, rowid FROM posts WHERE id IN ({','.join('?' * len(chunk))})"
            out.update(conn.execute(q, list(chunk)))
        return out

    def latest_date(self) -> str | None:
        return self.conn.execute("SELECT max(date) FROM posts").fetchone()[0]

    def known_actors(self) -> list[str]:
        return [a for (a,) in self.conn.execute("SELECT DISTINCT actor FROM post_actors ORDER BY actor")]

    def ids_to_annotate(self, since: str | None = None, only_stale: str | None = None) -> list[str]:
        """Ids of posts to (re-)annotate: dated from `since`, and/or not annotated with `only_stale`."""
        q = "SELECT id FROM posts WHERE 1=1"
        args: list = []
        if since:
            q += " AND date >= ?"
            args.append(since)
        if only_stale:
            q += " AND (annotated_with IS NULL OR annotated_with <> ?)"
            args.append(only_stale)
        return [r for (r,) in self.conn.execute(q + " ORDER BY rowid", args)]

    def texts(self, ids: Sequence[str]) -> list[tuple[str, str, str | None]]:
        """(id, text, lang) of the given posts, in the given order."""
        found: dict[str, tuple] = {}
        for chunk in chunks(list(ids)):
            q = f"SELECT id, text, lang FROM posts WHERE id IN ({','.join('?' * len(chunk))})"
            found.update((r[0], r) for r in self.conn.execute(q, list(chunk)))
        return [found[i] for i in ids if i in found]

    def search(
        self, query: str, limit: int = 20, filters: SearchFilters | None = None, offset: int = 0
    ) -> list[dict]:
        """Posts matching a lemma-aware query, best first (BM25), with optional filters.

        Each hit: {id, channel, date, lang, text, dup_root, url, score}; a higher score is a
        better match."""
        fts = to_fts(query)
        where, args = self._filter_sql(filters or SearchFilters())
        sql = (
            "SELECT p.id, p.channel, p.date, p.lang, p.text, p.dup_root, p.url, bm25(posts_fts) AS score "
            "FROM posts_fts JOIN posts p ON p.rowid = posts_fts.rowid "
            f"WHERE posts_fts MATCH ? {where} ORDER BY score, p.date, p.id LIMIT ? OFFSET ?"
        )
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        try:
            rows = cur.execute(sql, [fts, *args, limit, offset]).fetchall()
        except sqlite3.OperationalError as e:
            raise QueryError(f"cannot search for {query!r}: {e}") from None
        # bm25() is lower for better matches; the interface promises higher-is-better.
        return [{**dict(r), "score": -r["score"]} for r in rows]

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

    def actors_of(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """Every actor each post names (sorted), keyed by post id."""
        return self._grouped(
            "SELECT p.id, a.actor FROM post_actors a JOIN posts p ON p.rowid = a.post "
            "WHERE p.id IN ({}) ORDER BY p.id, a.actor",
            ids,
        )

    def themes_of(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """Every theme each post has evidence of (sorted), keyed by post id."""
        return self._grouped(
            "SELECT p.id, t.theme FROM post_themes t JOIN posts p ON p.rowid = t.post "
            "WHERE p.id IN ({}) ORDER BY p.id, t.theme",
            ids,
        )

    def _grouped(self, sql: str, ids: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {i: [] for i in ids}
        for chunk in chunks(list(ids)):
            for post, value in self.conn.execute(sql.format(",".join("?" * len(chunk))), list(chunk)):
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
            # a post's links in both directions: a copy stored before its original is the `other` side
            "links": self._stream("SELECT r, kind FROM (SELECT post AS r, kind FROM dup_links UNION ALL "
                                  "SELECT other, kind FROM dup_links) ORDER BY r"),
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
                "duplicate_kind": strongest_link(r[1] for r in found["links"])
                if row["dup_root"] != row["id"]
                else None,
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

    # ---- frames for analysis ------------------------------------------------------------
    def content(self, start: str, end: str) -> Content:
        """The in-scope content posts dated in [start, end), with what they are about and their reach."""
        conn = self.conn
        self._groups_as_of(end)
        args = (start, end)
        sql = (
            "SELECT p.rowid, p.id, substr(p.date, 1, 10), p.channel, coalesce(p.lang, 'und'), coalesce(p.genre, '') "
            f"FROM posts p WHERE {_CONTENT} ORDER BY p.id"
        )
        rowids, ids, dates, chans, langs_, genres_ = _columns(conn.execute(sql, args).fetchall(), 6)
        n = len(rowids)
        rowid = np.asarray(rowids, dtype=np.int64)
        day_of = {d: day_number(d) for d in set(dates)}
        day = np.fromiter(map(day_of.__getitem__, dates), dtype=np.int32, count=n)
        order = np.argsort(rowid, kind="stable")
        sorted_rowid = rowid[order]

        def pos(rs) -> np.ndarray:
            return order[np.searchsorted(sorted_rowid, np.asarray(rs, dtype=np.int64))]

        # Group members (the root included) dated before `end`: reach and amplification.
        sql = (
            "SELECT p.rowid, p.channel, coalesce(p.forwards, 0), coalesce(p.views, 0) FROM posts p "
            f"WHERE {_CONTENT} UNION ALL "
            "SELECT p.rowid, m.channel, coalesce(m.forwards, 0), coalesce(m.views, 0) FROM posts p "
            f"JOIN asof_copy a ON a.root = p.rowid JOIN posts m ON m.rowid = a.rowid WHERE {_CONTENT}"
        )
        m_post, m_chan, m_fw, m_vw = _columns(conn.execute(sql, (*args, *args)).fetchall(), 4)
        mp = pos(m_post) if m_post else np.zeros(0, np.int64)
        fw = np.bincount(mp, weights=np.asarray(m_fw, dtype=np.float64), minlength=n).astype(np.int64)
        vw = np.bincount(mp, weights=np.asarray(m_vw, dtype=np.float64), minlength=n).astype(np.int64)
        size = np.bincount(mp, minlength=n)
        copies = np.maximum(size - 1, 0).astype(np.int32)

        chan_names, chan_codes = codes(list(chans) + list(m_chan))
        channel = chan_codes[:n].astype(np.int32)
        lang_names, lang_codes = codes(list(langs_))
        genre_names, genre_codes = codes(list(genres_))
        # the root's own channel is in the join already; adding it again is harmless and covers
        # a root whose group lookup found nothing
        reach = indicator(np.concatenate([np.arange(n), mp]), chan_codes, n, len(chan_names))

        def pairs(table: str, col: str, about_only: bool = True):
            about = "AND t.about = 1" if about_only else ""
            sql = f"SELECT t.post, t.{col} FROM posts p JOIN {table} t ON t.post = p.rowid WHERE {_CONTENT} {about}"
            rs, ks = _columns(conn.execute(sql, args).fetchall(), 2)
            names, cols = codes(list(ks))
            return names, indicator(pos(rs) if rs else np.zeros(0, np.int64), cols, n, len(names))

        # What posts are about carries every count; mentions in passing are kept apart.
        theme_ids, themes = pairs("post_themes", "theme")
        actor_ids, actors = pairs("post_actors", "actor")
        mention_ids, mentioned = pairs("post_actors", "actor", about_only=False)
        return Content(
            start=start, end=end, ids=list(ids), day=day, channel=channel, lang=lang_codes.astype(np.int32),
            copies=copies, forwards=fw, views=vw, themes=themes, actors=actors, reach=reach,
            channels=chan_names, langs=lang_names, theme_ids=theme_ids, actor_ids=actor_ids,
            mentioned=mentioned, mention_ids=mention_ids, genre=genre_codes.astype(np.int32), genres=genre_names,
        )  # fmt: skip

    def _groups_as_of(self, end: str) -> None:
        """Duplicate groups as they stood before `end`, into the temporary table `asof_copy`.

        The store keeps one group per text across all time, rooted at its earliest post. A post
        dated after `end` may have bridged two groups that were apart before it; rebuilding the
        groups from the direct matches (`dup_links`) among posts dated before `end` keeps such a
        later post from changing the counts of an earlier year (no look-ahead).
        """
        if self._asof_end == end:
            return  # built for this date already, and no post was written since
        conn = self.conn
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS asof_copy (rowid INTEGER PRIMARY KEY, root INTEGER NOT NULL)"
        )
        conn.execute("DELETE FROM asof_copy")
        links = conn.execute(
            "SELECT l.post, l.other FROM dup_links l JOIN posts a ON a.rowid = l.post "
            "JOIN posts b ON b.rowid = l.other WHERE a.date < ? AND b.date < ?",
            (end, end),
        ).fetchall()
        key: dict[int, tuple[str | None, str]] = {}
        everyone = sorted({x for link in links for x in link})
        for chunk in chunks(everyone):
            q = f"SELECT rowid, date, id FROM posts WHERE rowid IN ({','.join('?' * len(chunk))})"
            key.update((r, (d, i)) for r, d, i in conn.execute(q, list(chunk)))
        copies = []
        for group in union_groups(links):
            root = earliest_root((m, *key[m]) for m in group)  # as the store roots its groups
            copies.extend((m, root) for m in group if m != root)
        conn.executemany("INSERT INTO asof_copy(rowid, root) VALUES (?, ?)", copies)
        self._asof_end = end

    def lemmas(self, content: Content) -> list[str]:
        """The lemma string (full-text index) of every post of `content`, in its order."""
        where = {pid: i for i, pid in enumerate(content.ids)}
        out = [""] * len(content)
        for chunk in chunks(content.ids):
            q = (
                "SELECT p.id, f.lemmas FROM posts p JOIN posts_fts f ON f.rowid = p.rowid "
                f"WHERE p.id IN ({','.join('?' * len(chunk))})"
            )
            for pid, lem in self.conn.execute(q, list(chunk)):
                out[where[pid]] = lem or ""
        return out

    def texts_by_id(self, ids: Iterable[str]) -> dict[str, str]:
        """Post id -> stored text, for a few posts."""
        out: dict[str, str] = {}
        for chunk in chunks(sorted(set(ids))):
            q = f"SELECT id, text FROM posts WHERE id IN ({','.join('?' * len(chunk))})"
            out.update(self.conn.execute(q, list(chunk)).fetchall())
        return out

    def texts_with_lemmas(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Post id -> (stored text, its lemma string from the full-text index), for a few posts."""
        out: dict[str, tuple[str, str]] = {}
        for chunk in chunks(sorted(set(ids))):
            q = (
                "SELECT p.id, p.text, coalesce(f.lemmas, '') FROM posts p "
                "LEFT JOIN posts_fts f ON f.rowid = p.rowid "
                f"WHERE p.id IN ({','.join('?' * len(chunk))})"
            )
            out.update((pid, (t, lem)) for pid, t, lem in self.conn.execute(q, list(chunk)))
        return out

    def theme_spans(self, ids: Iterable[str], theme: str) -> dict[str, list[tuple[int, int]]]:
        """Post id -> the spans where `theme` matched, for a few posts."""
        out: dict[str, list[tuple[int, int]]] = {}
        for chunk in chunks(sorted(set(ids))):
            q = (
                'SELECT p.id, h.start, h."end" FROM theme_hits h JOIN posts p ON p.rowid = h.post '
                f"WHERE h.theme = ? AND p.id IN ({','.join('?' * len(chunk))}) ORDER BY p.id, h.start"
            )
            for pid, a, b in self.conn.execute(q, [theme, *chunk]):
                out.setdefault(pid, []).append((a, b))
        return out

    def corpus_summary(self, start: str, end: str) -> dict:
        """What the posts dated in [start, end) are: all of them, duplicates and off-topic included."""
        n, channels, first, last = self.conn.execute(
            "SELECT count(*), count(DISTINCT channel), min(date), max(date) FROM posts WHERE date >= ? AND date < ?",
            (start, end),
        ).fetchone()
        return {
            "posts": n,
            "channels": channels,
            "first_date": first[:10] if first else None,
            "last_date": last[:10] if last else None,
        }

    # ==== corrections: an analyst's overrides of the machine's tags ===========================
    # A correction is keyed by the post's stable id, so it survives re-ingest and travels between
    # databases. It is applied to the stored annotation at once, and again after every write of
    # an annotation (`_insert_many`, `_write_annotation`), so re-annotating never loses it.

    def add_correction(
        self, post: str, field: str, value: str, action: str, author: str | None = None,
        note: str | None = None, created_at: str | None = None,
    ) -> int:  # fmt: skip
        """Store one correction and apply it to the post (if stored and annotated); returns its id."""
        check_correction(post, field, value, action)
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO corrections(post, field, value, action, author, created_at, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (post, field, value, action, author, created_at or _now(), note),
            )
            rowids = [r for (r,) in conn.execute("SELECT rowid FROM posts WHERE id = ?", (post,))]
            self._apply_corrections(conn, rowids)
            return int(cur.lastrowid)

    def corrections(self, post: str | None = None) -> list[dict]:
        """Corrections in the order they were made, of one post or of all posts."""
        sql = f"SELECT {_CORRECTION_COLUMNS} FROM corrections"
        args: tuple = ()
        if post is not None:
            sql += " WHERE post = ?"
            args = (post,)
        return [
            dict(zip(CORRECTION_KEYS, row, strict=True))
            for row in self.conn.execute(sql + " ORDER BY id", args)
        ]

    def count_corrections(self) -> int:
        return self.conn.execute("SELECT count(*) FROM corrections").fetchone()[0]

    def delete_correction(self, correction_id: int) -> dict | None:
        """Remove a correction; returns it, or None when there is no such id.

        The post's stored tags still carry what the correction did, so the post is marked for
        re-annotation (`multivector annotate` redoes it); the remaining corrections stay applied.
        """
        with self.transaction() as conn:
            row = conn.execute(
                f"SELECT {_CORRECTION_COLUMNS} FROM corrections WHERE id = ?", (correction_id,)
            ).fetchone()
            if row is None:
                return None
            found = dict(zip(CORRECTION_KEYS, row, strict=True))
            conn.execute("DELETE FROM corrections WHERE id = ?", (correction_id,))
            conn.execute("UPDATE posts SET annotated_with = NULL WHERE id = ?", (found["post"],))
        return found

    def import_corrections(self, records: Iterable[dict]) -> tuple[int, int]:
        """Add corrections made elsewhere (dicts with post, field, value, action, author,
        created_at, note); one that is already stored is skipped. Returns (added, skipped)."""
        added = skipped = 0
        with self.transaction() as conn:
            touched: set[str] = set()
            for r in records:
                check_correction(r["post"], r["field"], r["value"], r["action"])
                key = (
                    r["post"],
                    r["field"],
                    r["value"],
                    r["action"],
                    r.get("author"),
                    r["created_at"],
                    r.get("note"),
                )
                # Written by hand without a time: the same line imported again is still the same.
                when = "AND created_at IS ?" if key[5] is not None else "AND (? IS NULL)"
                same = conn.execute(
                    "SELECT 1 FROM corrections WHERE post = ? AND field IS ? AND value IS ? AND action IS ? "
                    f"AND author IS ? {when} AND note IS ?",
                    key,
                ).fetchone()
                if same:
                    skipped += 1
                    continue
                conn.execute(
                    "INSERT INTO corrections(post, field, value, action, author, created_at, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (*key[:5], key[5] or _now(), key[6]),
                )
                touched.add(r["post"])
                added += 1
            rowids: list[int] = []
            ids = sorted(touched)
            for start in range(0, len(ids), 900):
                chunk = ids[start : start + 900]
                q = f"SELECT rowid FROM posts WHERE id IN ({','.join('?' * len(chunk))})"
                rowids += [r for (r,) in conn.execute(q, chunk)]
            self._apply_corrections(conn, rowids)
        return added, skipped

    def _apply_corrections(self, conn: sqlite3.Connection, rowids: list[int]) -> None:
        """Lay the corrections of these posts over their stored annotation, oldest first, so the
        latest word on an actor, theme or scope wins. Posts not annotated yet are left alone."""
        if not rowids or conn.execute("SELECT 1 FROM corrections LIMIT 1").fetchone() is None:
            return
        found: list[tuple] = []
        for start in range(0, len(rowids), 900):
            chunk = rowids[start : start + 900]
            found += conn.execute(
                "SELECT p.rowid, c.field, c.value, c.action, c.id FROM corrections c JOIN posts p ON p.id = c.post "
                f"WHERE p.rowid IN ({','.join('?' * len(chunk))}) AND p.in_scope IS NOT NULL",
                chunk,
            ).fetchall()
        for rowid, field_, value, action, _ in sorted(found, key=lambda r: r[4]):
            if field_ == "scope":
                conn.execute(
                    "UPDATE posts SET in_scope = ?, scope_reason = ? WHERE rowid = ?",
                    (int(value == "true"), "set by a correction", rowid),
                )
                continue
            table, column, spans = (
                ("post_actors", "actor", "mentions")
                if field_ == "actor"
                else ("post_themes", "theme", "theme_hits")
            )
            if action == "remove":
                conn.execute(f"DELETE FROM {table} WHERE post = ? AND {column} = ?", (rowid, value))
                conn.execute(f"DELETE FROM {spans} WHERE post = ? AND {column} = ?", (rowid, value))
            else:  # add: the post is about it, whatever the machine said
                conn.execute(
                    f"INSERT INTO {table}({column}, post, about) VALUES (?, ?, 1) "
                    f"ON CONFLICT({column}, post) DO UPDATE SET about = 1",
                    (value, rowid),
                )

    def iter_corrections(self) -> Iterator[dict]:
        """Every correction, oldest first, for `multivector corrections export`."""
        cur = self.conn.execute(f"SELECT {_CORRECTION_COLUMNS} FROM corrections ORDER BY id")
        for row in cur:
            yield dict(zip(CORRECTION_KEYS, row, strict=True))

    # ==== reading for the dashboard ===========================================================
    # Everything the web layer shows comes from these methods (web/ runs no SQL): plain dicts
    # and lists, posts named by their stable ids. Each is one or a few indexed queries, so a
    # page stays fast on a few hundred thousand posts; whole-corpus figures are cached by the
    # caller and refreshed when `data_version` changes.

    def data_version(self) -> int:
        """A number that changes when another connection (any process) commits a change."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def dashboard_overview(self) -> dict:
        """Corpus size, dates, coverage by month and language, channels, annotation state."""
        c = self.conn
        posts, channels, first, last, undated, annotated, in_scope, copies, forwards = c.execute(
            "SELECT count(*), count(DISTINCT channel), min(date), max(date), count(*) - count(date), "
            "count(in_scope), coalesce(sum(in_scope), 0), coalesce(sum(dup_root <> id), 0), "
            "count(forwarded_from) FROM posts"
        ).fetchone()
        months = [
            {"month": m, "posts": n, "content": k, "in_scope": s}
            for m, n, k, s in c.execute(
                "SELECT substr(date, 1, 7) AS m, count(*), coalesce(sum(dup_root = id), 0), "
                "coalesce(sum(in_scope), 0) FROM posts WHERE date IS NOT NULL GROUP BY m ORDER BY m"
            )
        ]
        return {
            "posts": posts,
            "channels": channels,
            "first_date": first,
            "last_date": last,
            "undated": undated,
            "annotated": annotated,
            "in_scope": in_scope,
            "duplicates": copies,
            "forwards": forwards,
            "corrections": self.count_corrections(),
            "months": months,
            "languages": [
                {"lang": lang, "posts": n}
                for lang, n in c.execute(
                    "SELECT coalesce(lang, 'und'), count(*) AS n FROM posts GROUP BY 1 ORDER BY n DESC, 1"
                )
            ],
            "top_channels": [
                {"channel": ch, "posts": n, "first_date": f, "last_date": la}
                for ch, n, f, la in c.execute(
                    "SELECT channel, count(*) AS n, min(date), max(date) FROM posts GROUP BY channel "
                    "ORDER BY n DESC, channel LIMIT 30"
                )
            ],
        }

    def search_page(
        self, query: str | None, filters: SearchFilters | None = None, *, duplicates: str = "show",
        about: bool = False, sort: str = "relevance", limit: int = 20, offset: int = 0, count_limit: int = 2_000,
    ) -> dict:  # fmt: skip
        """One page of a search: `{results: [post dicts], total, total_exact}`.

        `query` None or blank lists the filtered posts newest first. `duplicates`: show (all
        posts), hide (one post per duplicate group: its earliest), only (copies only). `about`:
        the actor/theme filters match only posts that are about them. `sort`: relevance,
        newest or oldest. Without filters the total is exact (the index counts it); with them it
        is counted up to `count_limit`, and `total_exact` says whether it got there.
        """
        try:
            return self._search_page(query, filters, duplicates, about, sort, limit, offset, count_limit)
        except sqlite3.OperationalError as e:
            if "fts5" not in str(e).lower() and "syntax" not in str(e).lower():
                raise  # a locked or broken file is not the user's query
            raise QueryError(f"cannot search for {query!r}: {e}") from None

    def _search_page(
        self, query: str | None, filters: SearchFilters | None, duplicates: str, about: bool, sort: str,
        limit: int, offset: int, count_limit: int,
    ) -> dict:  # fmt: skip
        fts = to_fts(query) if query and query.strip() else None
        where, args = self._dashboard_filters(filters, duplicates, about)
        if not where:
            sql = (
                "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?"
                if fts
                else "SELECT count(*) FROM posts"
            )
            total, exact = self.conn.execute(sql, [fts] if fts else []).fetchone()[0], True
        else:
            inner, inner_args = self._search_ids(fts, where, args, None)
            n = self.conn.execute(
                f"SELECT count(*) FROM ({inner} LIMIT ?)", [*inner_args, count_limit + 1]
            ).fetchone()[0]
            total, exact = min(n, count_limit), n <= count_limit
        page = None
        if exact and total <= offset:  # counted every match already: nothing on this page
            page = []
        elif fts is not None and where and sort == "relevance":
            page = self._probe_page(fts, where, args, total, limit, offset)
        if page is None:
            sql, sql_args = self._search_ids(fts, where, args, sort)
            page = self.conn.execute(f"{sql} LIMIT ? OFFSET ?", [*sql_args, limit, offset]).fetchall()
        found = self._search_rows([r for r, _ in page])
        rows = []
        for rowid, score in page:
            row = found[rowid]
            row["score"] = None if score is None else round(-score, 4)
            rows.append(row)
        self._attach_tags(rows)
        return {"results": rows, "total": total, "total_exact": exact}

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

    def iter_search(
        self, query: str | None, filters: SearchFilters | None = None, *, duplicates: str = "show",
        about: bool = False, sort: str = "relevance", limit: int = 1_000_000,
    ) -> Iterator[dict]:  # fmt: skip
        """Every post of a search, in pages of 500 (for downloads). Holds a read cursor: use a
        connection of its own while the rest of the program writes."""
        fts = to_fts(query) if query and query.strip() else None
        where, args = self._dashboard_filters(filters, duplicates, about)
        sql, sql_args = self._search_ids(fts, where, args, sort)
        cur = self.conn.execute(f"{sql} LIMIT ?", [*sql_args, limit])
        while True:
            page = cur.fetchmany(500)
            if not page:
                return
            found = self._search_rows([r for r, _ in page])
            rows = []
            for rowid, score in page:
                row = found[rowid]
                row["score"] = None if score is None else round(-score, 4)
                rows.append(row)
            self._attach_tags(rows)
            yield from rows

    def _dashboard_filters(
        self, filters: SearchFilters | None, duplicates: str, about: bool
    ) -> tuple[str, list]:
        f = filters or SearchFilters()
        plain = SearchFilters(langs=f.langs, channels=f.channels, date_from=f.date_from, date_to=f.date_to)
        where, args = self._filter_sql(plain)
        about_sql = " AND about = 1" if about else ""
        for actor in f.actors:
            where += (
                f" AND EXISTS (SELECT 1 FROM post_actors a WHERE a.post = p.rowid AND a.actor = ?{about_sql})"
            )
            args.append(actor)
        for theme in f.themes:
            where += (
                f" AND EXISTS (SELECT 1 FROM post_themes t WHERE t.post = p.rowid AND t.theme = ?{about_sql})"
            )
            args.append(theme)
        if duplicates == "hide":
            where += " AND p.dup_root = p.id"
        elif duplicates == "only":
            where += " AND p.dup_root <> p.id"
        return where.strip(), args

    @staticmethod
    def _search_ids(fts: str | None, where: str, args: list, sort: str | None) -> tuple[str, list]:
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

    def _search_rows(self, rowids: list[int]) -> dict[int, dict]:
        out: dict[int, dict] = {}
        for start in range(0, len(rowids), 900):
            chunk = rowids[start : start + 900]
            q = (
                "SELECT rowid, id, channel, date, lang, text, dup_root, forwarded_from, in_scope, url "
                f"FROM posts WHERE rowid IN ({','.join('?' * len(chunk))})"
            )
            for r in self.conn.execute(q, chunk):
                out[r[0]] = {
                    "id": r[1], "channel": r[2], "date": r[3], "lang": r[4], "text": r[5],
                    "duplicate_of": r[6] if r[6] != r[1] else None, "forwarded_from": r[7],
                    "in_scope": None if r[8] is None else bool(r[8]), "url": r[9], "_rowid": r[0],
                }  # fmt: skip
        return out

    def _attach_tags(self, rows: list[dict]) -> None:
        """Add `actors`, `themes` and `about` to post dicts that carry their `_rowid` (removed)."""
        rowids = [r.pop("_rowid") for r in rows]
        actors = self._tag_rows(
            "SELECT post, actor, about FROM post_actors WHERE post IN ({}) ORDER BY post, actor", rowids
        )
        themes = self._tag_rows(
            "SELECT post, theme, about FROM post_themes WHERE post IN ({}) ORDER BY post, theme", rowids
        )
        for r, rowid in zip(rows, rowids, strict=True):
            r["actors"] = [a for a, _ in actors.get(rowid, [])]
            r["themes"] = [t for t, _ in themes.get(rowid, [])]
            r["about"] = {
                "actors": [a for a, about in actors.get(rowid, []) if about],
                "themes": [t for t, about in themes.get(rowid, []) if about],
            }

    def _tag_rows(self, sql: str, rowids: list[int]) -> dict[int, list[tuple[str, int]]]:
        out: dict[int, list[tuple[str, int]]] = {}
        for start in range(0, len(rowids), 900):
            chunk = rowids[start : start + 900]
            for post, value, about in self.conn.execute(sql.format(",".join("?" * len(chunk))), chunk):
                out.setdefault(post, []).append((value, about))
        return out

    def post_detail(self, post_id: str, group_limit: int = 200) -> dict | None:
        """A post with everything found in it: tags with about flags and weights, spans,
        its duplicate group (earliest first) and corrections; None when there is no such post."""
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        row = cur.execute("SELECT rowid, * FROM posts WHERE id = ?", (post_id,)).fetchone()
        if row is None:
            return None
        rowid = row["rowid"]
        post = {k: row[k] for k in row.keys() if k not in ("rowid", "minhash", "revision", "content_hash")}  # noqa: SIM118 - Row iterates values
        for key in ("links", "hashtags"):
            post[key] = json.loads(post[key]) if post[key] else []
        post["in_scope"] = None if post["in_scope"] is None else bool(post["in_scope"])
        post["repeated_body"] = bool(post["repeated_body"])
        post["duplicate_of"] = post["dup_root"] if post["dup_root"] != post["id"] else None
        c = self.conn
        post["actors"] = [
            {"actor": a, "about": bool(ab), "salience": s}
            for a, ab, s in c.execute(
                "SELECT actor, about, salience FROM post_actors WHERE post = ? ORDER BY actor", (rowid,)
            )
        ]
        post["themes"] = [
            {"theme": t, "about": bool(ab), "score": s}
            for t, ab, s in c.execute(
                "SELECT theme, about, score FROM post_themes WHERE post = ? ORDER BY theme", (rowid,)
            )
        ]
        post["mentions"] = [
            {"actor": a, "kind": k, "start": s, "end": e, "text": t}
            for a, k, s, e, t in c.execute(
                'SELECT actor, kind, start, "end", text FROM mentions WHERE post = ? ORDER BY start, "end"',
                (rowid,),
            )
        ]
        post["theme_hits"] = [
            {"theme": th, "start": s, "end": e, "text": t}
            for th, s, e, t in c.execute(
                'SELECT theme, start, "end", text FROM theme_hits WHERE post = ? ORDER BY start, "end"',
                (rowid,),
            )
        ]
        root = post["dup_root"]
        size = c.execute("SELECT count(*) FROM posts WHERE dup_root = ?", (root,)).fetchone()[0]
        members = (
            c.execute(
                "SELECT rowid, id, channel, date, lang, forwarded_from, views, url FROM posts WHERE dup_root = ? "
                "ORDER BY date IS NULL, date, id LIMIT ?",
                (root, group_limit),
            ).fetchall()
            if size > 1
            else []
        )
        kinds = self._link_kinds([m[0] for m in members])
        post["group"] = {
            "root": root,
            "size": size,
            "posts": [
                {"id": i, "channel": ch, "date": d, "lang": lg, "forwarded_from": fw, "views": v, "url": u,
                 "link": kinds.get(r)}
                for r, i, ch, d, lg, fw, v, u in members
            ],
        }  # fmt: skip
        post["corrections"] = self.corrections(post_id)
        return post

    def _link_kinds(self, rowids: list[int]) -> dict[int, str]:
        """The strongest kind of link (exact, near, reworded) each post has to its group."""
        found: dict[int, list[str]] = {}
        for chunk in chunks(rowids):
            marks = ",".join("?" * len(chunk))
            q = (
                f"SELECT post, kind FROM dup_links WHERE post IN ({marks}) "
                f"UNION ALL SELECT other, kind FROM dup_links WHERE other IN ({marks})"
            )
            for r, kind in self.conn.execute(q, [*chunk, *chunk]):
                found.setdefault(r, []).append(kind)
        return {r: strongest_link(kinds) for r, kinds in found.items() if kinds}

    def posts_brief(self, post_ids: Iterable[str], text_chars: int = 400) -> dict[str, dict]:
        """id -> {id, channel, date, lang, text (cut), duplicate_of, forwarded_from, in_scope}."""
        ids = list(dict.fromkeys(post_ids))
        out: dict[str, dict] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            q = (
                "SELECT id, channel, date, lang, substr(text, 1, ?), length(text), dup_root, forwarded_from, in_scope "
                f"FROM posts WHERE id IN ({','.join('?' * len(chunk))})"
            )
            for i, ch, d, lg, text, n, root, fw, sc in self.conn.execute(q, [text_chars, *chunk]):
                out[i] = {
                    "id": i, "channel": ch, "date": d, "lang": lg, "text": text, "cut": n > text_chars,
                    "duplicate_of": root if root != i else None, "forwarded_from": fw,
                    "in_scope": None if sc is None else bool(sc),
                }  # fmt: skip
        return out

    def actor_overview(self, actor: str, top: int = 15, recent: int = 10) -> dict:
        """Attention to one actor over time (all posts, content posts, posts about it), the
        themes, actors and channels that come with it, and its latest posts."""
        return self._entity_overview(
            "FROM post_actors x JOIN posts p ON p.rowid = x.post WHERE x.actor = ?", (actor,), top, recent,
            about="x.about", skip_actor=actor,
        )  # fmt: skip

    def channel_overview(self, channel: str, top: int = 15, recent: int = 10) -> dict:
        """A channel's posts over time, languages, themes, actors, forwards and latest posts."""
        out = self._entity_overview("FROM posts p WHERE p.channel = ?", (channel,), top, recent, about=None)
        c = self.conn
        out["languages"] = [
            {"lang": lg, "posts": n}
            for lg, n in c.execute(
                "SELECT coalesce(lang, 'und'), count(*) AS n FROM posts WHERE channel = ? GROUP BY 1 ORDER BY n DESC, 1",
                (channel,),
            )
        ]
        out["forwarded_from"] = [
            {"channel": fw, "posts": n}
            for fw, n in c.execute(
                "SELECT forwarded_from, count(*) AS n FROM posts WHERE channel = ? AND forwarded_from IS NOT NULL "
                "GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?",
                (channel, top),
            )
        ]
        return out

    def _entity_overview(
        self, base: str, args: tuple, top: int, recent: int, about: str | None, skip_actor: str | None = None
    ) -> dict:
        c = self.conn
        about_sum = f"coalesce(sum({about}), 0)" if about else "NULL"
        total, content, about_n, first, last = c.execute(
            f"SELECT count(*), coalesce(sum(p.dup_root = p.id), 0), {about_sum}, min(p.date), max(p.date) {base}",
            args,
        ).fetchone()
        months = [
            {"month": m, "posts": n, "content": k, "about": ab}
            for m, n, k, ab in c.execute(
                f"SELECT substr(p.date, 1, 7) AS m, count(*), coalesce(sum(p.dup_root = p.id), 0), {about_sum} "
                f"{base} AND p.date IS NOT NULL GROUP BY m ORDER BY m",
                args,
            )
        ]

        def tally(join: str, col: str, extra: str = "", extra_args: tuple = ()) -> list[dict]:
            sql = (
                f"SELECT {col}, count(*) AS n {base.replace('WHERE', join + ' WHERE', 1)} {extra} "
                f"GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?"
            )
            return [{"id": k, "posts": n} for k, n in c.execute(sql, (*args, *extra_args, top))]

        themes = tally("JOIN post_themes t ON t.post = p.rowid", "t.theme")
        actors = tally(
            "JOIN post_actors o ON o.post = p.rowid", "o.actor", "AND o.actor IS NOT ?", (skip_actor,)
        )
        channels = tally("", "p.channel")
        latest = [
            i
            for (i,) in c.execute(
                f"SELECT p.id {base} ORDER BY p.date IS NULL, p.date DESC, p.id LIMIT ?", (*args, recent)
            )
        ]
        return {
            "posts": total, "content": content, "about": about_n, "first_date": first, "last_date": last,
            "months": months, "themes": themes, "actors": actors, "channels": channels, "latest": latest,
        }  # fmt: skip


# `asof_copy` (filled by `_groups_as_of`) lists the posts that are copies as of the range's end.
_CONTENT = "p.in_scope = 1 AND p.date >= ? AND p.date < ? AND p.rowid NOT IN (SELECT rowid FROM asof_copy)"


def strongest_link(kinds: Iterable[str]) -> str | None:
    """The strongest of a post's link kinds (exact, then near, then reworded); None without links."""
    ranks = [LINK_KINDS.index(k) for k in kinds if k in LINK_KINDS]
    return LINK_KINDS[min(ranks)] if ranks else None


def _columns(rows: list[tuple], k: int) -> list[list]:
    return [[r[i] for r in rows] for i in range(k)]


def union_groups(links: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected groups of the pairs (union-find), each a list of its members."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for x in parent:
        members.setdefault(find(x), []).append(x)
    return list(members.values())


# The store under its interface's name, for code that opens a file directly.
Store = SqliteStore


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
