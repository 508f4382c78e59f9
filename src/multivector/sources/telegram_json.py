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

from collections.abc import Collection, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import ijson

from multivector.model import SOURCE_TELEGRAM, InputError, Post
from multivector.sources.base import ReadContext, check_readable, parse_date

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
    ctx.file = str(path)
    with path.open("rb") as fh:
        yield from _read_stream(fh, str(path), path.stem, ctx)


def _read_stream(fh, file: str, fallback_channel: str, ctx: ReadContext) -> Iterator[Post]:
    if fh.read(3) != b"\xef\xbb\xbf":  # tolerate a UTF-8 BOM, which yajl rejects
        fh.seek(0)
    chat: dict[str, Any] = {}
    records = 0  # message objects completed (posts and service messages)
    last_id: object = None
    seen_marker = False
    first = True
    try:
        for kind, prefix, value in stream_json(fh, _MESSAGE_PREFIXES):
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
                last_id = value.get("id", last_id)
                post = _message_to_post(value, chat, records, file, fallback_channel, ctx)
                if post is not None:
                    yield post
            elif kind == "map_key":
                if prefix == "" and value in _MARKERS:
                    seen_marker = True
            elif kind == "start_map":
                if prefix in _CHAT_STARTS:
                    chat = {}
            elif kind == "scalar" and prefix in _CHAT_FIELDS and isinstance(value, str | int | float):
                chat[_CHAT_FIELDS[prefix]] = value
    except (ijson.JSONError, UnicodeDecodeError, TooDeep) as exc:
        where = f"byte {fh.tell()}"
        reason = _short_reason(exc)
        if records == 0:
            raise InputError(f"{file}: file is truncated or not valid JSON ({where}: {reason})") from None
        after = f"; the last complete message is {last_id}" if last_id is not None else ""
        ctx.problem(where, f"file is truncated or not valid JSON ({reason}){after}")
        return
    if first:
        raise InputError(f"{file}: file is empty")
    if not seen_marker:
        raise InputError(
            f"{file}: not a Telegram Desktop export (no 'messages' or 'chats' in the JSON object)"
        )


MAX_DEPTH = 200  # deeper nesting is refused: no real export comes close, a hostile file might


class TooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH."""


def stream_json(fh, item_prefixes: Collection[str]) -> Iterator[tuple[str, str, Any]]:
    """Stream a JSON document, building whole values only at `item_prefixes`.

    `fh` is a binary file. Prefixes are spelled as ijson spells them (``messages.item``,
    ``chats.list.item.messages.item``, ``item``). Yields ``(kind, prefix, value)`` with kind
    ``"item"`` (a complete value found at one of `item_prefixes`: any JSON type),
    ``"start_map"`` / ``"start_array"`` / ``"end"`` (containers outside items),
    ``"map_key"`` (value = the key; prefix = the map's) and ``"scalar"``.

    Built on ``ijson.basic_parse`` with the prefixes tracked here, so the cost stays linear
    however deep a hostile file nests (ijson's own prefixes grow with depth); nesting beyond
    ``MAX_DEPTH`` raises TooDeep. ijson errors (truncated or invalid JSON) propagate.
    """
    stack: list[tuple[bool, str]] = []  # (is_map, prefix) of each open container
    key = ""
    builder: ijson.ObjectBuilder | None = None
    item_prefix = ""
    depth = 0  # nesting inside the item being built
    for event, value in ijson.basic_parse(fh, use_float=True):
        if builder is not None:
            builder.event(event, value)
            if event == "start_map" or event == "start_array":
                depth += 1
                if depth + len(stack) > MAX_DEPTH:
                    raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
            elif event == "end_map" or event == "end_array":
                depth -= 1
                if depth == 0:
                    item, builder = builder.value, None
                    yield "item", item_prefix, item
            continue
        if event == "map_key":
            key = value
            yield "map_key", stack[-1][1], value
            continue
        if event == "end_map" or event == "end_array":
            _, prefix = stack.pop()
            yield "end", prefix, None
            continue
        if not stack:
            prefix = ""
        else:
            is_map, parent = stack[-1]
            child = key if is_map else "item"
            prefix = f"{parent}.{child}" if parent else child
        if prefix in item_prefixes:
            if event == "start_map" or event == "start_array":
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                item_prefix = prefix
                depth = 1
            else:
                yield "item", prefix, value
        elif event == "start_map" or event == "start_array":
            stack.append((event == "start_map", prefix))
            if len(stack) > MAX_DEPTH:
                raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
            yield event, prefix, None
        else:
            yield "scalar", prefix, value


def _short_reason(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__


def _message_to_post(
    msg: dict, chat: dict, index: int, file: str, fallback_channel: str, ctx: ReadContext
) -> Post | None:
    mid = msg.get("id")
    place = f"message {mid}" if mid is not None else f"item {index}"
    kind = msg.get("type", "message")
    if kind == "service":
        ctx.counts["service"] += 1
        return None
    if kind != "message":
        ctx.counts[f"skipped_{kind}"] += 1
        return None
    if mid is None:
        ctx.problem(place, "message has no id")
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
        links += [link for link in more_links if link not in links]
        hashtags += [tag for tag in more_tags if tag not in hashtags]

    channel = ctx.channel or _as_str(chat.get("name")) or _chat_fallback(chat, fallback_channel)
    username = _as_str(chat.get("username"))
    message_id = _as_str(mid)
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
        ctx.problem(place, str(exc) if str(exc).startswith("date") else f"date is not valid: {raw!r}")
        return False


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
        return str(value), [], []
    parts: list[str] = []
    links: list[str] = []
    hashtags: list[str] = []
    for piece in value:
        if isinstance(piece, str):
            parts.append(piece)
            continue
        if not isinstance(piece, dict):
            continue
        text = piece.get("text")
        text = text if isinstance(text, str) else ("" if text is None else str(text))
        parts.append(text)
        kind = piece.get("type")
        if kind == "text_link":
            href = piece.get("href")
            if isinstance(href, str) and href and href not in links:
                links.append(href)
        elif kind == "link":
            if text and text not in links:
                links.append(text)
        elif kind == "hashtag" and text and text not in hashtags:
            hashtags.append(text)
    return "".join(parts), links, hashtags


def _media(msg: dict) -> str | None:
    media_type = msg.get("media_type")
    if isinstance(media_type, str) and media_type:
        return media_type
    for key, name in _MEDIA_KEYS:
        if msg.get(key) not in (None, ""):
            return name
    return None


def _as_str(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _chat_fallback(chat: dict, fallback_channel: str) -> str:
    cid = _as_str(chat.get("id"))
    return f"chat {cid}" if cid else fallback_channel
