"""What the SQL stores share: every method whose SQL both SQLite and PostgreSQL accept.

`SqlStore` holds the logic of writing posts (idempotent batches, edits, duplicate groups kept
across the whole database, groups as of a date), corrections, and every read the CLI, the
report and the dashboard make. Its SQL is written once, in the dialect both databases speak,
with `?` placeholders (the PostgreSQL store's connection translates them); what differs
(opening, transactions, bulk inserts, the full-text index, the analysis frames) is left to
`SqliteStore` and `PostgresStore`, which fill in the hooks at the top of the class.

Every batch of posts is written in one transaction, so a crash or Ctrl-C loses at most the
batch in flight and never leaves half a post behind. Writing is idempotent: a post is keyed
by its stable id, an unchanged post is skipped, an edited one is updated in place.
Duplicate groups are kept across the whole database as new files arrive: every post
points at the earliest post of its group (`dup_root`), and nothing is ever dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from operator import itemgetter
from typing import Any, Self

from multivector.annotate.reworded import content_lemmas, is_reworded, reword_print
from multivector.model import Annotation, PreparedPost
from multivector.prepare.dedup import NUM_PERM, band_keys, band_rows, similarities
from multivector.store.base import (
    CHUNK,
    CORRECTION_KEYS,
    EPOCH,
    Content,
    SearchFilters,
    WriteResult,
    check_correction,
    chunks,
    earliest_root,
)
from multivector.store.key_filter import KeyFilter
from multivector.store.query import QueryError

LEMMA_PAGE = 20_000  # posts whose lemma strings are read at a time for counting
LINKS_PER_GROUP = 2  # direct matches kept per group a new post joins
# A relevance page of a query without filters ranks at most this many of its matches, the most
# recently stored: ranking costs a little per match, and a common word in a million posts has
# hundreds of thousands. Deeper than any page the dashboard serves (10,000 results); downloads
# and filtered searches rank every match. A store may set its own (`rank_window`).
RANK_WINDOW = 20_000
# Recently met posts whose date, channel and content lemmas the writer keeps for reworded-copy
# checks: a few days of a large collection (about 4 KB each).
RECENT_POSTS = 60_000
LINK_KINDS = ("exact", "near", "reworded")  # why two posts are in one group, strongest first
# A writer builds its band-key filter (store/key_filter.py) once it has written this many keys,
# and not before an eighth of the keys the database holds: reading them all back must cost less
# than the lookups it saves (a writer that starts on a database without keys keeps one from its
# first batch, sized for this many keys). Posts are read back this many at a time.
KEY_FILTER_AFTER = 320_000  # 20,000 posts' keys
FILTER_READ_POSTS = 50_000
# New band keys wait in `lsh_new` (small: its index pages stay cached) and move into `lsh` in key
# order once it holds this many, 40,000 posts' worth: then each page of the large `lsh` index is
# written once for many keys instead of once for every few (schema version 6).
LSH_MERGE_KEYS = 640_000
KEY_TABLES = ("lsh", "lsh_new")  # every stored band key is in one of them
# A new post meets at most this many holders of each of its band keys, the latest stored. Copies
# of one story share a key with a few dozen posts at most (41 on the real news set), but a bot
# that posts the same text with new numbers all day (rates, weather) puts every post of its
# channel behind the same keys, and meeting them all made such a channel quadratic in its size.
KEY_HOLDERS = 100


def stored_keys_where(condition: str, params: Sequence[Any]) -> tuple[str, list[Any]]:
    """The query for the (key, post) rows of every band-key table that meet `condition`, each
    table through its own index, and its parameters (`params`, once per table)."""
    sql = " UNION ALL ".join(f"SELECT key, post FROM {table} WHERE {condition}" for table in KEY_TABLES)
    return sql, list(params) * len(KEY_TABLES)


_CORRECTION_COLUMNS = ", ".join(CORRECTION_KEYS)


def _content_of(recent: dict, rowid: int) -> frozenset[str]:
    """The content lemmas of a recent post, cut from its lemma string the first time they are asked for."""
    when, channel, words, dt = recent[rowid]
    if isinstance(words, str):
        words = content_lemmas(words)
        recent[rowid] = (when, channel, words, dt)
    return words


def _windowed(fts: Any, where: str, sort: str | None) -> bool:
    """A relevance search without filters: it ranks the newest matches only (`rank_window`)."""
    return fts is not None and not where and sort == "relevance"


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


def _day_after(iso: str) -> str | None:
    """The ISO date after `iso` (an inclusive upper bound made exclusive), None when not a date."""
    try:
        return (date.fromisoformat(iso[:10]) + timedelta(days=1)).isoformat()
    except ValueError:
        return None


def _dicts(cursor: Any) -> Iterator[dict]:
    """The rows of a cursor as dicts keyed by column name (both drivers fill `description`)."""
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


class SqlStore:
    """The shared part of `SqliteStore` and `PostgresStore` (see the module's docstring)."""

    conn: Any  # a connection whose execute/executemany take `?` placeholders
    location: str
    dup_threshold: float
    _rows: int  # MinHash rows per band, for the threshold
    _asof_end: str | None
    # SQL that is spelled differently: SQLite's `IS ?` is PostgreSQL's IS NOT DISTINCT FROM.
    _IS = "IS"
    _IS_NOT = "IS NOT"
    rank_window = RANK_WINDOW

    def _set_dedup(self, dup_threshold: float, reword_days: float, reword_threshold: float) -> None:
        """The duplicate rules' settings (prepare/dedup.py, annotate/reworded.py), for both stores' constructors."""
        self.dup_threshold = dup_threshold
        self._rows = band_rows(dup_threshold)
        self._bands = NUM_PERM // self._rows  # band keys per post
        self.reword_days = reword_days  # 0 turns the reworded-copy rule off
        self.reword_threshold = reword_threshold
        # rowid -> (date as stored, channel, lemma string or its content lemmas, naive date) of
        # recently met posts, for reworded-copy checks
        self._recent: dict[int, tuple[str | None, str, str | frozenset[str], datetime | None]] = {}
        self._key_filter: KeyFilter | None = None
        self._filter_mark = 0  # the filter holds the band keys of every post up to this rowid
        self._keys_written = 0  # band keys this store has written
        self._filter_due = KEY_FILTER_AFTER  # ... when it builds the filter
        self._waiting_keys: int | None = None  # rows in `lsh_new` (read when first needed)
        self._others_mark: int | None = None  # how the database counted other writers' commits
        self._crowded_keys: set[int] = set()  # band keys seen with more than KEY_HOLDERS holders

    def _see_other_writers(self, mark: int) -> None:
        """At the start of a writing transaction: `mark` differs from the last one seen when
        another writer committed in between, and what this one cached of stored posts (the
        reworded-copy checks' lemmas) may have been edited: it is read again when needed."""
        if mark != self._others_mark:
            self._recent.clear()
        self._others_mark = mark

    # ---- hooks each store fills in -------------------------------------------------------
    def transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _index_lemmas(self, conn: Any, rows: list[tuple[int, str]], fresh: bool = False) -> None:
        """Put (rowid, lemma string) rows into the full-text index, replacing what was there
        (nothing, when `fresh`)."""
        raise NotImplementedError

    def _insert_posts(self, conn: Any, rows: list[dict]) -> dict[str, int]:
        """Insert new post rows (dicts of posts' columns); returns the rowid of each post id."""
        raise NotImplementedError

    def _bulk_insert(self, conn: Any, table: str, columns: str, rows: list[tuple]) -> None:
        """Insert many rows into `table` (columns as in an INSERT's column list)."""
        raise NotImplementedError

    def _stream_query(self, sql: str, args: Sequence = ()) -> Iterator[tuple]:
        """Rows of a query read a page at a time, for results too large to hold."""
        return iter(self.conn.execute(sql, args))

    def _insert_id(self, conn: Any, sql: str, args: Sequence) -> int:
        """Run an INSERT and return the id the database gave the new row."""
        return int(conn.execute(sql, args).lastrowid)

    def _search_ids(self, fts: Any, where: str, args: list, sort: str | None) -> tuple[str, list]:
        """(rowid, score) of the matching posts in the asked order (lower score is better)."""
        raise NotImplementedError

    def _best_of_newest(self, fts: Any, limit: int, offset: int, window: int) -> list[tuple[int, float]]:
        """A page of (rowid, score) of a relevance search without filters: the best of the
        newest `window` matches."""
        raise NotImplementedError

    def _compile_query(self, query: str) -> Any:
        """The query as this store's index is asked it (QueryError when it is malformed)."""
        raise NotImplementedError

    def _match_count(self, fts: Any) -> tuple[int, bool]:
        """How many posts match, and whether that is all of them (a store may stop counting)."""
        raise NotImplementedError

    def _probe_page(
        self, fts: Any, where: str, args: list, total: int, limit: int, offset: int
    ) -> list[tuple] | None:
        return None

    def _query_failure(self, exc: Exception) -> bool:
        """Whether a database error raised by a search is the user's query (not a broken database)."""
        return False

    def _temp_table(self, name: str, columns: str) -> None:
        """Create (or empty) a temporary table of this connection."""
        self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")
        self.conn.execute(f"DELETE FROM {name}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

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
        try:
            return self._write_batch(items, result)
        except BaseException:
            # The filter may now hold keys and a mark of rowids that were rolled back, and another
            # writer may take those rowids: it is read again from the database when next due.
            self._key_filter = None
            self._waiting_keys = None
            raise

    def _write_batch(self, items: list[PreparedPost], result: WriteResult) -> WriteResult:
        with self.transaction() as conn:
            ids = [p.post.id for p in items]
            known = self.revisions(ids)
            fresh: list[PreparedPost] = []
            later: list[PreparedPost] = []  # edits, and a second version of a post in this batch
            fresh_ids: set[str] = set()
            for pid, item in zip(ids, items, strict=True):
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

    def _insert_many(self, conn: Any, items: list[PreparedPost]) -> None:
        """New posts: rows, index and annotations written in bulk, one table at a time;
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
        rowids = self._insert_posts(conn, rows)
        # A post's id is a hash of its source, channel and message id: looked up once here.
        members = [(rowids[row["id"]], item) for row, item in zip(rows, items, strict=True)]
        self._index_lemmas(conn, [(r, i.lemmas) for r, i in members], fresh=True)
        self._group(conn, members)
        annotated = [(r, i.annotation) for r, i in members if i.annotation is not None]
        self._bulk_insert(
            conn, "mentions", 'post, actor, kind, start, "end", text',
            [(r, m.actor, m.kind, m.start, m.end, m.text) for r, a in annotated for m in a.mentions],
        )  # fmt: skip
        self._bulk_insert(
            conn,
            "post_actors",
            "actor, post, about, salience",
            [row for r, a in annotated for row in _actor_rows(r, a)],
        )
        self._bulk_insert(
            conn, "theme_hits", 'post, theme, start, "end", text',
            [(r, t.theme, t.start, t.end, t.text) for r, a in annotated for t in a.themes],
        )  # fmt: skip
        self._bulk_insert(
            conn,
            "post_themes",
            "theme, post, about, score",
            [row for r, a in annotated for row in _theme_rows(r, a)],
        )
        self._apply_corrections(conn, [r for r, _ in annotated])

    def _update(self, conn: Any, item: PreparedPost) -> None:
        row = self._row(item)
        rowid, old_root = conn.execute(
            "SELECT rowid, dup_root FROM posts WHERE id=?", (row["id"],)
        ).fetchone()
        sets = ", ".join(f"{c}=:{c}" for c in row if c != "id")
        conn.execute(f"UPDATE posts SET {sets} WHERE id=:id", row)
        self._index_lemmas(conn, [(rowid, item.lemmas)])
        # The text changed: leave the old group and find the post's place again.
        for table in (*KEY_TABLES, "reword_lsh"):
            conn.execute(f"DELETE FROM {table} WHERE post=?", (rowid,))
        self._recent.pop(rowid, None)
        conn.execute("DELETE FROM dup_links WHERE post=? OR other=?", (rowid, rowid))
        conn.execute("UPDATE posts SET dup_root=id WHERE rowid=?", (rowid,))
        if old_root == row["id"]:
            self._reroot(conn, row["id"])
        self._group(conn, [(rowid, item)])
        if item.annotation is not None:
            self._write_annotation(conn, rowid, item.annotation, item.annotated_with)

    def _reroot(self, conn: Any, old_root: str) -> None:
        members = conn.execute(
            "SELECT id, date FROM posts WHERE dup_root=? AND id<>?", (old_root, old_root)
        ).fetchall()
        if members:
            new_root = earliest_root((m[0], m[1], m[0]) for m in members)
            conn.execute("UPDATE posts SET dup_root=? WHERE dup_root=?", (new_root, old_root))

    def _group(self, conn: Any, members: list[tuple[int, PreparedPost]]) -> None:
        """Join each new post (rowid, item), in order, to every duplicate group it matches,
        merging them if several.

        Besides the group root, the post's direct matches are kept in `dup_links` with the kind
        of match (exact, near, reworded): a later post can bridge two groups, and an analysis
        of an earlier year must not see that bridge (see `_groups_as_of`: groups as of a date).

        The stored posts a batch may copy are read for the whole batch at once (content hashes
        and MinHash band keys, sorted), and each post also meets the batch's posts before it:
        the same matches as one post at a time, in a few queries instead of a few per post.
        """
        keys_of = {rowid: self._band_keys(item) for rowid, item in members if item.signature}
        exact = self._same_content(
            conn,
            {item.content_hash for _, item in members if item.content_hash},
            LINKS_PER_GROUP * 8 + len(members),
        )
        wanted = sorted({k for keys in keys_of.values() for k in keys})
        stored = self._sharing_keys(conn, self._maybe_stored(conn, wanted))
        # Band key -> this batch's latest posts so far (at most KEY_HOLDERS, oldest first).
        earlier: dict[int, dict[int, tuple[str | None, bytes]]] = {}
        later = {rowid for rowid, _ in members}  # this batch's posts not grouped yet
        for rowid, item in members:
            later.discard(rowid)
            posted = _iso(item.post.date)
            matches: list[tuple[int, str | None, str]] = []  # (rowid, date, kind) of matched posts
            if item.content_hash:
                # Like the other rules, a post meets the posts stored before it only: what it
                # links to does not depend on how many posts a batch holds.
                same = [m for m in exact.get(item.content_hash, ()) if m[0] != rowid and m[0] not in later]
                matches += [(other, when, "exact") for other, when in same[: LINKS_PER_GROUP * 8]]
            if rowid in keys_of:
                candidates: dict[int, tuple[str | None, bytes]] = {}  # rowid -> (date, signature)
                for key in keys_of[rowid]:
                    # The key's latest KEY_HOLDERS posts before this one: the batch's, then
                    # the latest stored, as if the posts were written one at a time.
                    ours = earlier.setdefault(key, {})
                    room = KEY_HOLDERS - len(ours)
                    if room > 0:
                        candidates.update(stored.get(key, ())[-room:])
                    candidates.update(ours)
                    ours[rowid] = (posted, item.signature)
                    if len(ours) > KEY_HOLDERS:
                        del ours[next(iter(ours))]
                signed = [(other, when, sig) for other, (when, sig) in candidates.items() if sig]
                near = similarities(item.signature, [sig for _, _, sig in signed])
                matches += [
                    (other, when, "near")
                    for (other, when, _), sim in zip(signed, near, strict=True)
                    if sim >= self.dup_threshold
                ]
            bands = item.reword_bands
            if bands is None and item.annotation is not None:  # prepared by hand, not by a Preparer
                found = reword_print(item.lemmas, item.post.text, item.annotation.actors)
                bands = found.bands if found else []
            if bands and item.post.date is not None:
                matches += self._reworded(
                    conn,
                    rowid,
                    bands,
                    item.post.date,
                    item.post.channel,
                    item.lemmas,
                    {m[0] for m in matches},
                )
            if matches:
                pid = item.post.id
                self._join(conn, rowid, pid, posted, pid, matches)
        rows = sorted((key, rowid) for rowid, keys in keys_of.items() for key in keys)
        conn.executemany("INSERT INTO lsh_new(key, post) VALUES (?, ?)", rows)
        self._remember_keys(conn, [key for key, _ in rows], max(keys_of, default=0))
        self._move_waiting_keys(conn, len(rows))

    def _move_waiting_keys(self, conn: Any, added: int) -> None:
        """Move the keys of `lsh_new` into `lsh`, in key order, once it holds LSH_MERGE_KEYS."""
        if self._waiting_keys is None:
            self._waiting_keys = conn.execute("SELECT count(*) FROM lsh_new").fetchone()[0]
        else:
            self._waiting_keys += added  # another writer's keys are counted when next read
        if self._waiting_keys >= LSH_MERGE_KEYS:
            conn.execute("INSERT INTO lsh(key, post) SELECT key, post FROM lsh_new ORDER BY key, post")
            conn.execute("DELETE FROM lsh_new")
            self._waiting_keys = None

    # ---- the band-key filter (store/key_filter.py) -------------------------------------------
    def _maybe_stored(self, conn: Any, keys: list[int]) -> list[int]:
        """The band keys worth looking up: every one, or those the filter may hold, once it has
        taken in the keys other writers stored since this one last wrote."""
        found = self._key_filter
        if found is None and self._keys_written == 0 and self._newest_keyed_post(conn) == 0:
            # The database holds no band key yet: every key it will hold is one this writer
            # writes (or reads below, from another writer), so the filter can start empty now
            # instead of reading back, later, every key written until then.
            found = self._key_filter = KeyFilter(KEY_FILTER_AFTER)
            self._filter_mark = 0
        if found is None or not keys:
            return keys
        # Writers take turns (one write transaction at a time) and rowids only grow, so another
        # writer's new posts are exactly those above the mark. Its edit of an older post (keys
        # written again under a rowid below the mark) is seen at the next rebuild only: until
        # then a copy of the edited text may go unlinked.
        mark = self._filter_mark
        rows = conn.execute(*stored_keys_where("post > ?", [mark])).fetchall()
        if rows:
            found.add([key for key, _ in rows])
            self._filter_mark = max(post for _, post in rows)
        return [key for key, maybe in zip(keys, found.may_hold(keys), strict=True) if maybe]

    def _remember_keys(self, conn: Any, written: list[int], newest: int) -> None:
        """Count (or add to the filter) the band keys just written, of posts up to rowid `newest`."""
        self._keys_written += len(written)
        found = self._key_filter
        if found is not None:
            found.add(written)
            self._filter_mark = max(self._filter_mark, newest)
            if found.full:
                self._build_key_filter(conn)
        elif self._keys_written >= self._filter_due:
            stored = self._newest_keyed_post(conn) * self._bands  # about as many keys
            if self._keys_written * 8 >= stored:
                self._build_key_filter(conn)
            else:
                self._filter_due = stored // 8

    def _newest_keyed_post(self, conn: Any) -> int:
        newest = " UNION ALL ".join(f"SELECT max(post) AS m FROM {table}" for table in KEY_TABLES)
        q = f"SELECT max(m) FROM ({newest}) t"
        return conn.execute(q).fetchone()[0] or 0

    def _build_key_filter(self, conn: Any) -> None:
        top = self._newest_keyed_post(conn)
        found = KeyFilter(top * self._bands)
        for low in range(0, top, FILTER_READ_POSTS):
            high = low + FILTER_READ_POSTS
            rows = conn.execute(*stored_keys_where("post > ? AND post <= ?", [low, high])).fetchall()
            found.add([key for key, _ in rows])
        self._key_filter, self._filter_mark = found, top

    def _band_keys(self, item: PreparedPost) -> list[int]:
        if item.bands is not None and item.bands[0] == self._rows:
            return item.bands[1]
        return band_keys(item.signature, self._rows)  # prepared for another threshold, or by hand

    def _same_content(
        self, conn: Any, hashes: set[str], limit: int
    ) -> dict[str, list[tuple[int, str | None]]]:
        """Content hash -> its `limit` earliest stored posts (rowid, date)."""
        out: dict[str, list[tuple[int, str | None]]] = {}
        for chunk in chunks(sorted(hashes)):
            q = (
                "SELECT content_hash, rowid, date FROM (SELECT content_hash, rowid, date, row_number() OVER "
                "(PARTITION BY content_hash ORDER BY date IS NULL, date, id) AS n FROM posts "
                f"WHERE content_hash IN ({','.join('?' * len(chunk))})) AS ranked WHERE n <= ? ORDER BY content_hash, n"
            )
            for content_hash, rowid, when in conn.execute(q, [*chunk, limit]):
                out.setdefault(content_hash, []).append((rowid, when))
        return out

    def _sharing_keys(
        self, conn: Any, keys: list[int]
    ) -> dict[int, list[tuple[int, tuple[str | None, bytes]]]]:
        """MinHash band key -> its latest KEY_HOLDERS stored posts, oldest first:
        (rowid, (date, signature))."""
        out: dict[int, list[tuple[int, tuple[str | None, bytes]]]] = {}
        crowded = [k for k in keys if k in self._crowded_keys]
        keys = [k for k in keys if k not in self._crowded_keys] if crowded else keys
        for chunk in chunks(keys, CHUNK // len(KEY_TABLES)):  # each key is asked of every table
            keys_in, params = stored_keys_where(f"key IN ({','.join('?' * len(chunk))})", chunk)
            q = f"SELECT l.key, p.rowid, p.date, p.minhash FROM ({keys_in}) l JOIN posts p ON p.rowid = l.post"
            for key, rowid, when, sig in conn.execute(q, params):
                out.setdefault(key, []).append((rowid, (when, sig)))
        # A key held by many posts (a bot's template) is read through its index from the latest
        # holder down, KEY_HOLDERS rows a table, instead of every holder each batch.
        latest = (
            "SELECT l.key, p.rowid, p.date, p.minhash FROM (SELECT key, post FROM {table} WHERE key = ? "
            "ORDER BY post DESC LIMIT ?) l JOIN posts p ON p.rowid = l.post"
        )
        for key in crowded:
            for table in KEY_TABLES:
                for _, rowid, when, sig in conn.execute(latest.format(table=table), (key, KEY_HOLDERS)):
                    out.setdefault(key, []).append((rowid, (when, sig)))
        for key, held in out.items():
            held.sort(key=itemgetter(0))
            if len(held) > KEY_HOLDERS:
                del held[:-KEY_HOLDERS]
                self._crowded_keys.add(key)
        return out

    def _join(
        self, conn: Any, rowid: int, pid: str, date: str | None, own_root: str,
        matches: list[tuple[int, str | None, str]],
    ) -> None:  # fmt: skip
        """Link the post to its matches (rowid, date, kind) and merge its group (rooted at
        `own_root`) with theirs."""
        if not matches:
            return
        root_of: dict[int, str] = {}
        others = sorted({m[0] for m in matches})
        for chunk in chunks(others):
            q = f"SELECT rowid, dup_root FROM posts WHERE rowid IN ({','.join('?' * len(chunk))})"
            root_of.update(conn.execute(q, list(chunk)))
        roots = set(root_of.values()) - {own_root}
        if not roots:
            return
        roots.add(own_root)
        # Link to the earliest matches of each group: those are the ones an earlier year sees.
        # A pair matched two ways keeps the strongest kind (exact before near before reworded).
        kind_of: dict[int, str] = {}
        for other, _, kind in matches:
            if other not in kind_of or LINK_KINDS.index(kind) < LINK_KINDS.index(kind_of[other]):
                kind_of[other] = kind
        linked: dict[str, list[int]] = {}
        for other, _ in sorted({m[:2] for m in matches}, key=lambda m: (m[1] is None, m[1] or "", m[0])):
            root = root_of[other]
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
        self, conn: Any, rowid: int, bands: list[int], date: datetime, channel: str,
        lemmas: str, known: set[int],
    ) -> list[tuple[int, str | None, str]]:  # fmt: skip
        """Stored posts (rowid, date, "reworded") this post retells or that retell it
        (annotate/reworded.py: the rule); its band keys are stored too.

        Candidates share a band key of the lemma MinHash, which is salted with the actors and
        numbers, so they have those in common; the channels, the date window and the lemma
        containment, checked here on the full-text index's lemmas, decide.
        """
        when = date.replace(tzinfo=None)  # stored dates carry no offset
        day = when.toordinal() - EPOCH
        conn.executemany(
            "INSERT INTO reword_lsh(week, key, day, post) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(day // 7, k, day, rowid) for k in bands],
        )
        if self.reword_days <= 0:
            return []
        # Keys are indexed by (week, key): the lookup reads the weeks of the window only, whatever
        # the database holds, and a new post's keys are written beside its neighbours'. A post
        # shares several keys with a close retelling: SQLite keeps one row of each.
        reach = math.ceil(self.reword_days)
        weeks = range((day - reach) // 7, (day + reach) // 7 + 1)
        q = (
            f"SELECT DISTINCT post FROM reword_lsh WHERE week IN ({','.join('?' * len(weeks))}) "
            f"AND key IN ({','.join('?' * len(bands))}) AND day BETWEEN ? AND ?"
        )
        found = {c for (c,) in conn.execute(q, [*weeks, *bands, day - reach, day + reach])}
        found.discard(rowid)
        recent = self._recent
        # The date as stored, and naive. The lemmas are cut to their content words only if a later
        # post meets this one as a candidate: most posts never are one (`_content_of`).
        recent[rowid] = (_iso(date), channel, lemmas, when)
        if not found:
            return []
        # Candidates are posts of the last days: most were met moments ago and are read from
        # `_recent`; the full-text index's lemmas, costly to read, are fetched only for the rest.
        missing = sorted(c for c in found if c not in recent)
        for chunk in chunks(missing):
            q = (
                "SELECT p.rowid, p.date, p.channel, f.lemmas FROM posts p "
                f"JOIN posts_fts f ON f.rowid = p.rowid WHERE p.rowid IN ({','.join('?' * len(chunk))})"
            )
            for other, their_date, their_channel, their_lemmas in conn.execute(q, list(chunk)):
                their_when = datetime.fromisoformat(their_date).replace(tzinfo=None) if their_date else None
                recent[other] = (their_date, their_channel, their_lemmas or "", their_when)
        window = timedelta(days=self.reword_days)
        earliest, latest = _iso(when - window), _iso(when + window)
        hits = []
        for other in sorted(found - known):
            their_date, their_channel, _, their_when = recent.get(other, (None, None, None, None))
            # A channel's own posts are never its copies (is_reworded): skipped before any test.
            if their_date is None or their_channel == channel or not earliest <= their_date <= latest:
                continue
            hours = (their_when - when).total_seconds() / 3600
            if is_reworded(
                _content_of(recent, rowid),
                _content_of(recent, other),
                hours,
                their_channel == channel,
                self.reword_days,
                self.reword_threshold,
            ):
                hits.append((other, their_date, "reworded"))
        if len(recent) > RECENT_POSTS:  # keep the newest half: candidates come from the last days
            for old in list(islice(recent, len(recent) // 2)):
                del recent[old]
        return hits

    def link_reworded(self, conn: Any, rowids: Iterable[int] | None = None) -> int:
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
                list(chunk),
            ):
                actors.setdefault(r, []).append(actor)
            rows = {
                r[0]: r
                for r in conn.execute(
                    "SELECT p.rowid, p.id, p.date, p.channel, p.text, coalesce(f.lemmas, '') FROM posts p "
                    f"LEFT JOIN posts_fts f ON f.rowid = p.rowid WHERE p.rowid IN ({marks})",
                    list(chunk),
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

    def _write_annotation(self, conn: Any, rowid: int, ann: Annotation, fingerprint: str | None) -> None:
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
            indexed: list[tuple[int, str]] = []
            for pid, annotation, lemmas in items:
                rowid = rowids.get(pid)
                if rowid is None:
                    continue  # deleted meanwhile
                self._write_annotation(conn, rowid, annotation, fingerprint)
                indexed.append((rowid, lemmas))
                self._recent.pop(rowid, None)
            self._index_lemmas(conn, indexed)
            # Posts stored without annotation had no actors, hence no reworded-copy keys: now they can.
            self.link_reworded(conn, rowids.values())
            self._asof_end = None

    def record_file(
        self, path: str, fmt: str, posts: int, new: int, updated: int, service: int, problems: int
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO files(path, format, posts, new, updated, service, problems, read_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET format = excluded.format, "
                "posts = excluded.posts, new = excluded.new, updated = excluded.updated, "
                "service = excluded.service, problems = excluded.problems, read_at = excluded.read_at",
                (path, fmt, posts, new, updated, service, problems, _now()),
            )

    # ---- cursors for live collection --------------------------------------------------------
    def get_cursor(self, source: str) -> str | None:
        row = self.conn.execute("SELECT value FROM cursors WHERE source=?", (source,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, source: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO cursors(source, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(source) "
                "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (source, value, _now()),
            )

    # ---- reading ----------------------------------------------------------------------------
    def count_posts(self) -> int:
        return self.conn.execute("SELECT count(*) FROM posts").fetchone()[0]

    def _rowids(self, conn: Any, ids: list[str]) -> dict[str, int]:
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
            after = _day_after(f.date_to)
            parts.append("AND p.date < ?" if after else "AND 1 = 0")  # not a date: nothing is before it
            if after:
                args.append(after)
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
        posts = self._stream_query(
            "SELECT rowid, id, source, channel, message_id, author, date, url, lang, text, forwarded_from, "
            "dup_root, in_scope FROM posts ORDER BY rowid"
        )
        side = {
            "actors": self._stream("SELECT post, actor, about FROM post_actors ORDER BY post, actor"),
            "themes": self._stream("SELECT post, theme, about FROM post_themes ORDER BY post, theme"),
            "mentions": self._stream('SELECT post, actor, kind, start, "end", text FROM mentions ORDER BY post, start, "end"'),
            # a post's links in both directions: a copy stored before its original is the `other` side
            "links": self._stream("SELECT r, kind FROM (SELECT post AS r, kind FROM dup_links UNION ALL "
                                  "SELECT other, kind FROM dup_links) AS l ORDER BY r"),
        }  # fmt: skip
        names = ("rowid", "id", "source", "channel", "message_id", "author", "date", "url", "lang", "text",
                 "forwarded_from", "dup_root", "in_scope")  # fmt: skip
        for values in posts:
            row = dict(zip(names, values, strict=True))
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
        return _MergeStream(self._stream_query(sql))

    def group_sizes(self) -> dict[str, int]:
        """Size of every duplicate group with more than one post, keyed by its root id."""
        return dict(
            self.conn.execute("SELECT dup_root, count(*) FROM posts GROUP BY dup_root HAVING count(*) > 1")
        )

    def vector_counts(self, vectors_of: dict[str, list[str]]) -> list[tuple[str, int]]:
        """Posts per partner vector, given each actor's vectors (a post counts once per vector)."""
        self._temp_table("actor_vectors", "actor TEXT, vector TEXT")
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
                "SELECT count(*) FROM (SELECT 1 FROM posts GROUP BY dup_root HAVING count(*) > 1) AS g"
            ),
            "largest_group": one(
                "SELECT coalesce(max(n), 1) FROM (SELECT count(*) AS n FROM posts GROUP BY dup_root) AS g"
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
        self._temp_table("asof_copy", "rowid INTEGER PRIMARY KEY, root INTEGER NOT NULL")
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
        self._bulk_insert(conn, "asof_copy", "rowid, root", copies)
        self._asof_end = end

    def lemmas(self, content: Content) -> list[str]:
        """The lemma string (full-text index) of every post of `content`, in its order."""
        return [lem for page in self.lemma_pages(content.ids) for lem in page]

    def lemma_pages(self, ids: Sequence[str], size: int = LEMMA_PAGE) -> Iterator[list[str]]:
        """The lemma strings of the posts `ids`, in their order, `size` posts at a time: a caller
        that only counts words never holds every post's string."""
        for first in range(0, len(ids), size):
            page = ids[first : first + size]
            where = {pid: i for i, pid in enumerate(page)}
            out = [""] * len(page)
            for chunk in chunks(page):
                q = (
                    "SELECT p.id, f.lemmas FROM posts p JOIN posts_fts f ON f.rowid = p.rowid "
                    f"WHERE p.id IN ({','.join('?' * len(chunk))})"
                )
                for pid, lem in self.conn.execute(q, list(chunk)):
                    out[where[pid]] = lem or ""
            yield out

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

    def channel_months(self, start: str, end: str) -> list[tuple[str, str, int, str, str]]:
        """(channel, YYYY-MM, posts, first date, last date) of every post dated in [start, end):
        copies and off-topic posts included (what was collected, for the report's coverage)."""
        return self.conn.execute(
            "SELECT channel, substr(date, 1, 7) AS month, count(*), min(date), max(date) FROM posts "
            "WHERE date >= ? AND date < ? GROUP BY channel, month ORDER BY channel, month",
            (start, end),
        ).fetchall()

    def channel_genres(self) -> list[tuple[str, str, int]]:
        """(channel, genre or "", posts) over every post: what a channel's voice is guessed from."""
        return self.conn.execute(
            "SELECT channel, coalesce(genre, ''), count(*) FROM posts GROUP BY channel, 2 ORDER BY channel, 2"
        ).fetchall()

    def channel_genres_and_links(self) -> tuple[list[tuple[str, str, int]], dict[str, str]]:
        """`channel_genres()` and `channel_links()` from one pass over the posts (each is a full
        scan of the table, texts and all)."""
        rows = self.conn.execute(
            "SELECT channel, coalesce(genre, ''), count(*), min(CASE WHEN url LIKE '%t.me/%' THEN url END) "
            "FROM posts GROUP BY channel, 2 ORDER BY channel, 2"
        ).fetchall()
        links: dict[str, str] = {}
        for channel, _, _, url in rows:  # text compares byte by byte in both stores, as here
            if url is not None and (channel not in links or url < links[channel]):
                links[channel] = url
        return [(channel, genre, posts) for channel, genre, posts, _ in rows], links

    def channel_links(self) -> dict[str, str]:
        """Channel -> one of its Telegram post links (t.me/<handle>/<id>), to read its handle from."""
        return dict(
            self.conn.execute(
                "SELECT channel, min(url) FROM posts WHERE url LIKE '%t.me/%' GROUP BY channel ORDER BY channel"
            ).fetchall()
        )

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
            new_id = self._insert_id(
                conn,
                "INSERT INTO corrections(post, field, value, action, author, created_at, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (post, field, value, action, author, created_at or _now(), note),
            )
            rowids = [r for (r,) in conn.execute("SELECT rowid FROM posts WHERE id = ?", (post,))]
            self._apply_corrections(conn, rowids)
            return new_id

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
                is_ = self._IS
                when = f"AND created_at {is_} ?" if key[5] is not None else "AND (CAST(? AS TEXT) IS NULL)"
                same = conn.execute(
                    f"SELECT 1 FROM corrections WHERE post = ? AND field {is_} ? AND value {is_} ? "
                    f"AND action {is_} ? AND author {is_} ? {when} AND note {is_} ?",
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

    def _apply_corrections(self, conn: Any, rowids: list[int]) -> None:
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

    def dashboard_overview(self) -> dict:
        """Corpus size, dates, coverage by month and language, channels, annotation state."""
        c = self.conn
        posts, channels, first, last, undated, annotated, in_scope, copies, forwards = c.execute(
            "SELECT count(*), count(DISTINCT channel), min(date), max(date), count(*) - count(date), "
            "count(in_scope), coalesce(sum(in_scope), 0), coalesce(sum(CASE WHEN dup_root <> id THEN 1 ELSE 0 END), 0), "
            "count(forwarded_from) FROM posts"
        ).fetchone()
        months = [
            {"month": m, "posts": n, "content": k, "in_scope": s}
            for m, n, k, s in c.execute(
                "SELECT substr(date, 1, 7) AS m, count(*), coalesce(sum(CASE WHEN dup_root = id THEN 1 ELSE 0 END), 0), "
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
        with self._query_errors(query):
            return self._search_page(query, filters, duplicates, about, sort, limit, offset, count_limit)

    @contextmanager
    def _query_errors(self, query: str | None) -> Iterator[None]:
        """The database's complaint about a malformed query as a QueryError naming it."""
        try:
            yield
        except Exception as e:
            if not self._query_failure(e):
                raise  # a locked or broken database is not the user's query
            raise QueryError(f"cannot search for {query!r}: {e}") from None

    def search(
        self, query: str, limit: int = 20, filters: SearchFilters | None = None, offset: int = 0,
        about: bool = False,
    ) -> list[dict]:  # fmt: skip
        """Posts matching a lemma-aware query, best first, with optional filters (an actor or
        theme filter matches any mention; with `about`, only posts that are about it). Each hit:
        {id, channel, date, lang, text, dup_root, url, score}; a higher score is a better match.
        Ranked as a dashboard page is: in the index alone, then only the page's posts are read."""
        where, args = self._dashboard_filters(filters, "show", about)
        with self._query_errors(query):
            fts = self._compile_query(query)
            # A list reaching past the window ranks as far as it reaches (a script asking for
            # 50,000 hits gets them); the dashboard's pages stop at the window instead.
            page = self._page(
                fts, where, args, "relevance", limit, offset, max(self.rank_window, offset + limit)
            )
        found = self._search_rows([r for r, _ in page])
        hits = []
        for rowid, score in page:
            row = found[rowid]
            hits.append({
                "id": row["id"], "channel": row["channel"], "date": row["date"], "lang": row["lang"],
                "text": row["text"], "dup_root": row["duplicate_of"] or row["id"], "url": row["url"],
                "score": -score,
            })  # fmt: skip
        return hits

    def _search_page(
        self, query: str | None, filters: SearchFilters | None, duplicates: str, about: bool, sort: str,
        limit: int, offset: int, count_limit: int,
    ) -> dict:  # fmt: skip
        fts = self._compile_query(query) if query and query.strip() else None
        where, args = self._dashboard_filters(filters, duplicates, about)
        if not where and fts:
            total, exact = self._match_count(fts)
        elif not where:
            total, exact = self.conn.execute("SELECT count(*) FROM posts").fetchone()[0], True
        else:
            inner, inner_args = self._search_ids(fts, where, args, None)
            n = self.conn.execute(
                f"SELECT count(*) FROM ({inner} LIMIT ?) AS m", [*inner_args, count_limit + 1]
            ).fetchone()[0]
            total, exact = min(n, count_limit), n <= count_limit
        page = None
        if exact and total <= offset:  # counted every match already: nothing on this page
            page = []
        elif fts is not None and where and sort == "relevance":
            page = self._probe_page(fts, where, args, total, limit, offset)
        if page is None:
            page = self._page(fts, where, args, sort, limit, offset, self.rank_window)
        found = {"results": self._page_rows(page), "total": total, "total_exact": exact}
        if _windowed(fts, where, sort) and (total > self.rank_window or not exact):
            found["ranked"] = self.rank_window  # the best of the newest rank_window matches
        return found

    def _page(
        self, fts: Any, where: str, args: list, sort: str, limit: int, offset: int, window: int
    ) -> list[tuple]:
        """A page of (rowid, score) in the asked order. Relevance without filters ranks the
        newest `window` matches only (a common word in a million posts has hundreds of thousands)."""
        if _windowed(fts, where, sort):
            return self._best_of_newest(fts, limit, offset, window)
        sql, sql_args = self._search_ids(fts, where, args, sort)
        return self.conn.execute(f"{sql} LIMIT ? OFFSET ?", [*sql_args, limit, offset]).fetchall()

    def _page_rows(self, page: list[tuple[int, float | None]]) -> list[dict]:
        """The result rows of a page of (rowid, rank) pairs, in its order, with their tags;
        the rank (lower is better) becomes a score where higher is better."""
        found = self._search_rows([r for r, _ in page])
        rows = []
        for rowid, score in page:
            row = found[rowid]
            row["score"] = None if score is None else round(-score, 4)
            rows.append(row)
        self._attach_tags(rows)
        return rows

    def iter_search(
        self, query: str | None, filters: SearchFilters | None = None, *, duplicates: str = "show",
        about: bool = False, sort: str = "relevance", limit: int = 1_000_000,
    ) -> Iterator[dict]:  # fmt: skip
        """Every post of a search, in pages of 500 (for downloads). Holds a read cursor: use a
        connection of its own while the rest of the program writes."""
        fts = self._compile_query(query) if query and query.strip() else None
        where, args = self._dashboard_filters(filters, duplicates, about)
        sql, sql_args = self._search_ids(fts, where, args, sort)
        found_rows = self._stream_query(f"{sql} LIMIT ?", [*sql_args, limit])
        while True:
            page = list(islice(found_rows, 500))
            if not page:
                return
            yield from self._page_rows(page)

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
        row = next(_dicts(self.conn.execute("SELECT * FROM posts WHERE id = ?", (post_id,))), None)
        if row is None:
            return None
        rowid = row["rowid"]
        post = {k: v for k, v in row.items() if k not in ("rowid", "minhash", "revision", "content_hash")}
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
            f"SELECT count(*), coalesce(sum(CASE WHEN p.dup_root = p.id THEN 1 ELSE 0 END), 0), {about_sum}, min(p.date), max(p.date) {base}",
            args,
        ).fetchone()
        months = [
            {"month": m, "posts": n, "content": k, "about": ab}
            for m, n, k, ab in c.execute(
                f"SELECT substr(p.date, 1, 7) AS m, count(*), coalesce(sum(CASE WHEN p.dup_root = p.id THEN 1 ELSE 0 END), 0), {about_sum} "
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
            "JOIN post_actors o ON o.post = p.rowid",
            "o.actor",
            f"AND o.actor {self._IS_NOT} ?",
            (skip_actor,),
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


class _MergeStream:
    """Walks a query ordered by post rowid alongside the posts query (a merge join)."""

    def __init__(self, rows: Iterator[tuple]):
        self._rows = rows
        self._next = next(rows, None)

    def take(self, rowid: int) -> list[tuple]:
        out = []
        while self._next is not None and self._next[0] <= rowid:
            if self._next[0] == rowid:
                out.append(self._next)
            self._next = next(self._rows, None)
        return out
