"""Events: bursts of posts about one happening (a summit, a visit, a referendum, a crash).

**Features: what is bursty.** An event shows as words (and actors) that are suddenly frequent.
For each lemma and each actor (the focus country's own actors left out: they are in every
post) and each day d, `burst_weights` compares its count in the posts within `half_window`
(3) days of d with the count expected from its rate in the posts around that window (within
`baseline_days` (45) of d, the window itself left out). Its weight on day d is ln(lift), lift =
(count + 1) / (expected + 1), when the count is at least `min_count` (2) and the lift at least
`min_lift` (2); otherwise 0. A post's vector is its lemma TF-IDF times the weights of its
day, next to its actors times theirs (that block scaled to `actor_weight` = 0.5 of the lemma
block), L2-normalised: steady theme words weigh nothing, the words of the day's news weigh a
lot. Actor ids are the same in every language, so a Kazakh and a Russian post about one
visit meet on them. A post with fewer than `min_features` (2) bursty features takes no part.

**Grouping** is a single greedy pass over the posts sorted by date (ties by post id), like
first-story detection in news streams: a post joins the open event whose centroid (the sum of
its posts' vectors) is most similar to it, if that cosine similarity is at least `threshold`
(0.3); otherwise it opens a new event. An event is open while its last post is at most
`window_days` (3) old and its first post at most `max_span_days` (14) old: a story that goes
on longer is a trend, or a new event.

**Keeping**: an event needs `min_posts` (2) content posts and a distinct burst: among the
features found in at least max(2, a third of) its posts, one whose mean lift reaches
min(`min_peak_lift` (6), 0.8 * (posts with it + 1)) — words nearly absent around the window,
not a theme that is merely louder that week (`peak_lift`).

**Describing**: date span, content posts and their copies, distinct sources (channels that
carried any of its posts, copies included), the actors (at most 10) and themes (at most 5)
found in at least max(2, `core_share` = 20% of) its posts, most frequent first, the ids of
its posts (by date, then id). Title and quotes: see evidence.py.

**Ranking** by importance, each part scaled to [0, 1] against the largest value among the
year's events:

    score = 0.35 * ln(1 + sources) / ln(1 + max sources)
          + 0.30 * ln(1 + posts + 0.5 * copies) / ln(1 + max of the same)
          + 0.15 * ln(1 + days) / ln(1 + max_span_days)
          + 0.20 * actor salience

where actor salience = the largest share of the year's content posts held by one of the
event's core actors (outside the focus country), over the largest such share of any actor.
The weights are options (`EventOptions.weights`); ties are broken by date, then post id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from multivector.store.base import Content

DEFAULT_EVENT_WEIGHTS: dict[str, float] = {"sources": 0.35, "volume": 0.30, "duration": 0.15, "actors": 0.20}


@dataclass
class EventOptions:
    threshold: float = 0.3
    actor_weight: float = 0.5
    half_window: int = 3
    baseline_days: int = 45
    min_count: int = 2
    min_lift: float = 2.0
    min_features: int = 2
    min_peak_lift: float = 6.0
    window_days: int = 3
    max_span_days: int = 14
    min_posts: int = 2
    core_share: float = 0.2
    max_actors: int = 10
    max_themes: int = 5
    copy_weight: float = 0.5
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))

    def as_dict(self) -> dict:
        return {
            "threshold": self.threshold,
            "actor_weight": self.actor_weight,
            "burst": {
                "half_window": self.half_window,
                "baseline_days": self.baseline_days,
                "min_count": self.min_count,
                "min_lift": self.min_lift,
            },
            "min_features": self.min_features,
            "min_peak_lift": self.min_peak_lift,
            "window_days": self.window_days,
            "max_span_days": self.max_span_days,
            "min_posts": self.min_posts,
            "core_share": self.core_share,
            "copy_weight": self.copy_weight,
            "weights": {k: self.weights[k] for k in DEFAULT_EVENT_WEIGHTS},
        }


@dataclass
class Event:
    members: np.ndarray  # positions in the year's Content, sorted by (day, id)
    day_start: int
    day_end: int
    posts: int
    copies: int
    sources: int
    actors: list[str]
    themes: list[str]
    components: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    peak: float = 0.0  # ln(lift) of its strongest shared burst


def _band(nd: int, half: int) -> sp.csr_matrix:
    half = min(half, max(nd - 1, 0))
    offsets = list(range(-half, half + 1))
    return sp.diags(
        [np.ones(nd - abs(k), np.float32) for k in offsets], offsets, shape=(nd, nd), format="csr"
    )


def burst_weights(
    day: np.ndarray,
    binary: sp.csr_matrix,
    half_window: int,
    baseline_days: int,
    min_count: int,
    min_lift: float,
) -> tuple[int, sp.csr_matrix]:
    """(first day, days x features): how bursty each feature is around each day.

    For day d, a feature's window count c is the number of posts containing it dated within
    `half_window` days of d; its expected count e is the window's posts times the feature's
    rate among the posts around the window (within `baseline_days` of d, the window left out;
    the whole range when nothing was posted around it): a local baseline, so a theme that grows
    slowly through the year is not a burst, and a burst does not raise its own baseline.
    Weight = ln((c + 1) / (e + 1)) where c is at least `min_count` and that lift at least
    `min_lift`; 0 elsewhere.
    """
    n = binary.shape[0]
    if n == 0:
        return 0, sp.csr_matrix((0, binary.shape[1]), dtype=np.float32)
    d0 = int(day.min())
    nd = int(day.max()) - d0 + 1
    one_hot = sp.csr_matrix((np.ones(n), (day - d0, np.arange(n))), shape=(nd, n))
    per_day = (one_hot @ binary.astype(np.float64)).tocsr()
    posts_per_day = np.asarray(one_hot.sum(axis=1)).ravel()
    narrow, wide = _band(nd, half_window), _band(nd, baseline_days)
    window = (narrow @ per_day).tocsr()
    window.sort_indices()
    n_window = narrow @ posts_per_day
    n_around = wide @ posts_per_day - n_window
    around = (wide @ per_day - window).tocsr()
    # Rate around the window; where nothing was posted around it, the rate over the whole range.
    has_around = n_around > 0
    scale = np.divide(n_window, n_around, out=np.zeros(nd), where=has_around)
    pattern = window.copy()
    pattern.data[:] = 1.0
    expected = (sp.diags(scale) @ around + pattern * 1e-12).multiply(pattern).tocsr()
    expected.sort_indices()
    # Same sparsity pattern as `window` (the tiny term keeps every position), so the data align.
    assert np.array_equal(expected.indptr, window.indptr) and np.array_equal(expected.indices, window.indices)
    rows = np.repeat(np.arange(nd), np.diff(window.indptr))
    exp = expected.data - 1e-12
    year_rate = np.asarray(binary.sum(axis=0)).ravel() / n
    no_around = ~has_around[rows]
    exp[no_around] = n_window[rows[no_around]] * year_rate[window.indices[no_around]]
    lift = (window.data + 1.0) / (np.maximum(exp, 0.0) + 1.0)
    keep = (window.data >= min_count) & (lift >= min_lift)
    weights = sp.csr_matrix(
        (np.log(lift[keep]).astype(np.float32), (rows[keep], window.indices[keep])),
        shape=(nd, binary.shape[1]),
    )
    return d0, weights


def _apply(x: sp.csr_matrix, day: np.ndarray, d0: int, weights: sp.csr_matrix) -> sp.csr_matrix:
    """Each post's row times the burst weights of its day."""
    rows = []
    order = np.argsort(day, kind="stable")
    bounds = np.flatnonzero(np.diff(day[order])) + 1
    for block in np.split(order, bounds):
        if not len(block):
            continue
        w = weights[int(day[block[0]]) - d0]
        rows.append((block, x[block].multiply(w).tocsr()))
    if not rows:
        return sp.csr_matrix(x.shape, dtype=np.float32)
    stacked = sp.vstack([r for _, r in rows], format="csr")
    where = np.concatenate([b for b, _ in rows])
    inverse = np.empty_like(where)
    inverse[where] = np.arange(len(where))
    return stacked[inverse].astype(np.float32)


def event_features(
    cur: Content, tfidf: sp.csr_matrix, focus: set[str], opt: EventOptions
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(features, lifts). Features: burst-weighted lemma TF-IDF next to the burst-weighted
    (non-focus) actor block, rows L2-normalised; a post with no bursty lemma or actor gets an
    empty row. Lifts: the same positions holding ln(lift) of the feature on the post's day."""
    keep = np.flatnonzero(np.array([a not in focus for a in cur.actor_ids], dtype=bool))
    actors = cur.actors[:, keep].tocsr() if len(keep) else sp.csr_matrix((len(cur), 0), dtype=np.float32)
    binary = tfidf.copy()
    binary.data[:] = 1.0
    d0, w_terms = burst_weights(
        cur.day, binary, opt.half_window, opt.baseline_days, opt.min_count, opt.min_lift
    )
    d0, w_actors = burst_weights(
        cur.day, actors, opt.half_window, opt.baseline_days, opt.min_count, opt.min_lift
    )
    terms = normalize(_apply(tfidf, cur.day, d0, w_terms), norm="l2")
    acts = normalize(_apply(actors.astype(np.float32), cur.day, d0, w_actors), norm="l2") * opt.actor_weight
    feats = sp.hstack([terms, acts], format="csr")
    lifts = sp.hstack(
        [_apply(binary, cur.day, d0, w_terms), _apply(actors.astype(np.float32), cur.day, d0, w_actors)],
        format="csr",
    )
    return normalize(feats, norm="l2", copy=False).astype(np.float32), lifts


def cluster(days: np.ndarray, ids: list[str], feats: sp.csr_matrix, opt: EventOptions) -> list[np.ndarray]:
    """Greedy single-pass clustering over time; returns each group's positions."""
    n = len(days)
    if n == 0:
        return []
    order = np.lexsort((np.array(ids, dtype=object), days))
    # posts with fewer than `min_features` bursty lemmas or actors take no part
    order = order[feats.getnnz(axis=1)[order] >= opt.min_features]
    if not len(order):
        return []
    members: list[list[int]] = []
    first: list[int] = []
    last: list[int] = []
    norm2: list[float] = []
    open_ids: list[int] = []  # clusters that may still take posts
    day_values = days[order]
    bounds = np.flatnonzero(np.diff(day_values)) + 1
    for block in np.split(order, bounds):
        d = int(days[block[0]])
        open_ids = [
            c for c in open_ids if last[c] >= d - opt.window_days and first[c] > d - opt.max_span_days
        ]
        xb = feats[block]
        same_day = np.asarray((xb @ xb.T).todense(), dtype=np.float64)
        if open_ids:
            rows, cols = [], []
            for j, c in enumerate(open_ids):
                rows.extend([j] * len(members[c]))
                cols.extend(members[c])
            m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(open_ids), n))
            sums = (m @ feats).tocsr()
            dots_open = np.asarray((xb @ sums.T).todense(), dtype=np.float64)
        else:
            dots_open = np.zeros((len(block), 0))
        k0 = len(open_ids)
        dots = np.zeros((len(block), k0 + len(block)))
        dots[:, :k0] = dots_open
        col_cluster = list(open_ids)
        col_norm2 = np.zeros(k0 + len(block))
        col_norm2[:k0] = [norm2[c] for c in open_ids]
        used = k0
        for i, p in enumerate(block):
            best, best_sim = -1, opt.threshold
            if used:
                sims = dots[i, :used] / np.sqrt(np.maximum(col_norm2[:used], 1e-12))
                j = int(np.argmax(sims))
                if sims[j] >= best_sim:
                    best, best_sim = j, float(sims[j])
            if best < 0:
                c = len(members)
                members.append([int(p)])
                first.append(d)
                last.append(d)
                norm2.append(1.0)
                col_cluster.append(c)
                dots[:, used] = same_day[:, i]
                col_norm2[used] = 1.0
                used += 1
            else:
                c = col_cluster[best]
                col_norm2[best] += 2.0 * dots[i, best] + 1.0
                norm2[c] = float(col_norm2[best])
                dots[:, best] += same_day[:, i]
                members[c].append(int(p))
                last[c] = d
        open_ids = sorted(set(col_cluster))
    return [np.array(m, dtype=np.int64) for m in members]


def peak_lift(lifts: sp.csr_matrix, members: np.ndarray, min_peak_lift: float) -> tuple[float, bool]:
    """(peak, distinct) for a group. Over the features found in at least max(2, a third of)
    its posts, `peak` is the largest mean ln(lift); the group is a distinct happening when one
    such feature's lift reaches min(`min_peak_lift`, 0.8 * (posts with it + 1)): words (or
    actors) nearly absent around the window, not a theme that is merely louder this week.
    (The cap matters for small groups: with c posts a lift cannot exceed c + 1.)"""
    sub = lifts[members]
    present = np.bincount(sub.indices, minlength=sub.shape[1])
    need = max(2.0, len(members) / 3)
    core = np.flatnonzero(present >= need)
    if not len(core):
        return 0.0, False
    sums = np.asarray(sub.sum(axis=0)).ravel()
    mean = sums[core] / present[core]
    limit = np.log(np.minimum(min_peak_lift, 0.8 * (present[core] + 1.0)))
    return float(mean.max()), bool((mean >= limit - 1e-9).any())


def describe(
    cur: Content,
    groups: list[np.ndarray],
    focus: set[str],
    opt: EventOptions,
    lifts: sp.csr_matrix | None = None,
) -> list[Event]:
    """Events with at least `min_posts` posts and a shared burst of at least `min_peak_lift`,
    described and scored (best first)."""
    actor_share = np.asarray(cur.actors.sum(axis=0)).ravel() / max(len(cur), 1)
    nonfocus = np.array([a not in focus for a in cur.actor_ids], dtype=bool)
    top_actor = float(actor_share[nonfocus].max()) if nonfocus.any() else 0.0
    out: list[Event] = []
    for g in groups:
        if len(g) < opt.min_posts:
            continue
        peak, distinct = peak_lift(lifts, g, opt.min_peak_lift) if lifts is not None else (0.0, True)
        if not distinct:
            continue
        g = g[np.lexsort((np.array([cur.ids[i] for i in g], dtype=object), cur.day[g]))]
        posts = len(g)
        need = max(2.0, opt.core_share * posts)
        a_counts = np.asarray(cur.actors[g].sum(axis=0)).ravel()
        t_counts = np.asarray(cur.themes[g].sum(axis=0)).ravel()
        actors = [
            cur.actor_ids[j] for j in np.lexsort((np.arange(len(a_counts)), -a_counts)) if a_counts[j] >= need
        ]
        themes = [
            cur.theme_ids[j] for j in np.lexsort((np.arange(len(t_counts)), -t_counts)) if t_counts[j] >= need
        ]
        actors, themes = actors[: opt.max_actors], themes[: opt.max_themes]
        core_idx = [j for j in range(len(a_counts)) if a_counts[j] >= need and nonfocus[j]]
        salience = max((actor_share[j] for j in core_idx), default=0.0) / top_actor if top_actor else 0.0
        out.append(
            Event(
                members=g, day_start=int(cur.day[g].min()), day_end=int(cur.day[g].max()), posts=posts,
                copies=int(cur.copies[g].sum()),
                sources=int((np.asarray(cur.reach[g].sum(axis=0)).ravel() > 0).sum()),
                actors=actors, themes=themes, components={"actors": float(salience)}, peak=peak,
            )
        )  # fmt: skip
    if not out:
        return out
    w = opt.weights
    total_w = sum(w.values()) or 1.0
    max_sources = max(e.sources for e in out)
    max_volume = max(e.posts + opt.copy_weight * e.copies for e in out)
    for e in out:
        comp = e.components
        comp["sources"] = math.log1p(e.sources) / math.log1p(max_sources) if max_sources else 0.0
        comp["volume"] = math.log1p(e.posts + opt.copy_weight * e.copies) / math.log1p(max_volume)
        comp["duration"] = min(1.0, math.log1p(e.day_end - e.day_start + 1) / math.log1p(opt.max_span_days))
        e.score = sum(w[k] * comp[k] for k in DEFAULT_EVENT_WEIGHTS) / total_w
    out.sort(key=lambda e: (-round(e.score, 6), e.day_start, cur.ids[e.members[0]]))
    return out


def find_events(
    cur: Content, tfidf: sp.csr_matrix, focus: set[str], options: EventOptions | None = None
) -> list[Event]:
    """Group the year's posts into events and rank them (see the module docstring)."""
    opt = options or EventOptions()
    if len(cur) < opt.min_posts or tfidf.shape[1] == 0:
        return []
    feats, lifts = event_features(cur, tfidf, focus, opt)
    groups = cluster(cur.day, cur.ids, feats, opt)
    return describe(cur, groups, focus, opt, lifts)
