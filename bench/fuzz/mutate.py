"""Malformed inputs from good ones: byte and token mutations of the seed corpus.

Every case is made from a `random.Random`, so a run is repeatable from its seed. A mutation
works on raw bytes, blind to the format, but draws its insertions from a dictionary of tokens
that broke (or could break) a reader: lone surrogate escapes, bytes that are not UTF-8, dates
outside years 1-9999, blank ids, script links, formula cells, and "amplifiers" that repeat a
piece of the file many times (deep nesting, long strings) to find time that grows faster than
the input.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

# Which reader a seed is for, by its name; `--format` is sometimes forced to another one.
FORMAT_OF_SUFFIX = {
    ".json": None,  # telegram-json or table, by content
    ".jsonl": "table",
    ".csv": "table",
    ".tsv": "table",
    ".txt": "text",
    ".md": "text",
    ".xml": "feed",
    ".html": "telegram-html",
}
FORMATS = ("telegram-json", "telegram-html", "text", "table", "feed")

TOKENS: tuple[bytes, ...] = (
    # text that is not valid Unicode
    b"\\udc80",
    b"\\ud83d",
    b"\\ude00\\ud83d",
    b"\\\\udc80",
    b"\\u0000",
    b"\\ud800\\udc00",
    b"\xed\xb2\x80",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"&#xDC80;",
    b"&#56448;",
    b"&#0;",
    b"&#x110000;",
    b"&#xD800;",
    b"\x1b[31m",
    b"\x7f",
    # ids and types
    b'"id": ""',
    b'"id": " "',
    b'"id": null',
    b'"id": {}',
    b'"id": [1]',
    b'"id": true',
    b'"id": 1e400',
    b'"id": -0.5',
    b'"type": "service"',
    b'"type": 7',
    b'"type": "message"',
    b'"messages": {}',
    b'"text": null',
    b'"text": {"a": 1}',
    b'"text": [[["x"]]]',
    b'"text": [{"type": "text_link", "href": "javascript:alert(1)"}]',
    b'"from": {"x": 1}',
    b'"reply_to_message_id": {}',
    b'"views": 99999999999999999999999',
    # dates
    b"0000-01-01T00:00:00Z",
    b"9999-12-31T23:59:59-05:00",
    b"10000-01-01",
    b"0001-01-01T00:00:00+01:00",
    b"1e20",
    b"-99999999999",
    b"99999999999999",
    b"2024-02-30",
    b"Mon, 01 Jan 0000 00:00:00 GMT",
    b"31.12.9999 23:59:59 UTC+14:00",
    b"00.00.0000 00:00:00",
    b'"date": 1e300',
    b'"date": true',
    b'"date_unixtime": "-62135596801"',
    b'"edited": "0000-00-00"',
    # markup and structure
    b"<div>",
    b"</div>",
    b"<b><i>",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<script>",
    b"<br/>",
    b'<a href="javascript:alert(1)">x</a>',
    b'class="message default" id="message"',
    b'id="message-5"',
    b'title="01.01.0000 00:00:00"',
    b"&amp;",
    b"&nbsp;",
    b"&lt;div&gt;",
    b'<!DOCTYPE x [<!ENTITY a "aaaa">]>',
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b'"',
    b"\\",
    b"\n",
    b"\r",
    b"\r\n",
    b"\t",
    b";",
    b"|",
    b"---\n",
    b"\n---\n",
    b"Date: 0000-13-45\n",
    b"Forwarded from: \n",
    b"Forwarded from: X (",
    b"\xd0\x94\xd0\xb0\xd1\x82\xd0\xb0: \n",
    b'=HYPERLINK("http://x")',
    b"+1",
    b"-2",
    b"@SUM(A1)",
    b"[x](javascript:alert(1))",
    b"data:text/html,x",
    b"1e999",
    b"-1e999",
    b"NaN",
    b"Infinity",
    b"123456789012345678901234567890",
)

# Pieces that, repeated, make hostile structure; each is repeated `n` times when inserted.
AMPLIFIERS: tuple[bytes, ...] = (
    b"<div>",
    b"<div><span>",
    b"<ul>",
    b"<b>",
    b"<a",
    b"<!--",
    b"[",
    b'{"a":',
    b"[[",
    b"\\udc80",
    b"\xff",
    b" ",
    b"\n",
    b"---\n",
    b"x",
    b"\xd0\xb6",
    b'"',
    b"\\\\",
    b"<p>",
    b"<table>",
    b"T",
    b"&#xDC80;",
    b'","',
    b"{},",
    b"\r",
)

INTERESTING_BYTES = b'\x00\xff\x80\xc0"\\<>{}[],\n\r;\t&#:-=+@'


@dataclass(frozen=True)
class Case:
    """One input to read: a file name (bytes: not always UTF-8), its content, a forced format."""

    number: int
    seed_name: str
    name: bytes
    data: bytes
    fmt: str | None
    mutations: tuple[str, ...]


def load_seeds(extra: list[Path] | None = None) -> list[tuple[str, bytes]]:
    """The seed files: bench/fuzz/corpus/, plus any other files or folders given."""
    paths = sorted(p for p in CORPUS.iterdir() if p.is_file())
    for more in extra or []:
        paths += sorted(p for p in more.rglob("*") if p.is_file()) if more.is_dir() else [more]
    return [(p.name, p.read_bytes()) for p in paths if p.suffix.lower() in FORMAT_OF_SUFFIX]


class Mutator:
    """Makes cases from seeds. `scale` bounds the amplifiers (repeats) and long strings."""

    def __init__(self, seeds: list[tuple[str, bytes]], rng: random.Random, scale: int = 5_000):
        self.seeds = seeds
        self.rng = rng
        self.scale = scale
        self.ops = (
            (self.flip, 3), (self.interesting_byte, 3), (self.delete, 3), (self.duplicate, 2),
            (self.truncate, 2), (self.insert_token, 8), (self.replace_with_token, 4), (self.amplify, 2),
            (self.splice, 2), (self.long_string, 1), (self.reencode, 1),
        )  # fmt: skip
        self.weights = [w for _, w in self.ops]

    def case(self, number: int) -> Case:
        rng = self.rng
        seed_name, data = rng.choice(self.seeds)
        names = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 6))):
            op = rng.choices(self.ops, self.weights)[0][0]
            data = op(data)
            names.append(op.__name__)
        name = seed_name.encode()
        roll = rng.random()
        if roll < 0.04:  # a name that is not UTF-8 (an archive from another system)
            stem, dot, suffix = seed_name.rpartition(".")
            name = stem.encode() + b"\xe9\xff" + dot.encode() + suffix.encode()
            names.append("odd_name")
        elif roll < 0.06:
            name = b"new\nline " + name
            names.append("newline_name")
        fmt = None
        if rng.random() < 0.08:
            fmt = rng.choice(FORMATS)
            names.append(f"format={fmt}")
        return Case(number, seed_name, name, data, fmt, tuple(names))

    # ---- mutations: bytes -> bytes ------------------------------------------------------------
    def _pos(self, data: bytes) -> int:
        return self.rng.randrange(len(data) + 1)

    def _span(self, data: bytes, longest: int = 64) -> tuple[int, int]:
        start = self._pos(data)
        return start, min(len(data), start + self.rng.randint(1, longest))

    def flip(self, data: bytes) -> bytes:
        if not data:
            return data
        i = self.rng.randrange(len(data))
        return data[:i] + bytes([data[i] ^ (1 << self.rng.randrange(8))]) + data[i + 1 :]

    def interesting_byte(self, data: bytes) -> bytes:
        if not data:
            return data
        i = self.rng.randrange(len(data))
        return data[:i] + bytes([self.rng.choice(INTERESTING_BYTES)]) + data[i + 1 :]

    def delete(self, data: bytes) -> bytes:
        start, end = self._span(data, 256)
        return data[:start] + data[end:]

    def duplicate(self, data: bytes) -> bytes:
        start, end = self._span(data, 512)
        at = self._pos(data)
        return data[:at] + data[start:end] + data[at:]

    def truncate(self, data: bytes) -> bytes:
        return data[: self._pos(data)]

    def insert_token(self, data: bytes) -> bytes:
        at = self._pos(data)
        return data[:at] + self.rng.choice(TOKENS) + data[at:]

    def replace_with_token(self, data: bytes) -> bytes:
        start, end = self._span(data, 16)
        return data[:start] + self.rng.choice(TOKENS) + data[end:]

    def amplify(self, data: bytes) -> bytes:
        rng = self.rng
        if rng.random() < 0.5 and data:
            start, end = self._span(data, 24)
            piece = data[start:end] or rng.choice(AMPLIFIERS)
        else:
            piece = rng.choice(AMPLIFIERS)
        times = int(self.scale ** rng.random()) + 1  # log-uniform: mostly small, sometimes huge
        at = self._pos(data)
        return data[:at] + piece * times + data[at:]

    def splice(self, data: bytes) -> bytes:
        _, other = self.rng.choice(self.seeds)
        start, end = self._span(other, 400)
        at = self._pos(data)
        return data[:at] + other[start:end] + data[at:]

    def long_string(self, data: bytes) -> bytes:
        # Inside the first string or text found after a random point: one very long value.
        at = self._pos(data)
        size = int((self.scale * 200) ** self.rng.random())
        letter = self.rng.choice((b"x", "ж".encode(), b"\\n", b'\\"', b" "))
        return data[:at] + letter * size + data[at:]

    def reencode(self, data: bytes) -> bytes:
        text = data.decode("utf-8", "replace")
        encoding = self.rng.choice(("cp1251", "utf-16", "utf-16-le", "latin-1", "koi8-r"))
        return text.encode(encoding, "replace")
