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

import re
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import scipy.sparse as sp

from multivector.analyze.text import TextFeatures
from multivector.store.base import EPOCH, Content, Store, iso_day


@dataclass
class EvidenceOptions:
    quotes: int = 3
    candidates: int = 30
    min_chars: int = 50
    floor_chars: int = 15
    max_chars: int = 400
    span_bonus: float = 0.2
    title_chars: int = 200
    title_min_chars: int = 30


@dataclass
class Sentence:
    pos: int  # position in the year's Content
    start: int
    stop: int
    text: str
    score: float
    has_span: bool
    index: int = 0  # the sentence's place in its post (0: the first)
    lemmas: str = ""  # its lemma string


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


_LEAD_JUNK = re.compile(r"[\s\-–—•▪►*_·]+")
_TAIL_JUNK = re.compile(r"[\s*_]+$")


def _trim_start(text: str, start: int, stop: int) -> int:
    m = _LEAD_JUNK.match(text, start, stop)
    return m.end() if m else start


def _trim_stop(text: str, start: int, stop: int) -> int:
    """The end of a sentence without the markup a channel leaves around it (bold `**`)."""
    m = _TAIL_JUNK.search(text, start, stop)
    return m.start() if m and m.start() > start else stop


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
    raw: list[tuple[int, int, int, str, float, bool, bool, bool, int]] = []
    lemma_strings: list[str] = []
    for p, psim in zip(top, post_sims, strict=True):
        text = texts.get(cur.ids[p], "")
        lang = cur.langs[cur.lang[p]]
        post_spans = spans.get(cur.ids[p], [])
        for index, (start, stop) in enumerate(_sentence_spans(text, sentenize)):
            start = _trim_start(text, start, stop)  # a bullet or a dash before the words
            stop = _trim_stop(text, start, stop)
            if stop - start < opt.floor_chars:
                continue
            short = stop - start < opt.min_chars
            long = stop - start > opt.max_chars
            has_span = any(start <= a and b <= stop for a, b in post_spans)
            start, stop = _cut(text, start, stop, opt.max_chars)
            piece = text[start:stop]
            raw.append((int(p), start, stop, piece, float(psim), has_span, long, short, index))
            lemma_strings.append(lemma_text(piece, lang))
    if not raw:
        return []
    _, sx = features.transform(lemma_strings)
    s_sims = sx @ c if sx.shape[1] else np.zeros(len(raw))
    out = []
    for (p, start, stop, piece, psim, has_span, long, short, index), ssim, lem in zip(
        raw, s_sims, lemma_strings, strict=True
    ):
        score = 0.5 * psim + 0.5 * float(ssim) + (opt.span_bonus if has_span else 0.0)
        score -= (1.0 if long else 0.0) + (0.5 if short else 0.0)
        out.append(Sentence(p, start, stop, piece, score, has_span, index, lem))
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


# ---- event titles ----------------------------------------------------------------------------

# Markdown emphasis that Telegram clients and the Bot API leave in post text (**bold**, __italic__,
# ~~strike~~, `code`): a quote stays verbatim, a title is read as a sentence.
_MARKUP = re.compile(r"\*\*|__|~~|`")


def plain_title(text: str) -> str:
    """The title sentence without markdown emphasis markers and doubled spaces."""
    return " ".join(_MARKUP.sub("", text).split())


# Emoji and pictographs: a title is a sentence of the news, not a channel's decoration.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]")
GENRE_BONUS = {"news": 0.3, "official": 0.2, "": 0.15, "other": 0.1}


def event_title(
    cur: Content,
    cands: list[Sentence],
    reports: np.ndarray,
    actor_terms: dict[str, list[list[frozenset[str]]]],
    lang: str = "en",
    options: EvidenceOptions | None = None,
) -> Sentence | None:
    """The sentence that names who did what, for an event's title.

    Among the sentences of the event's most central posts (`cands`, from `sentences`), scored by
    centrality,
    a sentence gains for coming from a report (+0.2; a news report +0.3 more, an official one
    +0.2), for opening its post (the headline or the lead, +0.2), for each of the event's
    leading actors it names (+0.15, at most three; `actor_terms[lang]` holds, per actor, the
    lemma sets of its names in that language), for a verb that reports (+0.15: who *did* what) and for being in
    the report's language (+0.1); sentences shorter than `title_min_chars` (30) count as short
    (a title may be: `min_chars` is for quotes). It loses for emoji or a question (-2), for speaking of another
    time than the post's days (-1: a preview, an anniversary; see timefocus.py) and for running
    past `title_chars` (-0.5, cut at a word). The best one wins (ties by post id and place)."""
    from multivector.analyze.timefocus import TimeCues

    opt = options or EvidenceOptions()
    if not cands:
        return None
    cues = TimeCues.builtin()
    report_set = {int(p) for p in reports}
    scored = []
    for s in cands:
        post_lang = cur.langs[cur.lang[s.pos]]
        genre = cur.genres[cur.genre[s.pos]] if cur.genre is not None and cur.genres else ""
        day = date.fromordinal(int(cur.day[s.pos]) + EPOCH)
        score = s.score
        if opt.title_min_chars <= len(s.text) < opt.min_chars:
            score += 0.5  # a title may be short: "Belarus joined the SCO." says who did what
        elif len(s.text) < opt.title_min_chars:
            continue
        if _EMOJI.search(s.text) or s.text.rstrip().endswith("?"):
            score -= 2.0
        if cues.looks_away(s.text, post_lang, day):
            score -= 1.0
        if s.pos in report_set:
            score += 0.2 + GENRE_BONUS.get(genre, 0.0)
        if s.index < 2:
            score += 0.2
        lemmas = set(s.lemmas.split())
        named = sum(1 for names in actor_terms.get(post_lang, []) if any(n <= lemmas for n in names))
        score += 0.15 * min(named, 3)
        if cues.verbs(s.text, post_lang)[1] > 0:
            score += 0.15
        if post_lang == lang:
            score += 0.1
        if len(s.text) > opt.title_chars:
            score -= 0.5
        scored.append((-round(score, 9), cur.ids[s.pos], s.start, s))
    if not scored:
        return cands[0]
    best = min(scored, key=lambda t: t[:3])[3]
    if len(best.text) > opt.title_chars:  # cut at a word: still a verbatim slice
        _, stop = _cut(best.text, 0, len(best.text), opt.title_chars)
        best = replace(best, stop=best.start + stop, text=best.text[:stop])
    return best
