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
from multivector.report.render import (
    build_view,
    fmt_date,
    fmt_int,
    fmt_pct,
    fmt_pp,
    fmt_range,
    quote_lang,
    render_html,
    render_markdown,
)

FIXTURE = Path(__file__).parent / "data" / "report_example.json"
EVIL = "<script>alert(1)</script>"
LANGS = ("en", "ru", "kk")


@pytest.fixture
def report() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def knowledge():
    from multivector.knowledge import load_knowledge

    return load_knowledge()


@pytest.fixture(scope="module")
def rendered() -> dict:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return {
        (fmt, lang): fn(data, lang)
        for fmt, fn in (("md", render_markdown), ("html", render_html))
        for lang in LANGS
    }


def _quotes(report: dict) -> list[str]:
    items = [ev for tr in report["trends"] for ev in tr["evidence"]]
    items += [ev for e in report["events"] for ev in e.get("evidence", [])]
    return [ev["quote"] for ev in items]


def _section(md: str, heading: str) -> str:
    """The text of one `## heading` section of a Markdown note."""
    start = md.index(f"## {heading}\n")
    end = md.find("\n## ", start + 1)
    return md[start : end if end > 0 else len(md)]


def test_fixture_is_realistic(report):
    assert len(report["trends"]) == 5 and len(report["events"]) == 10
    assert len(report["balance"]["partners"]) == 8
    assert len(report["series"]["periods"]) == 24
    assert all(len(v) == 24 for v in report["series"]["vectors"].values())
    assert all(len(tr["evidence"]) >= 2 for tr in report["trends"])


@pytest.mark.parametrize("lang", LANGS)
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
    sep = "." if lang == "en" else ","
    bal = report["balance"]
    for value in (bal["entropy"], bal["entropy_prev"], bal["hhi"], bal["hhi_prev"]):
        assert f"{value:.3f}".replace(".", sep) in md


@pytest.mark.parametrize("lang", LANGS)
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
    report["names"] = {
        "nuclear_energy": {"ru": "Атомная энергетика и уран", "kk": "Атом энергетикасы және уран"}
    }
    ru = build_view(report, "ru")["summary"]
    assert "«Атомная энергетика и уран» (9,4\u00a0% постов, против 4,1\u00a0% годом ранее)" in ru
    assert "«Китай»: +4,5\u00a0п.\u00a0п., до 26,0\u00a0%" in ru
    kk = build_view(report, "kk")["summary"]
    assert "«Атом энергетикасы және уран» (жазбалардың 9,4%, бір жыл бұрын 4,1% болған)" in kk
    assert "«Қытай»: +4,5\u00a0п.\u00a0т." in kk


HEADINGS = {
    "en": ("Key trends", "Top events", "Partner balance", "Method", "Summary"),
    "ru": ("Ключевые тренды", "Главные события", "Баланс партнёров", "Метод", "Коротко"),
    "kk": ("Негізгі трендтер", "Басты оқиғалар", "Серіктестер теңгерімі", "Әдіс", "Қысқаша"),
}
PARTNER_HEADINGS = {
    "en": "Partners in the theme's posts",
    "ru": "Партнёры в постах темы",
    "kk": "Тақырып жазбаларындағы серіктестер",
}


@pytest.mark.parametrize("lang", LANGS)
def test_headings_per_language(rendered, lang):
    md, html = rendered["md", lang], rendered["html", lang]
    for heading in HEADINGS[lang]:
        assert f"\n## {heading}\n" in md, heading
        assert f"<h2>{heading}</h2>" in html, heading
    for other in LANGS:
        if other != lang:
            for heading in HEADINGS[other]:
                assert f"## {heading}\n" not in md and f"<h2>{heading}</h2>" not in html
    # a partner's share of a theme's mentions is named for what it is, in every language
    assert f"**{PARTNER_HEADINGS[lang]}:**" in md
    assert f'<div class="sub">{escape(PARTNER_HEADINGS[lang])}</div>' in html
    for dishonest in ("Who drives it", "Кто двигает тему"):
        assert dishonest not in md and dishonest not in html
    assert f'<html lang="{lang}">' in html


def test_titles_and_dates_per_language(rendered):
    assert rendered["md", "en"].startswith("# Key foreign-policy trends of Kazakhstan, 2024\n")
    assert rendered["md", "ru"].startswith("# Ключевые тренды внешней политики Казахстана, 2024\n")
    assert rendered["md", "kk"].startswith("# Қазақстан сыртқы саясатының негізгі трендтері, 2024\n")
    assert "<h1>Ключевые тренды внешней политики Казахстана, 2024</h1>" in rendered["html", "ru"]
    assert "октября 2024" in rendered["md", "ru"] and "2024\u00a0жылғы" in rendered["md", "kk"]
    assert "Китай" in rendered["md", "ru"] and "Центральная Азия" in rendered["md", "ru"]
    assert "Қытай" in rendered["md", "kk"] and "Орталық Азия" in rendered["md", "kk"]
    assert "янв 2024" in rendered["html", "ru"]  # chart axis in Russian
    assert "қаң 2024" in rendered["html", "kk"]  # and in Kazakh


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_method_section_is_translated_with_decimal_commas(report, rendered, lang):
    method = _section(rendered["md", lang], HEADINGS[lang][3])
    english = _section(rendered["md", "en"], "Method")
    # the weights of the score (0.3, 0.25 ...) and every other number use a decimal comma
    assert "0,25" in method and "0,3" in method and "0,01" in method
    assert not re.search(r"\d\.\d", method.replace("`", " ").split("\n\n", 1)[1]), method
    assert "0.25" in english and "0,25" not in english
    # no sentence of the English method, and the words of the parameters translated too
    for sentence in (labels.t("method_content", "en"), labels.t("method_events", "en"), "previous year"):
        assert sentence not in method
    assert labels.parameter_value("previous year", lang) in method
    for key in report["trends"][0]["components"]:
        assert labels.component_name(key, lang) in method
    html = rendered["html", lang]
    assert labels.t("method_partners", lang) in html.replace("&#34;", '"').replace("&#39;", "'")
    assert "<details>" in html and "<dt><code>weights.salience</code></dt><dd>0,3</dd>" in html


def test_numbers_follow_the_locale():
    assert fmt_int(1234567, "en") == "1,234,567"
    assert fmt_int(1234567, "ru") == "1\u00a0234\u00a0567" and fmt_int(1234567, "kk") == "1\u00a0234\u00a0567"
    assert fmt_pct(0.0945, "en") == "9.4%" and fmt_pct(0.0955, "ru") == "9,6\u00a0%"
    assert fmt_pct(0.5, "kk", 0) == "50%"
    assert fmt_pp(-0.0329, "ru") == "−3,3\u00a0п.\u00a0п." and fmt_pp(0.0, "en") == "0.0\u00a0pp"
    assert fmt_date("2024-03-12", "kk") == "2024\u00a0жылғы 12\u00a0наурыз"
    assert fmt_date("2024-03-12", "ru") == "12\u00a0марта 2024"
    assert fmt_range("2024-09-16", "2024-09-17", "kk") == "2024\u00a0жылғы 16–17\u00a0қыркүйек"
    assert fmt_range("2024-09-16", "2024-10-02", "en") == "16\u00a0Sep – 2\u00a0Oct 2024"


def test_company_person_format_and_bloc_names_come_from_knowledge(report, knowledge):
    report["trends"][0]["actors"].insert(1, {"actor": "C5_PLUS_1", "share": 0.25})
    report["names"] = labels.report_names(report, knowledge)
    md = {lang: render_markdown(report, lang) for lang in LANGS}
    actors_line = {
        lang: next(x for x in md[lang].splitlines() if labels.t("actors", lang) in x) for lang in LANGS
    }
    assert "Росатом 31" in actors_line["ru"] and "Rosatom 31" in actors_line["en"]
    assert "Росатом 31" in actors_line["kk"] and "Казатомпром 22" in actors_line["ru"]
    assert "Касым-Жомарт Токаев" in actors_line["ru"] and "Қасым-Жомарт Тоқаев" in actors_line["kk"]
    assert "С5+1" in actors_line["ru"] and "C5+1" in actors_line["en"]
    for lang in LANGS:
        assert "ROSATOM" not in md[lang] and "KAZATOMPROM" not in md[lang] and "C5_PLUS_1" not in md[lang]
        assert "tokayev" not in md[lang].replace("`", "")
    # blocs by the acronym each language writes
    assert "ШОС" in md["ru"] and "ШЫҰ" in md["kk"] and "SCO" in md["en"]
    # theme labels in the note's language, whatever language the JSON was built in
    assert report["trends"][0]["label"] == "Nuclear power plant and the uranium chain"
    assert (
        "### 1. Атомная энергетика и уран\n" in md["ru"]
        and "### 1. Атом энергетикасы және уран\n" in md["kk"]
    )
    assert "### 2. Транспортные коридоры и транзит\n" in md["ru"]


def test_names_from_knowledge_keep_only_what_the_report_uses(report):
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
    assert {"tokayev", "SCO", "multilateralism", "europe"} <= set(names)
    assert "XX" not in names  # only ids the report uses
    assert names["SCO"] == {"en": "SCO", "ru": "ШОС", "kk": "ШЫҰ"}  # blocs keep their acronyms
    assert names["BRICS"]["ru"] == "БРИКС"  # ... known acronyms even without a knowledge entry
    report["names"] = names
    md = render_markdown(report, "ru")
    assert "Касым-Жомарт Токаев" in md and "Многосторонняя дипломатия" in md and "| Европа и ЕС |" in md
    assert "Europe and the EU" in charts.render_charts(report, "en")["vectors"]


def test_quotes_in_another_language_are_marked(report, rendered):
    kazakh = next(ev for tr in report["trends"] for ev in tr["evidence"] if quote_lang(ev) == "kk")
    english = next(ev for tr in report["trends"] for ev in tr["evidence"] if quote_lang(ev) == "en")
    russian = next(ev for tr in report["trends"] for ev in tr["evidence"] if quote_lang(ev) == "ru")
    md_ru, md_en = rendered["md", "ru"], rendered["md", "en"]
    assert f"> [kk] {kazakh['quote']}" in md_ru and f"> [en] {english['quote']}" in md_ru
    assert f"> {russian['quote']}" in md_ru and f"[ru] {russian['quote']}" not in md_ru
    assert f"> [ru] {russian['quote']}" in md_en and f"[en] {english['quote']}" not in md_en
    html = rendered["html", "ru"]
    assert (
        '<blockquote lang="kk">' in html
        and '<span class="qlang" title="цитата на языке: казахский">kk</span>' in html
    )
    # the language the builder recorded wins over the script
    russian["lang"] = "kk"
    assert f"> [kk] {russian['quote']}" in render_markdown(report, "ru")


def test_coverage_warnings_come_first(report):
    report["coverage"] = {
        "first_date": "2023-10-02",
        "last_date": "2024-12-30",
        "months": {
            "2023-10": 120,
            "2023-11": 98,
            "2023-12": 1500,
            **{f"2024-{m:02d}": 2100 + m for m in range(1, 13)},
        },
        "warnings": [
            "2023 has posts for 3 months only: the comparison year is partial.",
            "Channel X stops in June.",
        ],
    }
    md = render_markdown(report, "ru")
    assert md.index("## На чём основан отчёт") < md.index("## Коротко") < md.index("## Ключевые тренды")
    assert "> **⚠ Внимание:** 2023 has posts for 3 months only: the comparison year is partial." in md
    assert "| Год | янв | фев |" in md
    assert "| 2023 | — | — | — | — | — | — | — | — | — | 120 | 98 | 1\u00a0500 | 1\u00a0718 |" in md
    assert "Посты с 2\u00a0октября 2023 по 30\u00a0декабря 2024." in md
    html = render_html(report, "kk")
    assert html.index('<section id="coverage"') < html.index('<section id="summary"')
    assert '<div class="warnings" role="note">' in html and "Назар аударыңыз" in html
    assert "Channel X stops in June." in html and "<h2>Есеп неге сүйенеді</h2>" in html
    report["coverage"]["warnings"] = [EVIL]
    assert "<script" not in render_html(report, "en") and EVIL not in render_markdown(report, "en")
    del report["coverage"]
    assert "## What the data covers" not in render_markdown(report, "en")
    assert 'id="coverage"' not in render_html(report, "en")


def test_country_comes_from_the_code(report):
    for code, en, ru, kk in (
        ("UZ", "of Uzbekistan, 2024", "политики Узбекистана, 2024", "Өзбекстан сыртқы саясатының"),
        ("US", "of the United States, 2024", "политики США, 2024", "АҚШ сыртқы саясатының"),
        ("KG", "of Kyrgyzstan, 2024", "политики Кыргызстана, 2024", "Қырғызстан сыртқы саясатының"),
        ("kz", "of Kazakhstan, 2024", "политики Казахстана, 2024", "Қазақстан сыртқы саясатының"),
        ("GE", "of Georgia, 2024", "политики Грузии, 2024", "Грузия сыртқы саясатының"),
    ):
        report["country"] = code
        assert build_view(report, "en")["title"].endswith(en)
        assert build_view(report, "ru")["title"].endswith(ru)
        assert build_view(report, "kk")["title"].startswith(kk)


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
    for lang in LANGS:
        html = rendered["html", lang]
        assert "Content-Security-Policy" in html and "default-src 'none'" in html
        assert "<script" not in html and "<link" not in html and "<img" not in html
        assert "@import" not in html and "url(http" not in html
        urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
        assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls


@pytest.mark.parametrize("lang", LANGS)
def test_rendering_is_deterministic(report, rendered, lang):
    before = copy.deepcopy(report)
    again_md = render_markdown(report, lang)
    again_html = render_html(report, lang)
    assert report == before  # the input is not modified
    assert again_md.encode() == rendered["md", lang].encode()
    assert again_html.encode() == rendered["html", lang].encode()


def _fills(svg: str, role: str) -> list[str]:
    """Fill colours of the marks inside every `<g class="... role-...">` group of one kind."""
    out = []
    for match in re.finditer(rf'<g class="[^"]*{role}[^"]*"[^>]*>(.*?)</g>', svg, re.S):
        out += re.findall(r'fill="(#[0-9a-fA-F]{6})"', match.group(1))
    return out


def test_vector_chart_is_a_stack_with_a_legend_and_distinct_colours(report):
    svg = charts.render_charts(report, "ru")["vectors"]
    assert 'class="mark-group role-legend"' in svg
    legend = re.findall(r'class="mark-text role-legend-label"[^>]*><text[^>]*>([^<]+)</text>', svg)
    top = [p["vector"] for p in report["balance"]["partners"]][: charts.MAX_VECTORS]
    assert legend == [labels.vector_name(v, "ru") for v in top] + ["Прочие"]  # 8 vectors: 7 + other
    areas = _fills(svg, "mark-area role-mark")
    assert len(areas) == len(legend) and len(set(areas)) == len(areas)
    assert charts.min_distance(areas) >= charts.MIN_DISTANCE
    assert set(_fills(svg, "role-legend-symbol")) == set(areas)  # the legend explains every band
    # the spec: stacked shares, one colour scale naming every band
    spec = charts.vectors_chart(report, "ru").to_dict()
    enc = spec["layer"][0]["encoding"]
    assert enc["y"]["stack"] == "zero" and enc["color"]["scale"]["domain"] == legend
    assert enc["color"]["scale"]["range"] == areas


def test_twelve_vectors_keep_their_colours_apart():
    periods = [f"2024-{m:02d}" for m in range(1, 13)]
    vectors = ["russia", "china", "europe", "usa", "central_asia", "turkic", "east_asia", "middle_east",
               "south_asia", "south_caucasus", "gulf", "multilateral"]  # fmt: skip
    shares = {v: [1 / len(vectors)] * 12 for v in vectors}
    report = {
        "year": 2024,
        "balance": {"partners": [{"vector": v, "share": 0.1} for v in vectors]},
        "series": {"periods": periods, "vectors": shares},
    }
    colors = charts.assign_colors(vectors)
    assert (
        len(set(colors.values())) == 12 and charts.min_distance(list(colors.values())) >= charts.MIN_DISTANCE
    )
    svg = charts.render_charts(report, "en")["vectors"]
    areas = _fills(svg, "mark-area role-mark")
    assert len(areas) == charts.MAX_VECTORS + 1 and areas[-1] == charts.OTHER_COLOR
    assert charts.min_distance(areas) >= charts.MIN_DISTANCE
    assert charts.color_distance("#8c564b", "#9c755f") < charts.MIN_DISTANCE  # the two browns of old


def test_balance_table_and_partner_bars_use_the_chart_colours(report, rendered):
    colors = charts.vector_colors(report)
    html = rendered["html", "en"]
    for vector, color in colors.items():
        assert f'background:{color}"></span>{labels.vector_name(vector, "en")}' in html
    rest = [p["vector"] for p in report["balance"]["partners"]][charts.MAX_VECTORS :]
    for vector in rest:
        assert f'background:{charts.OTHER_COLOR}"></span>{labels.vector_name(vector, "en")}' in html


def test_trend_chart_has_a_panel_per_trend_and_names_the_bursts(report):
    periods = report["series"]["periods"]
    theme = report["trends"][1]["theme"]
    values = [0.05] * len(periods)
    values[periods.index("2024-05")] = 0.4  # one month far above the rest of the year
    report["series"]["trends"][theme] = values
    assert charts.burst_months(periods, values, 2024) == ["2024-05"]
    assert charts.burst_months(periods, [0.05 + 0.01 * (i % 3) for i in range(24)], 2024) == []
    svg = charts.render_charts(report, "ru")["trends"]
    lines = re.findall(r'<g class="mark-line role-mark[^"]*"', svg)
    assert len(lines) == len(report["trends"])
    headers = re.findall(r"role-row-header|role-column-header|role-header", svg)
    assert headers or all(f"{t['rank']}. " in svg for t in report["trends"])
    assert "2. Middle Corridor and transit routes" in svg
    marks = re.findall(r'class="mark-text role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.S)
    names = [x for m in marks for x in re.findall(r">([^<]+)</text>", m)]
    assert "май" in names  # the burst month, named in the note's language
    # a burst month the builder gives wins over the chart's own reading
    report["trends"][1]["burst_months"] = ["2024-09"]
    svg = charts.render_charts(report, "en")["trends"]
    marks = re.findall(r'class="mark-text role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.S)
    assert "Sep" in [x for m in marks for x in re.findall(r">([^<]+)</text>", m)]


def test_chart_ids_are_prefixed():
    svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"/></svg>'
    out = charts._stable_ids(svg, "chart-x")
    assert 'id="chart-x-clip1"' in out and "url(#chart-x-clip1)" in out and '"clip1"' not in out


def test_charts_are_offline_and_deterministic(report):
    svgs = charts.render_charts(report, "en")
    assert set(svgs) == {"vectors", "trends"}
    assert all(svg.startswith("<svg") and re.search(r'd="M[\d.]+,[\d.]+[LC]', svg) for svg in svgs.values())
    ids = [i for svg in svgs.values() for i in re.findall(r'\bid="([^"]+)"', svg)]
    assert len(ids) == len(set(ids))
    assert charts.render_charts(report, "en") == svgs


def test_new_theme_and_topic(report):
    trend = report["trends"][4]
    trend["share_prev"], trend["growth"] = 0.0, None
    md = render_markdown(report, "en")
    assert "new this year" in md
    assert "found in the posts without the theme list (`topic:7`)" in md
    assert "новая тема года" in render_markdown(report, "ru")
    assert "жылдың жаңа тақырыбы" in render_markdown(report, "kk")


def test_variants_of_optional_fields(report):
    trend = report["trends"][0]
    trend["channels"] = [{"channel": "Orda.kz", "posts": 40}, "Vlast.kz"]
    trend["languages"] = ["ru", "kk"]
    trend["months"] = ["2024-01", "2024-02", "2024-03"]
    trend["partners"] = [{"actor": "CN", "share": 0.5}, {"actor": "ROSATOM", "share": 0.25}]
    view = build_view(report, "en")["trends"][0]
    assert view["months"] == "3 of 12" and view["languages"] == "Russian, Kazakh"
    assert [p["name"] for p in view["partners"]] == ["China", "ROSATOM"]  # no names in the report
    assert view["top_channels"] == ["Orda.kz (40)", "Vlast.kz"]
    report["names"] = {"tokayev": {"en": "Kassym-Jomart Tokayev", "ru": "Касым-Жомарт Токаев"}}
    assert "Касым-Жомарт Токаев" in render_markdown(report, "ru")


def test_minimal_report_renders():
    report = {"year": 2024, "country": "KZ", "trends": [], "events": [], "balance": {}, "series": {}}
    md = render_markdown(report, "en")
    html = render_html(report, "ru")
    assert md.startswith("# Key foreign-policy trends of Kazakhstan, 2024")
    assert "chart-vectors" not in html and "<h1>" in html
    assert "<h1>" in render_html(report, "kk")


def test_markdown_chart_links(report):
    md = render_markdown(
        report, "en", charts={"vectors": "report-vectors.svg", "trends": "my charts/trends (1).svg"}
    )
    assert "![Partner vectors: share of partner attention by month](report-vectors.svg)" in md
    assert "![Top trends: share of posts by month, bursts marked](my%20charts/trends%20%281%29.svg)" in md
    bad = render_markdown(
        report, "en", charts={"vectors": "javascript:alert(1)", "trends": " DATA:text/html,x"}
    )
    assert "javascript:" not in bad.lower() and "data:" not in bad.lower() and "![" not in bad


def test_unknown_language(report):
    with pytest.raises(ValueError, match="unknown report language"):
        render_markdown(report, "fr")


def test_words_and_numbers():
    assert [labels.count_noun(n, "post", "ru") for n in (1, 2, 5, 11, 21, 104)] == [
        "1 пост", "2 поста", "5 постов", "11 постов", "21 пост", "104 поста",
    ]  # fmt: skip
    assert labels.count_noun(5, "post", "kk") == "5 жазба" and labels.count_noun(1, "post", "en") == "1 post"
    assert labels.genitive_ru("Южная Корея") == "Южной Кореи"
    assert labels.actor_name("SCO", "ru") == "ШОС" and labels.actor_name("SCO", "kk") == "ШЫҰ"
    assert labels.actor_name("xi_jinping", "en") == "Xi Jinping"
    assert labels.actor_name("DE", "kk") == "Германия" and labels.actor_name("RU", "kk") == "Ресей"
    assert labels.vector_name("some_new_vector", "en") == "Some new vector"
    assert labels.vector_name("central_asia", "kk") == "Орталық Азия"
    for lang in LANGS:  # every language has every word the others have
        assert set(labels.TEXT[lang]) == set(labels.TEXT["en"]), lang
        assert all(len(v[lang]) == 2 for v in labels.COMPONENTS.values())


def test_template_ships_as_package_data():
    template = resources.files("multivector.report").joinpath("templates/report.html.j2")
    assert template.is_file()


def test_markdown_never_links_to_scripts_or_data(report):
    report["trends"][0]["evidence"][0]["quote"] = (
        "Click [here](javascript:alert(1)) or [there](java&#115;cript:x)."
    )
    report["trends"][1]["terms"].append("[t](data:text/html,<b>x</b>)")
    report["events"][0]["title"] = "[bad]( VBScript:msgbox)"
    report["events"][2]["title"] = "[ok](https://example.kz)"
    report["events"][1]["evidence"][0]["quote"] = "[ref]: javascript:alert(2)"
    md = render_markdown(report, "en")
    # No link can form: every "](" or "]:" before a script or data target is escaped ("\\]").
    for target in (r"\(javascript:", r"\(data:", r"\( VBScript:", r"\(java&#115;cript:", r": javascript:"):
        assert not re.search(r"(?<!\\)\]" + target, md), target
    assert "(javascript:alert(1))" in md  # still readable as the text it was
    assert "[ok](https://example.kz)" in md  # an ordinary link in a title is left alone
