"""The period an analysis covers, and the period it is compared with.

A period is a year (`2024`), a quarter (`2024-Q3`), a month (`2024-07`) or any range of days
(`--from 2024-03-01 --to 2024-05-15`, both inclusive). It is compared with the preceding
period of the same length: the year before, the quarter before (2024-Q3 against 2024-Q2), the
month before, or the same number of days just before the range. Analysis of a period reads
posts dated up to its last day only (no look-ahead).

Persistence needs units smaller than the period: months for a period of `WEEKS_BELOW_DAYS` days
or more (a year, a half-year), ISO weeks for a shorter one (a quarter has 13, a month 4-5),
so that a month's trend can still be told from a one-day story. The burst window shrinks with
the period for the same reason (see `burst_window`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKS_BELOW_DAYS = 180  # shorter periods count persistence in weeks
_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})-?[Qq]([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Period:
    kind: str  # year | quarter | month | range
    first: date  # the first day
    last: date  # the last day, inclusive

    @property
    def start(self) -> str:
        """The first day, ISO: the inclusive lower bound of a date range."""
        return self.first.isoformat()

    @property
    def end(self) -> str:
        """The day after the last, ISO: the exclusive upper bound of a date range."""
        return (self.last + timedelta(days=1)).isoformat()

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def year(self) -> int:
        """The year of the last day (the year a report of the period is filed under)."""
        return self.last.year

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.first.year:04d}"
        if self.kind == "quarter":
            return f"{self.first.year:04d}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.first.year:04d}-{self.first.month:02d}"
        return f"{self.start}..{self.last.isoformat()}"

    @property
    def slug(self) -> str:
        """The label as a piece of a file name."""
        return self.label.replace("..", "_")

    @property
    def unit(self) -> str:
        """The unit persistence is counted in: month, or week for a short period."""
        return "month" if self.days >= WEEKS_BELOW_DAYS else "week"

    def previous(self) -> Period:
        """The preceding period of the same kind and length."""
        if self.kind == "year":
            return year(self.first.year - 1)
        if self.kind == "quarter":
            q = (self.first.month - 1) // 3  # 0-based
            y, q = (self.first.year, q - 1) if q else (self.first.year - 1, 3)
            return quarter(y, q + 1)
        if self.kind == "month":
            y, m = (
                (self.first.year, self.first.month - 1) if self.first.month > 1 else (self.first.year - 1, 12)
            )
            return month(y, m)
        last = self.first - timedelta(days=1)
        return Period("range", last - timedelta(days=self.days - 1), last)

    def as_dict(self) -> dict:
        return {"label": self.label, "kind": self.kind, "start": self.start, "end": self.last.isoformat()}


def year(y: int) -> Period:
    return Period("year", date(y, 1, 1), date(y, 12, 31))


def quarter(y: int, q: int) -> Period:
    first = date(y, 3 * (q - 1) + 1, 1)
    return Period("quarter", first, _month_end(y, 3 * q))


def month(y: int, m: int) -> Period:
    return Period("month", date(y, m, 1), _month_end(y, m))


def _month_end(y: int, m: int) -> date:
    return (date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)) - timedelta(days=1)


def parse_period(text: str) -> Period:
    """`2024`, `2024-Q3` or `2024-07`; ValueError with the reason otherwise."""
    value = text.strip()
    try:
        if m := _YEAR.fullmatch(value):
            return year(_check_year(int(m[1])))
        if m := _QUARTER.fullmatch(value):
            return quarter(_check_year(int(m[1])), int(m[2]))
        if m := _MONTH.fullmatch(value):
            if not 1 <= int(m[2]) <= 12:
                raise ValueError("the month must be 01 to 12")
            return month(_check_year(int(m[1])), int(m[2]))
    except ValueError as e:
        raise ValueError(f"{value!r}: {e}") from None
    raise ValueError(f"{value!r}: expected a year (2024), a quarter (2024-Q3) or a month (2024-07)")


def between(date_from: str, date_to: str) -> Period:
    """The days from `date_from` to `date_to`, both included (YYYY-MM-DD); a range that is
    exactly a calendar year, quarter or month is that period."""
    try:
        first, last = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError:
        raise ValueError(f"{date_from!r}..{date_to!r}: expected YYYY-MM-DD dates") from None
    if last < first:
        raise ValueError(f"{date_from}..{date_to}: the end is before the start")
    for p in (
        year(first.year),
        quarter(first.year, (first.month - 1) // 3 + 1),
        month(first.year, first.month),
    ):
        if p.first == first and p.last == last:
            return p
    return Period("range", first, last)


def as_period(value: int | str | Period) -> Period:
    """A Period from a year number, a period text or a Period."""
    if isinstance(value, Period):
        return value
    if isinstance(value, int):
        return year(value)
    return parse_period(str(value))


def burst_window(period: Period, window_days: int) -> int:
    """The window of the `concentration` part: `window_days`, but no more than a sixth of the
    period (5 days for a month), so that a month's even attention is not one burst."""
    return max(3, min(window_days, round(period.days / 6)))


def _check_year(y: int) -> int:
    if not 1900 <= y <= 2999:
        raise ValueError("expected a four-digit year")
    return y
