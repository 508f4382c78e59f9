"""Trend ranking on constructed corpora whose right answer is known."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from multivector.analyze.trends import check_weights, log_odds, max_window_share
from multivector.report.build import ReportOptions, build_report, build_trends
from multivector.store.sqlite import Store
from test_analyze_corpus import Corpus, lexicon, monthly

CHANNELS = ["alpha", "beta", "gamma"]
NO_TOPICS = ReportOptions(topics=False)


def _by_theme(result: dict) -> dict[str, dict]:
    return {t["theme"]: t for t in result["trends"]}


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
    only_salience = {"salience": 1, "change": 0, "breadth": 0, "persistence": 0, "concentration": 0}
    only_change = {"salience": 0, "change": 1, "breadth": 0, "persistence": 0, "concentration": 0}
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
        check_weights({k: 0 for k in ("salience", "change", "breadth", "persistence", "concentration")})
    assert math.isclose(sum(check_weights(None).values()), 1.0)
