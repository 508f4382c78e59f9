"""Pasted posts (``.txt``, ``.md``) -> Post.

A file holds one post, or several separated by a line that is exactly ``---`` (surrounding
spaces allowed). Each post may start with header lines, in any order:

- ``Forwarded from: NAME``, ``Forward from: NAME (AUTHOR)``, ``Переслано от: NAME (AUTHOR)``
  (also ``Переслано из:``), the ``(AUTHOR)`` part optional: channel = forwarded_from = NAME,
  author = AUTHOR -- the way Telegram clients copy a forwarded message;
- ``Date: 2024-05-01`` or ``Дата: 2024-05-01 14:30`` (ISO 8601, see ``parse_date``).

Without a forward header the channel is ``ctx.channel``, else the file's stem (``kazinform.txt``
-> ``kazinform``): one file, one channel, whatever folder it sits in. The date is the header's,
else ``ctx.default_date``, else none. A Date header that cannot be parsed is reported and
dropped; the post itself is kept (a pasted post is typed by a person and its text is intact).

``message_id`` is the file name for the first post and ``name#2``, ``name#3`` ... for the
following ones (empty chunks are not counted), so ids are stable across runs.

Encodings: UTF-8 with or without BOM, or UTF-16 with a BOM. Anything else is tried as cp1251
(Windows Cyrillic) and read silently when the result is recognisably Russian/Kazakh/ASCII
text; else, a UTF-8 file with a few broken bytes (at most 1 in 100) is read with those bytes
replaced by U+FFFD and one problem; otherwise the file is rejected with
``InputError("<file>: not UTF-8 and not recognisable as cp1251 text")``.
Line ends are normalised to ``\\n``; the text is otherwise kept as written (trimmed).
A file over ``Limits.max_file_bytes`` is reported and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from multivector.model import SOURCE_TEXT, InputError, Post
from multivector.sources.base import ReadContext, check_readable, parse_date, read_whole, shown

_SEPARATOR = re.compile(r"^[ \t]*---[ \t]*$", re.MULTILINE)
_BLANK_LINES = re.compile(r"(?:[^\S\n]*\n)*")
# Matched against a stripped line, with no two neighbouring quantifiers that could share
# characters: the time stays linear on a long line of spaces.
_FORWARD = re.compile(
    r"(?:forward(?:ed)?[ \t]+from|переслано[ \t]+(?:от|из))[ \t]*:(?P<rest>.*)", re.IGNORECASE
)
_AUTHOR = re.compile(r"\((?P<author>[^()]*)\)$")
_DATE = re.compile(r"(?:date|дата)[ \t]*:(?P<value>.*)", re.IGNORECASE)
_MAX_BAD_BYTES = 0.01  # share of undecodable bytes a UTF-8 file may have and still be read

# cp1251 detection: characters that Russian text in cp1251 decodes to besides ASCII.
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_CP1251_PUNCT = set("«»—–„“”‘’…№•·°±§©®™€‰ \u00a0")
_CP1251_PUNCT_TABLE = dict.fromkeys(map(ord, _CP1251_PUNCT))
_CYRILLIC_ALL = re.compile(r"[\u0400-\u04ff]+")
_ASCII = re.compile(r"[\x00-\x7f]+")
_SAMPLE_CHARS = 1 << 20
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_WORD = re.compile(r"[^\W\d_]+")


def read(path: Path, ctx: ReadContext) -> Iterator[Post]:
    """Yield the posts pasted in a text or Markdown file."""
    path = Path(path)
    check_readable(path)
    ctx.file = shown(path)
    data = read_whole(path, ctx)
    try:
        text = decode_text(data, ctx.file)
    except InputError:
        text, bad = _mostly_utf8(data)
        if text is None:
            raise
        ctx.problem("", f"{bad} bytes are not UTF-8; replaced with U+FFFD")
    del data
    yield from split_posts(text, shown(path.name), shown(path.stem), ctx.file, ctx)


def _mostly_utf8(data: bytes) -> tuple[str | None, int]:
    """UTF-8 text with a few bad bytes replaced, and how many; (None, n) when too many."""
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogateescape")
    text, bad = _UNDECODABLE.subn("\ufffd", text)
    if bad > _MAX_BAD_BYTES * len(data):
        return None, bad
    return text.replace("\r\n", "\n").replace("\r", "\n"), bad


def split_posts(text: str, name: str, stem: str, file: str, ctx: ReadContext) -> Iterator[Post]:
    """The posts of one pasted document; `name` gives the message ids, `stem` the channel."""
    number = 0
    for chunk in _SEPARATOR.split(text):
        if not chunk.strip():
            continue
        number += 1
        message_id = name if number == 1 else f"{name}#{number}"
        yield _chunk_to_post(chunk, message_id, stem, file, ctx)
        ctx.check_time()
    if number == 0:
        raise InputError(f"{file}: holds no text")


def _chunk_to_post(chunk: str, message_id: str, stem: str, file: str, ctx: ReadContext) -> Post:
    place = f"post {message_id}"
    channel = forwarded = author = None
    date: datetime | None = None
    date_seen = False
    pos = _BLANK_LINES.match(chunk).end()
    while pos < len(chunk):  # at most three turns: a forward line, a date line, the first body line
        end = chunk.find("\n", pos)
        end = len(chunk) if end < 0 else end
        line = chunk[pos:end].strip()
        fwd = _FORWARD.match(line)
        dat = _DATE.match(line) if fwd is None else None
        if fwd is not None and forwarded is None:
            name, author = _forward_name(fwd.group("rest"))
            if not name:
                break
            forwarded = channel = name
        elif dat is not None and not date_seen:
            date_seen = True
            try:
                date = parse_date(dat.group("value").strip())
            except (ValueError, OverflowError, OSError) as exc:
                shown_line = line if len(line) <= 60 else line[:57] + "..."
                reason = str(exc) if str(exc).startswith("date") else f"date is not valid: {shown_line!r}"
                ctx.problem(place, f"{reason}; the post is kept without this date")
        else:
            break
        pos = end + 1
    body = chunk[pos:].strip()
    if date is None and ctx.default_date is not None:
        d = ctx.default_date
        date = datetime(d.year, d.month, d.day)
    return Post(
        source=SOURCE_TEXT,
        channel=channel or ctx.channel or stem,
        message_id=message_id,
        text=body,
        date=date,
        author=author,
        forwarded_from=forwarded,
        origin=f"{file}: {place}",
    )


def _forward_name(rest: str) -> tuple[str, str | None]:
    """'NAME (AUTHOR)' -> (NAME, AUTHOR); 'NAME' -> (NAME, None)."""
    rest = rest.strip()
    m = _AUTHOR.search(rest)
    if m is None:
        return rest, None
    name = rest[: m.start()].strip()
    if not name:  # "(only a name in brackets)": all of it is the name
        return rest, None
    return name, m.group("author").strip() or None


def decode_text(data: bytes, file: str) -> str:
    """Decode a text file: UTF-8 (BOM optional), else confidently detected cp1251.

    Line ends become ``\\n``. Raises InputError when neither fits.
    """
    text = decode_bytes(data)
    if text is None:
        raise InputError(f"{file}: not UTF-8 and not recognisable as cp1251 text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(data: bytes) -> str | None:
    """UTF-8 (without its BOM), UTF-16 with a BOM (Windows Notepad's "Unicode") or cp1251
    text, or None when the bytes are none of these."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        return None
    return text if looks_like_cp1251_text(text) else None


def looks_like_cp1251_text(text: str) -> bool:
    """Whether `text` (bytes decoded as cp1251) reads as Cyrillic text rather than mojibake.

    Bytes of other encodings also decode as cp1251, so the result must look like words:
    non-ASCII characters are Cyrillic letters or the usual typographic signs, Cyrillic letters
    do not share words with Latin ones ("cafй" is cp1252 read wrongly), and words are in
    lower, upper or title case ("пРИВЕТ" is KOI8-R read wrongly).
    """
    text = text[:_SAMPLE_CHARS]  # plenty to tell; the counts below run at C speed
    non_ascii = _ASCII.sub("", text)
    if not non_ascii:
        return True
    cyrillic = len(non_ascii) - len(_CYRILLIC_ALL.sub("", non_ascii))
    punct = len(non_ascii) - len(non_ascii.translate(_CP1251_PUNCT_TABLE))
    other = len(non_ascii) - cyrillic - punct
    if cyrillic == 0 or other > 0.02 * len(non_ascii):
        return False
    cyr_words = mixed = odd_case = 0
    for word in _WORD.findall(text):
        if not _CYRILLIC.search(word):
            continue
        cyr_words += 1
        if any("a" <= c.lower() <= "z" for c in word):
            mixed += 1
        elif not (word.islower() or word.isupper() or word.istitle()):
            odd_case += 1
    if cyr_words == 0:
        return False
    return mixed <= 0.05 * cyr_words and odd_case <= 0.1 * cyr_words
