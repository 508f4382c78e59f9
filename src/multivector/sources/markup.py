"""HTML -> plain text for the readers, safe on hostile markup.

Two dangers, both from nesting: an HTML parser spends time in proportion to the depth of
open elements for each new one (200,000 nested ``<div>`` take lexbor minutes), and a recursive
walk over the tree stops at Python's recursion limit. `limit_nesting` removes the tags that
open beyond a depth cap before parsing (their text is kept), and `html_to_text` walks the
tree with its own stack.
"""

from __future__ import annotations

import re
from collections import Counter

from selectolax.lexbor import LexborHTMLParser, LexborNode

MAX_HTML_DEPTH = 200

_WS = re.compile(r"[ \t\r\n\f\v]+")
_BLOCK_TAGS = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 blockquote pre tr table thead tbody section article "
    "header footer figure figcaption dd dt dl hr aside main nav".split()
)
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title"})

# For counting depth before parsing: elements that never hold others, elements whose end tag
# may be left out (a new one closes the last: they cannot nest deep), elements whose content
# is raw text (no tags inside).
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr keygen basefont bgsound frame image".split()
)
_OPTIONAL_END = frozenset(
    "p li dt dd option optgroup tr td th tbody thead tfoot rb rt rtc rp colgroup caption html head body".split()
)
_RAW_TEXT = frozenset("script style textarea title xmp iframe noembed noframes noscript plaintext".split())
# A tag or a comment start. `[^<>]*` (not `[^>]*`) keeps the scan linear on "<a<a<a...".
_TAG = re.compile(r"<(?:(!--)|(/?)([A-Za-z][A-Za-z0-9:_-]*)[^<>]*>?)")


def limit_nesting(html: str, max_depth: int = MAX_HTML_DEPTH) -> tuple[str, int, int]:
    """`html` without the tags that would open deeper than `max_depth` elements (and their end
    tags), the number of tags removed and the offset of the first one (-1 when none).

    A linear scan that counts open elements the way a browser roughly would; it only matters
    for hostile or broken markup: no real page comes near the cap, and then `html` is returned
    as it is.
    """
    if html.count("<") <= max_depth:
        return html, 0, -1
    stack: list[str] = []
    dropped: Counter[str] = Counter()
    spans: list[tuple[int, int]] = []
    lowered: str | None = None
    pos = 0
    end = len(html)
    while pos < end:
        m = _TAG.search(html, pos)
        if m is None:
            break
        if m.group(1):  # a comment runs to "-->" (to the end when unterminated)
            close = html.find("-->", m.end())
            if close < 0:
                break
            pos = close + 3
            continue
        closing, name = m.group(2), m.group(3).lower()
        pos = m.end()
        if not closing:
            if name in _VOID or name in _OPTIONAL_END:
                continue
            if name in _RAW_TEXT:
                if lowered is None:
                    lowered = html.lower()
                close = lowered.find(f"</{name}", pos)
                if close < 0:
                    break
                pos = close
                continue
            if len(stack) >= max_depth:
                spans.append(m.span())
                dropped[name] += 1
            else:
                stack.append(name)
        elif dropped[name] > 0:
            spans.append(m.span())
            dropped[name] -= 1
        elif name in stack:  # at most max_depth long
            while stack.pop() != name:
                pass
    if not spans:
        return html, 0, -1
    pieces = []
    last = 0
    for start, stop in spans:
        pieces.append(html[last:start])
        last = stop
    pieces.append(html[last:])
    return "".join(pieces), len(spans), spans[0][0]


def parse_html(html: str, max_depth: int = MAX_HTML_DEPTH) -> tuple[LexborHTMLParser, int, int]:
    """Parse `html` after `limit_nesting`; returns the tree, tags removed and first offset."""
    html, removed, first = limit_nesting(html, max_depth)
    return LexborHTMLParser(html), removed, first


def fragment_to_text(html: str, max_depth: int = MAX_HTML_DEPTH) -> tuple[str, int]:
    """`html_to_text` of an HTML string, and how many tags `limit_nesting` had to remove."""
    tree, removed, _ = parse_html(html, max_depth)
    node = tree.body if tree.body is not None else tree.root
    return (html_to_text(node) if node is not None else ""), removed


def html_to_text(node: LexborNode | str, collapse: bool = True) -> str:
    """The text of an HTML fragment or node: ``<br>`` -> newline, tags dropped, entities decoded.

    With ``collapse`` (HTML from feeds and web pages), runs of whitespace become one space as a
    browser shows them, block elements (p, div, li, h1 ...) start a new paragraph, and the
    result is trimmed. Without it (Telegram export text, where every real newline is a
    ``<br>``), text is kept exactly as written. A string is parsed after `limit_nesting`.
    """
    if isinstance(node, str):
        return fragment_to_text(node)[0]
    out: list[str] = []
    _walk(node, out, collapse)
    text = "".join(out)
    if not collapse:
        return text
    lines = [line.strip(" ") for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _walk(root: LexborNode, out: list[str], collapse: bool) -> None:
    # An explicit stack instead of recursion: depth is whatever the markup says.
    # Each entry: (children still to visit, inside <pre>, text to add when the element closes).
    stack = [(root.iter(include_text=True), False, "")]
    while stack:
        children, in_pre, closing = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            out.append(closing)
            continue
        tag = child.tag
        if tag == "-text":
            text = child.text(deep=False)
            if collapse and not in_pre:
                text = _WS.sub(" ", text)
            out.append(text)
        elif tag == "br":
            out.append("\n")
        elif child.is_comment_node or tag in _SKIP_TAGS:
            continue
        else:
            block = collapse and tag in _BLOCK_TAGS
            if block:
                out.append("\n\n")
            stack.append((child.iter(include_text=True), in_pre or tag == "pre", "\n\n" if block else ""))
