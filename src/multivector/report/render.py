"""Render a report dict (see `report.build`) as an analyst's note: Markdown or one HTML file.

Both formats are built from one "view" of the report: every number formatted for the locale
(babel: decimal commas and non-breaking thousands separators in Russian and Kazakh), every
name translated, in the requested language (en, ru, kk). The HTML is self-contained (inline
CSS, charts as inline SVG rendered offline, a Content-Security-Policy that forbids scripts and
network requests) and everything taken from the data is escaped. The same dict always gives
the same bytes.
"""

from __future__ import annotations

import functools
import html
import json
import math
import re
from typing import Any

from multivector.report import labels
from multivector.report.labels import t

NBSP = "\u00a0"
MINUS = "\u2212"
_SCRIPT_KK = re.compile(r"[әғқңөұүһі]", re.I)
_SCRIPT_CYR = re.compile(r"[а-яё]", re.I)
_SCRIPT_LAT = re.compile(r"[a-z]", re.I)


# --- numbers and dates ------------------------------------------------------------------------


@functools.cache
def _percent_suffix(lang: str) -> str:
    """'%' or NBSP + '%', as the locale's CLDR percent pattern writes it (ru: «9,4 %»)."""
    from babel import Locale

    pattern = Locale.parse(lang).percent_formats[None].pattern
    return NBSP + "%" if re.search(r"[\s\u00a0\u202f]%", pattern) else "%"


def _num(x: float, lang: str, digits: int, group: bool = False) -> str:
    """A number in the locale's digits (babel), rounded by Python first so every language
    rounds a value the same way."""
    from babel.numbers import format_decimal

    pattern = ("#,##0" if group else "0") + ("." + "0" * digits if digits else "")
    text = format_decimal(round(float(x), digits), format=pattern, locale=lang)
    return text.replace("\u202f", NBSP)


def fmt_int(n: Any, lang: str) -> str:
    try:
        value = int(n)
    except (TypeError, ValueError):
        return str(n)
    return _num(value, lang, 0, group=True)


def fmt_pct(x: Any, lang: str, digits: int = 1) -> str:
    if x is None:
        return "—"
    return _num(float(x) * 100, lang, digits, group=True) + _percent_suffix(lang)


def fmt_pp(x: Any, lang: str) -> str:
    """A change of shares in percentage points, always signed: '+4.5 pp', '−3,3 п.п.'."""
    if x is None:
        return "—"
    value = float(x) * 100
    if abs(value) < 0.05:
        return _num(0.0, lang, 1) + NBSP + t("pp", lang)
    sign = "+" if value > 0 else MINUS
    return sign + _num(abs(value), lang, 1) + NBSP + t("pp", lang)


def fmt_float(x: Any, lang: str, digits: int = 2) -> str:
    if x is None:
        return "—"
    try:
        value = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(value):
        return "—"
    return _num(value, lang, digits)


def fmt_ratio(g: Any, lang: str) -> str:
    value = float(g)
    return "×" + _num(value, lang, 0 if value >= 10 else 1)


def _ymd(value: Any) -> tuple[int, int, int] | None:
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value or ""))
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3])


def _day_month(d: int, m: int, lang: str) -> str:
    return f"{d}{NBSP}{labels.MONTHS[lang][m - 1]}"


def _with_year(text: str, y: int, lang: str) -> str:
    # Kazakh puts the year first: «2024 жылғы 12 наурыз»; English and Russian last.
    return f"{y}{NBSP}жылғы {text}" if lang == "kk" else f"{text} {y}"


def fmt_date(value: Any, lang: str) -> str:
    ymd = _ymd(value)
    if ymd is None:
        return str(value or "—")
    y, m, d = ymd
    return _with_year(_day_month(d, m, lang), y, lang)


def fmt_range(start: Any, end: Any, lang: str) -> str:
    a, b = _ymd(start), _ymd(end)
    if a is None:
        return fmt_date(end, lang)
    if b is None or a == b:
        return fmt_date(start, lang)
    if a[0] == b[0] and a[1] == b[1]:
        return _with_year(f"{a[2]}–{_day_month(b[2], b[1], lang)}", b[0], lang)
    if a[0] == b[0]:
        return _with_year(f"{_day_month(a[2], a[1], lang)} – {_day_month(b[2], b[1], lang)}", b[0], lang)
    return f"{fmt_date(start, lang)} – {fmt_date(end, lang)}"


def fmt_value(value: Any, lang: str) -> str:
    """A parameter's value as the note prints it: numbers in the locale, words translated."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if isinstance(value, int):
        return fmt_int(value, lang)
    if isinstance(value, float):
        text = f"{value:.6g}"
        digits = len(text.split(".")[1]) if "." in text and "e" not in text else 0
        return _num(value, lang, min(digits, 6), group=True)
    if isinstance(value, str):
        return labels.parameter_value(value, lang)
    if isinstance(value, list | tuple):
        return "[" + "; ".join(fmt_value(v, lang) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | dict | tuple):
        return len(value)
    return None


# --- the view ---------------------------------------------------------------------------------


def quote_lang(ev: dict) -> str | None:
    """The language of a quote: its post's (`lang`, set by the builder), else read off the
    script (Kazakh letters, Cyrillic, Latin) for reports made before quotes carried it."""
    given = ev.get("lang")
    if isinstance(given, str) and re.fullmatch(r"[a-z]{2,3}", given):
        return given
    text = str(ev.get("quote") or "")
    if _SCRIPT_KK.search(text):
        return "kk"
    cyr, lat = len(_SCRIPT_CYR.findall(text)), len(_SCRIPT_LAT.findall(text))
    if cyr or lat:
        return "ru" if cyr >= lat else "en"
    return None


def _evidence(items: list[dict] | None, lang: str) -> list[dict]:
    out = []
    for ev in items or []:
        code = quote_lang(ev)
        other = code is not None and code != lang
        out.append(
            {
                "quote": str(ev.get("quote") or ""),
                "channel": str(ev.get("channel") or ""),
                "date": fmt_date(ev.get("date"), lang) if ev.get("date") else "",
                "post_id": str(ev.get("post_id") or ""),
                "lang": code or "",
                # a quote in another language than the note's is marked with its code
                "marker": code if other else "",
                "marker_title": t("quote_lang", lang).format(language=labels.post_lang_name(code, lang))
                if other
                else "",
            }
        )
    return out


def _partner_name(partner: dict, lang: str, names: dict | None = None) -> str:
    if partner.get("vector"):
        return labels.known_name(names, str(partner["vector"]), lang) or labels.vector_name(
            str(partner["vector"]), lang
        )
    if partner.get("actor"):
        return _actor(str(partner["actor"]), lang, names)
    return "—"


def _actor(actor: str, lang: str, names: dict | None) -> str:
    return labels.known_name(names, actor, lang) or labels.actor_name(actor, lang)


def _languages(value: Any, lang: str) -> str:
    if not value:
        return ""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: (-float(kv[1] or 0), str(kv[0])))
        total = sum(float(v or 0) for _, v in items)
        as_fraction = total <= 1.0001
        parts = []
        for code, v in items:
            share = float(v or 0) if as_fraction else (float(v or 0) / total if total else 0.0)
            parts.append(f"{labels.post_lang_name(str(code), lang)} {fmt_pct(share, lang, 0)}")
        return ", ".join(parts)
    if isinstance(value, list | tuple):
        return ", ".join(labels.post_lang_name(str(code), lang) for code in value)
    return str(value)


def _top_channels(value: Any, lang: str) -> list[str]:
    """'Orda.kz (40)' for [{channel, posts}], or the names of a plain list."""
    if not isinstance(value, list | tuple):
        return []
    names = []
    for item in value[:5]:
        if isinstance(item, dict):
            name = item.get("channel") or item.get("name")
            if name:
                posts = item.get("posts")
                names.append(f"{name} ({fmt_int(posts, lang)})" if posts is not None else str(name))
        elif item:
            names.append(str(item))
    return names


def _period_view(report: dict, lang: str) -> dict:
    """The report's period and the one it is compared with, as the note names them; a report
    without a `period` (an older JSON) is a year against the year before."""
    year = report.get("year")
    period = report.get("period") if isinstance(report.get("period"), dict) else None
    prev = report.get("period_prev") if isinstance(report.get("period_prev"), dict) else None
    if period is None or period.get("kind") == "year":
        return {"cur": year if year is not None else "", "prev": int(year) - 1 if year is not None else "",
                "is_year": True, "unit": (period or {}).get("unit") or "month"}  # fmt: skip
    return {
        "cur": labels.period_name(period, lang, fmt_range) or period.get("label") or "",
        "prev": labels.period_name(prev, lang, fmt_range) or (prev or {}).get("label") or "",
        "is_year": False,
        "unit": period.get("unit") or "month",
    }


def tp(key: str, lang: str, pv: dict) -> str:
    """A text of the note, in its wording for a period other than a year where it has one."""
    if not pv["is_year"] and f"{key}_period" in labels.TEXT[lang]:
        return t(f"{key}_period", lang)
    return t(key, lang)


def _share_change(share: Any, prev: Any, pv: dict, lang: str) -> str:
    # A share of the period before is null when that period holds nothing to compare with.
    key = "share_change" if prev is not None else "share_alone"
    return tp(key, lang, pv).format(
        prev=fmt_pct(prev, lang), cur=fmt_pct(share, lang), prev_year=pv["prev"], year=pv["cur"]
    )


def _trend_label(trend: dict, lang: str, names: dict | None) -> str:
    """A theme's label in the note's language (from the report's names), a topic's as built."""
    theme = str(trend.get("theme") or "")
    return labels.known_name(names, theme, lang) or str(trend.get("label") or theme)


def _theme_names(report: dict, lang: str, names: dict | None = None) -> dict[str, str]:
    return {str(tr.get("theme")): _trend_label(tr, lang, names) for tr in report.get("trends") or []}


def _trend_view(trend: dict, pv: dict, lang: str, vector_colors: dict[str, str], names: dict | None) -> dict:
    from multivector.report.charts import OTHER_COLOR

    share, prev = trend.get("share"), trend.get("share_prev")
    diff = None if share is None or prev is None else float(share) - float(prev)
    # The multiplier is taken from the two shares themselves, so it cannot disagree with them.
    if prev is None:  # nothing to compare with: no growth, and no theme is "new"
        growth_text = ""
    elif share is not None and float(prev) > 0:
        growth_text = t("growth", lang).format(g=fmt_ratio(float(share) / float(prev), lang))
    elif share:  # a share of 0 the period before
        growth_text = tp("new", lang, pv)
    else:
        growth_text = ""
    partners = []
    ordered = sorted(trend.get("partners") or [], key=lambda p: -float(p.get("share") or 0))
    for partner in ordered:
        value = partner.get("share")
        key = str(partner.get("vector") or "")
        partners.append(
            {
                "name": _partner_name(partner, lang, names),
                "share": fmt_pct(value, lang, 0),
                "width": f"{max(0.0, min(1.0, float(value or 0))) * 100:.1f}",
                "color": vector_colors.get(key) or OTHER_COLOR,
            }
        )
    months = _count(trend.get("months"))
    components = trend.get("components") or {}
    sources = trend.get("sources")
    if sources is None:
        sources = _count(trend.get("channels"))
    return {
        "rank": trend.get("rank"),
        "label": _trend_label(trend, lang, names),
        "theme": str(trend.get("theme") or ""),
        "is_topic": trend.get("kind") == "topic" or str(trend.get("theme") or "").startswith("topic:"),
        "share_change": _share_change(share, prev, pv, lang),
        "share": fmt_pct(share, lang),
        "share_prev": fmt_pct(prev, lang),
        "diff": fmt_pp(diff, lang) if diff is not None else "",
        "growth": growth_text,
        "posts": fmt_int(trend.get("posts"), lang) if trend.get("posts") is not None else "",
        "sources": fmt_int(sources, lang) if sources is not None else "",
        "top_channels": _top_channels(trend.get("channels"), lang),
        "months": t("months_value", lang).format(n=months, total=trend.get("months_total") or 12)
        if months is not None
        else "",
        "months_label": t("weeks" if pv["unit"] == "week" else "months", lang),
        "voices": _voice_shares(trend.get("voices"), lang),
        "actors": [
            f"{_actor(str(a.get('actor')), lang, names)} {fmt_pct(a.get('share'), lang, 0)}"
            if a.get("share") is not None
            else _actor(str(a.get("actor")), lang, names)
            for a in (trend.get("actors") or [])[:6]
            if isinstance(a, dict) and a.get("actor")
        ],
        "languages": _languages(trend.get("languages"), lang),
        "score": fmt_float(trend.get("score"), lang),
        "components": [
            {"name": labels.component_name(str(k), lang), "value": fmt_float(v, lang)}
            for k, v in components.items()
        ],
        "partners": partners,
        "terms": [str(term) for term in trend.get("terms") or [] if str(term).strip()],
        "evidence": _evidence(trend.get("evidence"), lang),
    }


def _event_view(event: dict, lang: str, theme_names: dict[str, str], names: dict | None) -> dict:
    return {
        "rank": event.get("rank"),
        "title": str(event.get("title") or ""),
        "dates": fmt_range(event.get("date_start"), event.get("date_end"), lang),
        "posts": fmt_int(event.get("posts"), lang) if event.get("posts") is not None else "",
        "sources": fmt_int(event.get("sources"), lang) if event.get("sources") is not None else "",
        "actors": [_actor(str(a), lang, names) for a in event.get("actors") or []],
        "themes": [
            labels.known_name(names, str(th), lang) or theme_names.get(str(th)) or labels.humanize(str(th))
            for th in event.get("themes") or []
        ],
        "evidence": _evidence(event.get("evidence"), lang),
    }


def _shift(partner: dict) -> float | None:
    if partner.get("shift") is not None:
        return float(partner["shift"])
    if partner.get("share") is not None and partner.get("share_prev") is not None:
        return float(partner["share"]) - float(partner["share_prev"])
    return None


def _balance_view(
    balance: dict, pv: dict, lang: str, names: dict | None, vector_colors: dict[str, str]
) -> dict:
    from multivector.report.charts import OTHER_COLOR

    partners = balance.get("partners") or []
    prev_year = pv["prev"]
    rows = []
    for p in partners:
        shift = _shift(p)
        rows.append(
            {
                "vector": str(p.get("vector") or ""),
                "name": _partner_name(p, lang, names),
                "share": fmt_pct(p.get("share"), lang),
                "share_prev": fmt_pct(p.get("share_prev"), lang),
                "shift": fmt_pp(shift, lang),
                "direction": "" if shift is None or abs(shift) < 0.0005 else ("up" if shift > 0 else "down"),
                "color": vector_colors.get(str(p.get("vector") or "")) or OTHER_COLOR,
                "width": f"{max(0.0, min(1.0, float(p.get('share') or 0))) * 100:.1f}",
            }
        )
    lines = []
    if balance.get("entropy") is not None:
        lines.append(
            tp("entropy", lang, pv).format(
                cur=fmt_float(balance.get("entropy"), lang, 3),
                prev=fmt_float(balance.get("entropy_prev"), lang, 3),
                prev_year=prev_year,
            )
        )
    if balance.get("hhi") is not None:
        even = fmt_float(1 / len(partners), lang, 3) if partners else "—"
        lines.append(
            tp("hhi", lang, pv).format(
                cur=fmt_float(balance.get("hhi"), lang, 3),
                prev=fmt_float(balance.get("hhi_prev"), lang, 3),
                prev_year=prev_year,
                even=even,
            )
        )
    return {"rows": rows, "lines": lines}


def _join_items(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {t('and', lang)} " + items[-1]


def _inner(text: str, lang: str) -> str:
    """Quotes inside a quoted name take the inner form: «Форматы „Центральная Азия + партнёр“»."""
    if lang in ("ru", "kk"):
        return text.replace("«", "„").replace("»", "“")
    return text.replace("“", "‘").replace("”", "’")


def _summary(report: dict, lang: str) -> str:
    pv = _period_view(report, lang)
    prev_year = pv["prev"]
    names = report.get("names") if isinstance(report.get("names"), dict) else None
    sentences = []
    items = []
    for trend in (report.get("trends") or [])[:3]:
        share, prev = trend.get("share"), trend.get("share_prev")
        if prev is None:
            change = ""
        elif not float(prev):
            change = tp("summary_trend_new", lang, pv)
        elif share is not None and abs(float(share) - float(prev)) < 0.0005:
            change = tp("summary_trend_flat", lang, pv).format(prev_year=prev_year)
        elif share is not None and float(share) < float(prev):
            change = tp("summary_trend_fall", lang, pv).format(prev=fmt_pct(prev, lang))
        else:
            change = tp("summary_trend_change", lang, pv).format(prev=fmt_pct(prev, lang))
        items.append(
            t("summary_trend_item" if change else "summary_trend_item_alone", lang).format(
                label=_inner(_trend_label(trend, lang, names), lang), cur=fmt_pct(share, lang), change=change
            )
        )
    if items:
        sentences.append(tp("summary_trends", lang, pv).format(items=_join_items(items, lang)))
    events = report.get("events") or []
    if events:
        top = events[0]
        sources = top.get("sources")
        sources_text = (
            labels.count_noun(int(sources), "source", lang, fmt_int(sources, lang))
            if sources is not None
            else ""
        )
        title = " ".join(str(top.get("title") or "").split())
        if title.endswith(".") and not title.endswith(".."):
            title = title[:-1]  # the sentence goes on after the quoted title: no «...Азия».»
        sentences.append(
            tp("summary_event", lang, pv).format(
                title=_inner(title, lang),
                dates=fmt_range(top.get("date_start"), top.get("date_end"), lang),
                sources=sources_text,
            )
        )
    balance = report.get("balance") or {}
    partners = [p for p in balance.get("partners") or [] if _shift(p) is not None]
    if partners:
        biggest = max(partners, key=lambda p: (abs(_shift(p) or 0), str(p.get("vector"))))
        shift = _shift(biggest) or 0.0
        if abs(shift) >= 0.0005:
            text = t("summary_shift", lang).format(
                vector=_inner(_partner_name(biggest, lang, names), lang),
                shift=fmt_pp(shift, lang),
                cur=fmt_pct(biggest.get("share"), lang),
            )
            opposite = [p for p in partners if (_shift(p) or 0) * shift < 0 and abs(_shift(p) or 0) >= 0.0005]
            if opposite:
                other = max(opposite, key=lambda p: (abs(_shift(p) or 0), str(p.get("vector"))))
                text += t("summary_shift_other", lang).format(
                    vector=_inner(_partner_name(other, lang, names), lang), shift=fmt_pp(_shift(other), lang)
                )
            sentences.append(text + ".")
    entropy, entropy_prev = balance.get("entropy"), balance.get("entropy_prev")
    if entropy is not None and entropy_prev is not None:
        diff = float(entropy) - float(entropy_prev)
        key = (
            "summary_spread_flat"
            if abs(diff) < 0.005
            else ("summary_spread_up" if diff > 0 else "summary_spread_down")
        )
        sentences.append(
            tp(key, lang, pv).format(
                prev_year=prev_year, prev=fmt_float(entropy_prev, lang, 3), cur=fmt_float(entropy, lang, 3)
            )
        )
    return " ".join(sentences)


def _parameters(params: Any, lang: str, prefix: str = "") -> list[tuple[str, str]]:
    """Every parameter as (dotted id, value in the note's language and number format)."""
    out: list[tuple[str, str]] = []
    if not isinstance(params, dict):
        return out
    for key in params:
        value = params[key]
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(_parameters(value, lang, name + "."))
        else:
            out.append((name, fmt_value(value, lang)))
    return out


def _score_parts(report: dict, lang: str) -> str:
    """The trend score's parts, as the report's trends carry them, with their weights."""
    keys: list[str] = []
    for trend in report.get("trends") or []:
        keys += [k for k in trend.get("components") or {} if k not in keys]
    weights = ((report.get("parameters") or {}).get("weights")) or {}
    if not keys:
        keys = list(weights)
    parts = []
    for key in keys:
        detail = [d for d in (labels.component_description(key, lang),) if d]
        if isinstance(weights.get(key), int | float) and not isinstance(weights.get(key), bool):
            detail.append(t("method_weight", lang).format(w=fmt_value(float(weights[key]), lang)))
        name = labels.component_name(key, lang)
        parts.append(f"{name} ({'; '.join(detail)})" if detail else name)
    return ", ".join(parts)


def _method(report: dict, lang: str) -> list[str]:
    """The Method section's paragraphs, in the note's language."""
    codes = ", ".join(f"[{c}]" for c in labels.LANGS if c != lang)
    first = t("method_content", lang)
    parts = _score_parts(report, lang)
    if parts:
        first += " " + t("method_trend", lang).format(parts=parts)
    return [
        first,
        t("method_partners", lang),
        t("method_events", lang),
        t("method_terms", lang) + " " + t("method_quotes", lang).format(codes=codes),
    ]


def _coverage_view(coverage: Any, lang: str) -> dict | None:
    """What the data stands on: its dates, posts per month by year, and the warnings."""
    if not isinstance(coverage, dict) or not coverage:
        return None
    months = coverage.get("months") if isinstance(coverage.get("months"), dict) else {}
    by_year: dict[int, dict[int, int]] = {}
    for key, posts in months.items():
        match = re.fullmatch(r"(\d{4})-(\d{2})", str(key))
        count = _count(posts)
        if match and count is not None and 1 <= int(match[2]) <= 12:
            by_year.setdefault(int(match[1]), {})[int(match[2])] = count
    peak = max((n for year in by_year.values() for n in year.values()), default=0)
    rows = []
    for year in sorted(by_year):
        cells = []
        for m in range(1, 13):
            n = by_year[year].get(m)
            cells.append(
                {
                    "value": fmt_int(n, lang) if n is not None else "—",
                    "height": f"{(n or 0) / peak * 100:.1f}" if peak else "0.0",
                    "empty": not n,
                }
            )
        rows.append({"year": year, "cells": cells, "total": fmt_int(sum(by_year[year].values()), lang)})
    warnings = [" ".join(str(w).split()) for w in coverage.get("warnings") or [] if str(w).strip()]
    span = ""
    if coverage.get("first_date") or coverage.get("last_date"):
        span = t("coverage_span", lang).format(
            first=fmt_date(coverage.get("first_date"), lang), last=fmt_date(coverage.get("last_date"), lang)
        )
    if not (rows or warnings or span):
        return None
    return {"span": span, "rows": rows, "warnings": warnings, "months": list(labels.MONTHS_SHORT[lang])}


def _voice_shares(shares: Any, lang: str) -> list[str]:
    """A trend's voices: "analysts 50%, state media 25% ..."."""
    if not isinstance(shares, dict):
        return []
    return [f"{labels.voice_name(str(k), lang)} {fmt_pct(v, lang, 0)}" for k, v in shares.items()]


def _voices_view(report: dict, lang: str) -> dict | None:
    """Who speaks: the kinds of voice as columns, a row per trend with each kind's share of its
    posts, and the channels with their kind (and whether it is guessed)."""
    voices = report.get("voices")
    if not isinstance(voices, dict):
        return None
    rows_in = [r for r in voices.get("trends") or [] if isinstance(r, dict)]
    totals: dict[str, float] = {}
    for r in rows_in:
        for k, v in (r.get("voices") or {}).items():
            totals[k] = totals.get(k, 0.0) + float(v or 0) * float(r.get("posts") or 0)
    kinds = sorted(totals, key=lambda k: (k == "", -totals[k], k))
    if not kinds:
        return None
    labels_of = {
        str(tr.get("theme")): _trend_label(tr, lang, report.get("names")) for tr in report.get("trends") or []
    }
    rows = []
    for r in rows_in:
        shares = r.get("voices") or {}
        rows.append(
            {"label": labels_of.get(str(r.get("theme")), str(r.get("theme"))),
             "cells": [fmt_pct(shares[k], lang, 0) if shares.get(k) else "—" for k in kinds]}
        )  # fmt: skip
    channels = []
    for c in voices.get("channels") or []:
        if not isinstance(c, dict):
            continue
        kind = labels.voice_name(str(c.get("kind") or ""), lang)
        if c.get("source") == "guess":
            kind += f" ({t('voice_guessed', lang)})"
        channels.append({"channel": str(c.get("channel")), "kind": kind})
    return {"kinds": [labels.voice_name(k, lang) for k in kinds], "rows": rows, "channels": channels}


def build_view(report: dict, lang: str = "en") -> dict:
    """Everything the templates print, formatted for `lang`; pure and deterministic."""
    from multivector.report.charts import vector_colors as palette

    labels.check_lang(lang)
    pv = _period_view(report, lang)
    names = report.get("names") if isinstance(report.get("names"), dict) else None
    country_of = labels.country_of(report.get("country"), lang, names)
    if country_of:
        title = t("title", lang).format(country=country_of, year=pv["cur"])
    else:
        title = t("title_nocountry", lang).format(year=pv["cur"])
    voice = report.get("voice")
    if voice:
        title += " · " + t("title_voice", lang).format(voice=labels.voice_name(str(voice), lang))
    gen = report.get("generated_from") or {}
    based_on = ""
    if gen.get("posts") is not None and gen.get("channels") is not None:
        based_on = t("based_on", lang).format(
            posts=labels.count_noun(int(gen["posts"]), "post", lang, fmt_int(gen["posts"], lang)),
            channels=labels.count_noun(
                int(gen["channels"]), "from_channel", lang, fmt_int(gen["channels"], lang)
            ),
            first=fmt_date(gen.get("first_date"), lang),
            last=fmt_date(gen.get("last_date"), lang),
        )
    vector_colors = palette(report)
    theme_names = _theme_names(report, lang, names)
    return {
        "lang": lang,
        "year": pv["cur"],
        "prev_year": pv["prev"],
        "title": title,
        "based_on": based_on,
        "coverage": _coverage_view(report.get("coverage"), lang),
        "summary": _summary(report, lang),
        "trends": [_trend_view(tr, pv, lang, vector_colors, names) for tr in report.get("trends") or []],
        "events": [_event_view(ev, lang, theme_names, names) for ev in report.get("events") or []],
        "balance": _balance_view(report.get("balance") or {}, pv, lang, names, vector_colors),
        "voices": _voices_view(report, lang),
        "method": _method(report, lang),
        "parameters": _parameters(report.get("parameters") or {}, lang),
        "t": labels.TEXT[lang],
    }


# --- Markdown ---------------------------------------------------------------------------------

_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_LT = r"\\<"
# Links that run code or carry a payload when a Markdown viewer makes them clickable. A viewer
# decodes entities and a browser drops spaces and control characters inside a scheme, so the
# text is looked at the same way (backslashes dropped too: "java\\script:").
_LINK_NOISE = re.compile(r"[\x00-\x20\x7f\\]+")
_UNSAFE_SCHEME = re.compile(r"(?:javascript|vbscript|data):")


def _defuse_links(text: str, probe: str | None = None) -> str:
    """`text` unable to form a Markdown link when it mentions a script or data URL anywhere:
    its brackets are escaped (a viewer shows them unchanged), so no ``[x](javascript:...)``,
    no ``![x](data:...)`` and no ``[x]: vbscript:...`` definition comes out of post text.
    (``<javascript:...>`` autolinks are already broken by the escaped "<".)"""
    seen = _LINK_NOISE.sub("", html.unescape(probe if probe is not None else text)).lower()
    if not _UNSAFE_SCHEME.search(seen):
        return text
    return text.replace("[", "\\[").replace("]", "\\]")


def _md(text: str) -> str:
    """Inline text from the data: one line, and no raw HTML or unsafe link a Markdown renderer
    would pass on."""
    return _TAG_START.sub(_LT, _defuse_links(" ".join(str(text).split())))


def _md_cell(text: str) -> str:
    return _md(text).replace("|", "\\|")


def _md_quote(ev: dict) -> list[str]:
    # Verbatim, line by line; only a "<" that could open an HTML tag is backslash-escaped, and
    # brackets when the quote holds an unsafe link (a link's text may span lines).
    quote = ev["quote"]
    lines = [_TAG_START.sub(_LT, _defuse_links(line, quote)) for line in quote.splitlines()]
    body = [f"> {line}" if line.strip() else ">" for line in lines]
    if ev.get("marker") and body and body[0] != ">":  # a quote in another language: [kk] first
        body[0] = f"> [{ev['marker']}] " + body[0][2:]
    source = " · ".join(x for x in (_md(ev["channel"]), ev["date"]) if x)
    ref = f" · `{ev['post_id']}`" if ev["post_id"] else ""
    return [*body, f"> — {source}{ref}"]


_UNSAFE_TARGET = re.compile(r"^\s*(javascript|vbscript|data|file)\s*:", re.I)


def _md_link_target(target: str) -> str | None:
    """A chart file to link, or None for a target a Markdown viewer could run or load
    (javascript:, data: ...); spaces and parentheses are escaped so the link stays one link."""
    text = " ".join(str(target).split())
    if not text or _UNSAFE_TARGET.match(text):
        return None
    return text.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _md_coverage(cov: dict, tx: dict) -> list[str]:
    out = [f"## {tx['h_coverage']}", ""]
    for warning in cov["warnings"]:
        out += [f"> **⚠ {tx['warning']}:** {_md(warning)}", ""]
    if cov["span"]:
        out += [cov["span"], ""]
    if cov["rows"]:
        out.append(f"| {tx['col_year']} | " + " | ".join(cov["months"]) + f" | {tx['coverage_total']} |")
        out.append("|---|" + "--:|" * 13)
        for row in cov["rows"]:
            out.append(
                f"| {row['year']} | " + " | ".join(c["value"] for c in row["cells"]) + f" | {row['total']} |"
            )
        out.append("")
    return out


def render_markdown(report: dict, lang: str = "en", charts: dict[str, str] | None = None) -> str:
    """The note as Markdown. `charts` may map "vectors"/"trends" to image paths to link."""
    v = build_view(report, lang)
    tx = v["t"]
    out: list[str] = [f"# {_md(v['title'])}", ""]
    if v["based_on"]:
        out += [f"*{v['based_on']}*", ""]
    if v["coverage"]:
        out += _md_coverage(v["coverage"], tx)
    if v["summary"]:
        out += [f"## {tx['h_summary']}", "", _md(v["summary"]), ""]

    out += [f"## {tx['h_trends']}", ""]
    for tr in v["trends"]:
        out += [f"### {tr['rank']}. {_md(tr['label'])}", ""]
        if tr["is_topic"]:
            out += [f"*{tx['topic_note']} (`{tr['theme']}`)*", ""]
        change = ", ".join(x for x in (tr["diff"], tr["growth"]) if x)
        out.append(f"- **{tx['share']}:** {tr['share_change']}" + (f" ({change})" if change else ""))
        stats = []
        if tr["posts"]:
            stats.append(f"**{tx['posts']}:** {tr['posts']}")
        if tr["sources"]:
            stats.append(f"**{tx['channels']}:** {tr['sources']}")
        if tr["months"]:
            stats.append(f"**{tr['months_label']}:** {tr['months']}")
        if tr["languages"]:
            stats.append(f"**{tx['languages']}:** {tr['languages']}")
        if stats:
            out.append("- " + " · ".join(stats))
        if tr["partners"]:
            out.append(
                f"- **{tx['partners']}:** "
                + ", ".join(f"{_md(p['name'])} {p['share']}" for p in tr["partners"])
            )
        if tr["actors"]:
            out.append(f"- **{tx['actors']}:** " + ", ".join(_md(a) for a in tr["actors"]))
        if tr["terms"]:
            out.append(f"- **{tx['terms']}:** " + ", ".join(_md(term) for term in tr["terms"]))
        if tr["top_channels"]:
            out.append(f"- **{tx['top_channels']}:** " + ", ".join(_md(c) for c in tr["top_channels"]))
        if tr["voices"]:
            out.append(f"- **{tx['voices']}:** " + ", ".join(_md(x) for x in tr["voices"]))
        if tr["components"]:
            parts = ", ".join(f"{c['name']} {c['value']}" for c in tr["components"])
            out.append(f"- **{tx['why']}:** {tx['score'].lower()} {tr['score']} ({parts})")
        out.append("")
        for ev in tr["evidence"]:
            out += [*_md_quote(ev), ""]

    if v["events"]:
        out += [f"## {tx['h_events']}", ""]
        for ev in v["events"]:
            pad = " " * (len(str(ev["rank"])) + 2)  # continuation lines belong to the list item
            out.append(f"{ev['rank']}. **{_md(ev['title'])}**")
            facts = [ev["dates"]]
            if ev["posts"]:
                facts.append(f"{tx['col_posts']}: {ev['posts']}")
            if ev["sources"]:
                facts.append(f"{tx['col_sources']}: {ev['sources']}")
            out.append(f"{pad}- " + " · ".join(facts))
            if ev["actors"]:
                out.append(f"{pad}- {tx['col_actors']}: " + ", ".join(_md(a) for a in ev["actors"]))
            if ev["themes"]:
                out.append(f"{pad}- {tx['col_themes']}: " + ", ".join(_md(th) for th in ev["themes"]))
            for quote in ev["evidence"]:
                out += [""] + [pad + line for line in _md_quote(quote)]
            out.append("")

    if v["voices"] and v["voices"]["rows"]:
        vv = v["voices"]
        out += [f"## {tx['h_voices']}", "", tx["voices_note"], ""]
        out.append(f"| {tx['col_trend']} | " + " | ".join(_md_cell(k) for k in vv["kinds"]) + " |")
        out.append("|---|" + "--:|" * len(vv["kinds"]))
        for row in vv["rows"]:
            out.append(f"| {_md_cell(row['label'])} | " + " | ".join(row["cells"]) + " |")
        out.append("")
        if vv["channels"]:
            out += [
                f"{tx['voices_channels']}: "
                + "; ".join(f"{_md(c['channel'])} — {c['kind']}" for c in vv["channels"])
                + ".",
                "",
            ]

    bal = v["balance"]
    if bal["rows"] or bal["lines"]:
        out += [f"## {tx['h_balance']}", ""]
        if bal["rows"]:
            out.append(f"| {tx['col_partner']} | {v['prev_year']} | {v['year']} | {tx['col_shift']} |")
            out.append("|---|--:|--:|--:|")
            for row in bal["rows"]:
                out.append(
                    f"| {_md_cell(row['name'])} | {row['share_prev']} | {row['share']} | {row['shift']} |"
                )
            out.append("")
        for line in bal["lines"]:
            out += [line, ""]
    if charts:
        captions = {"vectors": tx["chart_vectors"], "trends": tx["chart_trends"]}
        for name in ("vectors", "trends"):
            target = _md_link_target(charts[name]) if charts.get(name) else None
            if target:
                out += [f"![{captions[name]}]({target})", ""]

    out += [f"## {tx['h_method']}", ""]
    for paragraph in v["method"]:
        out += [paragraph, ""]
    if v["parameters"]:
        out.append(
            f"{tx['parameters']}: " + ", ".join(f"`{k}` = {_md(val)}" for k, val in v["parameters"]) + "."
        )
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --- HTML -------------------------------------------------------------------------------------


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("multivector.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


# Looked for inside tags only: text that vl-convert escaped (a label "<script>") is harmless.
_UNSAFE_SVG = re.compile(
    r"<\s*(script|foreignobject|iframe|object|embed|image|use)\b|<[^>]*(\son[a-z]+\s*=|javascript:|href\s*=\s*\"(?!#))",
    re.I,
)


def _safe_svg(svg: str) -> str | None:
    """Charts go into the page as markup: refuse anything that is not plain drawing."""
    return None if _UNSAFE_SVG.search(svg) else svg


def render_html(report: dict, lang: str = "en") -> str:
    """The note as one self-contained HTML page (no scripts, no network) with inline SVG charts."""
    from markupsafe import Markup

    from multivector.report.charts import render_charts

    view = build_view(report, lang)
    charts = {}
    for name, svg in render_charts(report, lang).items():
        safe = _safe_svg(svg)
        if safe is not None:
            charts[name] = Markup(safe)
    template = _environment().get_template("report.html.j2")
    return template.render(v=view, tx=view["t"], charts=charts)
