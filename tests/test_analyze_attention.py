"""Attention counts content: a duplicate group once, amplification apart; months and weeks."""

from __future__ import annotations

import pytest

from multivector.analyze.attention import attention, period_label, period_span
from multivector.analyze.trends import TrendOptions
from multivector.report.build import ReportOptions, build_report
from multivector.store.base import day_number, year_range
from multivector.store.sqlite import Store
from test_analyze_corpus import Corpus, lexicon


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "a.db") as s:
        yield s


def test_a_forwarded_post_counts_once_as_content(store):
    c = Corpus(store)
    original = c.add("analyst", "2024-03-01", themes={"nuclear": "атомная станция"}, actors=["RU"])
    c.copy(original, "news", "2024-03-02")  # a forward
    c.copy(original, "scrapbook", "2024-03-05", forwarded=False)  # pasted again
    c.add("news", "2024-03-03", themes={"trade": "товарооборот"}, actors=["CN"])
    c.add("analyst", "2024-04-03", themes={"nuclear": "атомная станция"}, actors=["CN"])
    c.flush()
    content = store.content(*year_range(2024))
    assert len(content) == 3  # 5 posts, one group of 3
    series = attention(content, "theme")
    nuclear = series.keys.index("nuclear")
    assert series.periods == ["2024-01", "2024-02", "2024-03", "2024-04"]  # January to the last month
    assert series.counts[:, nuclear].tolist() == [0, 0, 1, 1]
    assert series.totals.tolist() == [0, 0, 2, 1]
    assert series.copies[:, nuclear].tolist() == [0, 0, 2, 0]  # amplification, kept apart
    assert series.forwards[2, nuclear] == 3  # forwards summed over the group (1 each)
    assert series.shares()[2, nuclear] == 0.5
    by_vector = attention(content, "vector", lexicon())
    assert by_vector.counts[2, by_vector.keys.index("russia")] == 1
    # the group's reach: the three channels that carried it
    i = content.ids.index(original.id)
    assert content.reach[i].nnz == 3
    # ... and in the report the theme has 2 posts (not 4) and 3 sources
    opts = ReportOptions(topics=False, trend=TrendOptions(min_posts=1))
    report = build_report(store, lexicon(), 2024, top=2, events=0, options=opts)
    trend = next(t for t in report["trends"] if t["theme"] == "nuclear")
    assert trend["posts"] == 2 and trend["sources"] == 3
    assert trend["amplification"]["copies"] == 2


def test_off_topic_and_other_years_are_not_counted(store):
    c = Corpus(store)
    c.add("a", "2024-01-05", themes={"x": "водные ресурсы"})
    c.add("a", "2024-01-06", in_scope=False)
    c.add("a", "2023-12-31", themes={"x": "водные ресурсы"})
    c.add("a", "2025-01-01", themes={"x": "водные ресурсы"})
    c.flush()
    assert len(store.content(*year_range(2024))) == 1


def test_weeks():
    assert period_label(day_number("2024-01-01"), "week") == "2024-W01"
    assert period_label(day_number("2024-12-30"), "week") == "2025-W01"
    weeks = period_span("2024-01-01", "2025-01-01", "week")
    assert weeks[0] == "2024-W01" and weeks[-1] == "2025-W01" and len(weeks) == 53
    assert period_span("2024-01-01", "2025-01-01", "month")[-1] == "2024-12"
    with pytest.raises(ValueError):
        period_label(0, "fortnight")


def test_a_later_post_bridging_two_groups_does_not_merge_them_for_an_earlier_year(store):
    c = Corpus(store, seed=5)
    # Two 2024 posts X+Y and Y+Z share the middle Y (similarity ~0.48, below the 0.6
    # threshold); a 2025 digest X+Y+Z is a near copy of each (~0.74).
    x, y, z = c.words(22), c.words(40), c.words(22)
    a = c.add("alpha", "2024-03-01", themes={"water": "водные ресурсы"}, text=f"Водные ресурсы. {x} {y}")
    b = c.add("beta", "2024-09-01", themes={"water": "водные ресурсы"}, text=f"Водные ресурсы. {y} {z}")
    c.flush()
    year = year_range(2024)
    assert len(store.content(*year)) == 2
    c.add("gamma", "2025-01-10", themes={"water": "водные ресурсы"}, text=f"Водные ресурсы. {x} {y} {z}")
    c.flush()
    roots = {r for (r,) in store.conn.execute("SELECT DISTINCT dup_root FROM posts")}
    assert roots == {a.id}, "the store merges the groups through the 2025 post"
    # ... but as of the end of 2024 they are still two pieces of content.
    assert len(store.content(*year)) == 2
    assert b.id in store.content(*year).ids
    assert len(store.content("2024-01-01", "2026-01-01")) == 1
