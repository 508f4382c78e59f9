"""Events: one happening (a summit, a visit, a referendum, a crash), in every language it was told in.

**Features: what is bursty, and what does not depend on language.** An event shows as words,
actors and numbers that are suddenly frequent. For each feature and each day d, `burst_weights`
compares its count in the posts within `half_window` (3) days of d with the count expected
from its rate in the posts around that window (within `baseline_days` (45) of d, the window
itself left out). Its weight on day d is ln(lift), lift = (count + 1) / (expected + 1), when the
count is at least `min_count` (2) and the lift at least `min_lift` (2); otherwise 0: steady
theme words weigh nothing, the words of the day's news weigh a lot. Each post gets two vectors,
each feature times its weight on the post's day, L2-normalised:

- **language-independent** (LI): the actors the post is about (ids are the same in every
  language; the focus country's own actors left out: they are in every post; cities and
  capitals are already actors), the numbers it holds («13-й пакет», "13th package", «71%», a
  flight number) scaled by `number_weight`, and its words' **transliteration keys** scaled by
  `key_weight`: each lemma written in Latin letters, vowels merged and doubled letters dropped
  (Бишкек, Bishkek -> baskak; саммит, summit -> samat; Ақтау, Актау, Aktau -> akta), kept when
  the corpus has the key in posts of two languages or more: names, places and loanwords that
  link a Russian, a Kazakh and an English post where the actor ids are silent;
- **language-specific** (LS): the lemma TF-IDF.

A post with fewer than `min_features` (2) bursty features takes no part.

**Roles.** A post of genre `analysis` or `digest` (annotate/about.py) is **commentary**: it
attaches to the event it discusses and never starts one. Every other post (news, official,
other, or not classified) is a **report** of a happening.

**Grouping** is a single greedy pass over the reports sorted by date (ties by post id), like
first-story detection in news streams: a report joins the open event most similar to it, if
that similarity is at least `threshold` (0.3); otherwise it opens a new event. Against an event
the similarity is one of two cosines:

- when the event has posts in the report's language: the post as [a * LI, b * LS] against the
  sum of the event's LI vectors (all languages) next to the sum of its LS vectors in that
  language (a^2 = `li_weight` = 0.5, b^2 = 1 - a^2);
- when it has none yet: the LI vectors alone, less (`li_threshold` - `threshold`) = 0.15, so
  the report joins when its actors, numbers and names agree at cosine `li_threshold` (0.45) or
  more (stricter than within a language: there are no words to agree on).

An event is open while its last report is at most `window_days` (3) old and its first at most
`max_span_days` (14) old: a story that goes on longer is a trend, or a new event.

**Commentary** then attaches to the most similar event (same similarity, against the event's
reports) whose reports begin at most `attach_before` (1) day after the commentary and end at
most `attach_after` (7) days before it, when that similarity reaches `threshold`; it adds to the
event's posts, sources and languages, never to its dates.

**Keeping**: an event needs `min_posts` (2) posts, `min_reports` (1) of them reports, and a
distinct burst: among the features found in at least max(2, a third of, at most 10 of) its
posts, one whose
mean lift reaches min(`min_peak_lift` (6), 0.8 * (posts with it + 1)) — words nearly absent
around the window, not a theme that is merely louder that week (`peak_lift`).

**Merging**: two kept events whose reports lie within `merge_gap` (1) day of each other and
whose union spans less than `max_span_days` are one happening told twice (the English wire and
the Russian channels, the arrival and the talks of one visit, the sessions of one summit) when
their LI sums, or their LS sums, meet at cosine `merge_threshold` (0.5) or more, or when more
than half the posts
of each are about one organisation or format (`anchor_kinds`: a summit's plenary, its "plus"
session and its new member are one summit). Pairs merge most similar first.

**Reading the posts**: then the texts of the best events' posts are read (`texts`): a post
about another time than its own days — a preview («Январь начнётся с ...»), an anniversary, a
year in review — is not part of the happening and leaves its event (analyze/timefocus.py), which
is kept if it still qualifies, and ranked again; this goes on until the best `limit` events are
all read (every event, without a limit). An event of more than `read_all` (60) posts is read at
its edges: its first and last report days and the commentary outside them, again while they move.

**Describing**: dates (of the reports), posts (reports and commentary) and their copies,
distinct sources (channels that carried any of its posts, copies included), languages (most
posts first), the actors (at most 10) found in at least max(2, `core_share` = 20% of) its posts,
the themes (at most 5) that at least `theme_share` (half) of its posts are about — not one
post's stray tag —, most frequent first, the ids of its posts (by date, then id). Title and
quotes: see evidence.py.

**Ranking** by importance, each part scaled to [0, 1] against the year's events:

    score = 0.35 * ln(1 + sources) / ln(1 + max sources)
          + 0.20 * (languages - 1) / (max languages - 1)
          + 0.20 * actor weight
          + 0.25 * ln(1 + volume) / ln(1 + max volume)

`actor weight` is the attention the event's parties hold: the sum, over its core actors that
are states and organisations (people and companies count for their country or organisation
through `family`), of each one's share of the year's posts about it, over the largest such
share of any state or organisation, capped at 1. The focus country is a party like any other
(a referendum at home is its act): an event whose parties are a company, a minor state or
nobody the year's posts are about weighs less. `volume` is the posts plus their
amplification: `copy_weight` (0.5) per copy and `forward_weight` (0.05) per forward, forwards
counting at most as much as the posts. Many sources in several languages outrank one chatty
channel. The weights are options (`EventOptions.weights`); ties are broken by date, then post id.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from multivector.store.base import EPOCH, Content

DEFAULT_EVENT_WEIGHTS: dict[str, float] = {"sources": 0.35, "languages": 0.20, "actors": 0.20, "volume": 0.25}
COMMENTARY_GENRES = ("analysis", "digest")


@dataclass
class EventOptions:
    threshold: float = 0.3
    li_threshold: float = 0.45
    li_weight: float = 0.5
    number_weight: float = 0.7
    key_weight: float = 0.7
    half_window: int = 3
    baseline_days: int = 45
    min_count: int = 2
    min_lift: float = 2.0
    min_features: int = 2
    min_peak_lift: float = 6.0
    window_days: int = 3
    max_span_days: int = 14
    attach_before: int = 1
    attach_after: int = 7
    merge_threshold: float = 0.5
    merge_gap: int = 1
    anchor_kinds: tuple[str, ...] = ("org", "format")
    min_posts: int = 2
    min_reports: int = 1
    read_all: int = 60
    core_share: float = 0.2
    theme_share: float = 0.5
    max_actors: int = 10
    max_themes: int = 5
    copy_weight: float = 0.5
    forward_weight: float = 0.05
    commentary_genres: tuple[str, ...] = COMMENTARY_GENRES
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))

    def as_dict(self) -> dict:
        return {
            "threshold": self.threshold,
            "li_threshold": self.li_threshold,
            "li_weight": self.li_weight,
            "number_weight": self.number_weight,
            "key_weight": self.key_weight,
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
            "attach": {"before": self.attach_before, "after": self.attach_after},
            "merge": {
                "threshold": self.merge_threshold,
                "gap": self.merge_gap,
                "anchor_kinds": list(self.anchor_kinds),
            },
            "min_posts": self.min_posts,
            "min_reports": self.min_reports,
            "read_all": self.read_all,
            "core_share": self.core_share,
            "theme_share": self.theme_share,
            "copy_weight": self.copy_weight,
            "forward_weight": self.forward_weight,
            "commentary_genres": list(self.commentary_genres),
            "weights": {k: self.weights[k] for k in DEFAULT_EVENT_WEIGHTS},
        }


@dataclass
class Event:
    members: np.ndarray  # positions in the year's Content, sorted by (day, id): reports and commentary
    reports: np.ndarray  # the members that report the happening (the rest is commentary)
    day_start: int
    day_end: int
    posts: int
    copies: int
    sources: int
    actors: list[str]
    themes: list[str]
    langs: list[str] = field(default_factory=list)
    components: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    peak: float = 0.0  # ln(lift) of its strongest shared burst


# ---- bursts ---------------------------------------------------------------------------------


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
    """Each post's row times the burst weights of its day: every stored entry of x looks up the
    weight of its (day, feature) among the sorted keys of `weights` (a row of weights per post
    would hold every bursty feature of the day for every post). Each row's entries come out in
    the order the former day-by-day product with a diagonal gave (reversed), so every sum over a
    row downstream adds in the same order, to the same float."""
    if x.shape[1] == 0 or not len(day):
        return sp.csr_matrix(x.shape, dtype=np.float32)
    x = x.tocsr()
    w = weights.tocsr()
    w.sort_indices()
    width = x.shape[1]
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    rev = x.indptr[rows] + x.indptr[rows + 1] - 1 - np.arange(x.nnz)  # each row reversed
    data, indices = x.data[rev], x.indices[rev]
    w_key = np.repeat(np.arange(w.shape[0], dtype=np.int64), np.diff(w.indptr)) * width + w.indices
    key = (day[rows].astype(np.int64) - d0) * width + indices
    at = np.minimum(np.searchsorted(w_key, key), max(len(w_key) - 1, 0))
    values = np.zeros(len(key), dtype=np.float32)
    if len(w_key):
        found = w_key[at] == key
        values[found] = data[found] * w.data[at[found]]
    hit = values != 0
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[hit], minlength=x.shape[0]))])
    return sp.csr_matrix((values[hit], indices[hit], indptr), shape=x.shape)


def _binary(x: sp.csr_matrix) -> sp.csr_matrix:
    b = x.tocsr().astype(np.float32, copy=True)
    b.data[:] = 1.0
    return b


# ---- language-independent features ----------------------------------------------------------

_CYR = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщыэюяәғқңөұүһі",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh sh y e yu ya a g k n o u u h i".split(),
        strict=True,
    )
)
_CYR["ъ"] = _CYR["ь"] = ""
# Sounds written differently across scripts, folded together, in this order ("ch" is held as
# "C" so that the c -> k fold of English spelling does not take it).
_FOLD = (("dzh", "j"), ("sch", "s"), ("tch", "C"), ("ch", "C"), ("zh", "j"), ("sh", "s"), ("kh", "h"),
         ("ts", "s"), ("tz", "s"), ("ph", "f"), ("th", "t"), ("ck", "k"), ("x", "ks"), ("q", "k"),
         ("w", "v"), ("z", "s"), ("c", "k"), ("C", "c"))  # fmt: skip
_VOWELS = re.compile(r"[aeiouy]+")
_NOT_LETTER = re.compile(r"[^a-z]+")
_REPEAT = re.compile(r"(.)\1+")


def translit_key(term: str) -> str:
    """A rough sound key of a word in any of the scripts: Latin letters, similar sounds folded
    together, every vowel run written `a`, doubled letters single (Бишкек and Bishkek -> basak)."""
    t = _NOT_LETTER.sub("", "".join(_CYR.get(ch, ch) for ch in term.lower()))
    for a, b in _FOLD:
        t = t.replace(a, b)
    return _REPEAT.sub(r"\1", _VOWELS.sub("a", t))


def _key_block(vocab: np.ndarray, counts: sp.csr_matrix, lang: np.ndarray, min_len: int = 4) -> sp.csr_matrix:
    """posts x keys (0/1) for the transliteration keys found in posts of two languages or more."""
    n = counts.shape[0]
    if not len(vocab) or n == 0:
        return sp.csr_matrix((n, 0), dtype=np.float32)
    keys = [translit_key(str(t)) for t in vocab]
    index: dict[str, int] = {}
    cols = np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.int64, count=len(keys))
    ok = np.array([len(k) >= min_len for k in index], dtype=bool)
    mapping = sp.csr_matrix(
        (np.ones(len(keys), np.float32), (np.arange(len(keys)), cols)), shape=(len(keys), len(index))
    )
    post_keys = _binary(counts @ mapping)
    langs = np.unique(lang)
    if len(langs) < 2:
        return sp.csr_matrix((n, 0), dtype=np.float32)
    by_lang = sp.csr_matrix((np.ones(n, np.float32), (lang, np.arange(n))), shape=(int(lang.max()) + 1, n))
    present = (by_lang @ post_keys).tocsc()
    present.data[:] = 1.0
    n_langs = np.asarray(present.sum(axis=0)).ravel()
    shared = np.flatnonzero((n_langs >= 2) & ok)
    return post_keys[:, shared].tocsr()


class Numbers:
    """posts x numbers (0/1): the numbers of two digits or more in each post's lemma string,
    collected a page of strings at a time (so that the pass that counts the words can find them
    too, without reading the strings again)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.posts = 0

    def add(self, part: list[str]) -> None:
        # A vectorised pass over the bytes of the strings (most hold no number): runs of ASCII
        # digits, mapped back to their posts by the strings' offsets.
        first = self.posts
        self.posts += len(part)
        if not part:
            return
        blob = "\n".join(part).encode("utf-8")
        raw = np.frombuffer(blob, dtype=np.uint8)
        digit = np.concatenate([[False], (raw >= 48) & (raw <= 57), [False]])
        edges = np.flatnonzero(np.diff(digit.astype(np.int8)))
        starts, stops = edges[0::2], edges[1::2]
        long = stops - starts >= 2
        if not long.any():
            return  # no number in the page (the post of each number is looked up below)
        breaks = np.flatnonzero(raw == 10)
        if len(breaks) == len(part) - 1:  # one line per post: its end is the next line break
            ends = np.append(breaks, len(raw)) + 1
        else:  # a string holds a line break of its own: the ends from the strings' lengths
            ends = np.cumsum([len(x.encode("utf-8")) + 1 for x in part])
        for a, b in zip(starts[long], stops[long], strict=True):
            x = blob[a:b].decode("ascii").lstrip("0")
            if len(x) >= 2:
                self.rows.append(first + int(np.searchsorted(ends, a, side="right")))
                self.cols.append(self.index.setdefault(x, len(self.index)))

    def passing(self, pages: Iterable[list[str]]) -> Iterator[list[str]]:
        """The pages, unchanged, each read for its numbers on its way."""
        for page in pages:
            self.add(page)
            yield page

    def matrix(self, n: int) -> sp.csr_matrix:
        data = np.ones(len(self.rows), np.float32)
        return _binary(sp.csr_matrix((data, (self.rows, self.cols)), shape=(n, len(self.index))))


def number_block(lemmas: list[str] | Iterable[list[str]] | None, n: int, chunk: int = 4096) -> sp.csr_matrix:
    """posts x numbers (0/1) of every post's lemma string, or of pages of them in order (the
    store's `lemma_pages`); see `Numbers`."""
    if lemmas is None or n == 0:
        return sp.csr_matrix((n, 0), dtype=np.float32)
    pages = (
        (lemmas[i : i + chunk] for i in range(0, len(lemmas), chunk)) if isinstance(lemmas, list) else lemmas
    )
    numbers = Numbers()
    for part in pages:
        numbers.add(part)
    return numbers.matrix(n)


def _unit(x: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to length 1 (empty rows and matrices stay as they are)."""
    if x.shape[1] == 0:
        return sp.csr_matrix(x.shape, dtype=np.float32)
    return normalize(x.tocsr(), norm="l2")


@dataclass
class Features:
    li: sp.csr_matrix  # posts x LI features, burst-weighted, L2-normalised rows (or empty)
    ls: sp.csr_matrix  # posts x lemmas, burst-weighted TF-IDF, L2-normalised rows (or empty)
    lifts: sp.csr_matrix  # posts x (lemmas + LI features): ln(lift) of each feature on the post's day
    n_features: np.ndarray  # bursty features per post


def event_features(
    cur: Content,
    tfidf: sp.csr_matrix,
    focus: set[str],
    opt: EventOptions,
    vocab: np.ndarray | None = None,
    counts: sp.csr_matrix | None = None,
    lemmas: list[str] | Iterable[list[str]] | None = None,
    numbers: sp.csr_matrix | None = None,
) -> Features:
    """The burst-weighted LI and LS vectors of every post (see the module docstring); `numbers`
    is the numbers block when the caller already has it (then `lemmas` is not read)."""
    n = len(cur)
    keep = np.flatnonzero(np.array([a not in focus for a in cur.actor_ids], dtype=bool))
    actors = _binary(cur.actors[:, keep]) if len(keep) else sp.csr_matrix((n, 0), dtype=np.float32)
    if numbers is None:
        numbers = number_block(lemmas, n)
    keys = (
        _key_block(vocab, counts, cur.lang)
        if vocab is not None and counts is not None
        else sp.csr_matrix((n, 0), dtype=np.float32)
    )

    def weighted(x: sp.csr_matrix) -> sp.csr_matrix:
        if x.shape[1] == 0:
            return sp.csr_matrix(x.shape, dtype=np.float32)
        d0, w = burst_weights(
            cur.day, _binary(x), opt.half_window, opt.baseline_days, opt.min_count, opt.min_lift
        )
        return _apply(x, cur.day, d0, w)

    # ln(lift) of each feature of each post on its day; 0 where the feature is not bursty
    lift_terms = weighted(_binary(tfidf))
    lift_actors, lift_numbers, lift_keys = weighted(actors), weighted(numbers), weighted(keys)
    ls = _unit(tfidf.multiply(lift_terms).tocsr())
    li = sp.hstack(
        [_unit(lift_actors), _unit(lift_numbers) * opt.number_weight, _unit(lift_keys) * opt.key_weight],
        format="csr",
    )
    li = _unit(li).astype(np.float32)
    lifts = sp.hstack([lift_terms, lift_actors, lift_numbers, lift_keys], format="csr")
    n_features = lift_terms.getnnz(axis=1) + lift_actors.getnnz(axis=1) + lift_numbers.getnnz(axis=1)
    n_features = n_features + lift_keys.getnnz(axis=1)
    return Features(li=li, ls=ls.astype(np.float32), lifts=lifts, n_features=np.asarray(n_features).ravel())


# ---- grouping -------------------------------------------------------------------------------


def _sq_norms(x: sp.csr_matrix) -> np.ndarray:
    return np.asarray(x.multiply(x).sum(axis=1), dtype=np.float64).ravel()


def _rows(groups: list[list[int]] | list[np.ndarray], n: int) -> sp.csr_matrix:
    """groups x posts (0/1)."""
    rows = np.concatenate([np.full(len(g), i) for i, g in enumerate(groups)]) if groups else np.zeros(0)
    cols = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups]) if groups else np.zeros(0)
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(groups), n))


class _Similarity:
    """The similarity of posts to groups of posts (see the module docstring): the same-language
    cosine where the group has posts in the post's language, else the language-independent
    cosine less `li_threshold - threshold`."""

    def __init__(self, feats: Features, lang: np.ndarray, opt: EventOptions):
        self.f = feats
        self.lang = lang
        self.a2 = opt.li_weight
        self.b2 = 1.0 - opt.li_weight
        self.delta = opt.li_threshold - opt.threshold
        self.li_n2 = _sq_norms(feats.li)
        self.ls_n2 = _sq_norms(feats.ls)

    def score(
        self, p: int, d_li: np.ndarray, n2_li: np.ndarray, d_ls: np.ndarray, n2_ls: np.ndarray
    ) -> np.ndarray:
        """Post p against k groups: its dots with their LI sums and their same-language LS sums
        (nan where a group has no post in p's language), and those sums' squared norms."""
        pl, ps = self.li_n2[p], self.ls_n2[p]
        s_li = np.zeros(len(d_li))
        if pl > 0:
            ok = n2_li > 0
            s_li[ok] = d_li[ok] / np.sqrt(n2_li[ok])
        same = ~np.isnan(d_ls)
        s_same = np.zeros(len(d_li))
        if same.any():
            num = self.a2 * d_li[same] + self.b2 * d_ls[same]
            den = np.sqrt(self.a2 * n2_li[same] + self.b2 * n2_ls[same]) * math.sqrt(
                self.a2 * pl + self.b2 * ps
            )
            s_same[same] = np.divide(num, den, out=np.zeros(len(num)), where=den > 0)
        return np.where(same, s_same, s_li - self.delta)


def cluster(cur: Content, feats: Features, reports: np.ndarray, opt: EventOptions) -> list[np.ndarray]:
    """Greedy single pass over the reports (a boolean mask) in time order; each group's positions."""
    n = len(cur)
    if n == 0:
        return []
    ids = np.array(cur.ids, dtype=object)
    order = np.lexsort((ids, cur.day))
    order = order[(reports & (feats.n_features >= opt.min_features))[order]]
    if not len(order):
        return []
    sim = _Similarity(feats, cur.lang, opt)
    n_langs = int(cur.lang.max()) + 1 if n else 1
    members: list[list[int]] = []
    langs_of: list[set[int]] = []
    first: list[int] = []
    last: list[int] = []
    open_ids: list[int] = []  # groups that may still take reports
    bounds = np.flatnonzero(np.diff(cur.day[order])) + 1
    for block in np.split(order, bounds):
        d = int(cur.day[block[0]])
        open_ids = [
            c for c in open_ids if last[c] >= d - opt.window_days and first[c] > d - opt.max_span_days
        ]
        k, b = len(open_ids), len(block)
        pairs = [(j, lg) for j, c in enumerate(open_ids) for lg in sorted(langs_of[c])]
        cap_li, cap_ls = k + b, len(pairs) + b
        d_li = np.zeros((b, cap_li))
        d_ls = np.zeros((b, cap_ls))
        n2_li = np.zeros(cap_li)
        n2_ls = np.zeros(cap_ls)
        pair_index = np.full((n_langs, cap_li), -1, dtype=np.int64)
        x_li, x_ls = feats.li[block], feats.ls[block]
        if k:
            s_li = _rows([members[c] for c in open_ids], n) @ feats.li
            groups_ls = [[m for m in members[open_ids[j]] if cur.lang[m] == lg] for j, lg in pairs]
            s_ls = _rows(groups_ls, n) @ feats.ls
            d_li[:, :k] = (x_li @ s_li.T).toarray()
            d_ls[:, : len(pairs)] = (x_ls @ s_ls.T).toarray()
            n2_li[:k] = _sq_norms(s_li)
            n2_ls[: len(pairs)] = _sq_norms(s_ls)
            for q, (j, lg) in enumerate(pairs):
                pair_index[lg, j] = q
        g_li = (x_li @ x_li.T).toarray()
        g_ls = (x_ls @ x_ls.T).toarray()
        col_group = list(open_ids)
        used_li, used_ls = k, len(pairs)
        for i, p in enumerate(block):
            p = int(p)
            lg = int(cur.lang[p])
            best = -1
            if used_li:
                q = pair_index[lg, :used_li]
                row_ls = np.where(q >= 0, d_ls[i, np.maximum(q, 0)], np.nan)
                n2q = np.where(q >= 0, n2_ls[np.maximum(q, 0)], 0.0)
                eff = sim.score(p, d_li[i, :used_li], n2_li[:used_li], row_ls, n2q)
                j = int(np.argmax(eff))
                if eff[j] >= opt.threshold:
                    best = j
            if best < 0:  # a new group
                best = used_li
                used_li += 1
                c = len(members)
                members.append([])
                langs_of.append(set())
                first.append(d)
                last.append(d)
                col_group.append(c)
            c = col_group[best]
            n2_li[best] += 2.0 * d_li[i, best] + sim.li_n2[p]
            d_li[:, best] += g_li[:, i]
            q = int(pair_index[lg, best])
            if q < 0:
                q = used_ls
                used_ls += 1
                pair_index[lg, best] = q
            n2_ls[q] += 2.0 * d_ls[i, q] + sim.ls_n2[p]
            d_ls[:, q] += g_ls[:, i]
            members[c].append(p)
            langs_of[c].add(lg)
            last[c] = d
        open_ids = sorted(set(col_group))
    return [np.array(m, dtype=np.int64) for m in members]


def _group_sums(groups: list[np.ndarray], cur: Content, feats: Features):
    """LI sums of the groups, and their LS sums per (group, language) as rows of `ls` with
    `index[lang, group]` the row (-1 where the group has no post in that language)."""
    n = len(cur)
    n_langs = int(cur.lang.max()) + 1 if n else 1
    li = _rows(groups, n) @ feats.li
    pairs = sorted({(g, int(cur.lang[m])) for g, grp in enumerate(groups) for m in grp})
    index = np.full((n_langs, len(groups)), -1, dtype=np.int64)
    parts = []
    for q, (g, lg) in enumerate(pairs):
        index[lg, g] = q
        parts.append([int(m) for m in groups[g] if cur.lang[m] == lg])
    ls = _rows(parts, n) @ feats.ls
    return li.tocsr(), _sq_norms(li), ls.tocsr(), _sq_norms(ls), index


def attach_commentary(
    cur: Content, feats: Features, groups: list[np.ndarray], commentary: np.ndarray, opt: EventOptions
) -> list[list[int]]:
    """For each group, the commentary posts that discuss it (see the module docstring)."""
    out: list[list[int]] = [[] for _ in groups]
    posts = np.flatnonzero(commentary & (feats.n_features >= opt.min_features))
    if not len(groups) or not len(posts):
        return out
    sim = _Similarity(feats, cur.lang, opt)
    li, n2_li, ls, n2_ls, index = _group_sums(groups, cur, feats)
    firsts = np.array([int(cur.day[g].min()) for g in groups])
    lasts = np.array([int(cur.day[g].max()) for g in groups])
    posts = posts[np.lexsort((np.array([cur.ids[p] for p in posts], dtype=object), cur.day[posts]))]
    bounds = np.flatnonzero(np.diff(cur.day[posts])) + 1
    for block in np.split(posts, bounds):
        d = int(cur.day[block[0]])
        cand = np.flatnonzero((firsts - opt.attach_before <= d) & (lasts + opt.attach_after >= d))
        if not len(cand):
            continue
        d_li = (feats.li[block] @ li[cand].T).toarray()
        rows = np.unique(index[:, cand][index[:, cand] >= 0])
        d_ls_rows = (feats.ls[block] @ ls[rows].T).toarray() if len(rows) else np.zeros((len(block), 0))
        where = {int(r): k for k, r in enumerate(rows)}
        for i, p in enumerate(block):
            q = index[int(cur.lang[p]), cand]
            row_ls = np.array([d_ls_rows[i, where[int(r)]] if r >= 0 else np.nan for r in q])
            n2q = np.where(q >= 0, n2_ls[np.maximum(q, 0)], 0.0)
            eff = sim.score(int(p), d_li[i], n2_li[cand], row_ls, n2q)
            j = int(np.argmax(eff))
            if eff[j] >= opt.threshold:
                out[int(cand[j])].append(int(p))
    return out


def peak_lift(lifts: sp.csr_matrix, members: np.ndarray, min_peak_lift: float) -> tuple[float, bool]:
    """(peak, distinct) for a group. Over the features found in at least max(2, a third of)
    its posts (at most 10: a long story's burst need not run through all of it), `peak` is the largest mean ln(lift); the group is a distinct happening when one
    such feature's lift reaches min(`min_peak_lift`, 0.8 * (posts with it + 1)): words (or
    actors) nearly absent around the window, not a theme that is merely louder this week.
    (The cap matters for small groups: with c posts a lift cannot exceed c + 1.)"""
    sub = lifts[members]
    present = np.bincount(sub.indices, minlength=sub.shape[1])
    need = max(2.0, min(len(members) / 3, 10.0))
    core = np.flatnonzero(present >= need)
    if not len(core):
        return 0.0, False
    sums = np.asarray(sub.sum(axis=0)).ravel()
    mean = sums[core] / present[core]
    limit = np.log(np.minimum(min_peak_lift, 0.8 * (present[core] + 1.0)))
    return float(mean.max()), bool((mean >= limit - 1e-9).any())


@dataclass
class _Draft:
    reports: list[int]
    comments: list[int]

    @property
    def members(self) -> np.ndarray:
        return np.array(sorted(self.reports + self.comments), dtype=np.int64)


def _qualifies(d: _Draft, feats: Features, opt: EventOptions) -> bool:
    if len(d.reports) < opt.min_reports or len(d.reports) + len(d.comments) < opt.min_posts:
        return False
    return peak_lift(feats.lifts, d.members, opt.min_peak_lift)[1]


class _Focus:
    """Which posts speak of another time than their own days (timefocus.py), read on demand."""

    def __init__(self, cur: Content, texts: Callable[[Iterable[str]], dict[str, str]]):
        from multivector.analyze.timefocus import TimeCues

        self.cur, self.texts, self.cues = cur, texts, TimeCues.builtin()
        self.away: dict[int, bool] = {}

    def check(self, posts: Iterable[int]) -> None:
        from multivector.analyze.timefocus import NOW

        cur = self.cur
        todo = sorted({int(p) for p in posts} - set(self.away))
        found = self.texts(cur.ids[p] for p in todo) if todo else {}
        for p in todo:
            text = found.get(cur.ids[p])
            day = date.fromordinal(int(cur.day[p]) + EPOCH)
            self.away[p] = bool(text) and self.cues.focus(text, cur.langs[cur.lang[p]], day).kind != NOW

    def keep(self, d: _Draft, read_all: int) -> _Draft:
        """The draft without its posts about another time. A draft of more than `read_all` posts
        is read at its edges only: the posts of its first and last report days and the commentary
        outside them (a preview or a look back can only stretch its dates there; among hundreds
        of reports it is noise), again while the edges move."""
        cur = self.cur
        if len(d.reports) + len(d.comments) <= read_all:
            self.check([*d.reports, *d.comments])
        else:
            for _ in range(3):
                days = cur.day[d.reports]
                lo, hi = int(days.min()), int(days.max())
                edge = [p for p in (*d.reports, *d.comments) if not lo < cur.day[p] < hi]
                self.check(edge)
                d = _Draft(
                    [p for p in d.reports if not self.away.get(p)],
                    [p for p in d.comments if not self.away.get(p)],
                )
                if not d.reports or (int(cur.day[d.reports].min()), int(cur.day[d.reports].max())) == (
                    lo,
                    hi,
                ):
                    break
        return _Draft(
            [p for p in d.reports if not self.away.get(p)], [p for p in d.comments if not self.away.get(p)]
        )


def _verified(
    events: list[Event],
    focus: _Focus,
    describe_one: _Describer,
    cur: Content,
    feats: Features,
    opt: EventOptions,
    limit: int | None,
) -> list[Event]:
    """The events, best first, with the top `limit` (all: None) read for previews and looks back:
    those posts leave their event, which is described and ranked again (or dropped when it no
    longer qualifies), until the top `limit` are all read."""
    done: set[int] = set()
    while True:
        rank(cur, events, opt)
        top = events if limit is None else events[:limit]
        todo = [e for e in top if id(e) not in done]
        if not todo:
            return top
        focus.check(int(p) for e in todo if len(e.members) <= opt.read_all for p in e.members)  # one batch
        replaced: dict[int, Event | None] = {}
        for e in todo:
            reports = {int(p) for p in e.reports}
            d = _Draft(sorted(reports), [int(p) for p in e.members if int(p) not in reports])
            d = focus.keep(d, opt.read_all)
            new = describe_one(d) if _qualifies(d, feats, opt) else None
            if new is not None:
                done.add(id(new))
            replaced[id(e)] = new
        events = [replaced.get(id(e), e) for e in events]
        events = [e for e in events if e is not None]


def _cos(a: sp.csr_matrix, b: sp.csr_matrix) -> float:
    na, nb = math.sqrt(float(a.multiply(a).sum())), math.sqrt(float(b.multiply(b).sum()))
    return float(a.multiply(b).sum()) / (na * nb) if na * nb else 0.0


def _anchors(cur: Content, drafts: list[_Draft], kind: Callable[[str], str | None] | None, focus: set[str],
             opt: EventOptions) -> list[set[int]]:  # fmt: skip
    """Each draft's organisations and formats (`anchor_kinds`) that more than half its posts are about."""
    if kind is None:
        return [set() for _ in drafts]
    cols = [j for j, a in enumerate(cur.actor_ids) if a not in focus and kind(a) in opt.anchor_kinds]
    if not cols:
        return [set() for _ in drafts]
    sub = cur.actors[:, cols].tocsr()
    out = []
    for d in drafts:
        counts = np.asarray(sub[d.members].sum(axis=0)).ravel()
        out.append({cols[j] for j in np.flatnonzero(counts > len(d.members) / 2)})
    return out


def merge(
    cur: Content,
    feats: Features,
    drafts: list[_Draft],
    opt: EventOptions,
    anchors: list[set[int]] | None = None,
) -> list[_Draft]:
    """Join drafts that tell one happening (see the module docstring), most similar pair first."""
    k = len(drafts)
    if k < 2:
        return drafts
    anchors = anchors or [set() for _ in drafts]
    rows = _rows([d.members for d in drafts], len(cur))
    li = (rows @ feats.li).tocsr()
    ls = (rows @ feats.ls).tocsr()
    first = np.array([int(cur.day[d.reports].min()) for d in drafts])
    last = np.array([int(cur.day[d.reports].max()) for d in drafts])
    order = np.argsort(first, kind="stable")
    pairs = []  # drafts close enough in time, compared all at once below
    for a_pos, a in enumerate(order):
        for b in order[a_pos + 1 :]:
            if first[b] > last[a] + opt.merge_gap:
                break
            if max(last[a], last[b]) - min(first[a], first[b]) < opt.max_span_days:
                pairs.append((int(min(a, b)), int(max(a, b))))
    if not pairs:
        return drafts
    pa, pb = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])

    def cosines(x: sp.csr_matrix) -> np.ndarray:
        norms = np.sqrt(_sq_norms(x))
        dots = np.asarray(x[pa].multiply(x[pb]).sum(axis=1)).ravel()
        den = norms[pa] * norms[pb]
        return np.divide(dots, den, out=np.zeros(len(pairs)), where=den > 0)

    cos_all = np.maximum(cosines(li), cosines(ls))
    candidates = []
    for (a, b), cos in zip(pairs, cos_all, strict=True):
        shared = bool(anchors[a] & anchors[b])
        if cos >= opt.merge_threshold or shared:
            candidates.append((-(float(cos) + shared), a, b))
    if not candidates:
        return drafts
    parent = list(range(k))
    sums = {i: (li[i], ls[i]) for i in range(k)}
    span = {i: (int(first[i]), int(last[i])) for i in range(k)}
    anchor = {i: set(anchors[i]) for i in range(k)}

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for _, a, b in sorted(candidates):
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        lo, hi = min(span[ra][0], span[rb][0]), max(span[ra][1], span[rb][1])
        if hi - lo >= opt.max_span_days:
            continue
        (la, sa), (lb, sb) = sums[ra], sums[rb]
        if max(_cos(la, lb), _cos(sa, sb)) < opt.merge_threshold and not anchor[ra] & anchor[rb]:
            continue  # the groups as they now stand no longer agree
        keep, gone = min(ra, rb), max(ra, rb)
        parent[gone] = keep
        sums[keep] = (la + lb, sa + sb)
        span[keep] = (lo, hi)
        anchor[keep] = anchor[ra] | anchor[rb]
    out: dict[int, _Draft] = {}
    for i, d in enumerate(drafts):
        r = root(i)
        if r not in out:
            out[r] = _Draft([], [])
        out[r].reports.extend(d.reports)
        out[r].comments.extend(d.comments)
    return [out[r] for r in sorted(out)]


# ---- describing and ranking -----------------------------------------------------------------


class _Describer:
    """Describes drafts as events (see the module docstring); scores come from `rank`."""

    def __init__(
        self,
        cur: Content,
        opt: EventOptions,
        feats: Features | None = None,
        family: Callable[[str], str | None] | None = None,
    ):
        self.cur, self.opt, self.feats = cur, opt, feats
        actor_share = np.asarray(cur.actors.sum(axis=0)).ravel() / max(len(cur), 1)
        # Each actor's state-level subject: people and companies count for their country.
        self.fam = [(family(a) if family is not None else a) for a in cur.actor_ids]
        share: dict[str, float] = {}
        for j, f in enumerate(self.fam):
            if f is not None:
                share[f] = max(share.get(f, 0.0), float(actor_share[j]))
        if family is not None:  # a state's share: its own id's, when it is an actor of the year
            for j, a in enumerate(cur.actor_ids):
                if self.fam[j] == a and a in share:
                    share[a] = float(actor_share[j])
        self.share = share
        self.top_share = max(share.values(), default=0.0)
        self.ids = np.array(cur.ids, dtype=object)

    def __call__(self, d: _Draft) -> Event:
        cur, opt = self.cur, self.opt
        g = d.members
        g = g[np.lexsort((self.ids[g], cur.day[g]))]
        reports = np.array(sorted(d.reports), dtype=np.int64)
        posts = len(g)
        need = max(2.0, opt.core_share * posts)
        a_counts = np.asarray(cur.actors[g].sum(axis=0)).ravel()
        t_counts = np.asarray(cur.themes[g].sum(axis=0)).ravel()
        a_order = np.lexsort((np.arange(len(a_counts)), -a_counts))
        actors = [cur.actor_ids[j] for j in a_order if a_counts[j] >= need]
        t_need = max(1.0, opt.theme_share * posts)
        t_order = np.lexsort((np.arange(len(t_counts)), -t_counts))
        themes = [cur.theme_ids[j] for j in t_order if t_counts[j] >= t_need]
        parties = {self.fam[j] for j in a_order if a_counts[j] >= need and self.fam[j] is not None}
        weight = sum(self.share.get(f, 0.0) for f in parties) / self.top_share if self.top_share else 0.0
        lang_counts = np.bincount(cur.lang[g], minlength=len(cur.langs))
        l_order = np.lexsort((np.arange(len(lang_counts)), -lang_counts))
        langs = [cur.langs[j] for j in l_order if lang_counts[j] and cur.langs[j] not in ("und", "")]
        peak = peak_lift(self.feats.lifts, g, opt.min_peak_lift)[0] if self.feats is not None else 0.0
        return Event(
            members=g, reports=reports, day_start=int(cur.day[reports].min()),
            day_end=int(cur.day[reports].max()), posts=posts, copies=int(cur.copies[g].sum()),
            sources=int((np.asarray(cur.reach[g].sum(axis=0)).ravel() > 0).sum()),
            actors=actors[: opt.max_actors], themes=themes[: opt.max_themes], langs=langs,
            components={"actors": float(min(1.0, weight))}, peak=peak,
        )  # fmt: skip


def describe(
    cur: Content,
    drafts: list[_Draft],
    focus: set[str],
    opt: EventOptions,
    feats: Features | None = None,
    family: Callable[[str], str | None] | None = None,
) -> list[Event]:
    """The drafts as events, described and scored (best first)."""
    one = _Describer(cur, opt, feats, family)
    out = [one(d) for d in drafts]
    rank(cur, out, opt)
    return out


def rank(cur: Content, events: list[Event], opt: EventOptions) -> None:
    """Score the events (see the module docstring) and sort them, best first."""
    if not events:
        return

    def volume(e: Event) -> float:
        forwards = float(cur.forwards[e.members].sum())
        return e.posts + opt.copy_weight * e.copies + min(float(e.posts), opt.forward_weight * forwards)

    w = opt.weights
    total_w = sum(w.values()) or 1.0
    max_sources = max(e.sources for e in events)
    max_langs = max(len(e.langs) for e in events)
    max_volume = max(volume(e) for e in events)
    for e in events:
        comp = e.components
        comp["sources"] = math.log1p(e.sources) / math.log1p(max_sources) if max_sources else 0.0
        comp["languages"] = (len(e.langs) - 1) / (max_langs - 1) if max_langs > 1 and e.langs else 0.0
        comp["volume"] = math.log1p(volume(e)) / math.log1p(max_volume) if max_volume else 0.0
        comp.setdefault("actors", 0.0)
        e.score = sum(w.get(k, 0.0) * comp[k] for k in DEFAULT_EVENT_WEIGHTS) / total_w
    events.sort(key=lambda e: (-round(e.score, 6), e.day_start, cur.ids[e.members[0]]))


def find_events(
    cur: Content,
    features,
    focus: set[str],
    options: EventOptions | None = None,
    *,
    lemmas: list[str] | Callable[[], list[str] | Iterable[list[str]]] | None = None,
    texts: Callable[[Iterable[int]], dict[int, str]] | None = None,
    family: Callable[[str], str | None] | None = None,
    kind: Callable[[str], str | None] | None = None,
    limit: int | None = None,
    numbers: sp.csr_matrix | None = None,
) -> list[Event]:
    """The year's events, best first (see the module docstring).

    `features` is the year's TextFeatures (or only its TF-IDF matrix: then no transliteration
    keys); `lemmas` the posts' lemma strings, or a function that loads them (for the numbers);
    `numbers` the posts' numbers block (`Numbers`) when it is at hand: then `lemmas` is not read;
    `texts(ids) -> {id: text}` reads posts for the time focus (None: no post is dropped
    as a preview or a look back);
    `family(actor id)` the state or organisation an actor counts for (None: itself); `kind(actor
    id)` its kind in the knowledge files (country, org, format, person ...; None: no anchors).
    With `limit`, only the best `limit` events are returned, and only their posts are read."""
    opt = options or EventOptions()
    tfidf = features if sp.issparse(features) else features.tfidf
    vocab = None if sp.issparse(features) else features.vocab
    counts = None if sp.issparse(features) else features.counts
    if len(cur) < opt.min_posts or tfidf.shape[1] == 0:
        return []
    if numbers is None:  # a loader rather than the strings, so that they go as soon as the numbers are read
        lemmas = lemmas() if callable(lemmas) else lemmas
    feats = event_features(
        cur, tfidf, focus, opt, vocab, counts, lemmas if numbers is None else None, numbers
    )
    if cur.genre is not None and cur.genres:
        commentary_codes = [i for i, gname in enumerate(cur.genres) if gname in opt.commentary_genres]
        commentary = np.isin(cur.genre, commentary_codes)
    else:
        commentary = np.zeros(len(cur), dtype=bool)
    groups = cluster(cur, feats, ~commentary, opt)
    attached = attach_commentary(cur, feats, groups, commentary, opt)
    drafts = [_Draft([int(p) for p in g], c) for g, c in zip(groups, attached, strict=True)]
    drafts = [d for d in drafts if _qualifies(d, feats, opt)]
    drafts = merge(cur, feats, drafts, opt, _anchors(cur, drafts, kind, focus, opt))
    describe_one = _Describer(cur, opt, feats, family)
    events = [describe_one(d) for d in drafts]
    if texts is None:
        rank(cur, events, opt)
        return events if limit is None else events[:limit]
    return _verified(events, _Focus(cur, texts), describe_one, cur, feats, opt, limit)
