"""Hypothesis strategies for the reader fuzz tests: whole input files, generated from the shape
of each format with hostile values mixed in, and mutations of good files.

Each strategy gives ``(file name, bytes, format or None)``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from hypothesis import strategies as st

CORPUS = Path(__file__).resolve().parents[1] / "bench" / "fuzz" / "corpus"

# ---- values ----------------------------------------------------------------------------------

ODD_CHARS = ["\udc80", "\ud83d", "\ude00", "\x00", "\u2028", "\ufeff", "\u202e", "\r", "\n", "\t", "\\", '"', "<", "&",
             "\U0001f600", "ж", "қ", "İ", "ß", "\u0301"]  # fmt: skip
TEXT = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from(ODD_CHARS)), max_size=60)
SHORT = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from(ODD_CHARS)), max_size=12)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), TEXT
)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(SHORT, inner, max_size=4)),
    max_leaves=12,
)

GOOD_DATES = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 12, 31))
BAD_DATE_TEXT = st.sampled_from(
    ["", " ", "вчера", "0000-01-01T00:00:00", "9999-12-31T23:59:59-05:00", "10000-01-01", "2024-02-30",
     "2024-13-01", "1e20", "-1", "99999999999999999999", "0001-01-01T00:00:00+01:00", "1850-06-01",
     "2024-05-01T10:00:00+2400", "T" * 300, "2024-05-01" + "\udc80"]
)  # fmt: skip
ISO_DATE = st.one_of(GOOD_DATES.map(lambda d: d.isoformat()), BAD_DATE_TEXT)
ANY_DATE = st.one_of(ISO_DATE, st.integers(-(2**40), 2**45), st.floats(), st.none(), JSON)
IDS = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from(["", " ", "\t"]), SHORT, st.none(), st.booleans(),
                st.floats(), st.lists(st.integers(), max_size=2), st.dictionaries(SHORT, st.integers(), max_size=1))  # fmt: skip
URLS = st.one_of(
    st.sampled_from(["https://example.org/a", "javascript:alert(1)", "JaVa\tScript:x", "data:text/html,x",
                     "file:///etc/passwd", "", "t.me/x", "vbscript:x"]),
    TEXT,
)  # fmt: skip


def _dumps(value: object, ascii_only: bool) -> bytes:
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    # Without ensure_ascii a lone surrogate reaches the bytes as it is: not UTF-8 at all.
    return text.encode("utf-8", "surrogatepass")


# ---- Telegram Desktop JSON ----------------------------------------------------------------------

PIECE = st.one_of(
    TEXT,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["plain", "bold", "link", "text_link", "hashtag", "mention", 3, None]),
         "text": st.one_of(TEXT, JSON)},
        optional={"href": URLS},
    ),
    JSON,
)  # fmt: skip
MESSAGE = st.fixed_dictionaries(
    {"id": IDS, "type": st.one_of(st.sampled_from(["message", "message", "service"]), JSON)},
    optional={
        "date": ANY_DATE, "date_unixtime": st.one_of(st.integers(-(2**40), 2**45).map(str), ANY_DATE),
        "edited": ANY_DATE, "text": st.one_of(TEXT, st.lists(PIECE, max_size=6), JSON),
        "text_entities": st.one_of(st.lists(PIECE, max_size=6), JSON), "from": st.one_of(TEXT, JSON),
        "author": st.one_of(TEXT, JSON), "forwarded_from": st.one_of(TEXT, JSON), "saved_from": TEXT,
        "reply_to_message_id": IDS, "media_type": st.one_of(SHORT, JSON), "photo": st.one_of(TEXT, st.none()),
        "poll": JSON, "views": st.integers(-(2**70), 2**70),
    },
)  # fmt: skip
CHAT = st.fixed_dictionaries(
    {"messages": st.one_of(st.lists(st.one_of(MESSAGE, MESSAGE, JSON), max_size=6), JSON)},
    optional={"name": st.one_of(TEXT, JSON), "type": st.one_of(SHORT, JSON), "id": IDS,
              "username": st.one_of(SHORT, JSON)},
)  # fmt: skip
ACCOUNT = st.fixed_dictionaries(
    {"about": TEXT, "chats": st.fixed_dictionaries({"list": st.lists(CHAT, max_size=3)})},
    optional={"left_chats": st.one_of(st.fixed_dictionaries({"list": st.lists(CHAT, max_size=2)}), JSON),
              "personal_information": JSON, "contacts": JSON},
)  # fmt: skip


@st.composite
def telegram_json(draw, shape=CHAT):
    value = draw(shape)
    return "result.json", _dumps(value, draw(st.booleans())), draw(st.sampled_from([None, "telegram-json"]))


# ---- Telegram Desktop HTML ----------------------------------------------------------------------

INLINE_TAGS = [
    "b",
    "i",
    "u",
    "s",
    "code",
    "pre",
    "span",
    "div",
    "blockquote",
    "strong",
    "em",
    "a",
    "p",
    "li",
    "ul",
]
HTML_TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["<", ">", "&", "&amp;", "&#xDC80;", "&#0;", "<br>", "\n", "</div>"]),
    ),
    max_size=30,
).map("".join)
FRAGMENT = st.recursive(
    HTML_TEXT,
    lambda inner: st.tuples(st.sampled_from(INLINE_TAGS), st.lists(inner, max_size=3), URLS, st.booleans()).map(
        lambda t: f'<{t[0]}{f" href={json.dumps(t[2])}" if t[0] == "a" else ""}>' + "".join(t[1]) + (f"</{t[0]}>" if t[3] else "")
    ),
    max_leaves=10,
)  # fmt: skip


@st.composite
def deep_fragment(draw):
    """Plain nesting, sometimes deep enough to matter (hundreds to thousands of levels)."""
    tag = draw(st.sampled_from(INLINE_TAGS))
    depth = draw(st.one_of(st.integers(0, 5), st.integers(150, 3000)))
    closed = draw(st.booleans())
    return f"<{tag}>" * depth + draw(HTML_TEXT) + (f"</{tag}>" * depth if closed else "")


DATE_TITLE = st.one_of(
    GOOD_DATES.map(lambda d: d.strftime("%d.%m.%Y %H:%M:%S UTC+05:00")),
    st.sampled_from(["", "00.00.0000 00:00:00", "31.12.9999 23:59:59 UTC+14:00", "01.01.0001 00:00:00",
                     "29.02.2023 10:00:00", "1.1.1900 0:00"]),
    HTML_TEXT,
)  # fmt: skip


@st.composite
def html_message(draw):
    mid = draw(st.one_of(st.integers(-5, 10**12).map(str), SHORT))
    classes = draw(st.sampled_from(["message default clearfix", "message default clearfix joined", "message service",
                                    "message", "message default"]))  # fmt: skip
    parts = []
    if draw(st.booleans()):
        parts.append(f'<div class="pull_right date details" title="{draw(DATE_TITLE)}">x</div>')
    if draw(st.booleans()):
        parts.append(f'<div class="from_name">{draw(HTML_TEXT)}</div>')
    body = draw(st.one_of(FRAGMENT, deep_fragment()))
    if draw(st.booleans()):
        reply = (
            f'<div class="reply_to details"><a href="#go_to_message{draw(st.integers(0, 99))}">r</a></div>'
        )
        body = f'<div class="forwarded body"><div class="from_name">{draw(HTML_TEXT)}</div>{reply}<div class="text">{body}</div></div>'
    else:
        body = f'<div class="text">{body}</div>'
    body += draw(st.sampled_from(["", '<div class="media_wrap clearfix"><div class="media_video"></div></div>',
                                  '<div class="signature details">Автор</div>']))  # fmt: skip
    return f'<div class="{classes}" id="message{mid}"><div class="body">{"".join(parts)}{body}</div></div>'


@st.composite
def telegram_html(draw):
    header = draw(
        st.one_of(
            st.just(""),
            HTML_TEXT.map(lambda t: f'<div class="page_header"><div class="text">{t}</div></div>'),
        )
    )
    messages = "".join(draw(st.lists(html_message(), max_size=5)))
    page = f'<!DOCTYPE html><html><body>{header}<div class="history">{messages}</div></body></html>'
    return "messages.html", page.encode("utf-8", "surrogatepass"), None


# ---- pasted text -------------------------------------------------------------------------------

TEXT_LINE = st.one_of(
    TEXT,
    ISO_DATE.map(lambda d: f"Date: {d}"),
    ISO_DATE.map(lambda d: f"Дата: {d}"),
    TEXT.map(lambda n: f"Forwarded from: {n}"),
    st.tuples(TEXT, TEXT).map(lambda t: f"Переслано от: {t[0]} ({t[1]})"),
    st.sampled_from(["---", " --- ", "", "   ", "Forwarded from:", "(x)", " " * 5000 + "y"]),
)


@st.composite
def pasted_text(draw):
    text = "\n".join(draw(st.lists(TEXT_LINE, max_size=12)))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1251"]))
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")
    return draw(st.sampled_from(["notes.txt", "заметки.md", "x.text"])), data, None


# ---- tables ---------------------------------------------------------------------------------------

COLUMNS = ["id", "message_id", "text", "full_text", "body", "date", "published", "channel", "chat", "url",
           "link", "author", "from", "forwarded_from", "guid", "other"]  # fmt: skip
RECORD = st.dictionaries(
    st.one_of(st.sampled_from(COLUMNS), SHORT), st.one_of(JSON, ISO_DATE, URLS, IDS), max_size=7
)


@st.composite
def csv_table(draw):
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6, unique=True))
    cell = st.one_of(
        TEXT, ISO_DATE, URLS, st.integers().map(str), st.sampled_from(['"', '""', '"unclosed', "=1+1", "@x"])
    )
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=len(header) + 1), max_size=8))

    def quote(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if draw(st.booleans()) else value

    lines = [delimiter.join(header)] + [delimiter.join(quote(v) for v in row) for row in rows]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]))
    data = newline.join(lines).encode(
        encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace"
    )
    return draw(st.sampled_from(["posts.csv", "posts.tsv", "posts.tab"])), data, None


@st.composite
def jsonl_table(draw):
    lines = draw(st.lists(st.one_of(RECORD.map(lambda r: _dumps(r, True)), RECORD.map(lambda r: _dumps(r, False)),
                                    JSON.map(lambda v: _dumps(v, True)), st.binary(max_size=20)), max_size=8))  # fmt: skip
    return "posts.jsonl", b"\n".join(lines), None


@st.composite
def json_array(draw):
    value = draw(st.one_of(st.lists(st.one_of(RECORD, RECORD, JSON), max_size=8), JSON))
    return "posts.json", _dumps(value, draw(st.booleans())), draw(st.sampled_from([None, "table"]))


# ---- feeds ---------------------------------------------------------------------------------------

FEED_DATES = st.one_of(
    GOOD_DATES.map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")),
    st.integers(0, 99999).map(lambda y: f"Mon, 01 Jan {y:04d} 00:00:00 GMT"),
    st.integers(0, 12000).map(lambda y: f"{y:04d}-12-31T23:59:59-05:00"),
    BAD_DATE_TEXT,
)


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def feed_item(draw, atom: bool):
    title = _xml_text(draw(TEXT))
    body = draw(st.one_of(FRAGMENT, deep_fragment()))
    body = f"<![CDATA[{body}]]>" if draw(st.booleans()) else _xml_text(body)
    date = _xml_text(draw(FEED_DATES))
    guid = _xml_text(draw(st.one_of(SHORT, URLS)))
    link = _xml_text(draw(URLS))
    if atom:
        return (f"<entry><id>{guid}</id><title>{title}</title><link href=\"{link.replace(chr(34), '')}\"/>"
                f"<updated>{date}</updated><content type=\"html\">{body}</content></entry>")  # fmt: skip
    return (f"<item><guid>{guid}</guid><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
            f"<description>{body}</description></item>")  # fmt: skip


@st.composite
def feed(draw):
    atom = draw(st.booleans())
    items = "".join(draw(st.lists(feed_item(atom), max_size=5)))
    title = _xml_text(draw(TEXT))
    if atom:
        doc = f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>{items}</feed>'
    else:
        doc = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'
    if draw(st.booleans()):  # cut short, as a download that stopped
        doc = doc[: draw(st.integers(0, len(doc)))]
    return (
        draw(st.sampled_from(["feed.xml", "news.rss", "a.atom"])),
        doc.encode("utf-8", "surrogatepass"),
        None,
    )


# ---- mutations of good files -------------------------------------------------------------------

TOKENS = [b"\\udc80", b"\\ud83d", b"\xff", b"\xed\xb2\x80", b"\x00", b'"id": ""', b'"id": " "', b"0000-01-01",
          b"9999-12-31T23:59:59-05:00", b"<div>" * 300, b"[" * 300, b"{", b"}", b'"', b"\\", b"\n", b"---\n",
          b"&#xDC80;", b"<!--", b"]]>", b"javascript:alert(1)", b"=1+1", b"\r"]  # fmt: skip


def seeds() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(CORPUS.iterdir()) if p.is_file()]


@st.composite
def mutated(draw):
    name, data = draw(st.sampled_from(seeds()))
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "replace", "delete", "truncate", "repeat"]))
        if kind == "insert":
            data = data[:at] + draw(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=8))) + data[at:]
        elif kind == "replace":
            data = data[:at] + draw(st.sampled_from(TOKENS)) + data[at + draw(st.integers(1, 16)) :]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)) :]
        elif kind == "truncate":
            data = data[:at]
        else:
            piece = data[at : at + draw(st.integers(1, 12))]
            data = data[:at] + piece * draw(st.integers(2, 2000)) + data[at:]
    fmt = draw(st.sampled_from([None, None, None, "telegram-json", "telegram-html", "text", "table", "feed"]))
    return name, data, fmt
