"""Trends: the lines of policy that held attention in year Y, scored from interpretable parts.

A **trend** is a subject that holds attention across the year and across sources and that
people keep reflecting on; its volume may grow, stay flat or even fall. Growth alone finds
events. A subject whose year is one burst is an **event** (see `events.py`), and a subject
whose posts are mostly about the focus country alone (a flood, a domestic vote) is no
foreign-policy trend. Candidates are theme ids and `topic:<n>` (found by `topics.py`), counted
on what posts are *about* (`Content.themes`, `Content.actors`: a name in passing counts for
nothing). Each candidate gets six components, each in [0, 1]:

- **salience** = (share / the largest share among the candidates) ** `salience_exponent`
  (0.5), where share = the candidate's content posts in Y over all in-scope content posts in
  Y. The square root keeps the order of sizes but stops the biggest catch-all theme's lead
  from deciding the ranking alone: a theme with a quarter of the top share scores 0.5.
- **persistence** = months in which its share was at least `presence` (1/4) of its yearly
  share, over the months of Y that have in-scope posts.
- **breadth** = a weighted mean (`breadth_parts`) of the fractions of the year's channels
  (0.6: distinct channels that carried its posts, copies included), languages (0.2: `und`,
  too short to tell, is no language) and voices (0.2: kinds of source, official, state
  media, analyst ...) it reached. Voices count only when the kind of each channel is known
  (the `voices` argument); otherwise channels and languages share the weight 3:1.
- **reflection** = OR / (1 + OR), OR the odds ratio of the candidate's *reflection share*
  against the year's: the share of its posts whose genre is analysis or commentary
  (`reflection_genres`: analysis 1, digest 1/2: a digest that picks the subject is a weaker
  sign; news reports and official statements 0), smoothed with `reflection_prior` (10)
  pseudo-posts at the year's share. 0.5 = reflected on as much as the year's average post;
  above it, analysts keep writing about it. Posts of unknown genre ("") are left out of
  both shares; with no known genre (or no analysis at all) every candidate gets 0.5, so
  reflection then neither helps nor hurts.
- **concentration** = the largest share of its posts inside any `window_days` (14) day
  window. It enters the score as (1 - concentration): attention in one burst counts against.
- **change** = 0.5 + 0.5 * tanh(z / `change_scale`), where z is the z-score of the log-odds
  ratio of the candidate in Y against Y-1 with an informative Dirichlet prior (Monroe,
  Colaresi & Quinn 2008, "Fightin' Words"), treating "has the theme / has not" as two
  categories: with `p` = the candidate's pooled rate over both years, the prior adds
  `prior * p` pseudo-posts with the theme and `prior * (1 - p)` without. The prior keeps the
  estimate finite and ordered where a count is small or zero: without it a theme absent the
  year before reads as no change at all. 0.5 means no change, above it growth.

    score = sum(w_k * part_k) / sum(w_k),  with 1 - concentration as the part of concentration

Default weights (`DEFAULT_WEIGHTS`) and why:

    salience 0.20, persistence 0.20, breadth 0.20, reflection 0.15, concentration 0.15, change 0.10

Salience, persistence and breadth carry the score (0.6 together, equal: size, duration and
spread are the three faces of "holds attention across the year and across sources").
Reflection (0.15) is the analyst's own sign of a line of policy, weighed a little below them
because it rests on a genre classifier and is neutral on corpora without genres.
Concentration (0.15) separates a season of attention from a year of it within the months
persistence counts. Change (0.10) is one part, not the driver: the 2024 review that led here
found growth and breadth putting a domestic flood at #2 while the year's defining lines, flat
in volume, ranked 9th-13th. Each part can still be re-weighted (`--weight change=0.4`).

Two rules set a candidate aside before ranking (it is reported, not ranked):

- **burst**: concentration at least `burst_concentration` (0.5) while persistence is at most
  `burst_persistence` (0.25): the year's attention was one happening; its posts come out
  as events.
- **domestic**: fewer than `min_foreign` (0.4) of its posts have a *foreign subject* (an
  about-actor other than the focus country and its own people and companies: another state,
  an organisation, a format, a region). In hand-labelled posts every foreign-policy theme
  has a foreign subject in 0.88 of its posts or more, while a theme taken over by a domestic
  emergency (floods filed under climate_water) has almost none. The floor is lowered to half
  the year's own foreign-subject share when that is smaller, so a corpus annotated without
  actors keeps its trends. No word list is involved: only who the posts are about.

A candidate needs `min_posts` content posts in Y. Y uses posts dated up to Y-12-31 only;
Y-1 is the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from multivector.store.base import Content

DEFAULT_WEIGHTS: dict[str, float] = {
    "salience": 0.20,
    "persistence": 0.20,
    "breadth": 0.20,
    "reflection": 0.15,
    "concentration": 0.15,
    "change": 0.10,
}
BREADTH_PARTS: dict[str, float] = {"channels": 0.6, "languages": 0.2, "voices": 0.2}
REFLECTION_GENRES: dict[str, float] = {"analysis": 1.0, "digest": 0.5}
NO_LANGUAGE = "und"  # too short to tell: not a language of its own for breadth


@dataclass
class TrendOptions:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    prior: float = 50.0  # alpha_0: pseudo-posts of the informative Dirichlet prior of `change`
    change_scale: float = 3.0  # z at which `change` reaches 0.5 + 0.5 * tanh(1) = 0.88
    salience_exponent: float = 0.5  # 1 = linear in the share
    presence: float = 0.25  # a month counts when its share >= presence * the yearly share
    window_days: int = 14  # the burst window for `concentration`
    breadth_parts: dict[str, float] = field(default_factory=lambda: dict(BREADTH_PARTS))
    reflection_genres: dict[str, float] = field(default_factory=lambda: dict(REFLECTION_GENRES))
    reflection_prior: float = 10.0  # pseudo-posts at the year's reflection share
    min_posts: int = 3
    burst_concentration: float = 0.5
    burst_persistence: float = 0.25
    min_foreign: float = 0.4  # share of posts with a foreign subject; 0 turns the rule off

    def as_dict(self) -> dict:
        return {
            "weights": {k: self.weights[k] for k in DEFAULT_WEIGHTS},
            "prior": self.prior,
            "change_scale": self.change_scale,
            "salience_exponent": self.salience_exponent,
            "presence": self.presence,
            "window_days": self.window_days,
            "breadth_parts": {k: self.breadth_parts.get(k, 0.0) for k in BREADTH_PARTS},
            "reflection_genres": dict(sorted(self.reflection_genres.items())),
            "reflection_prior": self.reflection_prior,
            "min_posts": self.min_posts,
            "burst_rule": {
                "concentration_at_least": self.burst_concentration,
                "persistence_at_most": self.burst_persistence,
            },
            "domestic_rule": {"foreign_subject_share_below": self.min_foreign},
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
    informative Dirichlet prior of `prior` pseudo-posts at the pooled rate.

    With `prior` 0 an empty cell is kept finite by a vanishing count: its variance is then
    so large that z is 0 (no evidence), which is what the prior is there to avoid."""
    total = n1 + n0
    p = (y + x) / total if total > 0 else 0.0
    p = min(max(p, 1e-9), 1 - 1e-9)
    a_in, a_out = prior * p, prior * (1 - p)
    tiny = 1e-12
    yi, yo = max(y + a_in, tiny), max(max(n1 - y, 0) + a_out, tiny)
    xi, xo = max(x + a_in, tiny), max(max(n0 - x, 0) + a_out, tiny)
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


def foreign_subjects(cur: Content, is_focus: Callable[[str], bool]) -> np.ndarray:
    """Per post: True when it is about at least one actor that is not the focus country's own
    (another state, an organisation, a format, a region, a foreign person or company)."""
    cols = np.fromiter((not is_focus(a) for a in cur.actor_ids), dtype=bool, count=len(cur.actor_ids))
    if not len(cur) or not cols.any():
        return np.zeros(len(cur), dtype=bool)
    return np.asarray(cur.actors[:, np.flatnonzero(cols)].sum(axis=1)).ravel() > 0


def reflection_marks(cur: Content, genre_weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per post: its reflection weight (analysis 1, digest 1/2 ... by default) and whether its
    genre is known at all."""
    n = len(cur)
    if cur.genre is None or not cur.genres:
        return np.zeros(n), np.zeros(n, dtype=bool)
    by_code = np.array([genre_weights.get(g, 0.0) for g in cur.genres], dtype=np.float64)
    known_code = np.array([bool(g) for g in cur.genres], dtype=bool)
    return by_code[cur.genre], known_code[cur.genre]


def reflection_score(weight: float, known: int, base: float, prior: float) -> float:
    """OR / (1 + OR): the odds of the candidate's smoothed reflection share against the
    year's share `base`; 0.5 when nothing is known or the year gives no contrast."""
    if known <= 0 or not 0.0 < base < 1.0:
        return 0.5
    r = (weight + prior * base) / (known + prior)
    r = min(max(r, 1e-6), 1 - 1e-6)
    odds_ratio = (r / (1 - r)) / (base / (1 - base))
    return odds_ratio / (1 + odds_ratio)


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
    share_prev: float | None  # None: the year before holds no content post
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
    voices: int = 0  # kinds of voice that carried it (0 when channels' voices are unknown)
    foreign_share: float = 1.0  # share of its posts with a foreign subject
    domestic: bool = False  # set aside: too few posts with a foreign subject

    @property
    def set_aside(self) -> bool:
        """Not a trend: one burst (an event) or a domestic subject."""
        return self.burst or self.domestic


def _breadth(parts: dict[str, float | None], weights: dict[str, float]) -> float:
    """Weighted mean of the parts that are known (None: unknown, its weight is not counted)."""
    num = den = 0.0
    for k, v in parts.items():
        w = weights.get(k, 0.0)
        if v is not None and w > 0:
            num += w * v
            den += w
    return num / den if den > 0 else 0.0


def score_candidates(
    cur: Content,
    n_prev: int,
    candidates: list[Candidate],
    month_index: np.ndarray,
    n_months: int,
    options: TrendOptions,
    *,
    foreign: np.ndarray | None = None,
    voices: Sequence[str | None] | None = None,
) -> list[Scored]:
    """Score every candidate with enough posts; sorted by score, the set-aside ones last.

    `foreign` (per post, see `foreign_subjects`) turns on the domestic rule; `voices` (per
    channel of `cur.channels`: official, analyst ... or "" when unknown) adds the voice part
    of breadth."""
    n = len(cur)
    weights = check_weights(options.weights)
    month_totals = np.bincount(month_index[month_index >= 0], minlength=n_months).astype(np.float64)
    months_with_data = int((month_totals > 0).sum()) or 1
    year_channels = np.asarray(cur.reach.sum(axis=0)).ravel() > 0
    all_channels = int(year_channels.sum()) or 1
    lang_ok = np.array([lg != NO_LANGUAGE for lg in cur.langs], dtype=bool)
    year_langs = [c for c in np.unique(cur.lang) if lang_ok[c]]
    voice_of = [(v or "") for v in voices] if voices is not None else [""] * len(cur.channels)
    if len(voice_of) != len(cur.channels):
        raise ValueError(f"voices: {len(voice_of)} given for {len(cur.channels)} channels")
    year_voices = {voice_of[j] for j in np.flatnonzero(year_channels)} - {""}
    marks, known = reflection_marks(cur, options.reflection_genres)
    base = float(marks[known].sum() / known.sum()) if known.any() else 0.0
    floor = options.min_foreign
    if foreign is not None and n:
        floor = min(floor, 0.5 * float(foreign.mean()))
    kept = [c for c in candidates if len(c.members) >= options.min_posts]
    out: list[Scored] = []
    for c in kept:
        m = c.members
        y = len(m)
        share = y / n if n else 0.0
        share_prev = c.posts_prev / n_prev if n_prev else None
        delta, z = log_odds(y, n, c.posts_prev, n_prev, options.prior)
        mi = month_index[m]
        monthly = np.bincount(mi[mi >= 0], minlength=n_months)
        with np.errstate(divide="ignore", invalid="ignore"):
            month_share = np.where(month_totals > 0, monthly / month_totals, 0.0)
        present = int(((monthly > 0) & (month_share >= options.presence * share)).sum())
        carried = np.flatnonzero(np.asarray(cur.reach[m].sum(axis=0)).ravel() > 0)
        channels = len(carried)
        langs = [lg for lg in np.unique(cur.lang[m]) if lang_ok[lg]]
        kinds = {voice_of[j] for j in carried} - {""}
        breadth = _breadth(
            {
                "channels": channels / all_channels,
                "languages": len(langs) / len(year_langs) if year_langs else None,
                "voices": len(kinds) / len(year_voices) if year_voices else None,
            },
            options.breadth_parts,
        )
        reflection = reflection_score(
            float(marks[m][known[m]].sum()), int(known[m].sum()), base, options.reflection_prior
        )
        f_share = float(foreign[m].mean()) if foreign is not None else 1.0
        out.append(
            Scored(
                key=c.key, kind=c.kind, members=m, posts=y, posts_prev=c.posts_prev, share=share,
                share_prev=share_prev, growth=(share / share_prev - 1) if share_prev else None,
                log_odds=delta, z=z, channels=channels, languages=len(langs), months=present,
                months_total=months_with_data, monthly=monthly,
                components={  # in the order of DEFAULT_WEIGHTS, which is how reports list them
                    "salience": 0.0,  # filled below, relative to the largest share
                    "persistence": present / months_with_data,
                    "breadth": breadth,
                    "reflection": reflection,
                    "concentration": max_window_share(cur.day[m], options.window_days),
                    "change": 0.5 + 0.5 * math.tanh(z / options.change_scale),
                },
                score=0.0, burst=False, copies=int(cur.copies[m].sum()),
                forwards=int(cur.forwards[m].sum()), views=int(cur.views[m].sum()),
                voices=len(kinds), foreign_share=f_share,
                domestic=foreign is not None and f_share < floor,
            )
        )  # fmt: skip
    top_share = max((s.share for s in out), default=0.0) or 1.0
    total_w = sum(weights.values())
    for s in out:
        comp = s.components
        comp["salience"] = (s.share / top_share) ** options.salience_exponent
        parts = {**comp, "concentration": 1.0 - comp["concentration"]}
        s.score = sum(weights[k] * parts[k] for k in DEFAULT_WEIGHTS) / total_w
        s.burst = (
            comp["concentration"] >= options.burst_concentration
            and comp["persistence"] <= options.burst_persistence
        )
    out.sort(key=lambda s: (s.set_aside, -round(s.score, 6), s.key))
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
