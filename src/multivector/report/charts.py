"""The report's two charts, built with Altair and rendered offline to SVG by vl-convert.

(1) **Partner vectors**: a stacked area of each vector's share of partner attention by month
(the shares of a month sum to one), the top `MAX_VECTORS` vectors of the year in their own
colours and the rest as one grey "Other" band, with a legend; (2) **top trends**: one small
panel per trend (shared axes), its monthly share of posts as a line, with its burst months
marked and named.

Colours are qualitative and kept apart: every vector has a preferred colour (Russia red, China
amber, Europe dark blue ...), and a vector whose preferred colour is already taken or too close
to one in use (CIE76 distance in CIELAB below `MIN_DISTANCE`) gets the next palette colour that
is not. The same assignment colours the HTML's partner bars and balance table.

No data is fetched (data is inline, remote URLs are refused) and no JavaScript is needed to see
the result. SVG output is deterministic; element ids, if Vega ever emits any (clip paths,
gradients), are prefixed with the chart name so two charts can live in one HTML page.
"""

from __future__ import annotations

import functools
import itertools
import re
import statistics

from multivector.report import labels

MAX_VECTORS = 7  # vectors with a colour of their own; the rest form "Other"
MIN_DISTANCE = 25.0  # CIE76 distance two colours of one chart keep at least
OTHER_COLOR = "#b0b0b0"
ACCENT = "#1b6ca8"
BURST_COLOR = "#c2410c"

PREFERRED: dict[str, str] = {
    "russia": "#c62828",
    "china": "#f2a900",
    "europe": "#1f4e9c",
    "west": "#1f4e9c",
    "usa": "#5fa8e0",
    "central_asia": "#2e9e44",
    "turkic": "#14b8b0",
    "east_asia": "#d9589f",
    "middle_east": "#8d5a3b",
    "south_asia": "#7b4fc9",
    "multilateral": "#a3a322",
    "international": "#a3a322",
}
# Taken in order by vectors without a preferred colour, or whose colour is too close to one in use.
PALETTE = (
    "#ff7f0e", "#555555", "#7f0000", "#9edae5", "#c5b0d5", "#17becf", "#e6d800", "#f4a6c6",
    "#2e9e44", "#1f4e9c", "#5fa8e0", "#d9589f", "#8d5a3b", "#7b4fc9", "#14b8b0", "#c62828", "#f2a900",
)  # fmt: skip

WIDTH = 600
HEIGHT = 260
PANEL_HEIGHT = 64


# --- colours ---------------------------------------------------------------------------------


@functools.cache
def _lab(color: str) -> tuple[float, float, float]:
    """sRGB hex -> CIELAB (D65)."""
    h = color.lstrip("#")
    rgb = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(v: float) -> float:
        return v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def color_distance(a: str, b: str) -> float:
    """CIE76 colour difference: about 2 is just noticeable, under 10 reads as the same colour."""
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5


def min_distance(colors: list[str]) -> float:
    return min((color_distance(a, b) for a, b in itertools.combinations(colors, 2)), default=float("inf"))


def assign_colors(keys: list[str]) -> dict[str, str]:
    """A colour per key, in order: its preferred colour when it stays `MIN_DISTANCE` away from
    the colours already given (and from grey "Other"), else the first palette colour that does,
    else the palette colour farthest from them."""
    used: list[str] = [OTHER_COLOR]
    out: dict[str, str] = {}
    for key in keys:
        choices = ([PREFERRED[key]] if key in PREFERRED else []) + list(PALETTE)
        fits = [
            c for c in choices if c not in used and all(color_distance(c, u) >= MIN_DISTANCE for u in used)
        ]
        color = fits[0] if fits else max(PALETTE, key=lambda c: min(color_distance(c, u) for u in used))
        out[key] = color
        used.append(color)
    return out


def vector_color(vector: str, index: int = 0) -> str:
    """One vector's colour outside a chart's own assignment (the dashboard's small charts): its
    preferred colour, else the palette colour at its position."""
    return PREFERRED.get(vector) or PALETTE[index % len(PALETTE)]


def _vector_order(report: dict) -> list[str]:
    """Vectors by this year's share (the balance order), then any other charted vector by id."""
    series = (report.get("series") or {}).get("vectors") or {}
    order = [str(p["vector"]) for p in (report.get("balance") or {}).get("partners", []) if p.get("vector")]
    return order + sorted(str(v) for v in series if str(v) not in order)


def vector_colors(report: dict) -> dict[str, str]:
    """The colours of the report's top vectors (the rest are drawn as `OTHER_COLOR`)."""
    return assign_colors(_vector_order(report)[:MAX_VECTORS])


# --- data ------------------------------------------------------------------------------------


def _period_date(period: str) -> str | None:
    """'2024-03' -> '2024-03-01'; weeks or other periods are not charted as dates."""
    if re.fullmatch(r"\d{4}-\d{2}", period):
        return period + "-01"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
        return period
    return None


def burst_months(periods: list[str], values: list, year: int | str | None, limit: int = 3) -> list[str]:
    """Months of `year` (or from the month "YYYY-MM" on, a report's period) in which a trend's
    share jumps well above its usual level.

    The usual level is the median month of the year (the mean, when most months are empty); a
    burst month is at least twice that and above median + 3 robust deviations (1.4826 x MAD).
    At most `limit` months, the highest first."""
    points = [
        (str(p), float(v))
        for p, v in zip(periods, values, strict=False)
        if v is not None and _in_period(str(p), year)
    ]
    if len(points) < 3:
        return []
    shares = [v for _, v in points]
    median = statistics.median(shares)
    base = median if median > 0 else statistics.fmean(shares)
    mad = statistics.median(abs(v - median) for v in shares) * 1.4826
    threshold = max(base * 2, median + 3 * mad)
    if base <= 0:
        return []
    found = sorted(((v, p) for p, v in points if v > threshold), key=lambda x: (-x[0], x[1]))
    return sorted(p for _, p in found[:limit])


def _month_label(period: str, lang: str) -> str:
    return labels.MONTHS_SHORT[lang][int(period[5:7]) - 1]


# --- charts ----------------------------------------------------------------------------------


def _x_axis():
    import altair as alt

    return alt.X(
        "date:T",
        timeUnit="utcyearmonth",
        title=None,
        axis=alt.Axis(
            format="%b %Y", labelAngle=0, labelOverlap=True, tickCount={"interval": "month", "step": 3}
        ),
    )


def _in_period(period: str, year: int | str | None) -> bool:
    if year is None:
        return True
    if isinstance(year, str):
        return period[:7] >= year[:7]
    return period.startswith(f"{year:04d}-")


def _period_start(report: dict) -> tuple[str, str] | None:
    """The first month of the report's period as a chart date, and its mark's label."""
    period = report.get("period") if isinstance(report.get("period"), dict) else None
    if (
        period
        and period.get("kind") != "year"
        and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(period.get("start")))
    ):
        return str(period["start"])[:7] + "-01", f"{period.get('label')} →"
    year = report.get("year")
    return (f"{int(year):04d}-01-01", f"{year} →") if year is not None else None


def _year_mark(start: tuple[str, str] | None, rows: list[dict]) -> list:
    """A dashed rule where the report's period begins: left of it is the baseline period."""
    import altair as alt

    if start is None or not any(r["date"] < start[0] for r in rows):
        return []
    rule = (
        alt.Chart(alt.Data(values=[{"date": start[0]}]))
        .mark_rule(color="#666666", strokeDash=[4, 4])
        .encode(x=alt.X("date:T", timeUnit="utcyearmonth"))
    )
    text = (
        alt.Chart(alt.Data(values=[{"date": start[0], "label": start[1]}]))
        .mark_text(align="left", baseline="top", dx=4, dy=2, color="#444444", fontSize=11)
        .encode(x=alt.X("date:T", timeUnit="utcyearmonth"), y=alt.value(0), text="label:N")
    )
    return [rule, text]


def _configure(chart):
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
    """A stacked area of the vectors' monthly shares: the top vectors and "Other", with a legend."""
    import altair as alt

    series = report.get("series") or {}
    periods = series.get("periods") or []
    vectors = series.get("vectors") or {}
    if not periods or not vectors:
        return None
    order = [v for v in _vector_order(report) if v in vectors]
    top, rest = order[:MAX_VECTORS], order[MAX_VECTORS:]
    colors = assign_colors(top)
    known = report.get("names") if isinstance(report.get("names"), dict) else None
    names = {v: labels.known_name(known, v, lang) or labels.vector_name(v, lang) for v in top}
    other = labels.t("other", lang)
    while other in names.values():  # a vector already called "Other"
        other += " "
    rows = []
    for i, period in enumerate(periods):
        date = _period_date(str(period))
        values = {
            v: float((vectors.get(v) or [])[i] or 0) if i < len(vectors.get(v) or []) else 0.0 for v in order
        }
        if date is None or sum(values.values()) <= 0:  # a month without partner mentions: a gap
            continue
        for rank, v in enumerate(top):
            rows.append({"date": date, "name": names[v], "share": values[v], "rank": rank})
        if rest:
            rows.append(
                {"date": date, "name": other, "share": sum(values[v] for v in rest), "rank": len(top)}
            )
    if not rows:
        return None
    domain = [names[v] for v in top] + ([other] if rest else [])
    palette = [colors[v] for v in top] + ([OTHER_COLOR] if rest else [])
    area = (
        alt.Chart(alt.Data(values=rows))
        .mark_area(opacity=0.92, stroke="#ffffff", strokeWidth=0.6)
        .encode(
            x=_x_axis(),
            y=alt.Y("share:Q", title=None, stack="zero", axis=alt.Axis(format=".0%", tickCount=5)),
            color=alt.Color(
                "name:N",
                title=labels.t("col_partner", lang),
                scale=alt.Scale(domain=domain, range=palette),
                sort=domain,
                legend=alt.Legend(orient="right", symbolType="square", symbolSize=120, labelLimit=220),
            ),
            order=alt.Order("rank:Q", sort="ascending"),
        )
    )
    chart = alt.layer(area, *_year_mark(_period_start(report), rows)).properties(width=WIDTH, height=HEIGHT)
    return _configure(chart)


def trends_chart(report: dict, lang: str = "en"):
    """One panel per ranked trend: its monthly share of posts, burst months marked and named."""
    import altair as alt

    series = report.get("series") or {}
    periods = series.get("periods") or []
    theme_series = series.get("trends") or {}
    if not periods or not theme_series:
        return None
    known = report.get("names") if isinstance(report.get("names"), dict) else None
    start = _period_start(report)
    year = start[0] if start is not None and not start[0].endswith("-01-01") else report.get("year")
    names: dict[str, str] = {}
    bursts: dict[str, set[str]] = {}
    for trend in report.get("trends") or []:
        theme = str(trend.get("theme"))
        if theme in theme_series and theme not in names:
            label = labels.known_name(known, theme, lang) or trend.get("label") or theme
            names[theme] = f"{trend.get('rank', len(names) + 1)}. {label}"
            given = trend.get("burst_months")
            found = given if isinstance(given, list) else burst_months(periods, theme_series[theme], year)
            bursts[theme] = {str(p)[:7] for p in found}
    for theme in sorted(theme_series):  # series for themes that are not ranked trends come last
        if theme not in names:
            names[theme] = labels.humanize(theme)
            bursts[theme] = set(burst_months(periods, theme_series[theme], year))
    rows = []
    for theme, name in names.items():
        for period, value in zip(periods, theme_series.get(theme) or [], strict=False):
            date = _period_date(str(period))
            if date is None or value is None:
                continue
            burst = str(period)[:7] in bursts[theme]
            rows.append(
                {
                    "date": date,
                    "name": name,
                    "share": float(value),
                    "burst": burst,
                    "label": _month_label(str(period), lang) if burst else "",
                }
            )
    if not rows:
        return None
    x = _x_axis()
    y = alt.Y("share:Q", title=None, axis=alt.Axis(format=".0%", tickCount=3))
    base = alt.Chart().encode(x=x, y=y)
    layers = [
        base.mark_area(color=ACCENT, opacity=0.12, interpolate="monotone"),
        base.mark_line(color=ACCENT, strokeWidth=2, interpolate="monotone"),
        base.transform_filter("datum.burst").mark_point(filled=True, size=46, color=BURST_COLOR, opacity=1),
        base.transform_filter("datum.burst")
        .mark_text(dy=-9, fontSize=10, fontWeight="bold", color=BURST_COLOR)
        .encode(text="label:N"),
    ]
    if start is not None and any(r["date"] < start[0] for r in rows):
        layers.append(
            alt.Chart()
            .transform_filter(f"datum.date == '{start[0]}'")
            .mark_rule(color="#666666", strokeDash=[4, 4])
            .encode(x=x)
        )
    chart = (
        alt.layer(*layers, data=alt.Data(values=rows))
        .properties(width=WIDTH + 120, height=PANEL_HEIGHT)
        .facet(
            facet=alt.Facet(
                "name:N",
                sort=list(names.values()),
                title=None,
                header=alt.Header(
                    labelAnchor="start", labelAlign="left", labelFontSize=12, labelFontWeight="bold",
                    labelLimit=WIDTH + 120, labelPadding=4,
                ),
            ),
            columns=1,
            spacing=10,
        )
    )  # fmt: skip
    return _configure(chart)


# --- rendering -------------------------------------------------------------------------------

_KK_TIME = {
    "dateTime": "%Y ж. %e %B, %A, %X",
    "date": "%d.%m.%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["жексенбі", "дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі"],
    "shortDays": ["жс", "дс", "сс", "ср", "бс", "жм", "сб"],
    "months": list(labels.MONTHS["kk"]),
    "shortMonths": list(labels.MONTHS_SHORT["kk"]),
}
_TIME_LOCALES = {"en": "en-US", "ru": "ru-RU", "kk": _KK_TIME}


@functools.cache
def number_locale(lang: str) -> dict:
    """d3-format's locale built from babel's CLDR data, so an axis writes numbers and percents
    as the report's text does («20 %» in Russian, «20%» in Kazakh)."""
    from babel import Locale
    from babel.numbers import get_decimal_symbol, get_group_symbol

    pattern = Locale.parse(lang).percent_formats[None].pattern
    return {
        "decimal": get_decimal_symbol(lang),
        "thousands": get_group_symbol(lang).replace("\u202f", "\u00a0"),
        "grouping": [3],
        "currency": ["", ""],
        "percent": "\u00a0%" if re.search(r"[\s\u00a0\u202f]%", pattern) else "%",
        "minus": "\u2212",
    }


def chart_svg(chart, name: str, lang: str = "en") -> str:
    """Render an Altair chart to SVG offline; ids are prefixed with `name`."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(
        chart.to_dict(),
        format_locale=number_locale(lang),
        time_format_locale=_TIME_LOCALES.get(lang, "en-US"),
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
