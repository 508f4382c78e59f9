"""Text clean-up before anything else looks at a post.

We keep the source's text as `text_raw` and work on a normalised copy: NFC, no zero-width
or control characters, tidy whitespace, and a body pasted twice in a row cut to one copy.
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width characters, directional marks, soft hyphen and BOM: invisible, but they split words.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# C0/C1 control characters except tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_WORD = re.compile(r"\S+")

MIN_REPEATED_WORDS = 5  # "Да. Да." is not a pasted-twice body
MAX_TITLE_WORDS = 40  # a title pasted once before a doubled body is a line or two


def normalize(text: str) -> str:
    """NFC, invisible and control characters removed, whitespace runs collapsed."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def cut_repeated_body(text: str) -> tuple[str, bool]:
    """If `text` is one block written twice in a row, possibly after a title line, return it
    with the block once (title + body) and True.

    Copying a post out of Telegram sometimes pastes its body twice, sometimes after the
    post's title line (title, body, body); the copies may differ in whitespace only, so the
    comparison is over words. A title is what comes before one of the first lines' breaks.
    """
    # A doubled body ends with the same word twice: most texts fail this test in C, before any
    # list of words is built.
    tail = text.rsplit(None, 1)
    if not tail or text.count(tail[-1]) < 2:
        return text, False
    spans = [m.span() for m in _WORD.finditer(text)]
    words = [text[a:b] for a, b in spans]
    n = len(words)
    if n < 2 * MIN_REPEATED_WORDS:
        return text, False
    # Where a title could end: no title, or the end of one of the first few lines.
    heads = [0]
    for k in range(1, min(n, MAX_TITLE_WORDS + 1)):
        if "\n" in text[spans[k - 1][1] : spans[k][0]]:
            heads.append(k)
    for k in heads:
        rest = n - k
        if rest < 2 * MIN_REPEATED_WORDS or rest % 2:
            continue
        half = rest // 2
        if words[k : k + half] == words[k + half :]:
            return text[: spans[k + half - 1][1]], True
    return text, False
