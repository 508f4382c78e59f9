"""Markdown and HTML rendering of a report dict (tests/data/report_example.json)."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path

import pytest
from markupsafe import escape

from multivector.report import charts, labels
from multivector.report.render import build_view, fmt_pct, fmt_pp, render_html, render_markdown

FIXTURE = Path(__file__).parent / "data" / "report_example.json"
EVIL = "<script>alert(1)</script>"


@pytest.fixture
def report() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered() -> dict:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return {
        (fmt, lang): fn(data, lang)
        for fmt, fn in (("md", render_markdown), ("html", render_html))
        for lang in ("en", "ru")
    }


def _quotes(report: dict) -> list[str]:
    items = [ev for tr in report["trends"] for ev in tr["evidence"]]
    items += [ev for e in report["events"] for ev in e.get("evidence", [])]
    return [ev["quote"] for ev in items]


def test_fixture_is_realistic(report):
    assert len(report["trends"]) == 5 and len(report["events"]) == 10
    assert len(report["balance"]["partners"]) == 8
    assert len(report["series"]["periods"]) == 24
    assert all(len(v) == 24 for v in report["series"]["vectors"].values())
    assert all(len(tr["evidence"]) >= 2 for tr in report["trends"])


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_markdown_has_every_label_quote_event_and_number(report, rendered, lang):
    md = rendered["md", lang]
    for trend in report["trends"]:
        assert trend["label"] in md
        for term in trend["terms"]:
            assert term in md
        assert fmt_pct(trend["share"], lang) in md and fmt_pct(trend["share_prev"], lang) in md
    for quote in _quotes(report):
        assert quote in md, quote  # verbatim
    first = report["trends"][0]
    assert f"{first['channels'][0]['channel']} ({first['channels'][0]['posts']})" in md
    assert labels.actor_name(first["actors"][0]["actor"], lang) in md
    for ev in first["evidence"]:
        assert f"`{ev['post_id']}`" in md
        assert ev["channel"] in md
    for event in report["events"]:
        assert event["title"] in md
    for partner in report["balance"]["partners"]:
        row = [labels.vector_name(partner["vector"], lang), fmt_pct(partner["share_prev"], lang)]
        row += [fmt_pct(partner["share"], lang), fmt_pp(partner["shift"], lang)]
        assert "| " + " | ".join(row) + " |" in md
    sep = "," if lang == "ru" else "."
    bal = report["balance"]
    for value, digits in (
        (bal["entropy"], 3),
        (bal["entropy_prev"], 3),
        (bal["hhi"], 3),
        (bal["hhi_prev"], 3),
    ):
        assert f"{value:.{digits}f}".replace(".", sep) in md


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_html_has_every_label_quote_event_and_number(report, rendered, lang):
    html = rendered["html", lang]
    for trend in report["trends"]:
        assert str(escape(trend["label"])) in html
    for quote in _quotes(report):
        assert str(escape(quote)) in html, quote
    # a quote with characters HTML must escape is there escaped, not raw
    tricky = 'The Middle Corridor is no longer a "nice to have" — for Europe & China alike'
    assert "no longer a &#34;nice to have&#34; — for Europe &amp; China alike" in html
    assert tricky not in html
    for event in report["events"]:
        assert str(escape(event["title"])) in html
    for partner in report["balance"]["partners"]:
        assert fmt_pct(partner["share"], lang) in html and fmt_pct(partner["share_prev"], lang) in html
        assert fmt_pp(partner["shift"], lang) in html
    assert html.count('<article class="trend"') == len(report["trends"])
    assert html.count('id="chart-vectors"') == 1 and html.count('id="chart-trends"') == 1


def test_summary_is_built_from_the_numbers(report):
    en = build_view(report, "en")["summary"]
    assert "“Nuclear power plant and the uranium chain” (9.4% of posts, up from 4.1%)" in en
    assert "the largest shift was China: +4.5\u00a0pp, to 26.0%" in en
    assert "the other way was" in en and "(−3.3\u00a0pp)" in en
    ru = build_view(report, "ru")["summary"]
    assert "«Nuclear power plant and the uranium chain» (9,4% постов, против 4,1% годом ранее)" in ru
    assert "«Китай»: +4,5\u00a0п.п., до 26,0%" in ru


def test_russian_headings_and_names(rendered):
    md, html = rendered["md", "ru"], rendered["html", "ru"]
    assert md.startswith("# Ключевые тренды внешней политики Казахстана, 2024\n")
    for heading in ("## Ключевые тренды", "## Главные события", "## Баланс партнёров", "## Метод"):
        assert heading in md
    for english in ("Key trends", "Top events", "Partner balance", "Who drives it"):
        assert english not in md and english not in html
    assert "Китай" in md and "Центральная Азия" in md and "октября 2024" in md
    assert '<html lang="ru">' in html
    assert "<h1>Ключевые тренды внешней политики Казахстана, 2024</h1>" in html
    assert "Доля постов" in html and "Кто двигает тему" in html
    assert "янв 2024" in html  # chart axis in Russian
    en = rendered["md", "en"]
    assert en.startswith("# Key foreign-policy trends of Kazakhstan, 2024\n")
    assert "## Top events" in en and "China" in en


@pytest.mark.parametrize(
    ("code", "en", "ru"),
    [
        ("UZ", "of Uzbekistan, 2024", "политики Узбекистана, 2024"),
        ("US", "of the United States, 2024", "политики США, 2024"),
        ("KG", "of Kyrgyzstan, 2024", "политики Кыргызстана, 2024"),
        ("kz", "of Kazakhstan, 2024", "политики Казахстана, 2024"),
        ("GE", "of Georgia, 2024", "политики Грузии, 2024"),
    ],
)
def test_country_comes_from_the_code(report, code, en, ru):
    report["country"] = code
    assert build_view(report, "en")["title"].endswith(en)
    assert build_view(report, "ru")["title"].endswith(ru)


def test_no_country(report):
    report["country"] = None
    assert build_view(report, "en")["title"] == "Key foreign-policy trends, 2024"


def test_html_injection_is_escaped(report):
    report["trends"][0]["evidence"][0]["quote"] = EVIL
    report["trends"][1]["label"] = EVIL
    report["trends"][2]["terms"].append(EVIL)
    report["events"][0]["title"] = EVIL
    report["events"][1]["evidence"][0]["channel"] = EVIL
    report["balance"]["partners"][0]["vector"] = EVIL
    report["series"]["vectors"][EVIL] = report["series"]["vectors"].pop("russia")
    html = render_html(report, "en")
    assert "<script" not in html.lower()
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6
    assert "alert(1)</script>" not in html
    md = render_markdown(report, "en")
    assert EVIL not in md and not re.search(r"(?<!\\)<(script|/script)", md)
    assert "\\<script>alert(1)\\</script>" in md  # shown as text by a Markdown renderer


def test_html_is_self_contained(rendered):
    for lang in ("en", "ru"):
        html = rendered["html", lang]
        assert "Content-Security-Policy" in html and "default-src 'none'" in html
        assert "<script" not in html and "<link" not in html and "<img" not in html
        assert "@import" not in html and "url(http" not in html
        urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
        assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_rendering_is_deterministic(report, rendered, lang):
    before = copy.deepcopy(report)
    again_md = render_markdown(report, lang)
    again_html = render_html(report, lang)
    assert report == before  # the input is not modified
    assert again_md.encode() == rendered["md", lang].encode()
    assert again_html.encode() == rendered["html", lang].encode()


def test_charts_are_offline_svg_with_one_line_per_series(report):
    svgs = charts.render_charts(report, "en")
    assert set(svgs) == {"vectors", "trends"}
    for name, count in (("vectors", 8), ("trends", 5)):
        svg = svgs[name]
        assert svg.startswith("<svg")
        lines = re.findall(r'<g class="mark-line role-mark[^"]*"', svg)
        assert len(lines) == count, (name, len(lines))
        assert re.search(r'd="M[\d.]+,[\d.]+L', svg)  # drawn paths
    assert "Central Asia" in svgs["vectors"] and "1. Nuclear power plant" in svgs["trends"]
    ids = [i for svg in svgs.values() for i in re.findall(r'\bid="([^"]+)"', svg)]
    assert len(ids) == len(set(ids))
    assert charts.render_charts(report, "en") == svgs


def test_chart_ids_are_prefixed():
    svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"/></svg>'
    out = charts._stable_ids(svg, "chart-x")
    assert 'id="chart-x-clip1"' in out and "url(#chart-x-clip1)" in out and '"clip1"' not in out


def test_new_theme_and_topic(report):
    trend = report["trends"][4]
    trend["share_prev"], trend["growth"] = 0.0, None
    md = render_markdown(report, "en")
    assert "new this year" in md
    assert "found in the posts without the theme list (`topic:7`)" in md
    assert "новая тема года" in render_markdown(report, "ru")


def test_variants_of_optional_fields(report):
    trend = report["trends"][0]
    trend["channels"] = [{"channel": "Orda.kz", "posts": 40}, "Vlast.kz"]
    trend["languages"] = ["ru", "kk"]
    trend["months"] = ["2024-01", "2024-02", "2024-03"]
    trend["partners"] = [{"actor": "CN", "share": 0.5}, {"actor": "ROSATOM", "share": 0.25}]
    view = build_view(report, "en")["trends"][0]
    assert view["months"] == "3 of 12" and view["languages"] == "Russian, Kazakh"
    assert [p["name"] for p in view["partners"]] == ["China", "ROSATOM"]
    assert view["top_channels"] == ["Orda.kz (40)", "Vlast.kz"]
    report["names"] = {"tokayev": {"en": "Kassym-Jomart Tokayev", "ru": "Касым-Жомарт Токаев"}}
    assert "Касым-Жомарт Токаев" in render_markdown(report, "ru")


def test_names_from_knowledge(report):
    from types import SimpleNamespace as NS

    knowledge = NS(
        actors={
            "tokayev": NS(kind="person", names={"en": "Kassym-Jomart Tokayev", "ru": "Касым-Жомарт Токаев"}),
            "SCO": NS(kind="org", names={"en": "Shanghai Cooperation Organisation"}),
            "XX": NS(kind="country", names={"en": "Nowhere"}),
        },
        themes={
            "multilateralism": NS(label={"en": "Multilateral diplomacy", "ru": "Многосторонняя дипломатия"})
        },
        profile=lambda code: NS(vector_labels={"europe": {"en": "Europe and the EU", "ru": "Европа и ЕС"}}),
    )
    names = labels.report_names(report, knowledge)
    assert set(names) == {
        "tokayev",
        "multilateralism",
        "europe",
    }  # only ids the report uses; blocs keep acronyms
    report["names"] = names
    md = render_markdown(report, "ru")
    assert "Касым-Жомарт Токаев" in md and "Многосторонняя дипломатия" in md and "| Европа и ЕС |" in md
    assert "ШОС" in md
    assert "Europe and the EU" in charts.render_charts(report, "en")["vectors"]


def test_minimal_report_renders():
    report = {"year": 2024, "country": "KZ", "trends": [], "events": [], "balance": {}, "series": {}}
    md = render_markdown(report, "en")
    html = render_html(report, "ru")
    assert md.startswith("# Key foreign-policy trends of Kazakhstan, 2024")
    assert "chart-vectors" not in html and "<h1>" in html


def test_markdown_chart_links(report):
    md = render_markdown(
        report, "en", charts={"vectors": "report-vectors.svg", "trends": "report-trends.svg"}
    )
    assert "![Partner vectors: share of posts by month](report-vectors.svg)" in md
    assert "![Top trends: share of posts by month](report-trends.svg)" in md


def test_unknown_language(report):
    with pytest.raises(ValueError, match="unknown report language"):
        render_markdown(report, "kk")


def test_words_and_numbers():
    assert [labels.count_noun(n, "post", "ru") for n in (1, 2, 5, 11, 21, 104)] == [
        "1 пост", "2 поста", "5 постов", "11 постов", "21 пост", "104 поста",
    ]  # fmt: skip
    assert labels.genitive_ru("Южная Корея") == "Южной Кореи"
    assert labels.actor_name("SCO", "ru") == "ШОС" and labels.actor_name("xi_jinping", "en") == "Xi Jinping"
    assert labels.vector_name("some_new_vector", "en") == "Some new vector"
    assert fmt_pp(-0.0329, "ru") == "−3,3\u00a0п.п." and fmt_pp(0.0, "en") == "0.0\u00a0pp"


def test_template_ships_as_package_data():
    template = resources.files("multivector.report").joinpath("templates/report.html.j2")
    assert template.is_file()
