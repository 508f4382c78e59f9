"""Trend ranking on constructed corpora whose right answer is known."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from multivector.analyze.topics import TopicModel
from multivector.analyze.trends import (
    DEFAULT_WEIGHTS,
    TrendOptions,
    check_weights,
    foreign_subjects,
    log_odds,
    max_window_share,
)
from multivector.report.build import (
    ReportOptions,
    build_balance,
    build_report,
    build_trends,
    load_year,
    rank_trends,
)
from multivector.store.sqlite import Store
from test_analyze_corpus import Corpus, lexicon, monthly

CHANNELS = ["alpha", "beta", "gamma"]
NO_TOPICS = ReportOptions(topics=False)


def _by_theme(result: dict) -> dict[str, dict]:
    return {t["theme"]: t for t in result["trends"]}


def _trends(store, weights: dict[str, float] | None = None, top: int = 10, **trend) -> dict:
    """The year's trends with default options, but for the given weights and trend options."""
    opt = ReportOptions(topics=False, trend=TrendOptions(**trend))
    return build_trends(store, lexicon(), 2024, top=top, weights=weights, options=opt)


def _why(result: dict) -> str:
    """The ranking with every component, for a failing assertion's message."""
    return "\n".join(f"{t['rank']}. {t['theme']} {t['score']}: {t['components']}" for t in result["trends"])


def _ahead(result: dict, first: str, second: str) -> bool:
    ranks = {t["theme"]: t["rank"] for t in result["trends"]}
    assert first in ranks and second in ranks, _why(result)
    return ranks[first] < ranks[second]


def _load_bearing(store, better: str, other: str, removed: dict) -> None:
    """`better` ranks above `other` with the defaults and below it once a part is removed
    (`removed`: trend options such as {"prior": 0}, or {"weights": {"change": 0}})."""
    base = _trends(store)
    assert _ahead(base, better, other), _why(base)
    options = dict(removed)
    without = _trends(store, options.pop("weights", None), **options)
    assert _ahead(without, other, better), _why(without)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "t.db") as s:
        yield s


def test_a_theme_that_doubles_its_share_outranks_a_flat_one(store):
    c = Corpus(store)
    # Both themes in every month, spread over the same channels; in 2024 they hold the same
    # share (2 of 7 posts a month), but "nuclear" held half of it in 2023 and "trade" all of it.
    monthly(c, 2023, 1, CHANNELS, themes={"nuclear": "атомная станция"}, actors=["RU"])
    monthly(c, 2023, 2, CHANNELS, themes={"trade": "товарооборот"}, actors=["CN"])
    monthly(c, 2023, 4, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"])
    monthly(c, 2024, 2, CHANNELS, themes={"nuclear": "атомная станция"}, actors=["RU"])
    monthly(c, 2024, 2, CHANNELS, themes={"trade": "товарооборот"}, actors=["CN"])
    monthly(c, 2024, 3, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"])
    c.flush()
    result = build_trends(store, lexicon(), 2024, top=3, options=NO_TOPICS)
    trends = _by_theme(result)
    nuclear, trade = trends["nuclear"], trends["trade"]
    assert nuclear["share"] == trade["share"] == pytest.approx(2 / 7, abs=1e-4)
    assert nuclear["share_prev"] == pytest.approx(1 / 7, abs=1e-4)
    assert nuclear["growth"] == pytest.approx(1.0, abs=1e-3)
    assert nuclear["components"]["breadth"] == trade["components"]["breadth"]
    assert nuclear["components"]["persistence"] == trade["components"]["persistence"] == 1.0
    assert nuclear["components"]["change"] > 0.6 and abs(trade["components"]["change"] - 0.5) < 0.05
    assert nuclear["rank"] < trade["rank"]


def test_a_theme_present_all_year_everywhere_outranks_a_one_week_burst_which_is_an_event(store):
    c = Corpus(store)
    monthly(c, 2023, 3, CHANNELS, themes={"steady": "водные ресурсы"}, actors=["UZ"])
    monthly(c, 2023, 3, CHANNELS, themes={"background": "общая повестка"}, actors=["RU"])
    monthly(c, 2024, 3, CHANNELS, themes={"steady": "водные ресурсы"}, actors=["UZ"])
    monthly(c, 2024, 3, CHANNELS, themes={"background": "общая повестка"}, actors=["RU"])
    burst_posts = []
    for i in range(12):  # new in 2024, one week in May, every channel: a summit
        day = date(2024, 5, 14) + timedelta(days=i % 4)
        burst_posts.append(
            c.add(
                CHANNELS[i % 3], day, themes={"summit": "саммит в Самарканде"}, actors=["CN", "UZ"],
                extra=["Си Цзиньпин прибыл в Самарканд", "подписана Самаркандская декларация"],
            )
        )  # fmt: skip
    c.flush()
    report = build_report(store, lexicon(), 2024, top=5, events=5, options=ReportOptions(topics=False))
    ranks = {t["theme"]: t["rank"] for t in report["trends"]}
    assert "steady" in ranks
    assert "summit" not in ranks or ranks["steady"] < ranks["summit"]
    assert [b["theme"] for b in report["bursts"]] == ["summit"]
    # ... and the burst is the year's top event, with (nearly) all of its posts.
    top = report["events"][0]
    burst_ids = {p.id for p in burst_posts}
    assert len(burst_ids & set(top["post_ids"])) >= 10
    assert set(top["post_ids"]) <= burst_ids
    assert top["date_start"] >= "2024-05-14" and top["date_end"] <= "2024-05-17"
    assert top["sources"] == 3 and "summit" in top["themes"] and "CN" in top["actors"]


def test_weights_change_the_ranking_and_are_reported(store):
    c = Corpus(store)
    monthly(c, 2023, 1, CHANNELS, themes={"grower": "атомная станция"}, actors=["RU"])
    monthly(c, 2023, 4, CHANNELS, themes={"big": "товарооборот"}, actors=["CN"])
    monthly(c, 2024, 2, CHANNELS, themes={"grower": "атомная станция"}, actors=["RU"])
    monthly(c, 2024, 4, CHANNELS, themes={"big": "товарооборот"}, actors=["CN"])
    c.flush()
    only_salience = {k: float(k == "salience") for k in DEFAULT_WEIGHTS}
    only_change = {k: float(k == "change") for k in DEFAULT_WEIGHTS}
    a = build_trends(store, lexicon(), 2024, top=2, weights=only_salience, options=NO_TOPICS)
    b = build_trends(store, lexicon(), 2024, top=2, weights=only_change, options=NO_TOPICS)
    assert [t["theme"] for t in a["trends"]] == ["big", "grower"]
    assert [t["theme"] for t in b["trends"]] == ["grower", "big"]
    assert a["parameters"]["weights"] == {k: float(v) for k, v in only_salience.items()}
    assert a["trends"][0]["score"] == a["trends"][0]["components"]["salience"] == 1.0


def test_trend_partners_and_terms(store):
    c = Corpus(store)
    for i in range(24):
        actors = ["RU"] if i % 3 else ["CN", "RU"]  # RU in all 24 posts, CN in 8
        c.add(CHANNELS[i % 3], date(2024, 1 + i // 2, 3 + i % 20), themes={"nuclear": "атомная станция"},
              actors=actors, extra=["реактор ВВЭР", "урановое топливо"])  # fmt: skip
    monthly(c, 2024, 2, CHANNELS, themes={"trade": "товарооборот"}, actors=["EU"])
    c.flush()
    trends = _by_theme(build_trends(store, lexicon(), 2024, top=2, options=NO_TOPICS))
    partners = trends["nuclear"]["partners"]
    assert [p["vector"] for p in partners] == ["russia", "china"]
    assert partners[0]["share"] == pytest.approx(24 / 32, abs=1e-4)  # vector mentions, summing to 1
    assert partners[0]["posts"] == 24 and partners[1]["posts"] == 8
    # terms as the posts write them, phrases whole (see test_report_terms.py)
    assert {"реактор ВВЭР", "урановое топливо", "атомная станция"} <= set(trends["nuclear"]["terms"][:5])
    assert not {"казахстан", "Казахстан"} & set(trends["nuclear"]["terms"])  # the focus country is no term
    assert trends["nuclear"]["actors"][0] == {"actor": "RU", "share": 1.0}


# ---- what an analyst calls a trend ---------------------------------------------------------

OLD_WEIGHTS = {"salience": 0.25, "change": 0.25, "breadth": 0.15, "persistence": 0.20, "concentration": 0.15,
               "reflection": 0.0}  # fmt: skip


def test_a_flat_persistent_broad_analysed_line_outranks_a_one_season_burst_with_high_growth(store):
    c = Corpus(store)
    # The line: the same few posts a month, both years, in every channel and in both languages,
    # mostly analysis. The season: new this year, bigger, all in March-May, news reports.
    line = {"themes": {"line": "баланс интересов"}, "actors": ["CN", "RU"]}
    season = {"themes": {"season": "транзитный маршрут"}, "actors": ["TR"], "genre": "news"}
    for year in (2023, 2024):
        monthly(c, year, 2, CHANNELS, **line, genre="analysis")
        monthly(c, year, 1, CHANNELS, themes={"line": "орта держава"}, actors=["CN"], genre="news", lang="kk")
        monthly(c, year, 4, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"], genre="news")
    monthly(c, 2023, 1, CHANNELS, months=[2, 6, 10], **season)
    monthly(c, 2024, 15, CHANNELS, months=[3, 4, 5], **season)
    c.flush()
    result = _trends(store)
    line, season = _by_theme(result)["line"], _by_theme(result)["season"]
    assert season["posts"] > line["posts"] == line["posts_prev"] and season["growth"] > 5 > 0 > line["growth"]
    assert season["components"]["change"] > 0.8 and season["components"]["persistence"] == 0.25
    assert "season" not in {b["theme"] for b in result["bursts"]}  # the ranking decides, not the burst rule
    assert _ahead(result, "line", "season"), _why(result)
    # A change-driven score without reflection (the weights before this ranking) got it wrong:
    old = _trends(store, OLD_WEIGHTS, salience_exponent=1.0)
    assert _ahead(old, "season", "line"), _why(old)


# ---- each part of the score is load-bearing: removing it flips a ranking -------------------


def test_salience_is_load_bearing(store):
    c = Corpus(store)
    for year in (2023, 2024):
        monthly(c, year, 4, CHANNELS, themes={"big": "товарооборот"}, actors=["CN"])
        monthly(c, year, 6, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"])
    monthly(c, 2023, 1, CHANNELS, themes={"grower": "атомная станция"}, actors=["RU"])
    monthly(c, 2024, 2, CHANNELS, themes={"grower": "атомная станция"}, actors=["RU"])
    c.flush()
    _load_bearing(store, "big", "grower", {"weights": {"salience": 0}})


def test_change_is_load_bearing(store):
    c = Corpus(store)
    for year in (2023, 2024):
        monthly(c, year, 2, CHANNELS, themes={"flat": "товарооборот"}, actors=["CN"])
        monthly(c, year, 4, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"])
    c.add("alpha", "2024-06-22", themes={"flat": "товарооборот"}, actors=["CN"])  # one post more
    monthly(c, 2023, 1, CHANNELS, themes={"grower": "атомная станция"}, actors=["RU"])
    monthly(c, 2024, 2, CHANNELS, themes={"grower": "атомная станция"}, actors=["RU"])
    c.flush()
    _load_bearing(store, "grower", "flat", {"weights": {"change": 0}})


def test_breadth_is_load_bearing_through_channels(store):
    c = Corpus(store)
    for year in (2023, 2024):
        monthly(c, year, 2, CHANNELS, themes={"broad": "атомная станция"}, actors=["RU"])
        monthly(c, year, 3, ["alpha"], themes={"narrow": "товарооборот"}, actors=["CN"])
        monthly(c, year, 3, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"])
    c.flush()
    _load_bearing(store, "broad", "narrow", {"weights": {"breadth": 0}})
    # ... and the channels are what carries breadth here
    _load_bearing(store, "broad", "narrow", {"breadth_parts": {"channels": 0, "languages": 1, "voices": 1}})


def test_breadth_is_load_bearing_through_languages(store):
    c = Corpus(store)
    for year in (2023, 2024):
        monthly(c, year, 1, CHANNELS, themes={"bilingual": "атомная станция"}, actors=["RU"])
        monthly(c, year, 1, CHANNELS, themes={"bilingual": "атом электр станциясы"}, actors=["RU"], lang="kk")
        monthly(c, year, 2, CHANNELS, themes={"russian": "товарооборот"}, actors=["CN"])
        monthly(c, year, 3, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"])
    c.add("alpha", "2024-06-22", themes={"russian": "товарооборот"}, actors=["CN"])
    c.flush()
    trends = _by_theme(_trends(store))
    assert trends["bilingual"]["languages"] == {"kk": 0.5, "ru": 0.5} and trends["russian"]["languages"] == {
        "ru": 1.0
    }
    _load_bearing(
        store, "bilingual", "russian", {"breadth_parts": {"channels": 0.6, "languages": 0, "voices": 0.2}}
    )


def _voices_corpus(store) -> dict[str, str]:
    c = Corpus(store)
    kinds = {"mfa": "official", "analyst": "analyst", "media": "independent_media",
             "agg1": "aggregator", "agg2": "aggregator", "agg3": "aggregator"}  # fmt: skip
    for year in (2023, 2024):
        monthly(c, year, 2, ["mfa", "analyst", "media"], themes={"voiced": "атомная станция"}, actors=["RU"])
        monthly(c, year, 2, ["agg1", "agg2", "agg3"], themes={"echoed": "товарооборот"}, actors=["CN"])
        monthly(c, year, 3, list(kinds), themes={"other": "прочее событие"}, actors=["EU"])
    c.add("agg1", "2024-06-22", themes={"echoed": "товарооборот"}, actors=["CN"])
    c.flush()
    return kinds


def test_breadth_counts_voices_when_the_channels_kinds_are_known(store):
    kinds = _voices_corpus(store)
    data = load_year(store, lexicon(), 2024, with_prev_text=False)
    opt = ReportOptions(topics=False)

    def order(voices) -> list[str]:
        data.voices = voices
        return [s.key for s in rank_trends(data, opt, TopicModel()) if s.key != "other"]

    # Without voices both reach 3 of the 6 channels and "echoed" has one post more ...
    assert order(None) == ["echoed", "voiced"]
    # ... with them, three kinds of voice beat three aggregators,
    voices = [kinds[ch] for ch in data.cur.channels]
    assert order(voices) == ["voiced", "echoed"]
    scored = {s.key: s for s in rank_trends(data, opt, TopicModel())}
    assert scored["voiced"].voices == 3 and scored["echoed"].voices == 1
    # ... unless the voice part of breadth is removed.
    opt.trend.breadth_parts = {"channels": 0.6, "languages": 0.2, "voices": 0}
    assert order(voices) == ["echoed", "voiced"]
    with pytest.raises(ValueError, match="voices"):
        order(voices[:-1])


def test_persistence_is_load_bearing(store):
    c = Corpus(store)
    for year in (2023, 2024):
        monthly(c, year, 2, CHANNELS, themes={"all_year": "атомная станция"}, actors=["RU"])
        monthly(c, year, 5, CHANNELS, months=range(1, 7), themes={"half_year": "товарооборот"}, actors=["CN"])
        monthly(c, year, 4, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"])
    c.flush()
    trends = _by_theme(_trends(store))
    assert trends["all_year"]["months"] == 12 and trends["half_year"]["months"] == 6
    _load_bearing(store, "all_year", "half_year", {"weights": {"persistence": 0}})


def test_concentration_is_load_bearing(store):
    c = Corpus(store)
    for year in (2023, 2024):
        monthly(c, year, 3, CHANNELS, themes={"even": "атомная станция"}, actors=["RU"])
        monthly(c, year, 4, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"])
        for month in range(1, 13):  # every month, but bunched: the end of one month and the start of the next
            for i in range(3):
                day = date(year, month, 26 + i) if month % 2 else date(year, month, 1 + i)
                c.add(CHANNELS[i], day, themes={"bunched": "товарооборот"}, actors=["CN"])
    c.add("alpha", "2024-06-15", themes={"bunched": "товарооборот"}, actors=["CN"])
    c.flush()
    trends = _by_theme(_trends(store))
    assert trends["even"]["months"] == trends["bunched"]["months"] == 12
    assert (
        trends["bunched"]["components"]["concentration"] > 2 * trends["even"]["components"]["concentration"]
    )
    _load_bearing(store, "even", "bunched", {"weights": {"concentration": 0}})


def test_the_burst_rule_keeps_a_one_week_story_out_of_the_trends(store):
    c = Corpus(store)
    for year in (2023, 2024):
        monthly(c, year, 2, CHANNELS, themes={"steady": "водные ресурсы"}, actors=["UZ"])
        monthly(c, year, 4, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"])
    for i in range(40):  # new, big, everywhere, in one week of May
        c.add(CHANNELS[i % 3], date(2024, 5, 14) + timedelta(days=i % 5), themes={"summit": "саммит в Самарканде"},
              actors=["CN", "UZ"], genre="analysis")  # fmt: skip
    c.flush()
    result = _trends(store)
    assert "summit" not in _by_theme(result) and [b["theme"] for b in result["bursts"]] == ["summit"]
    # The score alone would rank it: the rule, not the weights, makes it an event.
    without = _trends(store, burst_concentration=1.01)
    assert "summit" in _by_theme(without) and without["bursts"] == []


def test_reflection_is_load_bearing(store):
    c = Corpus(store)
    for year in (2023, 2024):
        monthly(
            c, year, 2, CHANNELS, themes={"reflected": "атомная станция"}, actors=["RU"], genre="analysis"
        )
        monthly(c, year, 2, CHANNELS, themes={"reported": "товарооборот"}, actors=["CN"], genre="news")
        monthly(c, year, 6, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"], genre="news")
    c.add("alpha", "2024-06-22", themes={"reported": "товарооборот"}, actors=["CN"], genre="news")
    c.flush()
    trends = _by_theme(_trends(store))
    assert trends["reflected"]["genres"] == {"analysis": 1.0} and trends["reported"]["genres"] == {
        "news": 1.0
    }
    assert (
        trends["reflected"]["components"]["reflection"]
        > 0.8
        > 0.5
        > trends["reported"]["components"]["reflection"]
    )
    _load_bearing(store, "reflected", "reported", {"weights": {"reflection": 0}})


def test_reflection_is_neutral_without_genres_and_a_digest_counts_half(store):
    c = Corpus(store)
    for year in (2023, 2024):
        monthly(c, year, 2, CHANNELS, themes={"a": "атомная станция"}, actors=["RU"])
        monthly(c, year, 2, CHANNELS, themes={"b": "товарооборот"}, actors=["CN"])
    c.flush()
    assert {t["components"]["reflection"] for t in _trends(store)["trends"]} == {0.5}
    c2 = Corpus(store, seed=2)
    monthly(c2, 2024, 2, CHANNELS, themes={"digested": "водные ресурсы"}, actors=["UZ"], genre="digest")
    monthly(c2, 2024, 2, CHANNELS, themes={"analysed": "саммит ШОС"}, actors=["CN"], genre="analysis")
    monthly(c2, 2024, 2, CHANNELS, themes={"reported": "вторичные санкции"}, actors=["US"], genre="news")
    c2.flush()
    trends = _by_theme(_trends(store))
    refl = {k: t["components"]["reflection"] for k, t in trends.items()}
    assert refl["a"] == refl["b"] == 0.5  # genre unknown: no evidence either way
    assert refl["analysed"] > refl["digested"] > refl["reported"]
    half = _by_theme(_trends(store, reflection_genres={"analysis": 1.0, "digest": 1.0}))
    assert half["digested"]["components"]["reflection"] == half["analysed"]["components"]["reflection"]


def test_the_prior_of_change_is_load_bearing(store):
    c = Corpus(store)
    # Both hold 12 posts this year; "newcomer" had none the year before, "existing" had 3.
    for year in (2023, 2024):
        monthly(c, year, 6, CHANNELS, themes={"other": "прочее событие"}, actors=["EU"])
    monthly(c, 2023, 1, CHANNELS, months=[2, 6, 10], themes={"existing": "товарооборот"}, actors=["CN"])
    monthly(c, 2024, 1, CHANNELS, themes={"existing": "товарооборот"}, actors=["CN"])
    monthly(c, 2024, 1, CHANNELS, themes={"newcomer": "атомная станция"}, actors=["RU"])
    c.flush()
    trends = _by_theme(_trends(store))
    assert trends["newcomer"]["components"]["change"] > trends["existing"]["components"]["change"] > 0.6
    # Without the prior, a theme absent the year before has no finite log-odds: its z is 0,
    # "no change", and the theme that already existed looks like the bigger change.
    _load_bearing(store, "newcomer", "existing", {"prior": 0.0})
    assert _by_theme(_trends(store, prior=0.0))["newcomer"]["components"]["change"] == 0.5


# ---- domestic subjects are not foreign-policy trends ----------------------------------------


def _flood_year(c: Corpus) -> None:
    for year in (2023, 2024):
        monthly(c, year, 2, CHANNELS, themes={"regional": "региональное сотрудничество"}, actors=["UZ", "KG"])
        monthly(c, year, 2, CHANNELS, themes={"trade": "товарооборот"}, actors=["CN"])
    monthly(c, 2023, 1, CHANNELS, months=[4, 9], themes={"climate_water": "водные ресурсы"}, actors=["UZ"])
    # Spring floods at home: big, new, everywhere, over three months; posts about Kazakhstan
    # alone (in scope by a slip of the scope model), a few on a neighbour's help.
    for i in range(60):
        day = date(2024, 3, 20) + timedelta(days=i + i // 2)
        c.add(
            CHANNELS[i % 3],
            day,
            themes={"climate_water": "паводок"},
            actors=["KZ"] if i % 6 else ["KZ", "RU"],
        )


def test_a_theme_taken_over_by_a_domestic_emergency_is_no_trend(store):
    c = Corpus(store)
    _flood_year(c)
    c.flush()
    result = _trends(store)
    assert "climate_water" not in _by_theme(result), _why(result)
    (domestic,) = result["domestic"]
    assert domestic["theme"] == "climate_water" and domestic["foreign_share"] < 0.2
    assert {t["foreign_share"] for t in result["trends"]} == {1.0}
    # The guard is what keeps it out: without it the floods lead the year.
    without = _trends(store, min_foreign=0.0)
    assert without["trends"][0]["theme"] == "climate_water" and without["domestic"] == []


def test_the_domestic_rule_reads_who_posts_are_about_not_words(store):
    c = Corpus(store)
    _flood_year(c)
    # The same theme about a neighbour's water (transboundary rivers, a foreign subject) all year.
    monthly(c, 2024, 6, CHANNELS, themes={"climate_water": "трансграничные реки"}, actors=["KZ", "UZ"])
    c.flush()
    result = _trends(store)
    water = _by_theme(result)["climate_water"]
    assert 0.4 < water["foreign_share"] < 0.7 and result["domestic"] == []


def test_a_foreign_subject_is_any_actor_but_the_focus_countrys_own(store):
    from multivector.analyze.lexicon import Lexicon
    from multivector.knowledge import load_knowledge
    from multivector.store.base import year_range

    c = Corpus(store)
    about = [["KZ", "tokayev"], ["KAZATOMPROM"], ["KZ", "putin"], ["SCO"], ["ROSATOM"], ["CENTRAL_ASIA"], []]
    posts = [c.add("a", "2024-03-01", themes={"x": "атомная станция"}, actors=a) for a in about]
    c.flush()
    content = store.content(*year_range(2024))
    foreign = foreign_subjects(content, Lexicon.from_knowledge(load_knowledge(), "KZ").is_focus)
    found = [bool(foreign[content.ids.index(p.id)]) for p in posts]
    # Kazakhstan, its president and its company are not foreign; the others are
    assert found == [False, False, True, True, True, True, False]


def test_a_corpus_without_actor_annotations_keeps_its_trends(store):
    c = Corpus(store)
    for year in (2023, 2024):
        monthly(c, year, 2, CHANNELS, themes={"a": "атомная станция"})
        monthly(c, year, 2, CHANNELS, themes={"b": "товарооборот"})
    c.flush()
    result = _trends(store)
    assert {t["theme"] for t in result["trends"]} == {"a", "b"} and result["domestic"] == []


# ---- a name in passing counts for nothing ---------------------------------------------------


def test_a_passing_mention_does_not_move_the_partner_balance_or_a_trends_partners(tmp_path):
    def year(path, ru_in_passing: bool) -> tuple[dict, dict]:
        with Store.open(path) as store:
            c = Corpus(store)
            for year in (2023, 2024):
                # Posts about China that name Russia on the way («в обход России») ...
                monthly(c, year, 3, CHANNELS, themes={"trade": "товарооборот"}, actors=["CN"],
                        passing=["RU"] if ru_in_passing else [])  # fmt: skip
                monthly(c, year, 1, CHANNELS, themes={"security": "военные учения"}, actors=["RU"])
            c.flush()
            balance = build_balance(store, lexicon(), 2024)
            return balance, _by_theme(_trends(store))["trade"]

    with_passing, trade = year(tmp_path / "p.db", True)
    without, trade_without = year(tmp_path / "n.db", False)
    assert with_passing["partners"] == without["partners"]
    shares = {p["vector"]: p["share"] for p in with_passing["partners"]}
    assert shares["china"] == 0.75 and shares["russia"] == 0.25
    assert [p["vector"] for p in trade["partners"]] == ["china"] and trade["partners"] == trade_without[
        "partners"
    ]
    # ... and the passing mentions were stored: the lighter measure, kept apart.
    with Store.open(tmp_path / "p.db") as store:
        data = load_year(store, lexicon(), 2024, with_prev_text=False)
        ru = data.cur.mention_ids.index("RU")
        assert int(data.cur.mentioned[:, ru].sum()) == 48


# ---- the parts -----------------------------------------------------------------------------


def test_log_odds_is_zero_for_no_change_and_shrunk_for_small_counts():
    delta, z = log_odds(10, 100, 10, 100, prior=50)
    assert delta == pytest.approx(0) and z == pytest.approx(0)
    big = log_odds(200, 1000, 100, 1000, prior=50)[1]
    small = log_odds(2, 10, 1, 10, prior=50)[1]
    assert big > 3 > small > 0  # same doubling, far more evidence
    assert log_odds(100, 1000, 200, 1000, prior=50)[1] == pytest.approx(-big, rel=0.05)


def test_max_window_share():
    assert max_window_share(np.array([0, 1, 2, 3]), 14) == 1.0
    assert max_window_share(np.arange(0, 365, 7), 14) == pytest.approx(2 / 53)
    assert max_window_share(np.array([], dtype=int), 14) == 0.0


def test_check_weights():
    assert check_weights({"change": 0.5})["change"] == 0.5
    with pytest.raises(ValueError, match="unknown weight"):
        check_weights({"chnage": 1})
    with pytest.raises(ValueError):
        check_weights({k: 0 for k in DEFAULT_WEIGHTS})
    assert math.isclose(sum(check_weights(None).values()), 1.0)
    assert set(check_weights(None)) == {
        "salience",
        "change",
        "breadth",
        "persistence",
        "concentration",
        "reflection",
    }
