"""Partner balance, the "multi-vector" index.

Each in-scope content post votes once for every partner vector one of its actors belongs to
(a post on Russia and China counts for both; two Chinese actors in one post count once for
`china`). A vector's **share** is its votes over all votes, so the shares of a period sum to
1; the focus country's own actors belong to no vector and do not vote.

The spread of the shares is summarised by the normalised Shannon entropy
`H = -sum(s * ln s) / ln K` (1 when attention is spread evenly over the K vectors of the
profile, 0 when one vector takes everything) and the Herfindahl-Hirschman index
`HHI = sum(s^2)` (1/K when even, 1 when one vector takes everything). The year-on-year
`shift` of a vector is its share this year minus its share the year before; both are null
when the year before holds no vote (nothing to compare with is not a share of 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from multivector.analyze.attention import attention, vector_matrix
from multivector.analyze.lexicon import Lexicon
from multivector.store.base import Content


def normalised_entropy(shares: Sequence[float], k: int | None = None) -> float:
    """Shannon entropy of the shares over ln(k) (k: the number of categories; default: len)."""
    k = len(shares) if k is None else k
    if k <= 1:
        return 0.0
    h = -sum(s * math.log(s) for s in shares if s > 0)
    return h / math.log(k) if h > 0 else 0.0  # one share of 1 gives -0.0, printed "-0.000"


def hhi(shares: Sequence[float]) -> float:
    return float(sum(s * s for s in shares))


def _norm(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else np.zeros(len(counts))


def balance(
    cur: Content, prev: Content | None, lexicon: Lexicon, period: str = "month",
    periods: list[str] | None = None, digits: int = 4,
) -> dict:  # fmt: skip
    """Vector shares for the year and per period, entropy, HHI, and the shift from `prev`."""
    series = attention(cur, "vector", lexicon, period, periods)
    vectors = series.keys
    k = len(lexicon.vectors) or len(vectors)
    year_counts = _votes(cur, lexicon, vectors)
    year = _norm(year_counts)
    if prev is not None:
        prev_counts = _votes(prev, lexicon, vectors)
        before = _norm(prev_counts)
    else:
        prev_counts = np.zeros(len(vectors))
        before = np.zeros(len(vectors))
    r = lambda x: round(float(x), digits)  # noqa: E731
    compared = before.sum() > 0
    partners = [
        {
            "vector": v,
            "share": r(year[j]),
            "share_prev": r(before[j]) if compared else None,
            "shift": r(year[j] - before[j]) if compared else None,
            "posts": int(year_counts[j]),
            "posts_prev": int(prev_counts[j]),
        }
        for j, v in enumerate(vectors)
    ]
    partners.sort(key=lambda p: (-p["share"], -(p["share_prev"] or 0.0), p["vector"]))
    per_period = series.normalised()
    return {
        "partners": partners,
        "entropy": r(normalised_entropy(year, k)),
        "hhi": r(hhi(year)),
        "entropy_prev": r(normalised_entropy(before, k)) if compared else None,
        "hhi_prev": r(hhi(before)) if compared else None,
        "vectors_in_profile": k,
        "periods": series.periods,
        "series": {v: [r(x) for x in per_period[:, j]] for j, v in enumerate(vectors)},
        "entropy_series": [
            r(normalised_entropy(per_period[i], k)) if per_period[i].sum() > 0 else None
            for i in range(len(series.periods))
        ],
        "votes": int(year_counts.sum()),
    }


def _votes(content: Content, lexicon: Lexicon, vectors: list[str]) -> np.ndarray:
    keys, m = vector_matrix(content, lexicon)
    col = {v: j for j, v in enumerate(keys)}
    sums = np.asarray(m.sum(axis=0)).ravel()
    return np.array([sums[col[v]] if v in col else 0.0 for v in vectors], dtype=np.float64)
