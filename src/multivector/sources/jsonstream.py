"""Streaming JSON for the readers: one record in memory at a time, whatever the file holds.

`CleanJsonBytes` wraps a binary file for ijson: bytes that are not UTF-8 and ``\\uDC80``-style
escapes of lone UTF-16 surrogates become U+FFFD (and are counted) instead of stopping the parse
of everything after them, and the reading time budget is checked at every chunk, even inside
one enormous string. `stream_json` walks the events, builds whole values only at the item
prefixes it is given and skips (and says so) an item that is too large or too deeply nested.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Collection, Iterator
from typing import IO, Any

import ijson

# ijson's C backend slows down on a very long string with a small buffer (each chunk re-scans
# what it holds): 4 MB chunks keep a 40 MB string at a few seconds.
CHUNK = 4 << 20
MAX_DEPTH = 200  # deeper nesting is refused: no real export comes close, a hostile file might

_UNDECODABLE = re.compile("[\udc80-\udcff]")
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
# Tokens that matter for surrogate escapes, scanned left to right: an escaped backslash (so that
# "\\\\udc80" is left alone), a high surrogate with its low one (a valid pair: an emoji), a lone
# high or low surrogate.
_ESCAPES = re.compile(
    rb"\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_LONGEST = 12  # bytes of the longest token above
_STEP = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}


class TooDeep(ValueError):
    """JSON nested deeper than the depth limit outside any record."""


class CleanJsonBytes:
    """A read-only binary stream over `raw` that hands ijson clean UTF-8.

    `replaced` counts undecodable bytes and lone-surrogate escapes turned into U+FFFD;
    `consumed` is how many bytes of `raw` were read (what `tell()` says, for error messages).
    `check` is called before every chunk (the reading time budget).
    """

    def __init__(self, raw: IO[bytes], check: Callable[[], None] | None = None, chunk: int = CHUNK):
        # `chunk` is also the precision of `consumed`: small record limits want small chunks.
        self.raw = raw
        self.check = check
        self.chunk = chunk
        self.replaced = 0
        self.consumed = 0
        self._pending = b""
        self._carry = b""
        self._eof = False

    def tell(self) -> int:
        return self.consumed

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing to learn whether the stream gives bytes
            return b""
        while not self._eof:
            if self.check is not None:
                self.check()
            data = self.raw.read(max(size, self.chunk))
            self.consumed += len(data)
            self._eof = not data
            buf = self._pending + data
            try:  # valid UTF-8 (nearly always): passed on as it is, only checked
                used = codecs.utf_8_decode(buf, "strict", self._eof)[1]
                clean = buf[:used]
            except UnicodeDecodeError:
                text, used = codecs.utf_8_decode(buf, "surrogateescape", self._eof)
                text, n = _UNDECODABLE.subn("\ufffd", text)
                self.replaced += n
                clean = text.encode("utf-8")
            self._pending = buf[used:]  # the start of a character cut by the chunk's end
            out = self._escapes(self._carry + clean)
            if out:
                return out
        out, self._carry = self._carry, b""
        return out

    def _escapes(self, buf: bytes) -> bytes:
        """Replace lone surrogate escapes in `buf`; keep back a tail a token might straddle."""
        cut = len(buf) if self._eof else max(0, len(buf) - _LONGEST)
        if not _MAYBE_SURROGATE.search(buf):
            self._carry = buf[cut:]
            return buf[:cut]
        pieces = []
        start = 0
        for m in _ESCAPES.finditer(buf):
            if m.start() >= cut:
                break
            if m.end() > cut and not self._eof:
                cut = m.start()  # seen again, whole, with the next chunk
                break
            token = m.group()
            if token == b"\\\\" or len(token) == _LONGEST:
                continue
            # A lone surrogate; a high one here had room to show its low half and did not.
            pieces.append(buf[start : m.start()])
            pieces.append(b"\\ufffd")
            start = m.end()
            self.replaced += 1
        pieces.append(buf[start:cut])
        self._carry = buf[cut:]
        return b"".join(pieces)


def stream_json(
    fh,
    item_prefixes: Collection[str],
    max_depth: int = MAX_DEPTH,
    max_item_bytes: int | None = None,
) -> Iterator[tuple[str, str, Any]]:
    """Stream a JSON document, building whole values only at `item_prefixes`.

    `fh` is a binary file (a `CleanJsonBytes` for the size limit to work: its `consumed` is
    read). Prefixes are spelled as ijson spells them (``messages.item``,
    ``chats.list.item.messages.item``, ``item``). Yields ``(kind, prefix, value)`` with kind
    ``"item"`` (a complete value found at one of `item_prefixes`: any JSON type),
    ``"skipped"`` (an item left out: value = the reason; it was larger than `max_item_bytes`
    or nested deeper than `max_depth`), ``"start_map"`` / ``"start_array"`` / ``"end"``
    (containers outside items), ``"map_key"`` (value = the key; prefix = the map's) and
    ``"scalar"``.

    Built on ``ijson.basic_parse`` with the prefixes tracked here, so the cost stays linear
    however deep a hostile file nests (ijson's own prefixes grow with depth); nesting beyond
    `max_depth` outside items raises TooDeep. ijson errors (truncated or invalid JSON) propagate.
    """
    stack: list[tuple[bool, str]] = []  # (is_map, prefix) of each open container
    key = ""
    builder: ijson.ObjectBuilder | None = None
    skipping: str | None = None  # why the item being read is left out
    item_prefix = ""
    item_start = 0
    depth = 0  # nesting inside the item being built or skipped
    position = (lambda: fh.consumed) if hasattr(fh, "consumed") and max_item_bytes is not None else None
    events = 0  # inside the item: its size is looked at every 256 events, not at each
    for event, value in ijson.basic_parse(fh, use_float=True, buf_size=getattr(fh, "chunk", CHUNK)):
        if builder is not None:
            builder.event(event, value)
            events += 1
            if not events & 255 and position is not None and position() - item_start > max_item_bytes:
                builder, skipping = None, f"larger than {size_text(max_item_bytes)}"
            step = _STEP.get(event)
            if step is None:  # a scalar or a key: most events
                continue
            depth += step
            if step > 0:
                if depth + len(stack) > max_depth and builder is not None:
                    builder, skipping = None, f"nested deeper than {max_depth} levels"
            elif depth == 0:
                if builder is not None:
                    item, builder = builder.value, None
                    yield "item", item_prefix, item
                else:
                    reason, skipping = skipping, None
                    yield "skipped", item_prefix, reason
            continue
        if skipping is not None:
            step = _STEP.get(event)
            if step:
                depth += step
                if depth == 0:
                    reason, skipping = skipping, None
                    yield "skipped", item_prefix, reason
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
                item_start = position() if position is not None else 0
                depth = 1
                events = 0
            else:
                yield "item", prefix, value
        elif event == "start_map" or event == "start_array":
            stack.append((event == "start_map", prefix))
            if len(stack) > max_depth:
                raise TooDeep(f"JSON nested deeper than {max_depth} levels")
            yield event, prefix, None
        else:
            yield "scalar", prefix, value


def chunk_for(max_item_bytes: int) -> int:
    """A read size that measures an item's bytes to about a quarter of the limit."""
    return max(1 << 16, min(CHUNK, max_item_bytes // 4))


def size_text(n: int) -> str:
    return f"{n / (1 << 20):g} MB" if n >= 1 << 20 else f"{n / 1024:g} KB"


def short_reason(exc: BaseException) -> str:
    """The first line of an ijson/decoder error, for a one-line problem."""
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
