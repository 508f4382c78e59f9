"""Bag-of-lemmas features: counts and TF-IDF over the lemma strings of the full-text index.

The store keeps every post as a space-separated string of lemmas (Russian normal forms,
Kazakh stems, light English stems), so vectorising is a whitespace split. Stop words
(`stopwords.py`), numbers and one- or two-letter tokens are removed, as are lemmas found in
fewer than `min_df` posts or in more than `max_df` of them. The vocabulary is sorted, so
the features do not depend on the order of the posts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from multivector.annotate.stopwords import is_stop


@dataclass
class TextFeatures:
    vocab: np.ndarray  # str, sorted
    counts: sp.csr_matrix  # posts x vocab, int32
    tfidf: sp.csr_matrix  # posts x vocab, float32, sublinear tf, L2-normalised rows
    idf: np.ndarray  # float32 per term

    def term_index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.vocab)}

    def transform(self, lemma_strings: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Counts and TF-IDF of other texts over this vocabulary."""
        return self.transform_pages([lemma_strings])

    def transform_pages(self, pages: Iterable[list[str]]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """`transform` of texts that come a page at a time (each row depends on its text only)."""
        cv = CountVectorizer(analyzer=str.split, vocabulary=self.term_index(), dtype=np.int32)
        parts = [cv.transform(page).tocsr() for page in pages]
        counts = (
            sp.vstack(parts, format="csr", dtype=np.int32)
            if parts
            else sp.csr_matrix((0, len(self.vocab)), dtype=np.int32)
        )
        return counts, _tfidf(counts, self.idf)


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    x = counts.astype(np.float32)
    np.log(x.data, out=x.data)
    x.data += 1.0
    x = x @ sp.diags(idf.astype(np.float32))
    return normalize(x.tocsr(), norm="l2", copy=False).astype(np.float32)


def vectorize(
    lemma_strings: list[str], min_df: int = 2, max_df: float = 0.5, extra_stop: frozenset[str] = frozenset()
) -> TextFeatures:
    """Counts and TF-IDF of the given lemma strings (one per post); `extra_stop` are more
    lemmas to leave out (the focus country's own names)."""
    return vectorize_pages([lemma_strings], min_df, max_df, extra_stop)


def _count_page(docs: list[str], index: dict[str, int]) -> sp.csr_matrix:
    """docs x (terms seen so far) counts; the page's new terms join `index` (in sorted order)."""
    cv = CountVectorizer(analyzer=str.split, dtype=np.int32)
    try:
        x = cv.fit_transform(docs).tocsr()
    except ValueError:  # no word in the page
        return sp.csr_matrix((len(docs), len(index)), dtype=np.int32)
    terms = cv.get_feature_names_out()
    to_index = np.fromiter((index.setdefault(t, len(index)) for t in terms), dtype=np.int32, count=len(terms))
    return sp.csr_matrix((x.data, to_index[x.indices], x.indptr), shape=(len(docs), len(index)))


def vectorize_pages(
    pages: Iterable[list[str]], min_df: int = 2, max_df: float = 0.5, extra_stop: frozenset[str] = frozenset()
) -> TextFeatures:
    """`vectorize` over lemma strings that come a page at a time (the store's `lemma_pages`):
    only the counts are kept, never every post's string. The same features as one page would
    give: the vocabulary is sorted, and `min_df`/`max_df` count over all the pages."""
    index: dict[str, int] = {}
    parts = [_count_page(page, index) for page in pages]
    n = sum(p.shape[0] for p in parts)
    width = len(index)
    for p in parts:  # a page saw only the terms met up to it
        p.resize((p.shape[0], width))
    counts = (
        sp.vstack(parts, format="csr", dtype=np.int32) if parts else sp.csr_matrix((0, 0), dtype=np.int32)
    )
    del parts
    df = np.bincount(counts.indices, minlength=width)
    min_df_eff = min(min_df, max(1, n))
    high = (max_df if n >= 10 else 1.0) * n
    terms = np.array(sorted(index), dtype=object)
    if not len(terms):  # empty vocabulary
        return TextFeatures(np.array([], dtype=object), sp.csr_matrix((n, 0), dtype=np.int32),
                            sp.csr_matrix((n, 0), dtype=np.float32), np.zeros(0, np.float32))  # fmt: skip
    cols = np.fromiter((index[t] for t in terms), dtype=np.int64, count=len(terms))  # sorted term -> column
    keep = (df[cols] >= min_df_eff) & (df[cols] <= high)
    keep &= np.array([not is_stop(t) and t not in extra_stop for t in terms], dtype=bool)
    vocab = terms[keep]
    counts = counts[:, cols[keep]].tocsr()
    counts.sort_indices()
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
    tfidf = _tfidf(counts, idf)
    return TextFeatures(vocab, counts, tfidf, idf)


def class_tfidf(counts: sp.csr_matrix, membership: sp.csr_matrix) -> np.ndarray:
    """Class-based TF-IDF (Grootendorst 2022): classes x vocab.

    `membership` is classes x posts (0/1). For term t and class c:
    `W[c, t] = tf[c, t] / |c| * log(1 + A / f[t])`, where tf is the count of t over the class's
    posts, |c| the class's total count, f[t] the count of t over all posts and A the average
    number of words per class.
    """
    tf = np.asarray((membership @ counts).todense(), dtype=np.float64)
    sizes = tf.sum(axis=1, keepdims=True)
    sizes[sizes == 0] = 1.0
    f = np.asarray(counts.sum(axis=0), dtype=np.float64).ravel()
    f[f == 0] = 1.0
    avg = max(tf.sum() / max(tf.shape[0], 1), 1.0)
    return tf / sizes * np.log1p(avg / f)


def top_terms(weights: np.ndarray, vocab: np.ndarray, k: int) -> list[str]:
    """The k highest-weighted terms of one row; ties broken alphabetically."""
    if not len(weights):
        return []
    nz = np.flatnonzero(weights > 0)
    order = nz[np.lexsort((vocab[nz], -np.round(weights[nz], 9)))]
    return [str(t) for t in vocab[order[:k]]]
