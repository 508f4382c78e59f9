"""What every source reader shares: the reading context, limits, the date parser and the last
checks a post passes before it leaves the sources.

A reader is a generator `read(path, ctx) -> Iterator[Post]`. It streams (never loads a
whole corpus into objects when it can avoid it), reports a bad record with
`ctx.problem(place, message)` and goes on, and raises `InputError` only when the whole
file is unusable (not the format, truncated before the first record, binary ...).

Whatever the input, a reader gives posts and/or problems: never another exception, never a
hang. The limits that make this so (`Limits`) are generous for real exports and can be
changed with environment variables (docs/contracts.md, "Input limits").
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import attrgetter
from pathlib import Path

from multivector.model import InputError, Post, Problem, one_line

MB = 1 << 20

# Years outside this range are typos or hostile input (a millisecond timestamp read as seconds,
# year 0): they would also break date arithmetic downstream (9999-12-31 + one day).
MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass(frozen=True)
class Limits:
    """Per-record and per-file budgets of the readers (defaults documented in docs/contracts.md)."""

    max_post_chars: int = 1_000_000  # a post's text; Telegram allows 4,096, a long article ~100,000
    max_record_bytes: int = 16 * MB  # one JSON message, JSON Lines line or CSV row, as bytes
    max_file_bytes: int = 64 * MB  # a file read whole: Telegram HTML page, pasted text, feed
    max_depth: int = 200  # JSON nesting, HTML tag nesting
    read_seconds: float = 120.0  # reading time of one file (parsing only, not prepare/annotate) ...
    read_seconds_per_mb: float = 2.0  # ... plus this much per MB of the file
    max_problems: int = 1000  # problems listed per file; the rest are counted in one line

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults, overridden by MULTIVECTOR_MAX_POST_CHARS, MULTIVECTOR_MAX_RECORD_MB,
        MULTIVECTOR_MAX_FILE_MB and MULTIVECTOR_READ_SECONDS (ignored when not a positive number)."""
        env = os.environ if environ is None else environ
        base = cls()

        def number(name: str, default: float) -> float:
            try:
                value = float(env.get(name, ""))
            except ValueError:
                return default
            return value if value > 0 else default

        return cls(
            max_post_chars=int(number("MULTIVECTOR_MAX_POST_CHARS", base.max_post_chars)),
            max_record_bytes=int(number("MULTIVECTOR_MAX_RECORD_MB", base.max_record_bytes / MB) * MB),
            max_file_bytes=int(number("MULTIVECTOR_MAX_FILE_MB", base.max_file_bytes / MB) * MB),
            read_seconds=number("MULTIVECTOR_READ_SECONDS", base.read_seconds),
        )

    def seconds_for(self, size: int) -> float:
        """The reading budget of a file of `size` bytes."""
        return self.read_seconds + self.read_seconds_per_mb * size / MB


class BudgetExceeded(BaseException):
    """A file took longer to read than its budget (raised by `ReadContext.check_time`, or by
    the `ReadClock` watchdog inside a parser that cannot be asked to stop).

    A BaseException, like KeyboardInterrupt, so that no `except Exception` inside a parser
    swallows it and carries on; `sources.read_path` turns it into a problem."""


class ReadClock:
    """Time spent inside a reader only: the caller pauses it while it processes what was read.

    While running, a watchdog thread raises BudgetExceeded in the reading thread once the
    budget is spent, even in the middle of a parser's own loop (feedparser is pure Python and
    costs time per tag: a hostile feed of tag soup would run for minutes). The exception
    arrives at the next Python instruction, so C code (lexbor, yajl) finishes its call first:
    the readers keep such calls linear and bounded by the size limits.
    """

    def __init__(self, budget: float):
        self.budget = budget
        self.spent = 0.0
        self._since: float | None = None
        self._cond = threading.Condition()
        self._thread_id = 0
        self._deadline: float | None = None  # armed while the reader runs
        self._fired = False
        self._watchdog: threading.Thread | None = None
        self._closed = False

    def resume(self) -> None:
        self._since = time.monotonic()
        if _set_async_exc is None:
            return
        # Plain assignments (no lock, no wake-up): this runs for every post; the watchdog looks
        # at the deadline a few times a second.
        self._thread_id = threading.get_ident()
        self._deadline = self._since + max(0.0, self.budget - self.spent)
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="multivector-read-budget", daemon=True)
            self._watchdog.start()

    def pause(self) -> None:
        if _set_async_exc is not None:
            with self._cond:
                self._deadline = None
                if self._fired:  # fired, maybe not yet delivered: it must not land in the caller
                    _set_async_exc(self._thread_id, None)
                    self._fired = False
        if self._since is not None:
            self.spent += time.monotonic() - self._since
            self._since = None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def over(self) -> bool:
        running = time.monotonic() - self._since if self._since is not None else 0.0
        return self.spent + running > self.budget

    def _watch(self) -> None:
        with self._cond:
            while not self._closed:
                deadline = self._deadline
                left = _WATCH_EVERY if deadline is None else deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(min(left, _WATCH_EVERY))
                    continue
                self._deadline = None
                self._fired = True
                _set_async_exc(self._thread_id, BudgetExceeded)


_WATCH_EVERY = 0.2  # seconds between two looks of the watchdog: the budget's precision


def _async_exc_setter() -> Callable[[int, type | None], None] | None:
    """CPython's way to raise an exception in another thread; None elsewhere (then the budget
    is only checked between records)."""
    try:
        import ctypes

        raw = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except (ImportError, AttributeError):
        return None

    def set_async_exc(thread_id: int, exc: type | None) -> None:
        # None goes as NULL: it clears an exception set before and not yet raised.
        raw(ctypes.c_ulong(thread_id), None if exc is None else ctypes.py_object(exc))

    return set_async_exc


_set_async_exc = _async_exc_setter()


@dataclass
class ReadContext:
    """Options from the command line and a sink for problems and counters."""

    channel: str | None = None  # --channel: fills in a channel the file lacks
    default_date: date | None = None  # --date: fills in a date the file lacks
    field_map: dict[str, str] = field(default_factory=dict)  # --map field=column (tables)
    on_problem: Callable[[Problem], None] | None = None
    problems: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # e.g. counts["service"] += 1
    file: str = ""  # the file being read, set by the caller (printable: see `shown`)
    limits: Limits = field(default_factory=Limits.from_env)
    clock: ReadClock | None = None  # set by sources.read_path; None: no time budget
    unlisted: int = 0  # problems beyond `limits.max_problems`, counted only

    def problem(self, place: str, message: str) -> None:
        if len(self.problems) >= self.limits.max_problems:
            self.unlisted += 1
            return
        p = Problem(self.file, one_line(place, 120), one_line(message, 500))
        self.problems.append(p)
        if self.on_problem is not None:
            self.on_problem(p)

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.unlisted

    def close_problems(self) -> None:
        """Say, once, how many problems of the file were not listed."""
        if self.unlisted:
            p = Problem(self.file, "", f"{self.unlisted} more problems in this file were not listed")
            self.problems.append(p)
            if self.on_problem is not None:
                self.on_problem(p)
            self.unlisted = 0

    def check_time(self) -> None:
        """Raise BudgetExceeded when the file has taken longer than its reading budget."""
        if self.clock is not None and self.clock.over():
            raise BudgetExceeded(f"reading took longer than {self.clock.budget:.0f} s")


# ---- names and text ---------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@lru_cache(maxsize=1024)
def shown(path: str | os.PathLike) -> str:
    """A file name fit for messages, ids and the database: bytes that are not UTF-8 (a name
    from another system) become ``\\xNN``, and so do control characters (a newline would break
    the one-line error). Names that are plain UTF-8 come back unchanged."""
    raw = os.fsencode(path)
    name = raw.decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name) if _CONTROL.search(name) else name


def scrub(text: str) -> tuple[str, int]:
    """`text` with lone UTF-16 surrogates (from a ``\\udc80`` JSON escape or an undecodable
    byte) replaced by U+FFFD, and how many there were. Such text cannot be encoded as UTF-8,
    so it could be neither hashed into an id nor stored."""
    try:
        text.encode("utf-8")  # the quick test: a regex over the text is ten times slower
        return text, 0
    except UnicodeEncodeError:
        return _SURROGATE.subn("\ufffd", text)


# ---- dates -----------------------------------------------------------------------------------

_TZ_COLON = re.compile(r"([+-]\d\d)(\d\d)$")
_TZ_NO_COLON = re.compile(r"T.*[+-]\d{4}$")
_MAX_DATE_CHARS = 64  # the longest ISO 8601 form is about 35 characters


def check_year(dt: datetime) -> datetime:
    """`dt` itself, or ValueError when its year is outside MIN_YEAR..MAX_YEAR."""
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise ValueError(f"date is out of range (years {MIN_YEAR}-{MAX_YEAR}): {dt.isoformat()}")
    return dt


def parse_date(value: object) -> datetime:
    """Parse an ISO 8601 date or datetime, or a Unix timestamp, into a datetime.

    Naive values are kept naive (Telegram Desktop writes local time without an offset);
    aware values are converted to UTC and made naive so that all dates compare.
    Raises ValueError with a short reason on anything else, and on years outside
    MIN_YEAR..MAX_YEAR.
    """
    if isinstance(value, bool):
        raise ValueError("date is not ISO 8601")
    if isinstance(value, int | float):
        return check_year(_from_timestamp(float(value)))
    if not isinstance(value, str) or not value.strip():
        raise ValueError("date is missing" if value in (None, "") else "date is not ISO 8601")
    s = value.strip()
    if len(s) > _MAX_DATE_CHARS:
        raise ValueError(f"date is not ISO 8601: {s[:40]!r}... ({len(s)} characters)")
    if s.isdigit() and len(s) >= 9:
        return check_year(_from_timestamp(int(s)))
    s = s.replace("Z", "+00:00").replace("z", "+00:00")
    s = _TZ_COLON.sub(r"\1:\2", s) if _TZ_NO_COLON.search(s) else s
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"date is not ISO 8601: {value!r}") from None
    if dt.tzinfo is not None:
        try:
            dt = dt.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time
            raise ValueError(f"date is out of range: {value!r}") from None
    return check_year(dt)


def _from_timestamp(seconds: float) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"date is out of range: Unix time {seconds:g}") from None


# ---- files -----------------------------------------------------------------------------------


def check_readable(path: Path) -> None:
    """Reject what cannot be a source file at all: missing, empty, binary (other than Parquet)."""
    if not path.exists():
        raise InputError(f"{shown(path)}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{shown(path)}: file is empty")
    with path.open("rb") as fh:
        head = fh.read(4096)
    # UTF-16 text is full of NUL bytes; its byte-order mark tells it from a binary file.
    # Parquet (sources/parquet.py) is the one binary format read; its magic bytes open it.
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff", b"PAR1")):
        raise InputError(f"{shown(path)}: binary file, not a supported format")


def read_whole(path: Path, ctx: ReadContext) -> bytes:
    """The bytes of a file that is parsed in one piece, or InputError when it is over the limit."""
    size = path.stat().st_size
    limit = ctx.limits.max_file_bytes
    if size > limit:
        raise InputError(
            f"{shown(path)}: {size / MB:.0f} MB, over the limit of {limit / MB:.0f} MB for a file read"
            " in one piece (set MULTIVECTOR_MAX_FILE_MB to raise it)"
        )
    return path.read_bytes()


# ---- the last checks of every post ---------------------------------------------------------

_UNSAFE_URL = re.compile(r"^(?:javascript|vbscript|data|file):", re.IGNORECASE)
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_MAX_COUNT = 2**63 - 1  # SQLite INTEGER
_TEXT_FIELDS = ("source", "channel", "message_id", "text", "author", "url", "forwarded_from", "reply_to",
                "media", "origin")  # fmt: skip
_REQUIRED = frozenset({"source", "channel", "message_id", "text", "origin"})
_text_fields = attrgetter(*_TEXT_FIELDS)


def unsafe_url(url: str) -> bool:
    """Whether a link would run code or read local files when a page or report shows it.

    Browsers drop control characters and spaces inside a scheme ("java\\tscript:"), so they are
    dropped here too before looking."""
    return bool(_UNSAFE_URL.match(_URL_NOISE.sub("", url)))


def check_post(post: Post, ctx: ReadContext) -> Post | None:
    """The post fit to be stored, or None after reporting why it cannot be.

    Fixes in place what can be fixed (and says so): lone surrogates become U+FFFD; links that
    would run code (``javascript:`` ...) are dropped; counts too large for the database are
    dropped. Skips, with a problem, a post without an id, with a text over
    `limits.max_post_chars`, or dated outside MIN_YEAR..MAX_YEAR.
    """
    bad = 0
    try:  # the common case in one step: every field is text (or None) and all of it valid
        values = [v for v in _text_fields(post) if v is not None] + post.links + post.hashtags
        "\x1f".join(values).encode("utf-8")  # fails on a lone surrogate; far quicker than a regex
        clean = True
    except (TypeError, UnicodeEncodeError):  # a number or a list let through; invalid text
        clean = False
    if not clean:
        bad = _repair_fields(post)
    if bad:
        ctx.problem(_place(post, ctx), f"{bad} invalid characters (lone UTF-16 surrogates or undecodable bytes)"
                                       " replaced with U+FFFD")  # fmt: skip

    if not post.message_id.strip():
        ctx.problem(_place(post, ctx), "record has no id; skipped")
        return None
    if not post.channel.strip():
        post.channel = ctx.channel or "(unnamed)"
    if len(post.text) > ctx.limits.max_post_chars:
        ctx.problem(
            _place(post, ctx),
            f"text is {len(post.text):,} characters long, over the limit of {ctx.limits.max_post_chars:,}"
            " (set MULTIVECTOR_MAX_POST_CHARS to raise it); skipped",
        )
        return None
    if not _good_date(post.date):
        ctx.problem(
            _place(post, ctx),
            f"date is out of range (years {MIN_YEAR}-{MAX_YEAR}): {_show_date(post.date)}; skipped",
        )
        return None
    if not _good_date(post.edited):
        ctx.problem(_place(post, ctx), f"edited date is out of range: {_show_date(post.edited)}; left empty")
        post.edited = None
    if post.url is not None and not post.url.startswith(_WEB) and unsafe_url(post.url):
        ctx.problem(_place(post, ctx), f"url {post.url[:60]!r} is not a web link; dropped")
        post.url = None
    if post.links:
        unsafe = [link for link in post.links if not link.startswith(_WEB) and unsafe_url(link)]
        if unsafe:
            post.links = [link for link in post.links if link not in unsafe]
            ctx.problem(
                _place(post, ctx),
                f"{len(unsafe)} links that are not web links dropped ({unsafe[0][:60]!r} ...)",
            )
    if post.views is not None or post.forwards is not None:
        post.views, post.forwards = _count(post.views), _count(post.forwards)
    return post


_WEB = ("https://", "http://")


def _good_date(value: object) -> bool:
    return value is None or (isinstance(value, datetime) and MIN_YEAR <= value.year <= MAX_YEAR)


def _show_date(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else repr(value)[:60]


def _count(value: object) -> int | None:
    """A view or forward count SQLite can hold, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_COUNT:
        return value
    return None


def _repair_fields(post: Post) -> int:
    """Make every text field of `post` valid text; returns how many characters were replaced."""
    bad = 0
    for name in _TEXT_FIELDS:
        value = getattr(post, name)
        if value is None and name not in _REQUIRED:
            continue
        if not isinstance(value, str):
            value = "" if value is None else str(value)
        fixed, n = scrub(value)
        bad += n
        setattr(post, name, fixed)
    for name in ("links", "hashtags"):
        items = []
        for item in getattr(post, name) or []:
            if isinstance(item, str):
                fixed, n = scrub(item)
                bad += n
                items.append(fixed)
        setattr(post, name, items)
    return bad


def _place(post: Post, ctx: ReadContext) -> str:
    origin = post.origin if isinstance(post.origin, str) else ""
    prefix = f"{ctx.file}: "
    if origin.startswith(prefix):
        return origin[len(prefix) :]
    mid = post.message_id if isinstance(post.message_id, str) else ""
    return f"record {mid}" if mid.strip() else "record"


def read_within_budget(posts: Iterator[Post], ctx: ReadContext, seconds: float) -> Iterator[Post]:
    """`posts` after `check_post`, read under a `ReadClock` of `seconds` (set as `ctx.clock`).

    Only the time spent inside `posts` counts, not the caller's. Over the budget, reading
    stops: the posts read so far are kept and one problem names the file.
    """
    clock = ctx.clock = ReadClock(seconds)
    read = 0
    try:
        while True:
            clock.resume()
            try:
                post = next(posts)
            except StopIteration:
                break
            finally:
                clock.pause()
            post = check_post(post, ctx)
            if post is not None:
                read += 1
                yield post
    except BudgetExceeded:
        kept = f"the {read} posts read before are kept" if read else "no post was read"
        ctx.problem(
            "",
            f"reading took longer than {clock.budget:g} s (set MULTIVECTOR_READ_SECONDS to raise the"
            f" budget); {kept}, the rest of the file is skipped",
        )
    finally:
        clock.close()
        close = getattr(posts, "close", None)
        if close is not None:
            close()
        ctx.clock = None


def checked_posts(posts: Iterable[Post], ctx: ReadContext) -> Iterator[Post]:
    """`posts` after `check_post`: what cannot be stored is reported and left out."""
    for post in posts:
        good = check_post(post, ctx)
        if good is not None:
            yield good
