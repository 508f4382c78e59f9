"""The year's report over a real general news set holds foreign policy, not IT, ads or crime.

The 22,099 posts of ../shared/corpora/tg_news_ru_nktkln come from Russian news, Moscow, IT,
science and games channels. Each post carries a category given by the set's own authors
(another model, not ours): a trend's or an event's posts may be war or politics news, but
hardly ever IT news, job ads, games, horoscopes, weather or "personal" stories. Skipped when
the corpus is absent.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from helpers import corpus, multivector

# Categories of the set's authors that are never foreign policy.
DOMESTIC = {"it", "gaming", "advertisement", "stuff", "personal", "weather", "science"}
MAX_DOMESTIC_SHARE = 0.15


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    raw = corpus("tg_news_ru_nktkln", "raw")
    folder = tmp_path_factory.mktemp("news")
    db = folder / "news.db"
    done = multivector("--db", str(db), "ingest", str(raw), "--format", "table", "--no-ner")
    assert done.returncode == 0, done.stderr[-2000:]
    category = {}
    for f in sorted(raw.glob("*.json")):
        for m in json.loads(f.read_text(encoding="utf-8")):
            category[(m["channel"], str(m["message_id"]))] = m.get("category")
    posts = {}
    done = multivector("--db", str(db), "export", "--format", "jsonl")
    for line in done.stdout.splitlines():
        p = json.loads(line)
        posts[p["id"]] = {**p, "category": category.get((p["channel"], p["message_id"]))}
    return db, posts


def _report(db, year: int, folder) -> dict:
    out = folder / f"news-{year}.json"
    done = multivector("--db", str(db), "report", "--year", str(year), "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def _domestic_share(posts: list[dict]) -> float:
    cats = Counter(p["category"] for p in posts)
    return sum(cats[c] for c in DOMESTIC) / max(sum(cats.values()), 1)


@pytest.mark.parametrize("year", [2023, 2024])
def test_trends_and_top_events_of_the_news_set_are_foreign_policy(news, year, tmp_path):
    db, posts = news
    report = _report(db, year, tmp_path)
    for trend in report["trends"]:
        if trend["kind"] != "theme":
            continue
        members = [
            p for p in posts.values()
            if p["in_scope"] and (p["date"] or "").startswith(str(year)) and trend["theme"] in p["about"]["themes"]
        ]  # fmt: skip
        assert members, trend["theme"]
        assert _domestic_share(members) <= MAX_DOMESTIC_SHARE, (
            trend["theme"],
            Counter(p["category"] for p in members),
        )
    for event in report["events"][:10]:
        members = [posts[i] for i in event["post_ids"] if i in posts]
        assert _domestic_share(members) <= MAX_DOMESTIC_SHARE, (
            event["title"],
            Counter(p["category"] for p in members),
        )


def test_it_posts_with_political_words_stay_out_of_scope(news):
    _, posts = news
    it = [p for p in posts.values() if p["category"] in ("it", "gaming", "advertisement")]
    assert len(it) > 500
    share = sum(bool(p["in_scope"]) for p in it) / len(it)
    assert share < 0.05, share
