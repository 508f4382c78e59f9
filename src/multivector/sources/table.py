"""Tables of posts -> Post: CSV (or TSV), JSON Lines, and JSON arrays of objects.

Columns are found by their usual names, case-insensitively (first match wins):

====================  =====================================================
field                 column names tried
====================  =====================================================
text                  full_text, text, message, content, body
date                  date, published, created_at, datetime, timestamp, time
channel               channel, channel_name, chat, source
message_id            message_id, msg_id, id, guid
url                   url, link
author                author, sender, from
forwarded_from        forwarded_from
====================  =====================================================

``ctx.field_map`` (``--map text=Body``) names the column of a field explicitly (``id`` is
accepted for ``message_id``). Other columns (``category``, ``sender_id`` ...) are ignored.
A file without a text column raises InputError naming the columns it has.

Places (in problems, and as ``message_id`` when there is no id column): ``row N`` for CSV,
numbered as a spreadsheet shows it (the header is row 1, the first record row 2); ``line N``
for JSON Lines; ``item N`` (from 1) for a JSON array. A bad record (date that is not ISO 8601
or a Unix time, a line that is not JSON, a row with the wrong number of fields) is reported
and skipped; the rest is kept. Empty dates give ``ctx.default_date`` or no date. Channel:
the column, else ``ctx.channel``, else the file's stem.

CSV is streamed with the csv module (a field may be as long as ``Limits.max_record_bytes``
characters; a longer one, or a row the csv module cannot read, is reported and the reading
goes on with the next row); the encoding is UTF-8 (BOM optional) or detected cp1251 (bytes
that are not UTF-8 further on become U+FFFD, reported), the delimiter ``,`` ``;`` tab or ``|``
(from the header line; ``.tsv`` is tab). JSON Lines are read a line at a time (a line longer
than ``Limits.max_record_bytes`` is reported and skipped). JSON arrays are streamed with ijson
(one record in memory at a time; a record over the size or depth limit is reported and
skipped); a file cut short keeps the records before the break and reports where it broke.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import ijson

from multivector.model import SOURCE_TABLE, InputError, Post
from multivector.sources.base import ReadContext, check_readable, parse_date, shown
from multivector.sources.jsonstream import (
    CleanJsonBytes,
    TooDeep,
    chunk_for,
    short_reason,
    size_text,
    stream_json,
)
from multivector.sources.telegram_json import flatten_text
from multivector.sources.text import looks_like_cp1251_text

FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("full_text", "text", "message", "content", "body"),
    "date": ("date", "published", "created_at", "datetime", "timestamp", "time"),
    "channel": ("channel", "channel_name", "chat", "source"),
    "message_id": ("message_id", "msg_id", "id", "guid"),
    "url": ("url", "link"),
    "author": ("author", "sender", "from"),
    "forwarded_from": ("forwarded_from",),
}
_FIELD_ALIASES = {"id": "message_id", "msg_id": "message_id", "guid": "message_id"}
_SAMPLE = 1 << 16
_ARRAY_ITEMS = frozenset({"item"})


def read(path: Path, ctx: ReadContext) -> Iterator[Post]:
    """Yield the posts of a CSV/TSV, JSON Lines or JSON-array file."""
    path = Path(path)
    check_readable(path)
    ctx.file = shown(path)
    kind = table_kind(path)
    if kind == "csv":
        yield from _read_csv(path, ctx)
    elif kind == "jsonl":
        yield from _read_jsonl(path, ctx)
    else:
        yield from _read_json_array(path, ctx)


def table_kind(path: Path) -> str:
    """'csv', 'jsonl' or 'json' (an array), from the extension and the first bytes."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".tab"):
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".jsonlines"):
        return "jsonl"
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE)
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        first_line = stripped.split(b"\n", 1)[0]
        try:
            return "jsonl" if isinstance(json.loads(first_line), dict) else "json"
        except (ValueError, RecursionError):
            return "json"  # one object over several lines: rejected with a clear reason
    return "json" if suffix == ".json" else "csv"


class Columns:
    """Which column holds each field, for one set of column names."""

    def __init__(self, columns: Iterable[str], field_map: dict[str, str], file: str, strict: bool):
        names = [c for c in columns if isinstance(c, str)]
        lower: dict[str, str] = {}
        for name in names:
            lower.setdefault(name.strip().lower(), name)
        self.columns = names
        self.of: dict[str, str] = {}
        for field, candidates in FIELDS.items():
            for cand in candidates:
                if cand in lower:
                    self.of[field] = lower[cand]
                    break
        for key, column in field_map.items():
            field = _FIELD_ALIASES.get(key.strip().lower(), key.strip().lower())
            if field not in FIELDS:
                raise InputError(f"{file}: unknown field {key!r} in --map; fields are {', '.join(FIELDS)}")
            actual = lower.get(column.strip().lower())
            if actual is None:
                if strict:
                    raise InputError(
                        f"{file}: column {column!r} (from --map {key}={column}) not found;"
                        f" columns are: {_names(dict.fromkeys(names))}"
                    )
                self.of.pop(field, None)
            else:
                self.of[field] = actual
        if strict and "text" not in self.of:
            raise InputError(
                f"{file}: no text column (looked for {', '.join(FIELDS['text'])}); columns are:"
                f" {_names(dict.fromkeys(names))}; name it with --map text=COLUMN"
            )


def record_to_post(
    rec: dict[str, Any], cols: Columns, place: str, path: Path, ctx: ReadContext
) -> Post | None:
    text_col = cols.of.get("text")
    if text_col is None or text_col not in rec:
        ctx.problem(place, f"no text field (fields: {_names(rec)})")
        return None
    raw_text = rec.get(text_col)
    if raw_text is None:
        text = ""
    elif isinstance(raw_text, str):
        text = raw_text
    elif isinstance(raw_text, list):
        text = flatten_text(raw_text)[0]
    elif isinstance(raw_text, dict):
        ctx.problem(place, f"the {text_col!r} field is a JSON object, not text; skipped")
        return None
    else:
        text = _as_str(raw_text) or ""

    date = None
    raw_date = rec.get(cols.of["date"]) if "date" in cols.of else None
    if raw_date not in (None, ""):
        try:
            date = parse_date(raw_date)
        except (ValueError, OverflowError, OSError) as exc:
            msg = str(exc)
            ctx.problem(place, msg if msg.startswith("date") else f"date is not valid: {_brief(raw_date)}")
            return None
    elif ctx.default_date is not None:
        d = ctx.default_date
        date = datetime(d.year, d.month, d.day)

    def get(field: str) -> str | None:
        col = cols.of.get(field)
        return _as_str(rec.get(col)) if col is not None else None

    message_id = get("message_id") or place
    return Post(
        source=SOURCE_TABLE,
        channel=get("channel") or ctx.channel or shown(path.stem),
        message_id=message_id,
        text=text,
        date=date,
        author=get("author"),
        url=get("url"),
        forwarded_from=get("forwarded_from"),
        origin=f"{ctx.file}: {place}",
    )


def _names(rec: dict) -> str:
    names = [str(k) for k in list(rec)[:20]]
    more = f" and {len(rec) - 20} more" if len(rec) > 20 else ""
    return (", ".join(n if len(n) <= 40 else n[:37] + "..." for n in names) or "(none)") + more


def _brief(value: object) -> str:
    text = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _as_str(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


# --- CSV ---------------------------------------------------------------------------------


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        if looks_like_cp1251_text(sample.decode("cp1251")):
            return "cp1251"
    except UnicodeDecodeError:
        pass
    raise InputError(f"{shown(path)}: not UTF-8 and not recognisable as cp1251 text")


def _delimiter(path: Path, header_line: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path, ctx: ReadContext) -> Iterator[Post]:
    file = ctx.file
    # The limit is the csv module's, for the whole process; every read sets it again.
    csv.field_size_limit(ctx.limits.max_record_bytes)
    encoding = _detect_encoding(path)
    # Undecodable bytes past the sample become lone surrogates, then U+FFFD in check_post.
    with path.open("r", encoding=encoding, errors="surrogateescape", newline="") as fh:
        delimiter = _delimiter(path, fh.readline(_SAMPLE))
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        row_no = 0
        header: list[str] | None = None
        cols: Columns | None = None
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row_no += 1
                if header is None:
                    raise InputError(f"{file}: not a readable CSV file ({exc})") from None
                ctx.problem(f"row {row_no}", f"CSV error ({exc}); row skipped")
                ctx.check_time()
                continue
            row_no += 1
            if header is None:
                if not any(cell.strip() for cell in row):
                    continue
                header = [cell.strip() for cell in row]
                cols = Columns(header, ctx.field_map, file, strict=True)
                continue
            if not row or not any(cell.strip() for cell in row):
                continue
            place = f"row {row_no}"
            if len(row) != len(header):
                ctx.problem(place, f"{len(row)} fields, the header has {len(header)}")
                continue
            post = record_to_post(dict(zip(header, row, strict=True)), cols, place, path, ctx)
            if post is not None:
                yield post
            ctx.check_time()
    if header is None:
        raise InputError(f"{file}: holds no header row")


# --- JSON Lines ----------------------------------------------------------------------------


def _lines(fh, limit: int) -> Iterator[bytes | None]:
    """The lines of a binary file; None in place of a line longer than `limit` bytes (skipped
    without holding it in memory)."""
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):  # the rest of the long line, a piece at a time
            line = fh.readline(1 << 20)
        yield None


def _read_jsonl(path: Path, ctx: ReadContext) -> Iterator[Post]:
    file = ctx.file
    cache: dict[tuple, Columns] = {}
    good = 0
    first_error: str | None = None
    limit = ctx.limits.max_record_bytes
    with path.open("rb") as fh:
        for line_no, raw in enumerate(_lines(fh, limit), start=1):
            place = f"line {line_no}"
            if raw is None:
                first_error = first_error or f"{place}: longer than the limit"
                ctx.problem(
                    place,
                    f"longer than {size_text(limit)} (set MULTIVECTOR_MAX_RECORD_MB to raise it); skipped",
                )
                continue
            if line_no == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8", "surrogateescape"))
            except (ValueError, RecursionError) as exc:
                reason = f"not valid JSON ({short_reason(exc)})"
                first_error = first_error or f"{place}: {reason}"
                ctx.problem(place, reason)
                continue
            if not isinstance(rec, dict):
                first_error = first_error or f"{place}: not a JSON object"
                ctx.problem(place, "not a JSON object")
                continue
            cols = _columns_for(rec, cache, ctx, path, first=good == 0)
            good += 1
            post = record_to_post(rec, cols, place, path, ctx)
            if post is not None:
                yield post
            ctx.check_time()
    if good == 0:
        raise InputError(f"{file}: no line holds a JSON object ({first_error or 'file is blank'})")


def _columns_for(
    rec: dict, cache: dict[tuple, Columns], ctx: ReadContext, path: Path, first: bool
) -> Columns:
    key = tuple(rec)
    cols = cache.get(key)
    if cols is None:
        cols = Columns(rec.keys(), ctx.field_map, ctx.file, strict=first)
        if len(cache) < 1000:
            cache[key] = cols
    return cols


# --- JSON array ------------------------------------------------------------------------------


def _read_json_array(path: Path, ctx: ReadContext) -> Iterator[Post]:
    file = ctx.file
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE)
        stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        if not stripped.startswith(b"["):
            if stripped.startswith(b"{"):
                raise InputError(
                    f"{file}: a JSON object, not an array of records"
                    " (a Telegram Desktop export is read with --format telegram-json)"
                )
            raise InputError(f"{file}: not a JSON array of records")
        fh.seek(3 if head.startswith(b"\xef\xbb\xbf") else 0)
        src = CleanJsonBytes(fh, ctx.check_time, chunk_for(ctx.limits.max_record_bytes))
        cache: dict[tuple, Columns] = {}
        index = 0
        good = 0
        limits = ctx.limits
        try:
            for kind, _prefix, rec in stream_json(
                src, _ARRAY_ITEMS, limits.max_depth, limits.max_record_bytes
            ):
                if kind == "skipped":
                    index += 1
                    ctx.problem(f"item {index}", f"record {rec}; skipped")
                    continue
                if kind != "item":
                    continue
                index += 1
                place = f"item {index}"
                if not isinstance(rec, dict):
                    ctx.problem(place, "not a JSON object")
                    continue
                cols = _columns_for(rec, cache, ctx, path, first=good == 0)
                good += 1
                post = record_to_post(rec, cols, place, path, ctx)
                if post is not None:
                    yield post
                ctx.check_time()
        except (ijson.JSONError, UnicodeDecodeError, TooDeep) as exc:
            reason = short_reason(exc)
            if index == 0:
                raise InputError(
                    f"{file}: file is truncated or not valid JSON (byte {src.tell()}: {reason})"
                ) from None
            ctx.problem(
                f"byte {src.tell()}",
                f"file is truncated or not valid JSON ({reason}); the last complete record is item {index}",
            )
        if src.replaced:
            ctx.problem("", f"{src.replaced} invalid characters (bytes that are not UTF-8, or lone"
                            " \\u surrogate escapes) replaced with U+FFFD")  # fmt: skip
