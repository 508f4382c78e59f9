"""Telegram Desktop JSON export ("Export chat history" -> JSON) -> Post.

Two shapes are read, and told apart while streaming:

- a single chat: ``{"name", "type", "id", "messages": [...]}`` (``result.json`` of one chat);
- a whole account: ``{"about", "personal_information", ..., "chats": {"list": [chat, ...]},
  "left_chats": {"list": [chat, ...]}}``, each chat shaped as above.

The file is parsed with ijson's event stream (``stream_json``), so only one message at a time is
ever held as a Python object: a 500 MB export costs the memory of its largest message.

Rules:

- ``type: "message"`` is a post; ``type: "service"`` (channel created, pinned ...) is counted in
  ``ctx.counts["service"]`` and not yielded. A media-only message is a post with empty text.
- Dates: ``date`` is the exporting machine's local wall-clock time without an offset and is
  kept naive as written (``parse_date``); ``date_unixtime`` is used only when ``date`` is
  absent. A message with no date at all gets ``ctx.default_date`` (midnight) or stays undated.
- A message whose ``date`` cannot be parsed is reported (``message 1234: date is not ISO
  8601 ...``) and skipped; a bad ``edited`` date is reported and left empty, the post is kept.
- A file cut short after some messages yields them, then reports one problem naming the byte
  where it broke. A file that breaks before the first message, or is not a Telegram export at
  all, raises ``InputError``.
- ``ctx.channel`` replaces the chat name for every chat of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import ijson

from multivector.model import SOURCE_TELEGRAM, InputError, Post
from multivector.sources.base import ReadContext, check_readable, parse_date, shown
from multivector.sources.jsonstream import (
    MAX_DEPTH,
    CleanJsonBytes,
    TooDeep,
    chunk_for,
    short_reason,
    stream_json,
)

__all__ = ["MAX_DEPTH", "TooDeep", "flatten_text", "read", "stream_json"]

# Where a chat object sits in each shape of export ("" is the top level of a one-chat file).
_CHAT_BASES = ("", "chats.list.item", "left_chats.list.item")
_MESSAGE_PREFIXES = frozenset(f"{b}.messages.item" if b else "messages.item" for b in _CHAT_BASES)
_CHAT_FIELDS = {
    (f"{b}.{key}" if b else key): key for b in _CHAT_BASES for key in ("name", "id", "type", "username")
}
_CHAT_STARTS = {"chats.list.item", "left_chats.list.item"}
_MARKERS = {"messages", "chats", "left_chats"}

# Media keys of a Desktop export message other than `media_type`, checked in this order.
_MEDIA_KEYS = (
    ("photo", "photo"),
    ("file", "file"),
    ("poll", "poll"),
    ("location_information", "location"),
    ("place_name", "venue"),
    ("contact_information", "contact"),
    ("game_title", "game"),
    ("invoice_information", "invoice"),
)


def read(path: Path, ctx: ReadContext) -> Iterator[Post]:
    """Yield the posts of a Telegram Desktop JSON export (one chat or a whole account)."""
    path = Path(path)
    check_readable(path)
    ctx.file = shown(path)
    with path.open("rb") as fh:
        yield from _read_stream(fh, ctx.file, shown(path.stem), ctx)


def _read_stream(fh, file: str, fallback_channel: str, ctx: ReadContext) -> Iterator[Post]:
    if fh.read(3) != b"\xef\xbb\xbf":  # tolerate a UTF-8 BOM, which yajl rejects
        fh.seek(0)
    src = CleanJsonBytes(fh, ctx.check_time, chunk_for(ctx.limits.max_record_bytes))
    chat: dict[str, Any] = {}
    records = 0  # message objects completed (posts and service messages)
    last_id: object = None
    seen_marker = False
    first = True
    limits = ctx.limits
    try:
        for kind, prefix, value in stream_json(
            src, _MESSAGE_PREFIXES, limits.max_depth, limits.max_record_bytes
        ):
            if first:
                first = False
                if kind != "start_map":
                    raise InputError(
                        f"{file}: not a Telegram Desktop export (the top level is not a JSON object;"
                        " a JSON array of records is read with --format table)"
                    )
                continue
            if kind == "item":
                records += 1
                if not isinstance(value, dict):
                    ctx.problem(f"item {records}", "message is not a JSON object")
                    continue
                if _id_text(value.get("id")) is not None:
                    last_id = value.get("id")
                post = _message_to_post(value, chat, records, file, fallback_channel, ctx)
                if post is not None:
                    yield post
                ctx.check_time()
            elif kind == "skipped":
                records += 1
                after = f" (the message after {last_id})" if last_id is not None else ""
                ctx.problem(f"item {records}", f"message {value}{after}; skipped")
            elif kind == "map_key":
                if prefix == "" and value in _MARKERS:
                    seen_marker = True
            elif kind == "start_map":
                if prefix in _CHAT_STARTS:
                    chat = {}
            elif kind == "scalar" and prefix in _CHAT_FIELDS and isinstance(value, str | int | float):
                chat[_CHAT_FIELDS[prefix]] = value
    except (ijson.JSONError, UnicodeDecodeError, TooDeep) as exc:
        where = f"byte {src.tell()}"
        reason = short_reason(exc)
        if records == 0:
            raise InputError(f"{file}: file is truncated or not valid JSON ({where}: {reason})") from None
        after = f"; the last complete message is {last_id}" if last_id is not None else ""
        ctx.problem(where, f"file is truncated or not valid JSON ({reason}){after}")
        _report_replaced(src, ctx)
        return
    _report_replaced(src, ctx)
    if first:
        raise InputError(f"{file}: file is empty")
    if not seen_marker:
        raise InputError(
            f"{file}: not a Telegram Desktop export (no 'messages' or 'chats' in the JSON object)"
        )


def _report_replaced(src: CleanJsonBytes, ctx: ReadContext) -> None:
    if src.replaced:
        ctx.problem("", f"{src.replaced} invalid characters (bytes that are not UTF-8, or lone"
                        " \\u surrogate escapes) replaced with U+FFFD")  # fmt: skip


def _id_text(value: object) -> str | None:
    """A message id as text: a number or a non-blank string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, float) and not (value.is_integer() and abs(value) < 2**63):
        return None
    return _as_str(value)


def _message_to_post(
    msg: dict, chat: dict, index: int, file: str, fallback_channel: str, ctx: ReadContext
) -> Post | None:
    mid = msg.get("id")
    message_id = _id_text(mid)
    place = f"message {message_id}" if message_id is not None and len(message_id) <= 40 else f"item {index}"
    kind = msg.get("type", "message")
    if kind == "service":
        ctx.counts["service"] += 1
        return None
    if kind != "message":
        ctx.counts[f"skipped_{kind}" if isinstance(kind, str) and len(kind) <= 40 else "skipped_other"] += 1
        return None
    if message_id is None:
        ctx.problem(place, "message has no id" if mid in (None, "") or isinstance(mid, str) else
                    f"message id is not a number or text: {str(mid)[:40]!r}")  # fmt: skip
        return None

    date = _message_date(msg, place, ctx)
    if date is False:
        return None
    edited = None
    if msg.get("edited") not in (None, ""):
        try:
            edited = parse_date(msg["edited"])
        except (ValueError, OverflowError, OSError) as exc:
            ctx.problem(place, f"edited {exc}")

    entities = msg.get("text_entities")
    raw_text = msg.get("text")
    text, links, hashtags = flatten_text(raw_text if raw_text is not None else entities)
    if isinstance(entities, list) and entities is not raw_text:
        _, more_links, more_tags = flatten_text(entities)
        links = list(dict.fromkeys(links + more_links))
        hashtags = list(dict.fromkeys(hashtags + more_tags))

    channel = ctx.channel or _as_str(chat.get("name")) or _chat_fallback(chat, fallback_channel)
    username = _as_str(chat.get("username"))
    reply = msg.get("reply_to_message_id")
    return Post(
        source=SOURCE_TELEGRAM,
        channel=channel,
        message_id=message_id,
        text=text,
        date=date,
        author=_as_str(msg.get("author")) or _as_str(msg.get("from")),
        url=f"https://t.me/{username.lstrip('@')}/{message_id}" if username else None,
        forwarded_from=_as_str(msg.get("forwarded_from")) or _as_str(msg.get("saved_from")),
        reply_to=_as_str(reply) if reply is not None else None,
        edited=edited,
        links=links,
        hashtags=hashtags,
        media=_media(msg),
        origin=f"{file}: message {message_id}",
    )


def _message_date(msg: dict, place: str, ctx: ReadContext) -> datetime | None | bool:
    """The message date; None when the message has none; False after reporting a bad one."""
    raw = msg.get("date")
    if raw in (None, ""):
        raw = msg.get("date_unixtime")
    if raw in (None, ""):
        if ctx.default_date is not None:
            return datetime(ctx.default_date.year, ctx.default_date.month, ctx.default_date.day)
        return None
    try:
        return parse_date(raw)
    except (ValueError, OverflowError, OSError) as exc:
        ctx.problem(place, str(exc) if str(exc).startswith("date") else f"date is not valid: {_brief(raw)}")
        return False


def _brief(value: object) -> str:
    """A value for a one-line message: its repr, cut short."""
    text = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def flatten_text(value: object) -> tuple[str, list[str], list[str]]:
    """Join a Desktop export `text`/`text_entities` value into plain text, links and hashtags.

    `value` is a string, or a list of strings and ``{type, text, href?}`` pieces. Links are the
    ``href`` of ``text_link`` pieces and the text of ``link`` pieces; hashtags are the text of
    ``hashtag`` pieces, ``#`` included, in order of appearance, without repeats.
    """
    if value is None:
        return "", [], []
    if isinstance(value, str):
        return value, [], []
    if not isinstance(value, list):
        return _as_str(value) or "", [], []
    parts: list[str] = []
    links: dict[str, None] = {}  # ordered sets: a message may hold thousands of links
    hashtags: dict[str, None] = {}
    for piece in value:
        if isinstance(piece, str):
            parts.append(piece)
            continue
        if not isinstance(piece, dict):
            continue
        text = piece.get("text")
        text = text if isinstance(text, str) else (_as_str(text) or "")
        parts.append(text)
        kind = piece.get("type")
        if kind == "text_link":
            href = piece.get("href")
            if isinstance(href, str) and href:
                links.setdefault(href)
        elif kind == "link":
            if text:
                links.setdefault(text)
        elif kind == "hashtag" and text:
            hashtags.setdefault(text)
    return "".join(parts), list(links), list(hashtags)


def _media(msg: dict) -> str | None:
    media_type = msg.get("media_type")
    if isinstance(media_type, str) and media_type:
        return media_type
    for key, name in _MEDIA_KEYS:
        if msg.get(key) not in (None, ""):
            return name
    return None


def _as_str(value: object) -> str | None:
    """A scalar as trimmed text; None for nothing, blank text and objects or lists."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _chat_fallback(chat: dict, fallback_channel: str) -> str:
    cid = _as_str(chat.get("id"))
    return f"chat {cid}" if cid else fallback_channel
