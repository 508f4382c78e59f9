"""Coverage: what a report stands on, and where it stands on too little.

From the posts per channel and month of the period and the period it is compared with (all
posts, copies and off-topic ones included: what was collected) and from the in-scope content
posts the figures count, it finds what a reader must know before trusting a comparison:

- **partial period**: the data of the period (or of the comparison period) begins more than
  `slack` days after its first day or ends more than `slack` days before its last; `slack` is a
  twelfth of the period, at least a week (30 days for a year). No posts at all is said too.
- **gap**: a month inside the data's span with no post at all.
- **channel starts / stops**: a channel with at least `min_channel_share` of the posts (and
  `min_channel_posts`) whose first post comes well after the data's first day, or whose last
  well before its last: "well" is the slack, or three of the channel's usual gaps between
  posts when that is longer. Shares then compare different sets of sources.
- **thin**: fewer than `min_posts` in-scope content posts in the period or the comparison
  period (shares and scores rest on few posts), or months of the period with posts but fewer
  than `min_unit_posts` in scope (their monthly figures are noise).
- **none in scope**: the period or the comparison period holds posts, none of them in scope (a
  channel of IT news before the foreign-policy channels were added): its shares are empty, so a
  change against it is no change at all.

Each finding is an issue `{kind, ...}`; report/labels.py words them in the report's language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from multivector.analyze.attention import period_index, period_span
from multivector.analyze.period import Period
from multivector.store.base import Content


@dataclass
class CoverageOptions:
    min_posts: int = 30  # in-scope content posts a period needs for its shares
    min_unit_posts: int = 5  # ... and each month of it, for the monthly figures
    min_channel_posts: int = 5
    min_channel_share: float = 0.03  # channels smaller than this are not warned about

    def as_dict(self) -> dict:
        return {
            "min_posts": self.min_posts,
            "min_month_posts": self.min_unit_posts,
            "channel_at_least": {"posts": self.min_channel_posts, "share": self.min_channel_share},
        }


def slack_days(period: Period) -> int:
    return max(7, period.days // 12)


def coverage(
    rows: Iterable[tuple[str, str, int, str, str]],
    period: Period,
    prev: Period,
    cur: Content,
    before: Content | None,
    options: CoverageOptions | None = None,
) -> dict:
    """`rows`: (channel, YYYY-MM, posts, first date, last date) over [prev.start, period.end),
    as `Store.channel_months` gives them. Returns {first_date, last_date, months, channels,
    issues} (issues unworded)."""
    opt = options or CoverageOptions()
    months_all = period_span(prev.start, period.end, "month")
    per_month: dict[str, int] = dict.fromkeys(months_all, 0)
    chans: dict[str, dict] = defaultdict(lambda: {"posts": 0, "first": None, "last": None, "months": {}})
    span: dict[str, tuple[str, str]] = {}
    for channel, month, posts, first, last in rows:
        if month not in per_month or not posts:
            continue
        per_month[month] += int(posts)
        a, b = span.get(month, (first[:10], last[:10]))
        span[month] = (min(a, first[:10]), max(b, last[:10]))
        c = chans[channel]
        c["posts"] += int(posts)
        c["months"][month] = int(posts)
        c["first"] = min(c["first"] or first[:10], first[:10])
        c["last"] = max(c["last"] or last[:10], last[:10])
    total = sum(per_month.values())
    firsts = [c["first"] for c in chans.values() if c["first"]]
    lasts = [c["last"] for c in chans.values() if c["last"]]
    first_date, last_date = (min(firsts), max(lasts)) if firsts else (None, None)
    issues: list[dict] = []
    for which, p in (("period", period), ("comparison", prev)):
        issues += _partial(which, p, span)
    if first_date:
        gaps = [m for m in months_all if not per_month[m] and first_date[:7] < m < last_date[:7]]
        if gaps:
            issues.append({"kind": "gap", "months": gaps})
        issues += _channels(chans, total, first_date, last_date, slack_days(period), opt)
    n_cur, n_prev = len(cur), (len(before) if before is not None else 0)
    for which, p, n in (("period", period, n_cur), ("comparison", prev, n_prev)):
        collected = sum(v for m, v in per_month.items() if _in_period(m, p))
        if collected and not n:
            issues.append({"kind": "none_in_scope", "which": which, "label": p.label, "posts": collected})
    if 0 < n_cur < opt.min_posts:
        issues.append({"kind": "thin", "which": "period", "label": period.label, "posts": n_cur})
    if 0 < n_prev < opt.min_posts:
        issues.append({"kind": "thin", "which": "comparison", "label": prev.label, "posts": n_prev})
    if len(cur) >= opt.min_posts:
        units = period_span(period.start, period.end, "month")
        counts = np.bincount(period_index(cur.day, units, "month") + 1, minlength=len(units) + 1)[1:]
        # A month with posts but none in scope is as thin as one with a single post in scope.
        thin = [
            u
            for u, n in zip(units, counts, strict=True)
            if n < opt.min_unit_posts and (n or per_month.get(u))
        ]
        if thin:
            issues.append({"kind": "thin_months", "months": thin, "min": opt.min_unit_posts})
    channels = [
        {"channel": ch, "posts": c["posts"], "first_date": c["first"], "last_date": c["last"],
         "months": dict(sorted(c["months"].items()))}
        for ch, c in sorted(chans.items(), key=lambda kv: (-kv[1]["posts"], kv[0]))
    ]  # fmt: skip
    return {
        "first_date": first_date,
        "last_date": last_date,
        "months": per_month,
        "channels": channels,
        "issues": issues,
    }


def _in_period(month: str, p: Period) -> bool:
    """Whether a month ("2024-03") lies within the period's months."""
    return p.start[:7] <= month <= p.last.isoformat()[:7]


def _partial(which: str, p: Period, span: dict[str, tuple[str, str]]) -> list[dict]:
    """`span`: month -> (first, last) day with posts in it."""
    inside = sorted(m for m in span if _in_period(m, p))
    if not inside:
        return [{"kind": "empty", "which": which, "label": p.label}]
    first, last = span[inside[0]][0], span[inside[-1]][1]
    slack = timedelta(days=slack_days(p))
    if date.fromisoformat(first) - p.first <= slack and p.last - date.fromisoformat(last) <= slack:
        return []
    return [{"kind": "partial", "which": which, "label": p.label, "first_date": first, "last_date": last}]


def _channels(
    chans: dict[str, dict], total: int, first: str, last: str, slack: int, opt: CoverageOptions
) -> list[dict]:
    out = []
    d0, d1 = date.fromisoformat(first), date.fromisoformat(last)
    for ch, c in sorted(chans.items()):
        if c["posts"] < opt.min_channel_posts or c["posts"] < opt.min_channel_share * total:
            continue
        a, b = date.fromisoformat(c["first"]), date.fromisoformat(c["last"])
        usual = (b - a).days / max(c["posts"] - 1, 1)
        margin = max(slack, 3 * usual)
        if (a - d0).days > margin:
            out.append({"kind": "channel_starts", "channel": ch, "date": c["first"], "posts": c["posts"]})
        if (d1 - b).days > margin:
            out.append({"kind": "channel_stops", "channel": ch, "date": c["last"], "posts": c["posts"]})
    return out
