"""Reading the store for analysis: a date range's in-scope content posts as arrays.

A **content post** is one duplicate group, represented by its root (the group's earliest
post, `dup_root = id`): a text forwarded, reposted or pasted again counts once, dated by its
root. A group counts when its root is in scope and dated inside the range. The other posts
of the group dated before the end of the range are its **amplification** (copies, and the
forwards and views of all its posts), kept apart from the content counts; the channels they
appeared in count for **reach** (the distinct channels that carried the text).

Everything is loaded as numpy arrays and sparse indicator matrices (post x theme, post x
actor, post x channel), sorted by post id, so the result does not depend on the order in
which posts were ingested, and a 200k-post database costs a few tens of megabytes.
Lemma strings and texts are fetched separately, only for the posts that need them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import scipy.sparse as sp

EPOCH = date(1970, 1, 1).toordinal()

# `asof_copy` (filled by `_groups_as_of`) lists the posts that are copies as of the range's end.
_CONTENT = "p.in_scope = 1 AND p.date >= ? AND p.date < ? AND p.rowid NOT IN (SELECT rowid FROM asof_copy)"


def year_range(year: int) -> tuple[str, str]:
    """[start, end) of a calendar year as ISO dates."""
    return f"{year:04d}-01-01", f"{year + 1:04d}-01-01"


def day_number(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date (or datetime) string."""
    return date.fromisoformat(iso[:10]).toordinal() - EPOCH


def iso_day(day: int) -> str:
    return date.fromordinal(int(day) + EPOCH).isoformat()


@dataclass
class Content:
    """In-scope content posts dated in [start, end), sorted by post id."""

    start: str
    end: str
    rowid: np.ndarray  # int64, posts.rowid of the root
    ids: list[str]  # posts.id of the root
    day: np.ndarray  # int32, days since 1970-01-01
    channel: np.ndarray  # int32, index into `channels`
    lang: np.ndarray  # int32, index into `langs`
    copies: np.ndarray  # int32, other posts of the group dated before `end`
    forwards: np.ndarray  # int64, forwards summed over the group
    views: np.ndarray  # int64, views summed over the group
    themes: sp.csr_matrix  # n x len(theme_ids), 0/1: the themes each post is about
    actors: sp.csr_matrix  # n x len(actor_ids), 0/1: the actors each post is about
    reach: sp.csr_matrix  # n x len(channels), 0/1: channels where the group's posts appeared
    channels: list[str]
    langs: list[str]
    theme_ids: list[str]
    actor_ids: list[str]
    # Every actor named, subject or in passing: the lighter measure users can still query.
    mentioned: sp.csr_matrix | None = None  # n x len(mention_ids), 0/1
    mention_ids: list[str] = field(default_factory=list)
    # The kind of text of each post (annotate/about.py: news, analysis, digest, official, other;
    # "" when not annotated), as an index into `genres`.
    genre: np.ndarray | None = None  # int32
    genres: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rowid)

    def subset(self, mask: np.ndarray) -> Content:
        """The posts where `mask` is true (a boolean array), in the same order."""
        idx = np.flatnonzero(mask)
        return Content(
            start=self.start, end=self.end, rowid=self.rowid[idx], ids=[self.ids[i] for i in idx],
            day=self.day[idx], channel=self.channel[idx], lang=self.lang[idx], copies=self.copies[idx],
            forwards=self.forwards[idx], views=self.views[idx], themes=self.themes[idx],
            actors=self.actors[idx], reach=self.reach[idx], channels=self.channels, langs=self.langs,
            theme_ids=self.theme_ids, actor_ids=self.actor_ids,
            mentioned=None if self.mentioned is None else self.mentioned[idx], mention_ids=self.mention_ids,
            genre=None if self.genre is None else self.genre[idx], genres=self.genres,
        )  # fmt: skip

    def between(self, start: str, end: str) -> Content:
        """The posts dated in [start, end) (ISO dates)."""
        part = self.subset((self.day >= day_number(start)) & (self.day < day_number(end)))
        part.start, part.end = start, end
        return part

    def theme_index(self, theme: str) -> int | None:
        try:
            return self.theme_ids.index(theme)
        except ValueError:
            return None

    def positions(self, rowids: Iterable[int]) -> np.ndarray:
        """Positions of the given rowids in this set (-1 where absent)."""
        q = np.asarray(list(rowids), dtype=np.int64)
        out = np.full(len(q), -1, dtype=np.int64)
        if not len(self.rowid) or not len(q):
            return out
        order = np.argsort(self.rowid, kind="stable")
        s = self.rowid[order]
        p = np.searchsorted(s, q).clip(0, len(s) - 1)
        hit = s[p] == q
        out[hit] = order[p[hit]]
        return out


def _codes(values: list[str]) -> tuple[list[str], np.ndarray]:
    """Sorted distinct values and the index of each value among them."""
    keys = sorted(set(values))
    index = {k: i for i, k in enumerate(keys)}
    return keys, np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))


def _indicator(rows: np.ndarray, cols: np.ndarray, n: int, m: int) -> sp.csr_matrix:
    data = np.ones(len(rows), dtype=np.float32)
    mat = sp.csr_matrix((data, (rows, cols)), shape=(n, m))
    mat.sum_duplicates()
    mat.data[:] = 1.0
    mat.sort_indices()
    return mat


def _columns(rows: list[tuple], k: int) -> list[list]:
    return [[r[i] for r in rows] for i in range(k)]


def _groups_as_of(conn: sqlite3.Connection, end: str) -> None:
    """Duplicate groups as they stood before `end`, into the temporary table `asof_copy`.

    The store keeps one group per text across all time, rooted at its earliest post. A post
    dated after `end` may have bridged two groups that were apart before it; rebuilding the
    groups from the direct matches (`dup_links`) among posts dated before `end` keeps such a
    later post from changing the counts of an earlier year (no look-ahead).
    """
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS asof_copy (rowid INTEGER PRIMARY KEY, root INTEGER NOT NULL)"
    )
    conn.execute("DELETE FROM asof_copy")
    links = conn.execute(
        "SELECT l.post, l.other FROM dup_links l JOIN posts a ON a.rowid = l.post JOIN posts b ON b.rowid = l.other "
        "WHERE a.date < ? AND b.date < ?",
        (end, end),
    ).fetchall()
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
    key: dict[int, tuple[str, str]] = {}
    everyone = list(parent)
    for chunk in _chunks(everyone):
        q = f"SELECT rowid, date, id FROM posts WHERE rowid IN ({','.join('?' * len(chunk))})"
        key.update((r, (d, i)) for r, d, i in conn.execute(q, chunk))
    copies = []
    for group in members.values():
        root = min(group, key=key.__getitem__)  # the earliest post, ties by id: as the store does
        copies.extend((m, root) for m in group if m != root)
    conn.executemany("INSERT INTO asof_copy(rowid, root) VALUES (?, ?)", copies)


def load_content(conn: sqlite3.Connection, start: str, end: str) -> Content:
    """The in-scope content posts dated in [start, end), with their themes, actors and reach."""
    _groups_as_of(conn, end)
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

    chan_names, chan_codes = _codes(list(chans) + list(m_chan))
    channel = chan_codes[:n].astype(np.int32)
    lang_names, lang_codes = _codes(list(langs_))
    lang = lang_codes.astype(np.int32)
    genre_names, genre_codes = _codes(list(genres_))
    # the root's own channel is in the join already; adding it again is harmless and covers
    # a root whose group lookup found nothing
    reach = _indicator(np.concatenate([np.arange(n), mp]), chan_codes, n, len(chan_names))

    def pairs(table: str, col: str, about_only: bool = True) -> tuple[list[str], sp.csr_matrix]:
        about = "AND t.about = 1" if about_only else ""
        sql = (
            f"SELECT t.post, t.{col} FROM posts p JOIN {table} t ON t.post = p.rowid WHERE {_CONTENT} {about}"
        )
        rs, ks = _columns(conn.execute(sql, args).fetchall(), 2)
        names, cols = _codes(list(ks))
        return names, _indicator(pos(rs) if rs else np.zeros(0, np.int64), cols, n, len(names))

    # What posts are about carries every count; mentions in passing are kept apart.
    theme_ids, themes = pairs("post_themes", "theme")
    actor_ids, actors = pairs("post_actors", "actor")
    mention_ids, mentioned = pairs("post_actors", "actor", about_only=False)
    return Content(
        start=start, end=end, rowid=rowid, ids=list(ids), day=day, channel=channel,
        lang=lang, copies=copies, forwards=fw, views=vw, themes=themes, actors=actors, reach=reach,
        channels=chan_names, langs=lang_names, theme_ids=theme_ids, actor_ids=actor_ids,
        mentioned=mentioned, mention_ids=mention_ids,
        genre=genre_codes.astype(np.int32), genres=genre_names,
    )  # fmt: skip


def load_lemmas(conn: sqlite3.Connection, content: Content) -> list[str]:
    """The lemma string (full-text index) of every post of `content`, in its order."""
    out = [""] * len(content)
    if not len(content):
        return out
    where = {int(r): i for i, r in enumerate(content.rowid)}
    sql = f"SELECT p.rowid, f.lemmas FROM posts p JOIN posts_fts f ON f.rowid = p.rowid WHERE {_CONTENT}"
    for r, lem in conn.execute(sql, (content.start, content.end)):
        i = where.get(r)
        if i is not None:
            out[i] = lem or ""
    return out


def _chunks(seq: list, size: int = 900):
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def load_texts(conn: sqlite3.Connection, rowids: Iterable[int]) -> dict[int, str]:
    """rowid -> stored text, for a few posts."""
    out: dict[int, str] = {}
    for chunk in _chunks(sorted({int(r) for r in rowids})):
        q = f"SELECT rowid, text FROM posts WHERE rowid IN ({','.join('?' * len(chunk))})"
        out.update(conn.execute(q, chunk).fetchall())
    return out


def load_texts_with_lemmas(conn: sqlite3.Connection, rowids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """rowid -> (stored text, its lemma string from the full-text index), for a few posts."""
    out: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(sorted({int(r) for r in rowids})):
        q = (
            "SELECT p.rowid, p.text, coalesce(f.lemmas, '') FROM posts p LEFT JOIN posts_fts f ON f.rowid = p.rowid "
            f"WHERE p.rowid IN ({','.join('?' * len(chunk))})"
        )
        out.update((r, (t, lem)) for r, t, lem in conn.execute(q, chunk))
    return out


def load_theme_spans(
    conn: sqlite3.Connection, rowids: Iterable[int], theme: str
) -> dict[int, list[tuple[int, int]]]:
    """rowid -> the spans where `theme` matched, for a few posts."""
    out: dict[int, list[tuple[int, int]]] = {}
    for chunk in _chunks(sorted({int(r) for r in rowids})):
        q = f'SELECT post, start, "end" FROM theme_hits WHERE theme = ? AND post IN ({",".join("?" * len(chunk))}) ORDER BY post, start'
        for post, s, e in conn.execute(q, [theme, *chunk]):
            out.setdefault(post, []).append((s, e))
    return out


def corpus_summary(conn: sqlite3.Connection, start: str, end: str) -> dict:
    """What the posts dated in [start, end) are: all of them, duplicates and off-topic included."""
    n, channels, first, last = conn.execute(
        "SELECT count(*), count(DISTINCT channel), min(date), max(date) FROM posts WHERE date >= ? AND date < ?",
        (start, end),
    ).fetchone()
    return {
        "posts": n,
        "channels": channels,
        "first_date": first[:10] if first else None,
        "last_date": last[:10] if last else None,
    }
