"""The year's report as plain data: trends, events, partner balance, series, with evidence.

`build_report(store, knowledge, period)` reads posts dated from the start of the preceding
period of the same length up to the period's last day (never later: no look-ahead); the
period is a year (2024, the default), a quarter, a month or a range of days (analyze/period.py).
It returns a dict that is the JSON contract of DESIGN.md plus extras:

    {year, country, period: {label, kind, start, end, unit}, period_prev: {label, kind, start, end},
     voice: kind or null,
     generated_from: {posts, channels, first_date, last_date, content_posts,
                                     content_posts_prev, copies},
     coverage: {first_date, last_date, months: {YYYY-MM: posts}, warnings: [text],
                channels: [{channel, posts, first_date, last_date, months}], issues: [{kind, ...}]},
     voices: {channels: [{channel, kind, source, country}],
              trends: [{theme, posts, voices: {kind: share}}]},
     trends: [{rank, theme, label, kind, score, posts, posts_prev, share, share_prev, growth,
               sources, channels: [{channel, posts}], languages: {lang: share}, months,
               months_total, partners: [{vector, share, posts}], actors: [{actor, share}],
               terms, evidence: [{post_id, channel, date, quote}],
               components: {salience, persistence, breadth, reflection, concentration, change},
               foreign_share, genres: {genre: share}, log_odds, z,
               amplification: {copies, forwards, views}}],
     events: [{rank, title, title_post_id, date_start, date_end, days, posts, reports, copies,
               sources, langs, actors, themes, post_ids, score, components, evidence}],
     balance: {partners: [{vector, share, share_prev, shift, posts, posts_prev}], entropy,
               hhi, entropy_prev, hhi_prev, vectors_in_profile, votes},
     series: {periods: ["YYYY-MM", ... over both periods], vectors: {vector: [share]},
              trends: {theme: [share]}, posts: [in-scope content posts per period]},
     topics: [{theme: "topic:<n>", label, terms, posts, coherence, ...}],
     bursts: [{theme, posts, concentration, persistence}],
     domestic: [{theme, posts, foreign_share}],
     names: {id: {lang: name}}, parameters: {...}}

Floats are rounded to 4 decimals and every list has a fixed order (ties broken by id), so the
same database gives byte-identical JSON. `growth` is share / share_prev - 1 (null when the
theme was absent the year before). `share_prev` and a partner's `shift` are null when the
year before holds nothing to compare with (no content post; for partners, no partner vote).
`bursts` and `domestic` are the candidates set aside from the trends (one burst: an event;
too few posts about a foreign actor: a domestic subject). See analyze/trends.py, events.py,
balance.py, topics.py and evidence.py for the methods; their options are echoed in `parameters`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from multivector.analyze.attention import period_index, period_span, vector_matrix
from multivector.analyze.balance import balance as balance_of
from multivector.analyze.coverage import CoverageOptions, coverage
from multivector.analyze.events import EventOptions, Numbers, find_events
from multivector.analyze.evidence import (
    EvidenceOptions,
    as_evidence,
    event_title,
    pick,
    plain_title,
    sentences,
)
from multivector.analyze.lexicon import Lexicon
from multivector.analyze.period import Period, as_period, burst_window
from multivector.analyze.terms import TermOptions, count_surfaces, readable_terms
from multivector.analyze.text import TextFeatures, class_tfidf, top_terms, vectorize_pages
from multivector.analyze.topics import TopicModel, TopicOptions, baseline_sample, find_topics
from multivector.analyze.trends import (
    Candidate,
    Scored,
    TrendOptions,
    actor_shares,
    check_weights,
    foreign_subjects,
    partner_shares,
    score_candidates,
    theme_candidates,
)
from multivector.analyze.voices import channel_voices, kinds_of, voice_filter, voice_shares
from multivector.annotate.stopwords import is_stop
from multivector.store.base import Content, iso_day

DIGITS = 4


def _r(x: float | None, digits: int = DIGITS) -> float | None:
    if x is None:
        return None
    v = round(float(x), digits)
    return 0.0 if v == 0 else v  # no "-0.0"


@dataclass
class ReportOptions:
    top: int = 5
    events: int = 10
    lang: str = "en"
    topics: bool = True
    terms: int = 8
    term_sample: int = 300  # posts of a trend read for the written forms of its terms
    term_lang_posts: int = 5  # posts in the report's language needed to take terms from them only
    term: TermOptions = field(default_factory=TermOptions)
    trend: TrendOptions = field(default_factory=TrendOptions)
    topic: TopicOptions = field(default_factory=TopicOptions)
    event: EventOptions = field(default_factory=EventOptions)
    evidence: EvidenceOptions = field(default_factory=EvidenceOptions)
    coverage: CoverageOptions = field(default_factory=CoverageOptions)
    voice: str | None = None  # only posts first published by channels of this kind of voice


@dataclass
class YearData:
    """What every part of the report reads: the content posts of the period and of the one
    before, and the period's text. (Named for the year, the default period.)"""

    year: int
    cur: Content
    prev: Content
    features: TextFeatures
    periods: list[str]  # months of both periods, up to the last month with posts (the series)
    year_periods: list[str]  # the period's persistence units (`unit`): months, or weeks if short
    lexicon: Lexicon
    vectors: list[str]
    vmatrix: sp.csr_matrix
    # The lemma strings of the first k posts of the period before, a page at a time (the topics'
    # baseline); None: not read.
    prev_text: Callable[[int], Iterable[list[str]]] | None = None
    # The kind of voice of each channel of `cur.channels` (official, analyst ...; "" unknown),
    # from the channel registry; None when no registry is known: breadth then has no voices.
    voices: list[str] | None = None
    period: Period | None = None
    prev_period: Period | None = None
    unit: str = "month"
    voice_map: dict | None = None  # channel -> Voice (analyze/voices.py), when voices are known
    numbers: sp.csr_matrix | None = None  # posts x numbers in their lemmas (events), when read


def _lexicon(knowledge: Any, country: str) -> Lexicon:
    if isinstance(knowledge, Lexicon):
        return knowledge
    if knowledge is None:
        from multivector.knowledge import load_knowledge

        knowledge = load_knowledge()
    return Lexicon.from_knowledge(knowledge, country)


def load_year(
    store, lexicon: Lexicon, year: int | str | Period, with_prev_text: bool = True, *,
    voices: dict | None = None, voice: str | None = None, with_numbers: bool = True, mentions: bool = True,
) -> YearData:  # fmt: skip
    """The content posts of the period `year` (a year number or any Period) and of the one
    before. `voices` (channel -> Voice, analyze/voices.py) gives breadth its voices; `voice`
    keeps only the posts first published by channels of that kind; `mentions` reads every actor
    the posts mention too (`Content.mentioned`; nothing in the report counts them)."""
    period = as_period(year)
    before = period.previous()
    start, end = period.start, period.end
    both = store.content(before.start, end, mentions=mentions)
    if voice:
        both = voice_filter(both, voices or {}, voice)
    cur = both.between(start, end)
    prev = both.between(before.start, start)
    last = int(cur.day.max()) if len(cur) else (int(prev.day.max()) if len(prev) else None)
    periods = period_span(before.start, end, "month", last) if last is not None else []
    unit = period.unit
    units = period_span(start, end, unit, last) if len(cur) else []
    # The posts' lemma strings are read a page at a time and only their counts kept (and, for
    # the events, the numbers they hold).
    numbers = Numbers() if with_numbers else None
    pages = store.lemma_pages(cur.ids)
    features = vectorize_pages(numbers.passing(pages) if numbers else pages, extra_stop=lexicon.focus_terms)
    vectors, vmatrix = vector_matrix(cur, lexicon)
    prev_text = (lambda k: store.lemma_pages(prev.ids[:k])) if with_prev_text and len(prev) else None
    return YearData(
        period.year, cur, prev, features, periods, units, lexicon, vectors, vmatrix, prev_text,
        voices=kinds_of(cur, voices) if voices is not None else None, period=period, prev_period=before, unit=unit,
        voice_map=voices, numbers=numbers.matrix(len(cur)) if numbers else None,
    )  # fmt: skip


def _topics(data: YearData, opt: ReportOptions) -> TopicModel:
    if not opt.topics:
        return TopicModel()
    prev_tfidf = None
    if data.prev_text is not None:  # a bounded sample of the period before: its first posts by id
        read = baseline_sample(len(data.prev), opt.topic)
        _, prev_tfidf = data.features.transform_pages(data.prev_text(read))
    return find_topics(data.cur, data.features, prev_tfidf, opt.topic, prev_posts=len(data.prev))


def rank_trends(data: YearData, opt: ReportOptions, topic_model: TopicModel) -> list[Scored]:
    """Every candidate theme and topic scored, best first, bursts last (see trends.py)."""
    cands = theme_candidates(data.cur, data.prev)
    cands += [Candidate(t.key, "topic", t.members, t.posts_prev) for t in topic_model.topics]
    month_index = period_index(data.cur.day, data.year_periods, data.unit)
    foreign = foreign_subjects(data.cur, data.lexicon.is_focus)
    return score_candidates(
        data.cur, len(data.prev), cands, month_index, len(data.year_periods), opt.trend,
        foreign=foreign, voices=data.voices,
    )  # fmt: skip


# The language whose words a note falls back on when too few of a theme's posts are in its own.
_TERM_FALLBACK = {"kk": ("ru", "en"), "ru": ("en", "kk"), "en": ("ru", "kk")}


def _term_members(data: YearData, members: np.ndarray, lang: str, min_posts: int) -> np.ndarray:
    """The posts a candidate's terms are read from: those in the report's language when it
    has `min_posts` of them (terms the reader can quote), else those in the language most of
    its posts are in (one language per list, never a mix), else all of them."""
    counts = np.bincount(data.cur.lang[members], minlength=len(data.cur.langs)) if len(members) else []
    order = [lang, *_TERM_FALLBACK.get(lang, ())]
    ranked = sorted(
        (j for j in range(len(counts)) if counts[j]),
        key=lambda j: (
            data.cur.langs[j] != lang,
            -counts[j],
            order.index(data.cur.langs[j]) if data.cur.langs[j] in order else len(order),
        ),
    )
    for j in ranked:
        if counts[j] >= min_posts:
            return members[data.cur.lang[members] == j]
    return members


def _terms_for(
    store, data: YearData, scored: list[Scored], opt: ReportOptions, keys: list[str]
) -> dict[str, list[str]]:
    """Display terms of the candidates in `keys`: class-based TF-IDF ranks lemmas (all
    candidates are the classes), then a sample of each candidate's posts gives the words and
    phrases as written (analyze/terms.py), in the report's language where it can."""
    if not scored or data.features.counts.shape[1] == 0:
        return {s.key: [] for s in scored}
    sets = [_term_members(data, s.members, opt.lang, opt.term_lang_posts) for s in scored]
    rows = np.concatenate([np.full(len(m), i) for i, m in enumerate(sets)])
    cols = np.concatenate(sets)
    membership = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(scored), len(data.cur)))
    weights = class_tfidf(data.features.counts, membership)
    wanted = set(keys)
    out: dict[str, list[str]] = {}
    for i, s in enumerate(scored):
        if s.key not in wanted:
            continue
        ranked = top_terms(weights[i], data.features.vocab, opt.terms * 4)
        members = sets[i]
        if len(members) > opt.term_sample:  # evenly spread over the posts, the same every run
            members = members[
                np.unique(np.linspace(0, len(members) - 1, opt.term_sample).round().astype(int))
            ]
        stored = store.texts_with_lemmas([data.cur.ids[p] for p in members])
        sample = []
        for p in members:
            text, lemmas = stored.get(data.cur.ids[p], ("", ""))
            sample.append((text, data.cur.langs[data.cur.lang[p]], lemmas))
        counts = count_surfaces(sample, is_stop, opt.term, set(ranked))
        out[s.key] = readable_terms(ranked, counts, opt.terms, opt.term)
    return out


def _monthly_shares(
    data: YearData, members_cur: np.ndarray, members_prev: np.ndarray, prev_weight: float = 1.0
) -> list[float]:
    """A candidate's share of the posts of each month of both periods; `prev_weight` counts each
    of its posts before the period for that many (its members there come from a sample)."""
    both_days = np.concatenate([data.prev.day, data.cur.day])
    totals = np.bincount(
        np.clip(period_index(both_days, data.periods, "month"), -1, None) + 1, minlength=len(data.periods) + 1
    )[1:]
    days = np.concatenate([data.prev.day[members_prev], data.cur.day[members_cur]])
    weights = None
    if prev_weight != 1.0:
        weights = np.concatenate([np.full(len(members_prev), prev_weight), np.ones(len(members_cur))])
    counts = np.bincount(
        period_index(days, data.periods, "month") + 1, weights=weights, minlength=len(data.periods) + 1
    )[1:]
    return [_r(c / t) if t else 0.0 for c, t in zip(counts, totals, strict=True)]


def trend_dicts(
    store, data: YearData, opt: ReportOptions, scored: list[Scored], topic_model: TopicModel
) -> list[dict]:
    cur = data.cur
    lex = data.lexicon
    chosen = [s for s in scored if not s.set_aside][: opt.top]
    terms = _terms_for(store, data, scored, opt, [s.key for s in chosen])
    topics = {t.key: t for t in topic_model.topics}
    focus = {a for a in cur.actor_ids if lex.is_focus(a)}
    out = []
    for rank, s in enumerate(chosen, start=1):
        m = s.members
        if s.kind == "topic":  # a topic is named by its first written terms, not its lemmas
            label = ", ".join(terms[s.key][:3]) or topics[s.key].label
        else:
            label = lex.theme_label(s.key, opt.lang)
        ch_counts = np.bincount(cur.channel[m], minlength=len(cur.channels))
        ch_order = np.lexsort((np.arange(len(ch_counts)), -ch_counts))
        langs = np.bincount(cur.lang[m], minlength=len(cur.langs)) / max(len(m), 1)
        vm_counts = np.asarray(data.vmatrix[m].sum(axis=0)).ravel() if len(data.vectors) else []
        genres = _genre_shares(cur, m)
        voices = (
            {k: _r(v) for k, v in voice_shares(cur, m, data.voices).items()}
            if data.voices is not None
            else None
        )
        cand = sentences(store, cur, data.features, m, s.key if s.kind == "theme" else None, opt.evidence)
        out.append(
            {
                "rank": rank,
                "theme": s.key,
                "label": label,
                "kind": s.kind,
                "score": _r(s.score),
                "posts": s.posts,
                "posts_prev": s.posts_prev,
                "share": _r(s.share),
                "share_prev": _r(s.share_prev),
                "growth": _r(s.growth),
                "sources": s.channels,
                "channels": [
                    {"channel": cur.channels[j], "posts": int(ch_counts[j])} for j in ch_order[:5] if ch_counts[j]
                ],
                "languages": {cur.langs[j]: _r(langs[j]) for j in np.lexsort((np.arange(len(langs)), -langs)) if langs[j] > 0},
                "months": s.months,
                "months_total": s.months_total,
                "partners": [
                    {"vector": v, "share": _r(sh), "posts": int(vm_counts[data.vectors.index(v)])}
                    for v, sh in partner_shares(m, data.vectors, data.vmatrix)
                ],
                "actors": [{"actor": a, "share": _r(sh)} for a, sh in actor_shares(m, cur, focus)],
                "terms": terms.get(s.key, []),
                "evidence": as_evidence(cur, pick(cur, cand, opt.evidence.quotes)),
                "components": {k: _r(v) for k, v in s.components.items()},
                "foreign_share": _r(s.foreign_share),
                "genres": genres,
                **({"voices": voices} if voices is not None else {}),
                "log_odds": _r(s.log_odds),
                "z": _r(s.z),
                "amplification": {"copies": s.copies, "forwards": s.forwards, "views": s.views},
            }
        )  # fmt: skip
    return out


def _genre_shares(cur: Content, members: np.ndarray) -> dict[str, float]:
    """Share of each known genre among the given posts (unknown genres left out), largest first."""
    if cur.genre is None or not len(members):
        return {}
    counts = np.bincount(cur.genre[members], minlength=len(cur.genres)).astype(np.float64)
    known = [j for j, g in enumerate(cur.genres) if g and counts[j] > 0]
    total = sum(counts[j] for j in known)
    known.sort(key=lambda j: (-counts[j], cur.genres[j]))
    return {cur.genres[j]: _r(counts[j] / total) for j in known}


def _actor_family(knowledge: Any) -> Callable[[str], str | None] | None:
    """Actor id -> the state or organisation it counts for in an event's weight: people and
    companies count for their country (or the organisation they speak for); None when the
    knowledge is not at hand (every actor then counts for itself)."""
    actors = getattr(knowledge, "actors", None)
    if actors is None:
        return None

    def family(actor_id: str) -> str | None:
        actor = actors.get(actor_id)
        if actor is None:
            return actor_id
        if actor.represents:
            return actor.represents
        if actor.kind in ("person", "company"):
            return actor.country or None
        return actor_id

    return family


def _actor_kind(knowledge: Any) -> Callable[[str], str | None] | None:
    actors = getattr(knowledge, "actors", None)
    if actors is None:
        return None
    return lambda actor_id: actors[actor_id].kind if actor_id in actors else None


def _actor_terms(
    knowledge: Any, lexicon: Lexicon, actors: list[str], langs: list[str]
) -> dict[str, list[list[frozenset[str]]]]:
    """Per language, for each leading actor, the lemma sets of its names (the label and, with
    the knowledge at hand, its aliases): a sentence names the actor when it holds one whole set."""
    from multivector.annotate.tokens import lemma_text

    known = getattr(knowledge, "actors", None) or {}
    out: dict[str, list[list[frozenset[str]]]] = {}
    for lg in langs:
        per_actor = []
        for a in actors:
            names = [lexicon.actor_label(a, lg)]
            actor = known.get(a)
            if actor is not None:
                names += [actor.name(lg)] + [t.text for t in actor.aliases if t.lang in (lg, "any")]
            sets = {frozenset(lemma_text(n, lg).split()) for n in names if n and n != a}
            per_actor.append([x for x in sets if x])
        out[lg] = per_actor
    return out


def event_dicts(store, data: YearData, opt: ReportOptions, knowledge: Any = None) -> list[dict]:
    cur = data.cur
    focus = {a for a in cur.actor_ids if data.lexicon.is_focus(a)}
    found = find_events(
        cur, data.features, focus, opt.event, lemmas=lambda: store.lemma_pages(cur.ids), numbers=data.numbers,
        texts=store.texts_by_id, family=_actor_family(knowledge),
        kind=_actor_kind(knowledge), limit=opt.events,
    )  # fmt: skip
    out = []
    for rank, e in enumerate(found, start=1):
        cand = sentences(store, cur, data.features, e.members, None, opt.evidence)
        terms = _actor_terms(
            knowledge, data.lexicon, e.actors[:4], sorted({cur.langs[i] for i in cur.lang[e.members]})
        )
        head = event_title(cur, cand, e.reports, terms, opt.lang, opt.evidence)
        out.append(
            {
                "rank": rank,
                "title": plain_title(head.text) if head else "",
                "title_post_id": cur.ids[head.pos] if head else None,
                "date_start": iso_day(e.day_start),
                "date_end": iso_day(e.day_end),
                "days": e.day_end - e.day_start + 1,
                "posts": e.posts,
                "reports": len(e.reports),
                "copies": e.copies,
                "sources": e.sources,
                "langs": e.langs,
                "actors": e.actors,
                "themes": e.themes,
                "post_ids": [cur.ids[i] for i in e.members],
                "score": _r(e.score),
                "components": {k: _r(e.components[k]) for k in sorted(e.components)},
                "evidence": as_evidence(cur, pick(cur, cand, opt.evidence.quotes)),
            }
        )
    return out


def _topic_dicts(topic_model: TopicModel) -> list[dict]:
    def one(t, kept: bool) -> dict:
        return {
            "theme": t.key if kept else None,
            "label": t.label,
            "terms": t.terms,
            "posts": int(len(t.members)),
            "posts_prev": t.posts_prev,
            "coherence": _r(t.coherence),
            "lift": _r(t.lift),
            "top_theme": t.theme,
            "top_theme_share": _r(t.theme_share),
            "top_channel_share": _r(t.channel_share),
            "dropped": t.dropped,
        }

    return [one(t, True) for t in topic_model.topics] + [one(t, False) for t in topic_model.dropped]


def _prepare(
    store,
    knowledge: Any,
    country: str,
    opt: ReportOptions,
    year,
    with_prev_text: bool,
    with_numbers: bool = True,
):
    """The knowledge, the lexicon of `country` and the data of the period `year` (a year number
    or a Period). Voices are known when the knowledge files are (their channel registry, else the
    guess from genres), or when a `voice` filter asks for them."""
    if knowledge is None:
        from multivector.knowledge import load_knowledge

        knowledge = load_knowledge()
    lexicon = _lexicon(knowledge, country)
    period = as_period(year)
    opt.trend.window_days = burst_window(period, opt.trend.window_days)
    registry = getattr(knowledge, "channels", None)
    voices = channel_voices(store, registry) if registry is not None or opt.voice else None
    data = load_year(
        store, lexicon, period, with_prev_text=with_prev_text, voices=voices, voice=opt.voice,
        with_numbers=with_numbers, mentions=False,
    )  # fmt: skip
    return knowledge, lexicon, data


def _period_fields(data: YearData, opt: ReportOptions) -> dict:
    """What a result says of its period: the year it is filed under, the period and the one it
    is compared with, and the voice it was restricted to."""
    assert data.period is not None and data.prev_period is not None
    return {
        "year": data.period.year,
        "period": {**data.period.as_dict(), "unit": data.unit},
        "period_prev": data.prev_period.as_dict(),
        "voice": opt.voice,
    }


def _coverage(store, data: YearData, opt: ReportOptions, rows: list[tuple] | None = None) -> dict:
    """Posts per month and channel over both periods, and the warnings, in the report's language;
    `rows` are the store's `channel_months` of both periods when already read."""
    from multivector.report.labels import coverage_warnings

    assert data.period is not None and data.prev_period is not None
    if rows is None:
        rows = store.channel_months(data.prev_period.start, data.period.end)
    if opt.voice and data.voice_map is not None:
        from multivector.knowledge.channels import voice_matches

        rows = [
            r for r in rows if r[0] in data.voice_map and voice_matches(opt.voice, data.voice_map[r[0]].kind)
        ]
    cov = coverage(rows, data.period, data.prev_period, data.cur, data.prev, opt.coverage)
    return {
        "first_date": cov["first_date"],
        "last_date": cov["last_date"],
        "months": cov["months"],
        "warnings": coverage_warnings(cov["issues"], opt.lang),
        "channels": cov["channels"],
        "issues": cov["issues"],
    }


def _voices(data: YearData, trends: list[dict]) -> dict | None:
    """Who speaks: each channel of the period with its voice, and the voices of each trend."""
    if data.voice_map is None:
        return None
    present = sorted({data.cur.channels[j] for j in np.unique(data.cur.channel)})
    channels = []
    for ch in present:
        v = data.voice_map.get(ch)
        channels.append(
            {"channel": ch, "kind": v.kind if v else "", "source": v.source if v else "",
             "country": v.country if v else None}
        )  # fmt: skip
    return {
        "channels": channels,
        "trends": [
            {"theme": tr["theme"], "posts": tr["posts"], "voices": tr.get("voices") or {}} for tr in trends
        ],
    }


def _options(
    opt: ReportOptions | None, top: int, events: int, lang: str, weights, voice: str | None = None
) -> ReportOptions:
    opt = options_copy(opt)
    opt.top, opt.events, opt.lang = top, events, lang
    if voice is not None:
        from multivector.knowledge.channels import check_voice

        opt.voice = check_voice(voice)
    opt.trend.weights = check_weights(weights if weights is not None else opt.trend.weights)
    return opt


def options_copy(opt: ReportOptions | None) -> ReportOptions:
    import copy

    return copy.deepcopy(opt) if opt is not None else ReportOptions()


def build_trends(
    store, knowledge: Any = None, year: int | str | Period = 2024, country: str = "KZ", top: int = 5,
    weights: dict[str, float] | None = None, lang: str = "en", *, options: ReportOptions | None = None,
    voice: str | None = None,
) -> dict:  # fmt: skip
    """Only the trends of the report (and the series of their shares), for `multivector trends`."""
    opt = _options(options, top, 0, lang, weights, voice)
    knowledge, lexicon, data = _prepare(store, knowledge, country, opt, year, opt.topics, with_numbers=False)
    topic_model = _topics(data, opt)
    scored = rank_trends(data, opt, topic_model)
    trends = trend_dicts(store, data, opt, scored, topic_model)
    return {
        **_period_fields(data, opt),
        "country": lexicon.focus or country.upper(),
        "coverage": _coverage(store, data, opt),
        "trends": trends,
        "bursts": _bursts(scored),
        "domestic": _domestic(scored),
        "voices": _voices(data, trends),
        "parameters": _parameters(opt, data),
    }


def build_events(
    store, knowledge: Any = None, year: int | str | Period = 2024, country: str = "KZ", events: int = 10,
    lang: str = "en", *, options: ReportOptions | None = None, voice: str | None = None,
) -> dict:  # fmt: skip
    """Only the events of the report, for `multivector events`."""
    opt = _options(options, 0, events, lang, None, voice)
    knowledge, lexicon, data = _prepare(store, knowledge, country, opt, year, False)
    return {
        **_period_fields(data, opt),
        "country": lexicon.focus or country.upper(),
        "coverage": _coverage(store, data, opt),
        "events": event_dicts(store, data, opt, knowledge),
        "parameters": {"events": opt.events, "event_options": opt.event.as_dict(), "voice": opt.voice},
    }


def build_balance(
    store, knowledge: Any = None, year: int | str | Period = 2024, country: str = "KZ", series: str = "month",
    *, lang: str = "en", voice: str | None = None,
) -> dict:  # fmt: skip
    """The partner balance of the period (a year number or a Period) with its series by
    `series` (month or week), for `multivector balance`."""
    if knowledge is None:
        from multivector.knowledge import load_knowledge

        knowledge = load_knowledge()
    lexicon = _lexicon(knowledge, country)
    period = as_period(year)
    before = period.previous()
    opt = ReportOptions(lang=lang, voice=voice)
    voices = channel_voices(store, getattr(knowledge, "channels", None)) if voice else None
    both = store.content(before.start, period.end, mentions=False)
    if voice:
        both = voice_filter(both, voices or {}, voice)
    cur, prev = both.between(period.start, period.end), both.between(before.start, period.start)
    last = int(cur.day.max()) if len(cur) else None
    periods = period_span(period.start, period.end, series, last) if last is not None else []
    bal = balance_of(cur, prev, lexicon, series, periods, DIGITS)
    data = YearData(
        period.year, cur, prev, None, [], [], lexicon, [], None, period=period, prev_period=before,  # type: ignore[arg-type]
        unit=period.unit, voice_map=voices,
    )  # fmt: skip
    return {
        **_period_fields(data, opt),
        "country": lexicon.focus or country.upper(),
        "series_by": series,
        "coverage": _coverage(store, data, opt),
        **bal,
    }


def _bursts(scored: list[Scored]) -> list[dict]:
    return [
        {"theme": s.key, "posts": s.posts, "concentration": _r(s.components["concentration"]),
         "persistence": _r(s.components["persistence"])}
        for s in scored if s.burst
    ]  # fmt: skip


def _domestic(scored: list[Scored]) -> list[dict]:
    return [
        {"theme": s.key, "posts": s.posts, "foreign_share": _r(s.foreign_share)}
        for s in scored if s.domestic and not s.burst
    ]  # fmt: skip


def _parameters(opt: ReportOptions, data: YearData) -> dict:
    yearly = data.period is None or data.period.kind == "year"
    return {
        "top": opt.top,
        "events": opt.events,
        "lang": opt.lang,
        "period": "month",
        "persistence_unit": data.unit,
        "baseline": "previous year" if yearly else "preceding period",
        "voice": opt.voice,
        "coverage": opt.coverage.as_dict(),
        "content": "one post per duplicate group (its earliest post), in scope",
        **opt.trend.as_dict(),
        "topics": opt.topic.as_dict() if opt.topics else None,
        "event_options": opt.event.as_dict(),
        "evidence_per_item": opt.evidence.quotes,
        "terms": {"per_trend": opt.terms, "sample_posts": opt.term_sample, "lang_posts": opt.term_lang_posts,
                  **opt.term.as_dict()},
    }  # fmt: skip


def build_report(
    store,
    knowledge: Any = None,
    year: int | str | Period = 2024,
    country: str = "KZ",
    top: int = 5,
    events: int = 10,
    weights: dict[str, float] | None = None,
    lang: str = "en",
    *,
    options: ReportOptions | None = None,
    voice: str | None = None,
) -> dict:
    """The report of the period `year` (a year number, "2024-Q3", "2024-07" or a Period) for
    `country`, compared with the preceding period of the same length (see the module docstring
    for the shape). `voice` keeps only posts first published by channels of that kind.

    `knowledge` is a loaded Knowledge (None: the built-in files) or a ready `Lexicon`;
    `weights` overrides the trend score weights (salience, persistence, breadth, reflection,
    concentration, change; defaults in analyze/trends.py: 0.20, 0.20, 0.20, 0.15, 0.15, 0.10).
    """
    opt = _options(options, top, events, lang, weights, voice)
    knowledge, lexicon, data = _prepare(store, knowledge, country, opt, year, opt.topics)
    topic_model = _topics(data, opt)
    scored = rank_trends(data, opt, topic_model)
    trends = trend_dicts(store, data, opt, scored, topic_model)
    event_list = event_dicts(store, data, opt, knowledge)
    bal = balance_of(data.cur, data.prev, lexicon, data.unit, data.year_periods, DIGITS)

    # Series over both years, for the charts: vector shares and the trends' shares by month.
    both = _concat(data.prev, data.cur)
    both_bal = balance_of(both, None, lexicon, "month", data.periods, DIGITS)
    by_key = {s.key: s for s in scored}
    trend_series = {}
    for tr in trends:
        s = by_key[tr["theme"]]
        prev_weight = 1.0
        if s.kind == "theme":
            j = data.prev.theme_index(s.key)
            prev_members = (
                data.prev.themes[:, j].nonzero()[0] if j is not None else np.zeros(0, dtype=np.int64)
            )
        else:
            prev_members = next(t.prev_members for t in topic_model.topics if t.key == s.key)
            read = baseline_sample(len(data.prev), opt.topic)
            prev_weight = len(data.prev) / read if opt.topics and read < len(data.prev) else 1.0
        trend_series[s.key] = _monthly_shares(data, s.members, np.sort(prev_members), prev_weight)
    totals = np.bincount(period_index(both.day, data.periods, "month") + 1, minlength=len(data.periods) + 1)[
        1:
    ]

    assert data.period is not None and data.prev_period is not None
    start_prev, end = data.prev_period.start, data.period.end
    months = store.channel_months(start_prev, end)  # one pass for the summary and the coverage
    summary = _summary(months)
    summary.update(
        content_posts=len(data.cur),
        content_posts_prev=len(data.prev),
        copies=int(data.cur.copies.sum()),
        window=[start_prev, iso_day(_day(end) - 1)],
    )
    report = {
        **_period_fields(data, opt),
        "country": lexicon.focus or country.upper(),
        "generated_from": summary,
        "coverage": _coverage(store, data, opt, months),
        "trends": trends,
        "events": event_list,
        "balance": {k: v for k, v in bal.items() if k not in ("periods", "series", "entropy_series")},
        "series": {
            "periods": data.periods,
            "posts": [int(x) for x in totals],
            "vectors": both_bal["series"],
            "entropy": both_bal["entropy_series"],
            "trends": trend_series,
        },
        "topics": _topic_dicts(topic_model),
        "bursts": _bursts(scored),
        "domestic": _domestic(scored),
        "voices": _voices(data, trends),
        "parameters": _parameters(opt, data),
    }
    report["names"] = _names(report, knowledge, lexicon)
    _quote_langs([*trends, *event_list], data.cur)
    return report


def _summary(months: list[tuple[str, str, int, str, str]]) -> dict:
    """The store's `corpus_summary` of a range from its `channel_months` rows (every post of the
    range, copies and off-topic ones included)."""
    first = min((r[3] for r in months), default=None)
    last = max((r[4] for r in months), default=None)
    return {
        "posts": sum(int(r[2]) for r in months),
        "channels": len({r[0] for r in months}),
        "first_date": first[:10] if first else None,
        "last_date": last[:10] if last else None,
    }


def _quote_langs(items: list[dict], cur: Content) -> None:
    """Each quote's language (its post's), so a note can mark quotes in another language."""
    lang_of = {pid: cur.langs[j] for pid, j in zip(cur.ids, cur.lang, strict=True)}
    for item in items:
        for ev in item.get("evidence") or []:
            if ev.get("post_id") in lang_of:
                ev["lang"] = lang_of[ev["post_id"]]


def _day(iso: str) -> int:
    from multivector.store.base import day_number

    return day_number(iso)


def _concat(a: Content, b: Content) -> Content:
    """Two Content sets with the same key lists (both from one load) as one."""
    return Content(
        start=a.start, end=b.end, ids=a.ids + b.ids,
        day=np.concatenate([a.day, b.day]), channel=np.concatenate([a.channel, b.channel]),
        lang=np.concatenate([a.lang, b.lang]), copies=np.concatenate([a.copies, b.copies]),
        forwards=np.concatenate([a.forwards, b.forwards]), views=np.concatenate([a.views, b.views]),
        themes=sp.vstack([a.themes, b.themes], format="csr"), actors=sp.vstack([a.actors, b.actors], format="csr"),
        reach=sp.vstack([a.reach, b.reach], format="csr"), channels=a.channels, langs=a.langs,
        theme_ids=a.theme_ids, actor_ids=a.actor_ids,
        genre=None if a.genre is None or b.genre is None or a.genres != b.genres else np.concatenate([a.genre, b.genre]),
        genres=a.genres,
    )  # fmt: skip


def _names(report: dict, knowledge: Any, lexicon: Lexicon) -> dict:
    if knowledge is None or isinstance(knowledge, Lexicon):
        return {}
    try:
        from multivector.report.labels import report_names

        return report_names(report, knowledge, lexicon.profile or None)
    except (ImportError, AttributeError, TypeError):  # the renderer's helper changed: names are optional
        return {}
