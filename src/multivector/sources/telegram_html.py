"""Telegram Desktop HTML export (the app's default "Export chat history" format) -> Post.

An export is a folder holding ``messages.html``, ``messages2.html`` ... (1000 messages a file)
plus ``css/``, ``js/``, ``photos/`` and ``files/``. ``read`` takes that folder (its pages are read
in numeric order) or one page. Each page is parsed whole with selectolax (a page is at most a
few MB); pages are read one after the other, so memory does not grow with the export.

Markup (as written by Telegram Desktop's ``export_output_html.cpp``):

- ``div.page_header div.text`` holds the chat name (the channel of every post);
- ``div.message.default`` (``id="message123"``) is a post; ``div.message.default.joined``
  continues the previous sender and omits ``div.from_name``, so the sender is inherited;
- ``div.message.service`` is a service message, counted in ``ctx.counts["service"]``; the day
  separators, also ``div.message.service`` but with negative ids (``message-1``), are skipped;
- inside ``div.body``: ``div.pull_right.date`` (``title="18.07.2023 00:24:19 UTC+03:00"``),
  ``div.from_name``, and either the content itself or a ``div.forwarded.body`` that wraps the
  content of a forward (its own ``div.from_name`` names the origin); content is
  ``div.reply_to`` (link ``#go_to_message123``), ``div.media_wrap``, ``div.text`` and
  ``div.signature`` (a channel post's author signature).

Dates: the title's wall-clock time is kept and its ``UTC+hh:mm`` offset dropped, giving the
exporting machine's local time as a naive datetime -- the same value the JSON export writes in
``date``, so an HTML and a JSON export of one chat give identical dates (and duplicates match).
Text: ``<br>`` becomes a newline, markup is dropped; hashtags keep their ``#``; links are the
URLs of ``<a>`` elements in the text (mentions, e-mails, phones and custom emoji excluded).
A message whose date is missing or unreadable is reported and skipped.

Hostile pages: a page over ``Limits.max_file_bytes`` is reported and skipped; tags nested
deeper than ``Limits.max_depth`` are removed before parsing (their text is kept, one problem
says so), so a page costs time in proportion to its size.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from selectolax.lexbor import LexborNode

from multivector.model import SOURCE_TELEGRAM, InputError, Post
from multivector.sources.base import ReadContext, check_readable, read_whole, shown
from multivector.sources.markup import html_to_text, parse_html

__all__ = ["html_to_text", "page_files", "read"]

_PAGE_NAME = re.compile(r"^messages(\d*)\.html?$", re.IGNORECASE)
_DATE_TITLE = re.compile(
    r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*UTC\s*[+-]\d{1,2}(?::?\d{2})?)?\s*$"
)
_REPLY_HREF = re.compile(r"go_to_message(\d+)")
_VIA_BOT = re.compile(r"\s+via\s+@\S+\s*$")
_WS = re.compile(r"[ \t\r\n\f\v]+")

# Media markup -> the `media_type` vocabulary of the JSON export.
_MEDIA_WRAPS = {
    "photo_wrap": "photo",
    "video_file_wrap": "video_file",
    "animated_wrap": "animation",
    "sticker_wrap": "sticker",
    "media_poll": "poll",
    "media_voice_message": "voice_message",
    "media_audio_file": "audio_file",
    "media_file": "file",
    "media_contact": "contact",
    "media_location": "location",
    "media_live_location": "location",
    "media_venue": "venue",
    "media_game": "game",
    "media_invoice": "invoice",
    "media_call": "call",
}


def page_files(folder: Path) -> list[Path]:
    """The ``messages*.html`` pages of an export folder, in numeric order (messages.html first)."""
    pages = []
    for child in folder.iterdir():
        m = _PAGE_NAME.match(child.name)
        if m and child.is_file():
            pages.append((int(m.group(1) or 1), child.name, child))
    return [p for _, _, p in sorted(pages)]


def read(path: Path, ctx: ReadContext) -> Iterator[Post]:
    """Yield the posts of a Telegram Desktop HTML export: its folder, or one messages page."""
    path = Path(path)
    if path.is_dir():
        pages = page_files(path)
        if not pages:
            raise InputError(
                f"{shown(path)}: no messages.html in this folder: not a Telegram Desktop HTML export"
            )
        fallback = shown(path.name)
    else:
        pages = [path]
        fallback = shown(path.parent.name or path.stem)
    for page in pages:
        yield from _read_page(page, ctx, fallback)


def _read_page(path: Path, ctx: ReadContext, fallback_channel: str) -> Iterator[Post]:
    check_readable(path)
    ctx.file = file = shown(path)
    data = read_whole(path, ctx)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        html = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        ctx.problem(f"byte {exc.start}", "not valid UTF-8; bad bytes were replaced")
        html = data.decode("utf-8", "replace")
    del data
    tree, removed, first = parse_html(html, ctx.limits.max_depth)
    if removed:
        ctx.problem(
            f"character {first}",
            f"markup nested deeper than {ctx.limits.max_depth} levels: {removed} tags removed, their text kept",
        )
    del html
    ctx.check_time()
    messages = tree.css("div.history > div.message") or tree.css("div.message")
    header = tree.css_first("div.page_header div.text")
    if not messages and header is None:
        raise InputError(f"{file}: not a Telegram Desktop HTML export (no div.message, no page header)")
    chat_name = _WS.sub(" ", header.text()).strip() if header is not None else ""
    channel = ctx.channel or chat_name or fallback_channel

    prev_from: str | None = None
    prev_forward: str | None = None
    for node in messages:
        ctx.check_time()
        classes = _classes(node)
        raw_id = (node.attributes.get("id") or "").removeprefix("message")
        if "service" in classes:
            if not raw_id.startswith("-"):  # negative ids are the day separators
                ctx.counts["service"] += 1
            continue
        if "default" not in classes:
            continue
        place = f"message {raw_id}" if raw_id and len(raw_id) <= 40 else "message (no id)"
        if not raw_id.isdigit():
            ctx.problem(place, "message has no numeric id")
            continue
        body = _child(node, "body")
        if body is None:
            ctx.problem(place, "message has no div.body")
            continue

        date_div = _child(body, "date")
        date = _parse_title_date(date_div.attributes.get("title") if date_div is not None else None)
        if date is None:
            title = date_div.attributes.get("title") if date_div is not None else None
            shown_title = repr(title) if title is None or len(title) <= 60 else repr(title[:57] + "...")
            ctx.problem(place, f"date is missing or not 'dd.mm.yyyy hh:mm:ss': {shown_title}")
            continue

        from_div = _child(body, "from_name")
        if from_div is not None:
            prev_from = _name_of(from_div)
            prev_forward = None
        content = body
        forwarded = None
        fwd_body = _child(body, "forwarded", "body")
        if fwd_body is not None:
            content = fwd_body
            fwd_from = _child(fwd_body, "from_name")
            forwarded = _name_of(fwd_from) if fwd_from is not None else prev_forward
            prev_forward = forwarded
        else:
            prev_forward = None

        reply_to = None
        reply_div = _child(content, "reply_to")
        if reply_div is not None:
            link = reply_div.css_first("a")
            m = _REPLY_HREF.search(link.attributes.get("href") or "") if link is not None else None
            reply_to = m.group(1) if m else None

        text_div = _child(content, "text")
        text, links, hashtags = ("", [], [])
        if text_div is not None:
            text = html_to_text(text_div, collapse=False).strip()
            links, hashtags = _links_and_tags(text_div)

        signature = _child(content, "signature")
        sig = _WS.sub(" ", signature.text()).strip() if signature is not None else None

        yield Post(
            source=SOURCE_TELEGRAM,
            channel=channel,
            message_id=raw_id,
            text=text,
            date=date,
            author=sig or prev_from,
            forwarded_from=forwarded,
            reply_to=reply_to,
            links=links,
            hashtags=hashtags,
            media=_media(_child(content, "media_wrap")),
            origin=f"{file}: message {raw_id}",
        )


def _classes(node: LexborNode) -> set[str]:
    return set((node.attributes.get("class") or "").split())


def _child(node: LexborNode, *classes: str) -> LexborNode | None:
    """The first element child (not any descendant) of `node` that has all of `classes`."""
    wanted = set(classes)
    for child in node.iter():
        if wanted <= _classes(child):
            return child
    return None


def _name_of(from_div: LexborNode) -> str | None:
    """A `div.from_name`'s own text: without the forward date span and a trailing 'via @bot'."""
    parts = []
    for child in from_div.iter(include_text=True):
        if child.tag == "-text":
            parts.append(child.text(deep=False))
        elif child.tag not in ("span",) and not child.is_comment_node:
            parts.append(child.text())
    name = _VIA_BOT.sub("", _WS.sub(" ", "".join(parts))).strip()
    return name or None


def _parse_title_date(title: str | None) -> datetime | None:
    if not title:
        return None
    m = _DATE_TITLE.match(title)
    if not m:
        return None
    day, month, year, hour, minute, second = m.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None


def _links_and_tags(text_div: LexborNode) -> tuple[list[str], list[str]]:
    links: list[str] = []
    hashtags: list[str] = []
    for a in text_div.css("a"):
        href = (a.attributes.get("href") or "").strip()
        onclick = a.attributes.get("onclick") or ""
        label = a.text().strip()
        if "ShowHashtag" in onclick:
            if label and label not in hashtags:
                hashtags.append(label)
            continue
        if onclick or not href or href.startswith(("mailto:", "tel:", "#")):
            continue  # cashtags, bot commands, mention names, emoji, e-mails, phones
        if label.startswith("@") and href.rstrip("/").lower().endswith("/" + label[1:].lower()):
            continue  # a @mention rendered as a t.me link
        if (href == label or "://" in href) and href not in links:
            links.append(href)
    return links, hashtags


def _media(wrap: LexborNode | None) -> str | None:
    if wrap is None:
        return None
    for node in wrap.iter():
        classes = _classes(node)
        for cls, name in _MEDIA_WRAPS.items():
            if cls in classes:
                return name
        if "media_photo" in classes:
            title = node.css_first(".title")
            return "sticker" if title is not None and title.text().strip() == "Sticker" else "photo"
        if "media_video" in classes:
            title = node.css_first(".title")
            kind = title.text().strip() if title is not None else ""
            return {"Video message": "video_message", "Animation": "animation"}.get(kind, "video_file")
    return "media"
