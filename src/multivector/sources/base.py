"""What every source reader shares: the reading context and the date parser.

A reader is a generator `read(path, ctx) -> Iterator[Post]`. It streams (never loads a
whole corpus into objects when it can avoid it), reports a bad record with
`ctx.problem(place, message)` and goes on, and raises `InputError` only when the whole
file is unusable (not the format, truncated before the first record, binary ...).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from multivector.model import InputError, Problem


@dataclass
class ReadContext:
    """Options from the command line and a sink for problems and counters."""

    channel: str | None = None  # --channel: fills in a channel the file lacks
    default_date: date | None = None  # --date: fills in a date the file lacks
    field_map: dict[str, str] = field(default_factory=dict)  # --map field=column (tables)
    on_problem: Callable[[Problem], None] | None = None
    problems: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # e.g. counts["service"] += 1
    file: str = ""  # the file being read, set by the caller

    def problem(self, place: str, message: str) -> None:
        p = Problem(self.file, place, message)
        self.problems.append(p)
        if self.on_problem is not None:
            self.on_problem(p)


_TZ_COLON = re.compile(r"([+-]\d\d)(\d\d)$")


def parse_date(value: object) -> datetime:
    """Parse an ISO 8601 date or datetime, or a Unix timestamp, into a datetime.

    Naive values are kept naive (Telegram Desktop writes local time without an offset);
    aware values are converted to UTC and made naive so that all dates compare.
    Raises ValueError with a short reason on anything else.
    """
    if isinstance(value, bool):
        raise ValueError("date is not ISO 8601")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("date is missing" if value in (None, "") else "date is not ISO 8601")
    s = value.strip()
    if s.isdigit() and len(s) >= 9:
        return datetime.fromtimestamp(int(s), UTC).replace(tzinfo=None)
    s = s.replace("Z", "+00:00").replace("z", "+00:00")
    s = _TZ_COLON.sub(r"\1:\2", s) if re.search(r"T.*[+-]\d{4}$", s) else s
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"date is not ISO 8601: {value!r}") from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def check_readable(path: Path) -> None:
    """Reject what cannot be a source file at all: missing, empty, binary."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")
    with path.open("rb") as fh:
        head = fh.read(4096)
    # UTF-16 text is full of NUL bytes; its byte-order mark tells it from a binary file.
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: binary file, not a supported format")
