"""RSS 2.0 / RSS 1.0 / Atom feeds -> Post, through feedparser.

``read(path, ctx)`` reads a saved feed file; ``parse_feed_bytes(data, name, ctx)`` reads a feed
already in memory (a later HTTP collector passes the downloaded body and the feed URL).

Fields: text = title + "\\n\\n" + the entry's body with HTML tags stripped (the full
``content`` when the feed has it, else ``summary``; the title alone when the body is empty or
repeats it); channel = ``ctx.channel``, else the feed's title, else `name`'s stem; message_id
= the entry id/guid, else its link, else ``title:<hash of title and body>``; url = the link (only
an http(s) URL); author; date = ``published``, else ``updated``, else ``created``, which
feedparser gives as UTC and is kept as naive UTC. An entry whose date is present but cannot be
read, or lies outside the years 1900-2999, is reported and skipped (the other entries are kept);
an entry without any date gets ``ctx.default_date`` or none. Markup nested deeper than
``Limits.max_depth`` is flattened (reported); a feed file over ``Limits.max_file_bytes`` is
reported and skipped.

A body that is not a feed (HTML, plain text, broken XML with no entries) raises InputError
with the reason. A feed that is not well-formed but still yields entries (a file cut short)
is read leniently: its entries are kept, and one problem says what was wrong.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath

import feedparser

from multivector.model import SOURCE_FEED, InputError, Post
from multivector.sources.base import (
    MAX_YEAR,
    MIN_YEAR,
    ReadContext,
    check_readable,
    check_year,
    checked_posts,
    parse_date,
    read_whole,
    read_within_budget,
    shown,
)
from multivector.sources.markup import fragment_to_text

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def read(path: Path, ctx: ReadContext) -> Iterator[Post]:
    """Yield the entries of a saved RSS/Atom file."""
    path = Path(path)
    check_readable(path)
    ctx.file = shown(path)
    yield from parse_feed_bytes(read_whole(path, ctx), ctx.file, ctx)


def parse_feed_bytes(data: bytes, name: str, ctx: ReadContext, base_url: str | None = None) -> Iterator[Post]:
    """Yield the entries of an RSS/Atom document held in memory.

    `name` is used for the problems and origins (the file path or the feed URL) and, lacking a
    feed title, for the channel; `base_url` resolves relative links (defaults to `name` when
    that is an http(s) URL). Every entry passes `base.check_post`: what could not be stored is
    reported and left out, and the parse is held to the reading budget, here as in `read`.
    """
    ctx.file = name
    posts = _parse_feed(data, name, ctx, base_url)
    if ctx.clock is None:  # called by collect, not through sources.read_path: a budget of its own
        yield from read_within_budget(posts, ctx, ctx.limits.seconds_for(len(data)))
    else:
        yield from checked_posts(posts, ctx)


def _parse_feed(data: bytes, name: str, ctx: ReadContext, base_url: str | None) -> Iterator[Post]:
    if base_url is None and name.startswith(("http://", "https://")):
        base_url = name
    headers = {"content-location": base_url} if base_url else None
    try:
        # A stream, never raw bytes: feedparser would try bytes as a file name first.
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except Exception as exc:  # feedparser is lenient; anything it raises means "unreadable"
        raise InputError(f"{name}: not a readable RSS/Atom feed ({type(exc).__name__}: {exc})") from None

    entries = parsed.get("entries") or []
    bozo_exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not parsed.get("version") and not entries:
        reason = (
            f"not well-formed XML: {bozo_exc}" if bozo_exc is not None else "no <rss>, <feed> or <rdf:RDF>"
        )
        raise InputError(f"{name}: not an RSS or Atom feed ({reason})")
    if bozo_exc is not None and not entries:
        raise InputError(f"{name}: not a readable RSS/Atom feed (not well-formed XML: {bozo_exc})")
    harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    if bozo_exc is not None and not isinstance(bozo_exc, harmless):
        ctx.problem("feed", f"not well-formed XML ({bozo_exc}); entries were read leniently")

    feed = parsed.get("feed") or {}
    feed_title = _plain(feed.get("title"), feed.get("title_detail"), ctx, "feed title")
    channel = ctx.channel or feed_title or _stem(name)
    for index, entry in enumerate(entries, start=1):
        post = _entry_to_post(entry, index, channel, name, ctx)
        if post is not None:
            yield post
        ctx.check_time()


def _entry_to_post(entry, index: int, channel: str, name: str, ctx: ReadContext) -> Post | None:
    title = _plain(entry.get("title"), entry.get("title_detail"), ctx, f"item {index}")
    body = _body(entry, ctx, f"item {index}")
    if body == title:
        body = ""
    text = f"{title}\n\n{body}" if title and body else (title or body)

    link = entry.get("link") or ""
    url = link if link.startswith(("http://", "https://")) else None
    guid = (entry.get("id") or "").strip()
    if guid:
        message_id = guid
    elif url:
        message_id = url
    elif text:
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        message_id = "title:" + digest
    else:
        ctx.problem(f"item {index}", "entry has no id, link, title or text (a feed cut short?)")
        return None
    place = f"item {message_id}" if len(message_id) <= 120 else f"item {index}"

    date = None
    for key in ("published", "updated", "created"):
        parsed = entry.get(f"{key}_parsed")
        raw = entry.get(key)
        if parsed:
            try:
                date = check_year(datetime(*parsed[:6]))
            except (ValueError, OverflowError, TypeError):
                ctx.problem(place, f"date is out of range (years {MIN_YEAR}-{MAX_YEAR}): {_brief(raw)}")
                return None
            break
        if raw:
            try:
                date = parse_date(raw)
            except (ValueError, OverflowError, OSError) as exc:
                why = "out of range" if "range" in str(exc) else "not RFC 822 or ISO 8601"
                ctx.problem(place, f"date is {why}: {_brief(raw)}")
                return None
            break
    if date is None and ctx.default_date is not None:
        d = ctx.default_date
        date = datetime(d.year, d.month, d.day)

    author = (entry.get("author") or "").strip() or None
    return Post(
        source=SOURCE_FEED,
        channel=channel,
        message_id=message_id,
        text=text,
        date=date,
        author=author,
        url=url,
        origin=f"{name}: {place}",
    )


def _body(entry, ctx: ReadContext, place: str) -> str:
    """The longest of the entry's content blocks and summary, as plain text."""
    candidates = []
    for block in entry.get("content") or []:
        candidates.append(_plain(block.get("value"), block, ctx, place))
    if entry.get("summary"):
        candidates.append(_plain(entry.get("summary"), entry.get("summary_detail"), ctx, place))
    candidates = [c for c in candidates if c]
    return max(candidates, key=len) if candidates else ""


def _plain(value: str | None, detail, ctx: ReadContext, place: str) -> str:
    """A feed text construct as plain text: HTML is stripped, plain text is trimmed."""
    if not value or not isinstance(value, str):
        return ""
    kind = (detail or {}).get("type") if isinstance(detail, dict) else None
    if kind in _HTML_TYPES or (kind is None and "<" in value):
        text, removed = fragment_to_text(value, ctx.limits.max_depth)
        if removed:
            ctx.problem(place, f"markup nested deeper than {ctx.limits.max_depth} levels: {removed} tags"
                               " removed, their text kept")  # fmt: skip
        return text
    return value.strip()


def _brief(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _stem(name: str) -> str:
    if name.startswith(("http://", "https://")):
        host = name.split("://", 1)[1].split("/", 1)[0]
        return host or name
    return PurePosixPath(name.replace("\\", "/")).stem or name
