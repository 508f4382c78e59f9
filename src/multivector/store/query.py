"""The search language, turned into an SQLite FTS5 expression over lemmas.

Users type words in any form and any of our languages; the index holds lemmas, so every
word is lemmatised the way the index was (a Cyrillic word is tried as Russian and as
Kazakh). Supported: plain words (all must match), "quoted phrases", OR, NOT, AND,
parentheses and a trailing * for a prefix. Everything else is a QueryError with a reason,
never an SQLite error.
"""

from __future__ import annotations

import re

from multivector.annotate.tokens import WORD_RE, query_lemmas


class QueryError(ValueError):
    pass


_TOKEN = re.compile(r'\s*(?:(?P<phrase>"[^"]*"?)|(?P<paren>[()])|(?P<word>[^\s()"]+))')
_OPERATORS = {"OR", "AND", "NOT"}


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _word_expr(raw: str) -> str:
    prefix = raw.endswith("*")
    word = raw.rstrip("*")
    parts = WORD_RE.findall(word)
    if not parts:
        raise QueryError(f"nothing to search for in {raw!r}")
    if prefix:
        if len(parts) != 1:
            raise QueryError(f"a prefix search takes one word: {raw!r}")
        # A prefix is matched against lemmas as typed: lemmatising a fragment would change it.
        return _quote(parts[0].lower().replace("ё", "е")) + "*"
    if len(parts) > 1:  # "Северо-Запад", "АҚШ-тың" typed as one word: search it as a phrase
        return _phrase_expr(word)
    variants = query_lemmas(parts[0])
    if len(variants) == 1:
        return _quote(variants[0])
    return "(" + " OR ".join(_quote(v) for v in variants) + ")"


def _phrase_expr(text: str) -> str:
    words = WORD_RE.findall(text)
    if not words:
        raise QueryError("empty phrase")
    # Each word of a phrase may have two readings (ru/kk); FTS5 phrases take one form
    # each, so we spell out the combinations, keeping the common case (one reading) short.
    phrases = [""]
    for w in words:
        phrases = [f"{p} {v}".strip() for p in phrases for v in query_lemmas(w)][:16]
    if len(phrases) == 1:
        return _quote(phrases[0])
    return "(" + " OR ".join(_quote(p) for p in phrases) + ")"


def to_fts(query: str) -> str:
    """Translate a user query into an FTS5 MATCH expression, or raise QueryError."""
    if not query or not query.strip():
        raise QueryError("empty query")
    out: list[str] = []
    depth = 0
    expect_operand = True  # at the start, after an operator or "("
    pos = 0
    text = query.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"cannot read the query at character {pos + 1}")
        pos = m.end()
        if m.group("phrase") is not None:
            phrase = m.group("phrase")
            if len(phrase) < 2 or not phrase.endswith('"'):
                raise QueryError("unbalanced quote")
            if not expect_operand:
                out.append("AND")
            out.append(_phrase_expr(phrase[1:-1]))
            expect_operand = False
        elif m.group("paren") == "(":
            if not expect_operand:
                out.append("AND")
            out.append("(")
            depth += 1
            expect_operand = True
        elif m.group("paren") == ")":
            if expect_operand:
                raise QueryError("empty parentheses or an operator before ')'")
            depth -= 1
            if depth < 0:
                raise QueryError("unbalanced parenthesis")
            out.append(")")
        else:
            word = m.group("word")
            if word in _OPERATORS:
                # FTS5 operators are all binary: "a NOT b", never "NOT b".
                if expect_operand:
                    raise QueryError(f"{word} needs a word before it (write: a {word} b)")
                out.append(word)
                expect_operand = True
                continue
            if not expect_operand:
                out.append("AND")
            out.append(_word_expr(word))
            expect_operand = False
    if depth:
        raise QueryError("unbalanced parenthesis")
    if expect_operand:
        raise QueryError("the query ends with an operator")
    return " ".join(out)


def query_lemma_set(query: str) -> set[str]:
    """Every lemma a query may match, used to highlight the words a hit was found by."""
    found: set[str] = set()
    for w in WORD_RE.findall(query.replace('"', " ")):
        if w not in _OPERATORS:
            found.update(query_lemmas(w))
    return found
