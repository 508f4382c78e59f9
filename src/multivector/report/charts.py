"""The report's two charts, built with Altair and rendered offline to SVG by vl-convert.

(1) partner vectors' share of posts by month; (2) the top trends' share of posts by month.
No data is fetched (data is inline, remote URLs are refused) and no JavaScript is needed to see
the result. SVG output is deterministic; element ids, if Vega ever emits any (clip paths,
gradients), are prefixed with the chart name so two charts can live in one HTML page.
"""

from __future__ import annotations

import re

from multivector.report import labels

# One colour per known vector, used by the chart and by the HTML's partner bars alike.
VECTOR_COLORS: dict[str, str] = {
    "russia": "#c23b22",
    "china": "#e69f00",
    "europe": "#0072b2",
    "usa": "#56b4e9",
    "west": "#3b5ba5",
    "central_asia": "#009e73",
    "turkic": "#8c564b",
    "east_asia": "#cc79a7",
    "middle_east": "#7f7f00",
    "south_asia": "#9467bd",
    "south_caucasus": "#17becf",
    "gulf": "#bcbd22",
    "multilateral": "#6b6b6b",
    "international": "#6b6b6b",
    "other": "#a0a0a0",
}
_FALLBACK = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
TREND_COLORS = ("#1b6ca8", "#d1495b", "#2a9d8f", "#e9a03b", "#6d597a", "#577590", "#8ab17d", "#b56576", "#43aa8b", "#f3722c")  # fmt: skip

WIDTH = 720
HEIGHT = 260


def vector_color(vector: str, index: int = 0) -> str:
    return VECTOR_COLORS.get(vector) or _FALLBACK[index % len(_FALLBACK)]


def _period_date(period: str) -> str | None:
    """'2024-03' -> '2024-03-01'; weeks or other periods are not charted as dates."""
    if re.fullmatch(r"\d{4}-\d{2}", period):
        return period + "-01"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
        return period
    return None


def _rows(periods: list[str], series: dict[str, list], names: dict[str, str]) -> list[dict]:
    rows = []
    for key, name in names.items():
        values = series.get(key) or []
        for period, value in zip(periods, values, strict=False):
            date = _period_date(str(period))
            if date is None or value is None:
                continue
            rows.append({"date": date, "name": name, "share": float(value)})
    return rows


def _base(
    rows: list[dict], names: list[str], colors: list[str], legend_title: str, year: int | None, columns: int
):
    import altair as alt

    x = alt.X(
        "date:T",
        timeUnit="utcyearmonth",
        title=None,
        axis=alt.Axis(
            format="%b %Y", labelAngle=0, labelOverlap=True, tickCount={"interval": "month", "step": 3}
        ),
    )
    y = alt.Y("share:Q", title=None, axis=alt.Axis(format=".0%", tickCount=6))
    color = alt.Color(
        "name:N",
        title=legend_title,
        scale=alt.Scale(domain=names, range=colors),
        sort=names,
        legend=alt.Legend(
            orient="bottom",
            columns=columns,
            labelLimit=340,
            symbolType="stroke",
            symbolStrokeWidth=3,
            columnPadding=18,
        ),
    )
    lines = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=14, filled=True))
        .encode(x=x, y=y, color=color)
    )
    layers = [lines]
    if year is not None and any(r["date"] < f"{year}-01-01" for r in rows):
        # A dashed line where the report's year begins: left of it is the baseline year.
        rule = (
            alt.Chart(alt.Data(values=[{"date": f"{year}-01-01", "label": str(year)}]))
            .mark_rule(color="#888888", strokeDash=[4, 4])
            .encode(x=alt.X("date:T", timeUnit="utcyearmonth"))
        )
        text = (
            alt.Chart(alt.Data(values=[{"date": f"{year}-01-01", "label": f"{year} →"}]))
            .mark_text(align="left", baseline="top", dx=4, dy=2, color="#555555", fontSize=11)
            .encode(x=alt.X("date:T", timeUnit="utcyearmonth"), y=alt.value(0), text="label:N")
        )
        layers += [rule, text]
    chart = alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)
    return (
        chart.configure(font="sans-serif")
        .configure_view(stroke=None)
        .configure_axis(
            gridColor="#e6e6e6",
            domainColor="#999999",
            tickColor="#999999",
            labelColor="#333333",
            labelFontSize=11,
        )
        .configure_legend(labelFontSize=11, titleFontSize=11, titleColor="#333333", labelColor="#333333")
    )


def vectors_chart(report: dict, lang: str = "en"):
    """Lines of each partner vector's monthly share, legend ordered by this year's share."""
    series = report.get("series") or {}
    periods = series.get("periods") or []
    vectors = series.get("vectors") or {}
    if not periods or not vectors:
        return None
    order = [
        p["vector"] for p in (report.get("balance") or {}).get("partners", []) if p.get("vector") in vectors
    ]
    order += sorted(v for v in vectors if v not in order)
    known = report.get("names") if isinstance(report.get("names"), dict) else None
    names = {v: labels.known_name(known, v, lang) or labels.vector_name(v, lang) for v in order}
    rows = _rows(periods, vectors, names)
    if not rows:
        return None
    colors = [vector_color(v, i) for i, v in enumerate(order)]
    return _base(rows, list(names.values()), colors, labels.t("col_partner", lang), report.get("year"), 4)


def trends_chart(report: dict, lang: str = "en"):
    """Lines of the ranked trends' monthly shares, in rank order."""
    series = report.get("series") or {}
    periods = series.get("periods") or []
    theme_series = series.get("trends") or {}
    if not periods or not theme_series:
        return None
    names: dict[str, str] = {}
    for trend in report.get("trends") or []:
        theme = trend.get("theme")
        if theme in theme_series and theme not in names:
            names[theme] = f"{trend.get('rank', len(names) + 1)}. {trend.get('label') or theme}"
    for theme in sorted(theme_series):  # series for themes that are not ranked trends come last
        if theme not in names:
            names[theme] = labels.humanize(theme)
    rows = _rows(periods, theme_series, names)
    if not rows:
        return None
    colors = [TREND_COLORS[i % len(TREND_COLORS)] for i in range(len(names))]
    return _base(rows, list(names.values()), colors, labels.t("h_trends", lang), report.get("year"), 2)


_LOCALES = {"en": ("en-US", "en-US"), "ru": ("ru-RU", "ru-RU")}


def chart_svg(chart, name: str, lang: str = "en") -> str:
    """Render an Altair chart to SVG offline; ids are prefixed with `name`."""
    import vl_convert as vlc

    number_locale, time_locale = _LOCALES.get(lang, _LOCALES["en"])
    svg = vlc.vegalite_to_svg(
        chart.to_dict(),
        format_locale=number_locale,
        time_format_locale=time_locale,
        allowed_base_urls=[],
    )
    return _stable_ids(svg, name)


def _stable_ids(svg: str, name: str) -> str:
    ids = re.findall(r'\bid="([^"]+)"', svg)
    if not ids:
        return svg
    for old in sorted(set(ids), key=len, reverse=True):
        new = f"{name}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"')
        svg = svg.replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    return svg


def render_charts(report: dict, lang: str = "en") -> dict[str, str]:
    """{"vectors": svg, "trends": svg}; a chart without data is left out."""
    out: dict[str, str] = {}
    for name, build in (("vectors", vectors_chart), ("trends", trends_chart)):
        chart = build(report, lang)
        if chart is not None:
            out[name] = chart_svg(chart, f"chart-{name}", lang)
    return out
