"""Topics beyond the taxonomy: subjects no theme names, found by NMF over lemma TF-IDF.

Method (deterministic and independent of the order of ingestion):
1. The year's in-scope content posts are sorted by post id (a hash, so this order is a fixed
   pseudo-random shuffle); NMF (`init="nndsvda"`, multiplicative updates, Frobenius loss,
   `random_state=0`) is fitted on the first `fit_max` (8,000) of them, a bounded sample however
   large the year, then every post of the year (and of the year before, for the baseline) is
   projected onto the components, `assign_chunk` (50,000) posts at a time. The year before is
   read for the baseline up to `baseline_max` (40,000) posts, again the first in post id order;
   beyond that a topic's posts of the year before are its count in that sample scaled to the
   year's posts (and its monthly series before the year is scaled alike).
2. A post belongs to its strongest topic when that topic holds at least `min_weight_share`
   of the post's topic weights; other posts belong to no topic.
3. Each topic is described by its class-based TF-IDF terms (stop words removed); its label
   is its top three terms.
4. A topic is kept only when
   - it has at least `min_posts` posts (and `min_share` of the year's posts),
   - it is coherent: the mean NPMI of its top ten terms over the year's posts is at least
     `min_coherence` (words that really occur together, not a bag of unrelated frequent words),
   - it is not a theme restated: no single theme covers more than `max_theme_overlap` (70%)
     of its posts, nor more than half of them while the topic also holds more than half of
     that theme's posts (the two are mostly the same set),
   - it is not one channel's habit: no single channel wrote more than `max_channel_share`
     (70%) of its posts (signatures and rubric headers cluster too).
   Kept topics are numbered 1, 2, ... by size (ties by label): `topic:1` is the largest.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from multivector.analyze.text import TextFeatures, class_tfidf, top_terms
from multivector.store.base import Content


@dataclass
class TopicOptions:
    n_topics: int | None = None  # None: clip(posts // 100, 3, 25)
    fit_max: int = 8000  # posts the NMF is fitted on: the first, in post id (hash) order
    assign_chunk: int = 50_000  # posts projected onto the fitted topics at a time
    baseline_max: int = 40_000  # posts of the period before read for the topics' baseline
    min_weight_share: float = 0.3
    min_posts: int = 5
    min_share: float = 0.003
    min_coherence: float = 0.05
    min_lift: float = 3.0
    max_theme_overlap: float = 0.7
    max_channel_share: float = 0.7
    terms: int = 8
    seed: int = 0

    def as_dict(self) -> dict:
        return {
            "n_topics": self.n_topics or "auto",
            "fit_max": self.fit_max,
            "assign_chunk": self.assign_chunk,
            "baseline_max": self.baseline_max,
            "min_weight_share": self.min_weight_share,
            "min_posts": self.min_posts,
            "min_share": self.min_share,
            "min_coherence": self.min_coherence,
            "min_lift": self.min_lift,
            "max_theme_overlap": self.max_theme_overlap,
            "max_channel_share": self.max_channel_share,
        }


@dataclass
class Topic:
    component: int  # NMF component
    members: np.ndarray  # positions in the year's Content
    posts_prev: int
    terms: list[str]
    coherence: float
    theme: str | None  # the theme covering most of its posts
    theme_share: float
    channel_share: float
    lift: float
    prev_members: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # in the year before
    dropped: str | None = None  # why it is not kept
    number: int = 0  # 1.. for kept topics

    @property
    def key(self) -> str:
        return f"topic:{self.number}"

    @property
    def label(self) -> str:
        return ", ".join(self.terms[:3])


@dataclass
class TopicModel:
    topics: list[Topic] = field(default_factory=list)  # kept, numbered
    dropped: list[Topic] = field(default_factory=list)
    n_components: int = 0
    fitted_on: int = 0


def auto_topics(n: int) -> int:
    return int(min(25, max(3, n // 100)))


def _assign(w: np.ndarray, min_share: float) -> np.ndarray:
    """Topic of each row of W (-1 when no topic holds `min_share` of the row's weight)."""
    if not w.size:
        return np.full(w.shape[0], -1, dtype=np.int64)
    total = w.sum(axis=1)
    best = w.argmax(axis=1)
    top = w[np.arange(w.shape[0]), best]
    ok = (total > 0) & (top >= min_share * np.where(total > 0, total, 1))
    return np.where(ok, best, -1)


def _project(model, x: sp.csr_matrix, opt: TopicOptions) -> np.ndarray:
    """The topic of each row of x (see `_assign`), `assign_chunk` rows at a time: the
    projection's working matrices are rows x topics, so a chunk bounds them. (The NMF
    projection stops on the error of all the rows it is given: a period of at most
    `assign_chunk` posts is projected in one piece, as it always was.)"""
    size = max(1, opt.assign_chunk)
    out = np.full(x.shape[0], -1, dtype=np.int64)
    for first in range(0, x.shape[0], size):
        out[first : first + size] = _assign(model.transform(x[first : first + size]), opt.min_weight_share)
    return out


def baseline_sample(n_prev: int, opt: TopicOptions) -> int:
    """How many posts of the period before (the first, in post id order: a hash, so a fixed
    pseudo-random sample) the topics' baseline reads: all of them up to `baseline_max`."""
    return min(n_prev, max(1, opt.baseline_max))


def _estimate(count: int, read: int, total: int | None) -> int:
    """A count among `read` posts scaled to `total` (the same count when all were read)."""
    if total is None or total <= read or read == 0:
        return count
    return int(round(count * total / read))


def npmi(binary: sp.csc_matrix, terms: list[int]) -> float:
    """Mean normalised PMI of the pairs of `terms` over the posts (columns of a 0/1 matrix)."""
    n = binary.shape[0]
    if len(terms) < 2 or n == 0:
        return 0.0
    sub = binary[:, terms].astype(np.float64)
    co = np.asarray((sub.T @ sub).todense())
    p = np.diag(co) / n
    vals = []
    for i in range(len(terms)):
        for j in range(i + 1, len(terms)):
            pij = co[i, j] / n
            if pij <= 0:
                vals.append(-1.0)
            elif pij >= 1:
                vals.append(1.0)
            else:
                vals.append(math.log(pij / (p[i] * p[j])) / -math.log(pij))
    return float(np.mean(vals))


def find_topics(
    cur: Content,
    features: TextFeatures,
    prev_tfidf: sp.csr_matrix | None,
    options: TopicOptions | None = None,
    prev_posts: int | None = None,
) -> TopicModel:
    """Fit, describe and filter the topics of the year (see the module docstring).
    `prev_tfidf` is the year before, or the first of its posts in id order (`baseline_sample`)
    out of `prev_posts`: then each topic's posts of the year before are estimated in proportion."""

    from sklearn.decomposition import NMF

    opt = options or TopicOptions()
    x = features.tfidf
    n, v = x.shape
    k = opt.n_topics or auto_topics(n)
    if n < max(30, 2 * opt.min_posts) or v < k:
        return TopicModel()
    fit_n = min(n, opt.fit_max)
    model = NMF(
        n_components=k, init="nndsvda", solver="mu", beta_loss="frobenius",
        max_iter=200, tol=1e-3, random_state=opt.seed,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x[:fit_n])
        assign = _project(model, x, opt)
        assign_prev = (
            _project(model, prev_tfidf, opt)
            if prev_tfidf is not None and prev_tfidf.shape[0]
            else np.zeros(0, np.int64)
        )
    members = [np.flatnonzero(assign == c) for c in range(k)]
    rows = np.concatenate(members) if members else np.zeros(0, np.int64)
    cols = np.concatenate([np.full(len(m), c) for c, m in enumerate(members)]) if members else rows
    membership = sp.csr_matrix((np.ones(len(rows)), (cols, rows)), shape=(k, n))
    ctfidf = class_tfidf(features.counts, membership)
    binary_csr = (features.counts > 0).astype(np.float32).tocsr()
    binary = binary_csr.tocsc()
    # Document frequencies per topic and per language, for the lift of the topic's terms.
    topic_df = np.asarray((membership @ binary_csr).todense())
    lang_df = np.zeros((len(cur.langs), binary.shape[1]))
    lang_n = np.bincount(cur.lang, minlength=len(cur.langs)).astype(np.float64)
    for li in range(len(cur.langs)):
        rows_l = np.flatnonzero(cur.lang == li)
        if len(rows_l):
            lang_df[li] = np.asarray(binary_csr[rows_l].sum(axis=0)).ravel()
    index = features.term_index()
    min_posts = max(opt.min_posts, int(math.ceil(opt.min_share * n)))
    theme_sizes = np.asarray(cur.themes.sum(axis=0)).ravel()
    out = TopicModel(n_components=k, fitted_on=fit_n)
    for c in range(k):
        m = members[c]
        terms = top_terms(ctfidf[c], features.vocab, max(opt.terms, 10))
        coherence = npmi(binary, [index[t] for t in terms[:10]]) if len(terms) >= 2 else 0.0
        theme, theme_share, theme_coverage = None, 0.0, 0.0
        channel_share = 0.0
        lift = 0.0
        if len(m):
            li = int(np.bincount(cur.lang[m]).argmax())
            top = [index[t] for t in terms[:5]]
            if top:
                p_topic = topic_df[c, top] / len(m)
                p_lang = np.maximum(lang_df[li, top], 1.0) / max(lang_n[li], 1.0)
                lift = float(np.mean(p_topic / p_lang))
            per_theme = np.asarray(cur.themes[m].sum(axis=0)).ravel()
            if per_theme.size and per_theme.max() > 0:
                j = int(np.lexsort((np.array(cur.theme_ids, dtype=object), -per_theme))[0])
                theme, theme_share = cur.theme_ids[j], float(per_theme[j] / len(m))
                theme_coverage = float(per_theme[j] / max(theme_sizes[j], 1))
            channel_share = float(np.bincount(cur.channel[m]).max() / len(m))
        prev_members = np.flatnonzero(assign_prev == c)
        topic = Topic(
            c,
            m,
            _estimate(len(prev_members), len(assign_prev), prev_posts),
            terms[: opt.terms],
            coherence,
            theme,
            theme_share,
            channel_share,
            lift,
            prev_members=prev_members,
        )
        if len(m) < min_posts:
            topic.dropped = f"too small ({len(m)} posts < {min_posts})"
        elif coherence < opt.min_coherence:
            topic.dropped = f"incoherent (NPMI {coherence:.3f} < {opt.min_coherence})"
        elif lift < opt.min_lift:
            topic.dropped = f"generic words (lift {lift:.2f} < {opt.min_lift} within its language)"
        elif theme_share > opt.max_theme_overlap or (theme_share > 0.5 and theme_coverage > 0.5):
            topic.dropped = f"restates theme {theme} ({theme_share:.0%} of its posts; {theme_coverage:.0%} of the theme's)"
        elif channel_share > opt.max_channel_share:
            topic.dropped = f"one channel's habit ({channel_share:.0%} of its posts from one channel)"
        (out.dropped if topic.dropped else out.topics).append(topic)
    out.topics.sort(key=lambda t: (-len(t.members), t.label, t.component))
    for i, t in enumerate(out.topics, start=1):
        t.number = i
    out.dropped.sort(key=lambda t: t.component)
    return out
