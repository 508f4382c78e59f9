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

CSV is streamed with the csv module (field size limit raised: a 5 MB post is fine); the
encoding is UTF-8 (BOM optional) or detected cp1251, the delimiter ``,`` ``;`` tab or ``|``
(from the header line; ``.tsv`` is tab). JSON arrays are streamed with ijson (one record in
memory at a time); a file cut short
keeps the records before the break and reports where it broke.
"""

from __future__ import annotations

import codecs
import csv
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import ijson

from multivector.model import SOURCE_TABLE, InputError, Post
from multivector.sources.base import ReadContext, check_readable, parse_date
from multivector.sources.telegram_json import TooDeep, flatten_text, stream_json
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
_CSV_LIMIT = min(sys.maxsize, 2**31 - 1)
_SAMPLE = 1 << 16
_ARRAY_ITEMS = frozenset({"item"})


def read(path: Path, ctx: ReadContext) -> Iterator[Post]:
    """Yield the posts of a CSV/TSV, JSON Lines or JSON-array file."""
    path = Path(path)
    check_readable(path)
    ctx.file = str(path)
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
        except ValueError:
            return "json"  # one object over several lines: rejected with a clear reason
    return "json" if suffix == ".json" else "csv"


class _Columns:
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
                        f" columns are: {', '.join(names) or '(none)'}"
                    )
                self.of.pop(field, None)
            else:
                self.of[field] = actual
        if strict and "text" not in self.of:
            raise InputError(
                f"{file}: no text column (looked for {', '.join(FIELDS['text'])}); columns are:"
                f" {', '.join(names) or '(none)'}; name it with --map text=COLUMN"
            )


def _record_to_post(
    rec: dict[str, Any], cols: _Columns, place: str, path: Path, ctx: ReadContext
) -> Post | None:
    text_col = cols.of.get("text")
    if text_col is None or text_col not in rec:
        ctx.problem(place, f"no text field (fields: {', '.join(map(str, rec)) or '(none)'})")
        return None
    raw_text = rec.get(text_col)
    if raw_text is None:
        text = ""
    elif isinstance(raw_text, str):
        text = raw_text
    elif isinstance(raw_text, list):
        text = flatten_text(raw_text)[0]
    else:
        text = str(raw_text)

    date = None
    raw_date = rec.get(cols.of["date"]) if "date" in cols.of else None
    if raw_date not in (None, ""):
        try:
            date = parse_date(raw_date)
        except (ValueError, OverflowError, OSError) as exc:
            msg = str(exc)
            ctx.problem(place, msg if msg.startswith("date") else f"date is not valid: {raw_date!r}")
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
        channel=get("channel") or ctx.channel or path.stem,
        message_id=message_id,
        text=text,
        date=date,
        author=get("author"),
        url=get("url"),
        forwarded_from=get("forwarded_from"),
        origin=f"{path}: {place}",
    )


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
    raise InputError(f"{path}: not UTF-8 and not recognisable as cp1251 text")


def _delimiter(path: Path, header_line: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path, ctx: ReadContext) -> Iterator[Post]:
    csv.field_size_limit(_CSV_LIMIT)
    encoding = _detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as fh:
        try:
            first_line = fh.readline()
        except UnicodeDecodeError:
            raise InputError(f"{path}: not valid {encoding} text") from None
        delimiter = _delimiter(path, first_line)
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        row_no = 0
        header: list[str] | None = None
        cols: _Columns | None = None
        try:
            for row in reader:
                row_no += 1
                if header is None:
                    if not any(cell.strip() for cell in row):
                        continue
                    header = [cell.strip() for cell in row]
                    cols = _Columns(header, ctx.field_map, str(path), strict=True)
                    continue
                if not row or not any(cell.strip() for cell in row):
                    continue
                place = f"row {row_no}"
                if len(row) != len(header):
                    ctx.problem(place, f"{len(row)} fields, the header has {len(header)}")
                    continue
                post = _record_to_post(dict(zip(header, row, strict=True)), cols, place, path, ctx)
                if post is not None:
                    yield post
        except UnicodeDecodeError:
            ctx.problem(
                f"row {row_no + 1}",
                f"not valid {encoding} text from here on; the rest of the file was skipped",
            )
        except csv.Error as exc:
            if header is None:
                raise InputError(f"{path}: not a readable CSV file ({exc})") from None
            ctx.problem(f"row {row_no + 1}", f"CSV error ({exc}); the rest of the file was skipped")
    if header is None:
        raise InputError(f"{path}: holds no header row")


# --- JSON Lines ----------------------------------------------------------------------------


def _read_jsonl(path: Path, ctx: ReadContext) -> Iterator[Post]:
    cache: dict[tuple, _Columns] = {}
    good = 0
    first_error: str | None = None
    with path.open("rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            if line_no == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            place = f"line {line_no}"
            try:
                rec = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                reason = f"not valid JSON ({exc})"
                first_error = first_error or f"{place}: {reason}"
                ctx.problem(place, reason)
                continue
            if not isinstance(rec, dict):
                first_error = first_error or f"{place}: not a JSON object"
                ctx.problem(place, "not a JSON object")
                continue
            cols = _columns_for(rec, cache, ctx, path, first=good == 0)
            good += 1
            post = _record_to_post(rec, cols, place, path, ctx)
            if post is not None:
                yield post
    if good == 0:
        raise InputError(f"{path}: no line holds a JSON object ({first_error or 'file is blank'})")


def _columns_for(
    rec: dict, cache: dict[tuple, _Columns], ctx: ReadContext, path: Path, first: bool
) -> _Columns:
    key = tuple(rec)
    cols = cache.get(key)
    if cols is None:
        cols = _Columns(rec.keys(), ctx.field_map, str(path), strict=first)
        if len(cache) < 1000:
            cache[key] = cols
    return cols


# --- JSON array ------------------------------------------------------------------------------


def _read_json_array(path: Path, ctx: ReadContext) -> Iterator[Post]:
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE)
        stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        if not stripped.startswith(b"["):
            if stripped.startswith(b"{"):
                raise InputError(
                    f"{path}: a JSON object, not an array of records"
                    " (a Telegram Desktop export is read with --format telegram-json)"
                )
            raise InputError(f"{path}: not a JSON array of records")
        fh.seek(3 if head.startswith(b"\xef\xbb\xbf") else 0)
        cache: dict[tuple, _Columns] = {}
        index = 0
        good = 0
        try:
            for kind, _prefix, rec in stream_json(fh, _ARRAY_ITEMS):
                if kind != "item":
                    continue
                index += 1
                place = f"item {index}"
                if not isinstance(rec, dict):
                    ctx.problem(place, "not a JSON object")
                    continue
                cols = _columns_for(rec, cache, ctx, path, first=good == 0)
                good += 1
                post = _record_to_post(rec, cols, place, path, ctx)
                if post is not None:
                    yield post
        except (ijson.JSONError, UnicodeDecodeError, TooDeep) as exc:
            reason = _short_reason(exc)
            if index == 0:
                raise InputError(
                    f"{path}: file is truncated or not valid JSON (byte {fh.tell()}: {reason})"
                ) from None
            ctx.problem(
                f"byte {fh.tell()}",
                f"file is truncated or not valid JSON ({reason}); the last complete record is item {index}",
            )


def _short_reason(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text).strip()
    return text.splitlines()[0] if text else type(exc).__name__
