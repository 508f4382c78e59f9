"""Attention: how many content posts each theme, actor or partner vector got, per period.

Counts are of content posts (one per duplicate group, see `data.py`); the share of a key in
a period is its count over all in-scope content posts of that period (a post with two
themes counts for both, so theme shares need not sum to 1). Amplification (the group's
other copies, forwards and views) is a separate measure, summed per key and period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import scipy.sparse as sp

from multivector.analyze.lexicon import Lexicon
from multivector.store.base import EPOCH, Content, day_number

PERIODS = ("month", "week")


def period_label(day: int, period: str) -> str:
    d = date.fromordinal(int(day) + EPOCH)
    if period == "month":
        return f"{d.year:04d}-{d.month:02d}"
    if period == "week":
        y, w, _ = d.isocalendar()
        return f"{y:04d}-W{w:02d}"
    raise ValueError(f"period {period!r}: expected month or week")


def period_span(start: str, end: str, period: str, last_day: int | None = None) -> list[str]:
    """Every period label from `start` up to the day before `end` (or `last_day`, if earlier)."""
    first = day_number(start)
    last = day_number(end) - 1
    if last_day is not None:
        last = min(last, int(last_day))
    out: list[str] = []
    for d in range(first, last + 1):
        label = period_label(d, period)
        if not out or out[-1] != label:
            out.append(label)
    return out


def period_index(days: np.ndarray, periods: list[str], period: str) -> np.ndarray:
    """The index in `periods` of each day (-1 when outside them)."""
    where = {p: i for i, p in enumerate(periods)}
    out = np.full(len(days), -1, dtype=np.int64)
    if not len(days):
        return out
    uniq, inverse = np.unique(days, return_inverse=True)
    mapped = np.array([where.get(period_label(d, period), -1) for d in uniq], dtype=np.int64)
    return mapped[inverse]


def vector_matrix(content: Content, lexicon: Lexicon) -> tuple[list[str], sp.csr_matrix]:
    """Posts x vectors (0/1): a post belongs to every vector one of its actors belongs to."""
    vectors = list(lexicon.vectors)
    extra = sorted({v for a in content.actor_ids for v in lexicon.vectors_of(a)} - set(vectors))
    vectors += extra
    index = {v: i for i, v in enumerate(vectors)}
    rows, cols = [], []
    for a, actor in enumerate(content.actor_ids):
        for v in lexicon.vectors_of(actor):
            rows.append(a)
            cols.append(index[v])
    a2v = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(content.actor_ids), len(vectors))
    )
    m = (content.actors @ a2v).tocsr()
    m.data[:] = 1.0
    m.eliminate_zeros()
    return vectors, m


@dataclass
class Series:
    """Counts per period (rows) and key (columns), with amplification kept apart."""

    period: str
    periods: list[str]
    keys: list[str]
    counts: np.ndarray  # periods x keys: content posts
    totals: np.ndarray  # periods: in-scope content posts
    copies: np.ndarray  # periods x keys: other posts of the groups (reposts, forwards, pastes)
    forwards: np.ndarray  # periods x keys
    views: np.ndarray  # periods x keys

    def shares(self) -> np.ndarray:
        """Count over the period's in-scope content posts."""
        t = self.totals.astype(np.float64)[:, None]
        return np.divide(self.counts, t, out=np.zeros(self.counts.shape, dtype=np.float64), where=t > 0)

    def normalised(self) -> np.ndarray:
        """Count over the period's sum over keys (rows sum to 1 where there is anything)."""
        s = self.counts.sum(axis=1, keepdims=True).astype(np.float64)
        return np.divide(self.counts, s, out=np.zeros(self.counts.shape, dtype=np.float64), where=s > 0)

    def as_dict(self, digits: int = 4) -> dict:
        shares = self.shares()
        return {
            "period": self.period,
            "periods": self.periods,
            "totals": [int(x) for x in self.totals],
            "keys": {
                k: {
                    "posts": [int(x) for x in self.counts[:, j]],
                    "share": [round(float(x), digits) for x in shares[:, j]],
                    "copies": [int(x) for x in self.copies[:, j]],
                    "forwards": [int(x) for x in self.forwards[:, j]],
                    "views": [int(x) for x in self.views[:, j]],
                }
                for j, k in enumerate(self.keys)
            },
        }


def attention(
    content: Content,
    by: str = "theme",
    lexicon: Lexicon | None = None,
    period: str = "month",
    periods: list[str] | None = None,
) -> Series:
    """Content posts per period and theme / actor / vector of `content`.

    `periods` defaults to every period from the first to the last day of `content`'s range
    that has posts.
    """
    if period not in PERIODS:
        raise ValueError(f"period {period!r}: expected one of {', '.join(PERIODS)}")
    if by == "theme":
        keys, m = content.theme_ids, content.themes
    elif by == "actor":
        keys, m = content.actor_ids, content.actors
    elif by == "vector":
        keys, m = vector_matrix(content, lexicon or Lexicon())
    else:
        raise ValueError(f"by {by!r}: expected theme, actor or vector")
    if periods is None:
        last = int(content.day.max()) if len(content) else None
        periods = period_span(content.start, content.end, period, last) if last is not None else []
    pi = period_index(content.day, periods, period)
    ok = pi >= 0
    p_of = sp.csr_matrix(
        (np.ones(int(ok.sum()), np.float64), (pi[ok], np.flatnonzero(ok))), shape=(len(periods), len(content))
    )
    counts = np.asarray((p_of @ m).todense()).round().astype(np.int64)
    totals = np.asarray(p_of.sum(axis=1)).ravel().round().astype(np.int64)

    def weighted(values: np.ndarray) -> np.ndarray:
        w = p_of @ sp.diags(values.astype(np.float64))
        return np.asarray((w @ m).todense()).round().astype(np.int64)

    return Series(
        period=period, periods=list(periods), keys=list(keys), counts=counts, totals=totals,
        copies=weighted(content.copies), forwards=weighted(content.forwards), views=weighted(content.views),
    )  # fmt: skip
