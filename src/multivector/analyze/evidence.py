"""Evidence: verbatim sentences that best represent a trend or an event.

For a group of posts (a theme's posts in the year, a topic, an event):

1. its **centroid** is the normalised mean of the posts' lemma TF-IDF vectors, and each
   post's centrality is its cosine similarity to the centroid;
2. the `candidates` most central posts are split into sentences (razdel), each sentence
   a verbatim slice `text[start:stop]` of the stored text, so a quote is always found in
   its post;
3. a sentence scores `0.5 * post centrality + 0.5 * sentence centrality` (the sentence's own
   lemma TF-IDF against the centroid), plus `span_bonus` if it contains a span where the
   theme matched (`theme_hits`), so the quote shows the words that put the post in the theme;
   sentences shorter than `floor_chars` are skipped; shorter than `min_chars` (headlines,
   "details on the website") or longer than `max_chars` are used only when nothing better is
   left (a long one cut at a word boundary: still a verbatim slice);
4. quotes are picked greedily by score, from a new channel each time while one is left, never
   twice from one post and never a near-repeat of a quote already taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from multivector.analyze.text import TextFeatures
from multivector.store.base import Content, Store, iso_day


@dataclass
class EvidenceOptions:
    quotes: int = 3
    candidates: int = 30
    min_chars: int = 50
    floor_chars: int = 15
    max_chars: int = 400
    span_bonus: float = 0.2
    title_chars: int = 200


@dataclass
class Sentence:
    pos: int  # position in the year's Content
    start: int
    stop: int
    text: str
    score: float
    has_span: bool


def centroid(x: sp.csr_matrix, members: np.ndarray) -> np.ndarray:
    if not len(members) or x.shape[1] == 0:
        return np.zeros(x.shape[1], dtype=np.float64)
    c = np.asarray(x[members].mean(axis=0)).ravel().astype(np.float64)
    norm = np.linalg.norm(c)
    return c / norm if norm > 0 else c


def central_members(
    x: sp.csr_matrix, members: np.ndarray, ids: list[str], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The k members most similar to the group's centroid (ties by post id), and their similarity."""
    c = centroid(x, members)
    sims = x[members] @ c if len(members) else np.zeros(0)
    order = np.lexsort((np.array([ids[i] for i in members], dtype=object), -np.round(sims, 9)))[:k]
    return members[order], sims[order]


def _words(text: str) -> set[str]:
    return set(text.lower().split())


def _near_repeat(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return a == b
    return len(wa & wb) / len(wa | wb) >= 0.7


def _cut(text: str, start: int, stop: int, max_chars: int) -> tuple[int, int]:
    if stop - start <= max_chars:
        return start, stop
    cut = text.rfind(" ", start, start + max_chars)
    return start, (cut if cut > start + max_chars // 2 else start + max_chars)


def _sentence_spans(text: str, sentenize) -> list[tuple[int, int]]:
    """(start, stop) of each sentence: razdel within each line (a line break ends a sentence:
    headlines and list items carry no full stop)."""
    out = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            out.extend((offset + s.start, offset + s.stop) for s in sentenize(line))
        offset += len(line) + 1
    return out


def sentences(
    store: Store,
    cur: Content,
    features: TextFeatures,
    members: np.ndarray,
    theme: str | None = None,
    options: EvidenceOptions | None = None,
) -> list[Sentence]:
    """Candidate sentences of the group's most central posts, best first."""
    from razdel import sentenize

    from multivector.annotate.tokens import lemma_text

    opt = options or EvidenceOptions()
    if not len(members):
        return []
    c = centroid(features.tfidf, members)
    top, post_sims = central_members(features.tfidf, members, cur.ids, opt.candidates)
    ids = [cur.ids[p] for p in top]
    texts = store.texts_by_id(ids)
    spans = store.theme_spans(ids, theme) if theme else {}
    raw: list[tuple[int, int, int, str, float, bool, bool]] = []
    lemma_strings: list[str] = []
    for p, psim in zip(top, post_sims, strict=True):
        text = texts.get(cur.ids[p], "")
        lang = cur.langs[cur.lang[p]]
        post_spans = spans.get(cur.ids[p], [])
        for start, stop in _sentence_spans(text, sentenize):
            if stop - start < opt.floor_chars:
                continue
            short = stop - start < opt.min_chars
            long = stop - start > opt.max_chars
            has_span = any(start <= a and b <= stop for a, b in post_spans)
            start, stop = _cut(text, start, stop, opt.max_chars)
            piece = text[start:stop]
            raw.append((int(p), start, stop, piece, float(psim), has_span, long, short))
            lemma_strings.append(lemma_text(piece, lang))
    if not raw:
        return []
    _, sx = features.transform(lemma_strings)
    s_sims = sx @ c if sx.shape[1] else np.zeros(len(raw))
    out = []
    for (p, start, stop, piece, psim, has_span, long, short), ssim in zip(raw, s_sims, strict=True):
        score = 0.5 * psim + 0.5 * float(ssim) + (opt.span_bonus if has_span else 0.0)
        score -= (1.0 if long else 0.0) + (0.5 if short else 0.0)
        out.append(Sentence(p, start, stop, piece, score, has_span))
    out.sort(key=lambda s: (-round(s.score, 9), cur.ids[s.pos], s.start))
    return out


def pick(cur: Content, candidates: list[Sentence], k: int) -> list[Sentence]:
    """Up to k quotes: best first, a new channel each time while one is left, one per post."""
    chosen: list[Sentence] = []
    used_posts: set[int] = set()
    used_channels: set[int] = set()
    for strict_channels in (True, False):
        for s in candidates:
            if len(chosen) >= k:
                return chosen
            if s.pos in used_posts:
                continue
            ch = int(cur.channel[s.pos])
            if strict_channels and ch in used_channels:
                continue
            if any(_near_repeat(s.text, q.text) for q in chosen):
                continue
            chosen.append(s)
            used_posts.add(s.pos)
            used_channels.add(ch)
    return chosen


def as_evidence(cur: Content, chosen: list[Sentence]) -> list[dict]:
    return [
        {
            "post_id": cur.ids[s.pos],
            "channel": cur.channels[cur.channel[s.pos]],
            "date": iso_day(cur.day[s.pos]),
            "quote": s.text,
        }
        for s in chosen
    ]


def title(candidates: list[Sentence], max_chars: int) -> Sentence | None:
    """The best sentence no longer than `max_chars` (or the best one, if all are longer)."""
    for s in candidates:
        if len(s.text) <= max_chars:
            return s
    return candidates[0] if candidates else None
