"""The one interface every store implements, and the frames it hands to analysis.

Analysis never sees a connection, a cursor or a row number: it asks a `Store` for plain
values keyed by post ids, and for `Content`, the in-scope content posts of a date range as
numpy arrays and sparse indicator matrices. SQLite (`store/sqlite.py`) is the embedded
default; PostgreSQL (`store/postgres.py`) is the same interface on a server.

A **content post** is one duplicate group, represented by its root (the group's earliest
post): a text forwarded, reposted, pasted again or retold by another channel counts once
(docs/duplicates.md), dated by its root. A group counts when its root is in scope and dated inside the range, with the groups rebuilt as they
stood at the range's end (no look-ahead: a later post that bridged two groups cannot change an
earlier year). The other posts of the group dated before the end are its **amplification**
(copies, and the forwards and views of all its posts); the channels they appeared in count for
**reach**.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from multivector.model import Annotation, InputError, PreparedPost

if TYPE_CHECKING:  # scipy is for the analysis side; an ingest worker never needs it
    import scipy.sparse as sp

EPOCH = date(1970, 1, 1).toordinal()
CHUNK = 900  # ids per IN (...) list: below SQLite's default limit of bound parameters


def year_range(year: int) -> tuple[str, str]:
    """[start, end) of a calendar year as ISO dates."""
    return f"{year:04d}-01-01", f"{year + 1:04d}-01-01"


def day_number(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date (or datetime) string."""
    return date.fromisoformat(iso[:10]).toordinal() - EPOCH


def iso_day(day: int) -> str:
    return date.fromordinal(int(day) + EPOCH).isoformat()


def chunks(seq: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


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


@dataclass
class Content:
    """In-scope content posts dated in [start, end), sorted by post id."""

    start: str
    end: str
    ids: list[str]  # post id of each group's root
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
        return len(self.ids)

    def subset(self, mask: np.ndarray) -> Content:
        """The posts where `mask` is true (a boolean array), in the same order."""
        idx = np.flatnonzero(mask)
        return Content(
            start=self.start, end=self.end, ids=[self.ids[i] for i in idx],
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


def codes(values: list[str]) -> tuple[list[str], np.ndarray]:
    """Sorted distinct values and the index of each value among them."""
    keys = sorted(set(values))
    index = {k: i for i, k in enumerate(keys)}
    return keys, np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))


class Coder:
    """`codes` a page at a time: values get codes in the order they are first seen, and `done`
    gives the sorted distinct values and the map from those codes to their sorted positions."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def add(self, values: Iterable[str]) -> np.ndarray:
        index = self.index
        return np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64)

    def done(self) -> tuple[list[str], np.ndarray]:
        keys = sorted(self.index)
        remap = np.zeros(len(keys), dtype=np.int64)
        for i, k in enumerate(keys):
            remap[self.index[k]] = i
        return keys, remap


def indicator(rows: np.ndarray, cols: np.ndarray, n: int, m: int) -> sp.csr_matrix:
    """An n x m 0/1 matrix with ones at (rows[i], cols[i])."""
    data = np.ones(len(rows), dtype=np.float32)
    import scipy.sparse as sp

    mat = sp.csr_matrix((data, (rows, cols)), shape=(n, m))
    mat.sum_duplicates()
    mat.data[:] = 1.0
    mat.sort_indices()
    return mat


def earliest_root(members: Iterable[tuple[Any, str | None, str]]) -> Any:
    """The key of the earliest member of a duplicate group: (key, date, post id) triples, the
    earliest date first, then the smallest id; undated posts only when nobody has a date."""
    return min(members, key=lambda m: (m[1] is None, m[1] or "", m[2]))[0]


# ---- corrections: what a record may say (see the stores' add_correction) ------------------------------
CORRECTION_FIELDS = {"actor": ("add", "remove"), "theme": ("add", "remove"), "scope": ("set",)}
CORRECTION_KEYS = ("id", "post", "field", "value", "action", "author", "created_at", "note")
_POST_ID = re.compile(r"[0-9a-f]{16}")
_TAG_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_:.\-]{0,79}")


def check_correction(post: object, field: object, value: object, action: object) -> None:
    """Raise InputError with one clear line when a correction cannot be applied."""
    if not isinstance(post, str) or not _POST_ID.fullmatch(post):
        raise InputError(f"post {post!r}: expected a post id of 16 hex characters")
    if field not in CORRECTION_FIELDS:
        raise InputError(f"field {field!r}: expected actor, theme or scope")
    if action not in CORRECTION_FIELDS[field]:
        raise InputError(
            f"action {action!r}: a {field} correction is {' or '.join(CORRECTION_FIELDS[field])}"
        )
    if field == "scope":
        if value not in ("true", "false"):
            raise InputError(f"value {value!r}: a scope correction sets true or false")
    elif not isinstance(value, str) or not _TAG_ID.fullmatch(value):
        raise InputError(
            f"value {value!r}: expected an {field} id such as {'RU' if field == 'actor' else 'nuclear_energy'}"
        )


@runtime_checkable
class Store(Protocol):
    """What ingest, annotation, analysis, the CLI and the dashboard ask of a database."""

    location: str  # the file or the server, as shown in messages

    # -- lifecycle --------------------------------------------------------------------------
    def close(self) -> None: ...
    def __enter__(self) -> Store: ...
    def __exit__(self, *exc: object) -> None: ...

    # -- writing ----------------------------------------------------------------------------
    def revisions(self, ids: Iterable[str]) -> dict[str, str]: ...
    def write_batch(self, items: list[PreparedPost]) -> WriteResult: ...
    def refresh_counts(self, counts: list[tuple[str, int | None, int | None]]) -> None: ...
    def write_annotations(
        self, items: list[tuple[str, Annotation, str]], fingerprint: str | None
    ) -> None: ...
    def record_file(
        self, path: str, fmt: str, posts: int, new: int, updated: int, service: int, problems: int
    ) -> None: ...
    def get_cursor(self, source: str) -> str | None: ...
    def set_cursor(self, source: str, value: str) -> None: ...

    # -- reading ----------------------------------------------------------------------------
    def count_posts(self) -> int: ...
    def latest_date(self) -> str | None: ...
    def known_actors(self) -> list[str]: ...
    def ids_to_annotate(self, since: str | None = None, only_stale: str | None = None) -> list[str]: ...
    def texts(self, ids: Sequence[str]) -> list[tuple[str, str, str | None]]: ...
    def search(
        self, query: str, limit: int = 20, filters: SearchFilters | None = None, offset: int = 0,
        about: bool = False,
    ) -> list[dict]: ...  # fmt: skip
    def actors_of(self, ids: Sequence[str]) -> dict[str, list[str]]: ...
    def themes_of(self, ids: Sequence[str]) -> dict[str, list[str]]: ...
    def iter_export(self) -> Iterator[dict]: ...
    def stats(self) -> dict: ...
    def vector_counts(self, vectors_of: dict[str, list[str]]) -> list[tuple[str, int]]: ...
    def group_sizes(self) -> dict[str, int]: ...

    # -- frames for analysis ----------------------------------------------------------------
    def content(self, start: str, end: str, mentions: bool = True) -> Content: ...
    def lemmas(self, content: Content) -> list[str]: ...
    def lemma_pages(self, ids: Sequence[str], size: int = ...) -> Iterator[list[str]]: ...
    def texts_by_id(self, ids: Iterable[str]) -> dict[str, str]: ...
    def texts_with_lemmas(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]: ...
    def theme_spans(self, ids: Iterable[str], theme: str) -> dict[str, list[tuple[int, int]]]: ...
    def corpus_summary(self, start: str, end: str) -> dict: ...

    # -- what a report stands on, and who speaks -------------------------------------------------
    def channel_months(self, start: str, end: str) -> list[tuple[str, str, int, str, str]]: ...
    def channel_genres(self) -> list[tuple[str, str, int]]: ...
    def channel_links(self) -> dict[str, str]: ...
    def channel_genres_and_links(self) -> tuple[list[tuple[str, str, int]], dict[str, str]]: ...
