"""Trends: which themes (and topics) held attention in year Y, scored from interpretable parts.

A **trend** is a subject that holds attention across the year and across sources; it may
grow, or stay high while the conversation deepens. A subject whose attention is one burst
is an **event** (see `events.py`), not a trend. Each candidate (a theme id, or a `topic:<n>`
found by `topics.py`) gets five components, each in [0, 1]:

- **salience** = share / (the largest share among the candidates), where share = the
  candidate's content posts in Y over all in-scope content posts in Y;
- **change** = 0.5 + 0.5 * tanh(z / `change_scale`), where z is the z-score of the log-odds
  ratio of the candidate in Y against Y-1 with an informative Dirichlet prior (Monroe,
  Colaresi & Quinn 2008, "Fightin' Words"), treating "has the theme / has not" as two
  categories: with `p` = the candidate's pooled rate over both years, the prior adds
  `prior * p` pseudo-posts with the theme and `prior * (1 - p)` without, so a handful of
  posts cannot swing the score; 0.5 means no change, above it growth, below it decline;
- **breadth** = 0.75 * (distinct channels that carried its posts, copies included) / (channels
  with in-scope posts in Y) + 0.25 * (distinct languages) / (languages in Y);
- **persistence** = months in which its share was at least `presence` (1/4) of its yearly
  share, over the months of Y that have in-scope posts;
- **concentration** = the largest share of its posts inside any `window_days` (14) day window.
  It enters the score as (1 - concentration): a single burst is penalised.

    score = (w_s * salience + w_c * change + w_b * breadth + w_p * persistence
             + w_k * (1 - concentration)) / (w_s + w_c + w_b + w_p + w_k)

with default weights salience 0.25, change 0.25, breadth 0.15, persistence 0.20,
concentration 0.15 (`DEFAULT_WEIGHTS`). A candidate needs `min_posts` content posts in Y;
one whose concentration is at least `burst_concentration` (0.5) while its persistence is at
most `burst_persistence` (0.25) is a **burst**: it is kept out of the trends (its posts come
out as events). Y uses posts dated up to Y-12-31 only; Y-1 is the baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from multivector.store.base import Content

DEFAULT_WEIGHTS: dict[str, float] = {
    "salience": 0.25,
    "change": 0.25,
    "breadth": 0.15,
    "persistence": 0.20,
    "concentration": 0.15,
}


@dataclass
class TrendOptions:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    prior: float = 50.0  # alpha_0: pseudo-posts of the informative Dirichlet prior
    change_scale: float = 3.0  # z at which `change` reaches 0.5 + 0.5 * tanh(1) = 0.88
    presence: float = 0.25  # a month counts when its share >= presence * the yearly share
    window_days: int = 14  # the burst window for `concentration`
    min_posts: int = 3
    burst_concentration: float = 0.5
    burst_persistence: float = 0.25

    def as_dict(self) -> dict:
        return {
            "weights": {k: self.weights[k] for k in DEFAULT_WEIGHTS},
            "prior": self.prior,
            "change_scale": self.change_scale,
            "presence": self.presence,
            "window_days": self.window_days,
            "min_posts": self.min_posts,
            "burst_rule": {
                "concentration_at_least": self.burst_concentration,
                "persistence_at_most": self.burst_persistence,
            },
        }


def check_weights(weights: dict[str, float] | None) -> dict[str, float]:
    """Defaults overridden by `weights`; unknown names and negative values are errors."""
    out = dict(DEFAULT_WEIGHTS)
    for k, v in (weights or {}).items():
        if k not in DEFAULT_WEIGHTS:
            raise ValueError(f"unknown weight {k!r} (known: {', '.join(DEFAULT_WEIGHTS)})")
        if v < 0 or not math.isfinite(v):
            raise ValueError(f"weight {k!r} must be a non-negative number")
        out[k] = float(v)
    if sum(out.values()) <= 0:
        raise ValueError("at least one weight must be positive")
    return out


def log_odds(y: float, n1: float, x: float, n0: float, prior: float) -> tuple[float, float]:
    """(delta, z): log-odds ratio of y/n1 (this year) against x/n0 (the year before) with an
    informative Dirichlet prior of `prior` pseudo-posts at the pooled rate."""
    total = n1 + n0
    p = (y + x) / total if total > 0 else 0.0
    p = min(max(p, 1e-9), 1 - 1e-9)
    a_in, a_out = prior * p, prior * (1 - p)
    yi, yo = y + a_in, max(n1 - y, 0) + a_out
    xi, xo = x + a_in, max(n0 - x, 0) + a_out
    delta = math.log(yi / yo) - math.log(xi / xo)
    var = 1 / yi + 1 / yo + 1 / xi + 1 / xo
    return delta, delta / math.sqrt(var)


def max_window_share(days: np.ndarray, window: int) -> float:
    """The largest fraction of `days` that falls inside one window of `window` days."""
    if not len(days):
        return 0.0
    d = np.sort(days)
    inside = np.searchsorted(d, d + window, side="left") - np.arange(len(d))
    return float(inside.max()) / len(d)


@dataclass
class Candidate:
    key: str  # theme id or topic:<n>
    kind: str  # "theme" | "topic"
    members: np.ndarray  # positions in the year's Content
    posts_prev: int  # content posts of the year before


@dataclass
class Scored:
    key: str
    kind: str
    members: np.ndarray
    posts: int
    posts_prev: int
    share: float
    share_prev: float
    growth: float | None
    log_odds: float
    z: float
    channels: int
    languages: int
    months: int
    months_total: int
    monthly: np.ndarray  # content posts per period
    components: dict[str, float]
    score: float
    burst: bool
    copies: int
    forwards: int
    views: int


def score_candidates(
    cur: Content,
    n_prev: int,
    candidates: list[Candidate],
    month_index: np.ndarray,
    n_months: int,
    options: TrendOptions,
) -> list[Scored]:
    """Score every candidate with enough posts; sorted by score, bursts last."""
    n = len(cur)
    weights = check_weights(options.weights)
    month_totals = np.bincount(month_index[month_index >= 0], minlength=n_months).astype(np.float64)
    months_with_data = int((month_totals > 0).sum()) or 1
    all_channels = int((np.asarray(cur.reach.sum(axis=0)).ravel() > 0).sum()) or 1
    all_langs = len(np.unique(cur.lang)) or 1
    kept = [c for c in candidates if len(c.members) >= options.min_posts]
    out: list[Scored] = []
    for c in kept:
        m = c.members
        y = len(m)
        share = y / n if n else 0.0
        share_prev = c.posts_prev / n_prev if n_prev else 0.0
        delta, z = log_odds(y, n, c.posts_prev, n_prev, options.prior)
        mi = month_index[m]
        monthly = np.bincount(mi[mi >= 0], minlength=n_months)
        with np.errstate(divide="ignore", invalid="ignore"):
            month_share = np.where(month_totals > 0, monthly / month_totals, 0.0)
        present = int(((monthly > 0) & (month_share >= options.presence * share)).sum())
        reach = cur.reach[m]
        channels = int((np.asarray(reach.sum(axis=0)).ravel() > 0).sum())
        languages = len(np.unique(cur.lang[m]))
        out.append(
            Scored(
                key=c.key, kind=c.kind, members=m, posts=y, posts_prev=c.posts_prev, share=share,
                share_prev=share_prev, growth=(share / share_prev - 1) if share_prev > 0 else None,
                log_odds=delta, z=z, channels=channels, languages=languages, months=present,
                months_total=months_with_data, monthly=monthly,
                components={
                    "salience": 0.0,  # filled below, relative to the largest share
                    "change": 0.5 + 0.5 * math.tanh(z / options.change_scale),
                    "breadth": 0.75 * channels / all_channels + 0.25 * languages / all_langs,
                    "persistence": present / months_with_data,
                    "concentration": max_window_share(cur.day[m], options.window_days),
                },
                score=0.0, burst=False, copies=int(cur.copies[m].sum()),
                forwards=int(cur.forwards[m].sum()), views=int(cur.views[m].sum()),
            )
        )  # fmt: skip
    top_share = max((s.share for s in out), default=0.0) or 1.0
    total_w = sum(weights.values())
    for s in out:
        comp = s.components
        comp["salience"] = s.share / top_share
        s.score = (
            weights["salience"] * comp["salience"]
            + weights["change"] * comp["change"]
            + weights["breadth"] * comp["breadth"]
            + weights["persistence"] * comp["persistence"]
            + weights["concentration"] * (1.0 - comp["concentration"])
        ) / total_w
        s.burst = (
            comp["concentration"] >= options.burst_concentration
            and comp["persistence"] <= options.burst_persistence
        )
    out.sort(key=lambda s: (s.burst, -round(s.score, 6), s.key))
    return out


def theme_candidates(cur: Content, prev: Content | None) -> list[Candidate]:
    """One candidate per theme present in Y, with its count in Y-1."""
    prev_counts: dict[str, int] = {}
    if prev is not None and len(prev):
        sums = np.asarray(prev.themes.sum(axis=0)).ravel()
        prev_counts = {t: int(sums[j]) for j, t in enumerate(prev.theme_ids)}
    csc = cur.themes.tocsc()
    out = []
    for j, t in enumerate(cur.theme_ids):
        members = np.sort(csc.indices[csc.indptr[j] : csc.indptr[j + 1]]).astype(np.int64)
        if len(members):
            out.append(Candidate(t, "theme", members, prev_counts.get(t, 0)))
    return out


def partner_shares(
    members: np.ndarray, vectors: list[str], vmatrix: sp.csr_matrix
) -> list[tuple[str, float]]:
    """Vector shares among the given posts (a post with two vectors counts for both; sum 1)."""
    if not len(members) or not vectors:
        return []
    sums = np.asarray(vmatrix[members].sum(axis=0)).ravel()
    total = sums.sum()
    if total <= 0:
        return []
    pairs = [(v, float(sums[j] / total)) for j, v in enumerate(vectors) if sums[j] > 0]
    pairs.sort(key=lambda p: (-round(p[1], 9), p[0]))
    return pairs


def actor_shares(members: np.ndarray, cur: Content, skip: set[str], k: int = 5) -> list[tuple[str, float]]:
    """The k actors mentioned in most of the given posts, with the fraction of posts."""
    if not len(members):
        return []
    sums = np.asarray(cur.actors[members].sum(axis=0)).ravel()
    pairs = [
        (a, float(sums[j] / len(members)))
        for j, a in enumerate(cur.actor_ids)
        if sums[j] > 0 and a not in skip
    ]
    pairs.sort(key=lambda p: (-round(p[1], 9), p[0]))
    return pairs[:k]
