"""Small charts drawn as SVG on the server: attention curves, monthly bars, share bars.

Drawing them here costs microseconds where a Vega render costs a second, so per-trend curves and
actor or channel pages need no cache. Every text is escaped; colours come from our own tables
and are checked; no `style` attribute is written (the page's Content-Security-Policy forbids
inline styles), only presentation attributes and classes from /static/style.css.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from markupsafe import Markup, escape

_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _color(value: str, fallback: str = "#4e79a7") -> str:
    return value if _COLOR.fullmatch(value or "") else fallback


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def period_label(period: str) -> str:
    """'2024-03' -> 'Mar 2024'; anything else as it is."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", period)
    return f"{MONTHS[int(m[2]) - 1]} {m[1]}" if m and 1 <= int(m[2]) <= 12 else period


def _nice_max(value: float, percent: bool) -> float:
    if value <= 0:
        return 1.0 if not percent else 0.1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * exp >= value:
            return step * exp
    return 10 * exp


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{100 * value:.0f}%" if value >= 0.1 or value == 0 else f"{100 * value:.1f}%"
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _x_labels(periods: Sequence[str], every: int) -> list[int]:
    return [i for i in range(len(periods)) if i % every == 0]


def line_chart(
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    *,
    width: int = 720,
    height: int = 220,
    percent: bool = True,
    mark: str | None = None,
    label: str = "chart",
) -> Markup:
    """Lines over periods: series are (name, values, colour). `mark` draws a dashed rule where
    that period begins (the report's year)."""
    left, right, top, bottom = 46, 12, 10, 24
    legend_rows = _legend_rows([s[0] for s in series], width - left) if len(series) > 1 else []
    full_height = height + 18 * len(legend_rows)
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(periods), 1)
    peak = max((v for _, values, _ in series for v in values if v is not None), default=0.0)
    ymax = _nice_max(peak, percent)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return top + plot_h - plot_h * (v / ymax)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart line-chart" width="{width}" height="{full_height}" '
        f'viewBox="0 0 {width} {full_height}" role="img" aria-label="{escape(label)}">'
    ]
    for k in range(5):
        v = ymax * k / 4
        yy = y(v)
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        out.append(
            f'<text class="axis" x="{left - 4}" y="{yy + 4:.1f}" text-anchor="end">{escape(_fmt(v, percent))}</text>'
        )
    every = max(1, math.ceil(n / 8))
    for i in _x_labels(periods, every):
        out.append(
            f'<text class="axis" x="{x(i):.1f}" y="{height - 6}" text-anchor="middle">{escape(period_label(periods[i]))}</text>'
        )
    if mark and mark in periods:
        xm = x(periods.index(mark)) - plot_w / n / 2
        out.append(f'<line class="rule" x1="{xm:.1f}" x2="{xm:.1f}" y1="{top}" y2="{top + plot_h}"/>')
    for name, values, color in series:
        c = _color(color)
        points = [(x(i), y(v), v, periods[i]) for i, v in enumerate(values[: len(periods)]) if v is not None]
        if not points:
            continue
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
        out.append(f'<polyline class="line" points="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        for px, py, v, p in points:
            tip = f"{name} · {period_label(p)}: {_fmt(v, percent)}"
            out.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{c}"><title>{escape(tip)}</title></circle>'
            )
    out += _legend(legend_rows, [s[2] for s in series], left, height + 4)
    out.append("</svg>")
    return Markup("".join(out))


def _legend_rows(names: Sequence[str], width: int) -> list[list[tuple[int, str, float]]]:
    rows: list[list[tuple[int, str, float]]] = [[]]
    used = 0.0
    for i, name in enumerate(names):
        w = 22 + 6.5 * min(len(name), 40)
        if rows[-1] and used + w > width:
            rows.append([])
            used = 0.0
        rows[-1].append((i, name[:40], used))
        used += w + 12
    return [r for r in rows if r]


def _legend(
    rows: list[list[tuple[int, str, float]]], colors: Sequence[str], left: int, top: float
) -> list[str]:
    out = []
    for r, row in enumerate(rows):
        yy = top + 18 * r + 8
        for i, name, offset in row:
            xx = left + offset
            out.append(
                f'<line x1="{xx:.1f}" x2="{xx + 16:.1f}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{_color(colors[i])}" stroke-width="3"/>'
            )
            out.append(f'<text class="legend" x="{xx + 20:.1f}" y="{yy + 4:.1f}">{escape(name)}</text>')
    return out


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    width: int = 720,
    height: int = 160,
    color: str = "#4e79a7",
    percent: bool = False,
    label: str = "chart",
    label_of=period_label,
    unit: str = "posts",
) -> Markup:
    """Vertical bars, one per label (months or days), with a tooltip on each."""
    left, right, top, bottom = 46, 12, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    ymax = _nice_max(max(values, default=0), percent)
    step = plot_w / n
    bar = max(1.0, step * 0.8)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
    ]
    for k in range(3):
        v = ymax * k / 2
        yy = top + plot_h - plot_h * v / ymax
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        out.append(
            f'<text class="axis" x="{left - 4}" y="{yy + 4:.1f}" text-anchor="end">{escape(_fmt(v, percent))}</text>'
        )
    c = _color(color)
    for i, (lab, v) in enumerate(zip(labels, values, strict=False)):
        h = plot_h * (v / ymax) if ymax else 0
        xx = left + i * step + (step - bar) / 2
        tip = f"{label_of(lab)}: {_fmt(v, percent)} {unit}".rstrip()
        out.append(
            f'<rect x="{xx:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{c}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    every = max(1, math.ceil(n / 8))
    for i in _x_labels(labels, every):
        out.append(
            f'<text class="axis" x="{left + (i + 0.5) * step:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{escape(label_of(labels[i]))}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def share_bars(
    items: Sequence[tuple[str, float, str, str]],
    *,
    width: int = 420,
    label: str = "shares",
    scale: float | None = None,
) -> Markup:
    """Horizontal bars: (label, value 0..1, colour, text shown after the bar)."""
    row, label_w, text_w = 20, 190, 70
    bar_w = width - label_w - text_w
    height = row * len(items) + 4
    top = scale or max((v for _, v, _, _ in items), default=0) or 1.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart share-bars" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
    ]
    for i, (name, value, color, text) in enumerate(items):
        yy = i * row + 2
        w = max(0.0, bar_w * min(value / top, 1.0))
        out.append(
            f'<text class="bar-label" x="{label_w - 6}" y="{yy + 13}" text-anchor="end">{escape(name[:26])}</text>'
        )
        out.append(
            f'<rect x="{label_w}" y="{yy + 3}" width="{w:.1f}" height="{row - 6}" fill="{_color(color)}">'
            f"<title>{escape(name)}: {escape(text)}</title></rect>"
        )
        out.append(f'<text class="bar-value" x="{label_w + w + 4:.1f}" y="{yy + 13}">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
