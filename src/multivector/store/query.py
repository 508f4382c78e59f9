"""The search language, turned into an SQLite FTS5 expression or a PostgreSQL tsquery over lemmas.

Users type words in any form and any of our languages; the index holds lemmas, so every
word is lemmatised the way the index was (a Cyrillic word is tried as Russian and as
Kazakh). Supported: plain words (all must match), "quoted phrases", OR, NOT, AND,
parentheses and a trailing * for a prefix. Everything else is a QueryError with a reason,
never a database error. Both
stores index the same tokens (`index_tokens`), so a query finds the same posts in either.
"""

from __future__ import annotations

import re
import zlib
from itertools import pairwise

from multivector.annotate.tokens import WORD_RE, query_lemmas


class QueryError(ValueError):
    pass


_TOKEN = re.compile(r'\s*(?:(?P<phrase>"[^"]*"?)|(?P<paren>[()])|(?P<word>[^\s()"]+))')
_OPERATORS = {"OR", "AND", "NOT"}


class _Syntax:
    """How one search engine spells terms, phrases and operators (FTS5 by default)."""

    AND, OR, NOT = "AND", "OR", "NOT"

    def term(self, lemma: str) -> str:
        return '"' + lemma.replace('"', '""') + '"'

    def prefix(self, fragment: str) -> str:
        return self.term(fragment) + "*"

    def phrase(self, lemmas: list[str]) -> str:
        return self.term(" ".join(lemmas))

    def either(self, parts: list[str]) -> str:
        return parts[0] if len(parts) == 1 else "(" + f" {self.OR} ".join(parts) + ")"


_TOKEN_CHARS = re.compile(r"[^\W_]+")


def index_tokens(lemmas: str) -> list[str]:
    """The tokens SQLite's unicode61 tokenizer makes of an indexed lemma string (letters and
    digits; hyphens, apostrophes and underscores separate), lower-cased: the PostgreSQL
    index is built from the same tokens so both stores match the same posts."""
    return _TOKEN_CHARS.findall(lemmas.lower())


def ts_lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def pair_lexeme(first: str, second: str) -> str:
    """The lexeme a PostgreSQL index holds for two adjacent tokens. A GIN index keeps no word
    positions, so a phrase of two common words would make it check every post holding both;
    asking for the pair first leaves a handful. A short hash keeps the index small: the rare
    post whose pair shares it is still checked word by word (`<->`) and dropped."""
    return "#%06x" % (zlib.crc32(f"{first} {second}".encode()) & 0xFFFFFF)


_QUOTED_LEXEME = re.compile(r"'(?:[^'\\]|\\.|'')*'")


def in_bucket(tsquery: str, bucket: int) -> str:
    """A tsquery of ours asked of one bucket of the PostgreSQL index, whose lexemes carry their
    post's bucket (store/postgres.py): every quoted lexeme gets the bucket's tag."""
    return _QUOTED_LEXEME.sub(lambda m: f"'{bucket}~{m.group(0)[1:]}", tsquery)


def in_buckets(tsquery: str, buckets: range | list[int]) -> str:
    """The same query asked of several buckets at once. Exact: every NOT is binary ("a NOT b"),
    so a query is false for a post that holds none of its lexemes, as a post of another bucket
    holds none of this bucket's."""
    if not buckets:
        return _NOTHING
    return " | ".join(f"({in_bucket(tsquery, b)})" for b in buckets)


class _TsSyntax(_Syntax):
    """PostgreSQL tsquery over the same tokens: `&`, `|`, `& !` and `<->` for phrases. With
    `pairs`, a phrase also asks for the pair lexemes of its adjacent words (`pair_lexeme`)."""

    AND, OR, NOT = "&", "|", "& !"

    def __init__(self, pairs: bool = False) -> None:
        self.pairs = pairs

    def term(self, lemma: str) -> str:
        parts = index_tokens(lemma)
        if not parts:  # nothing FTS5 would index either: a lexeme no post holds
            return _NOTHING
        return self.phrase(parts) if len(parts) > 1 else ts_lexeme(parts[0])

    def prefix(self, fragment: str) -> str:
        parts = index_tokens(fragment)
        if not parts:
            return _NOTHING
        return self._chain(parts, prefix=True)

    def phrase(self, lemmas: list[str]) -> str:
        parts = [t for lemma in lemmas for t in index_tokens(lemma)]
        if not parts:
            return _NOTHING
        return ts_lexeme(parts[0]) if len(parts) == 1 else self._chain(parts)

    def _chain(self, tokens: list[str], prefix: bool = False) -> str:
        """Tokens in a row, the last one a prefix when `prefix` (its pair is not known then)."""
        lexemes = [ts_lexeme(t) for t in tokens]
        if prefix:
            lexemes[-1] += ":*"
        chain = "(" + " <-> ".join(lexemes) + ")"
        complete = tokens[:-1] if prefix else tokens
        if not self.pairs or len(complete) < 2:
            return chain
        pairs = dict.fromkeys(ts_lexeme(pair_lexeme(a, b)) for a, b in pairwise(complete))
        return "(" + " & ".join([*pairs, chain]) + ")"


FTS5 = _Syntax()
_NOTHING = "'_'"  # a lexeme no post holds: index_tokens never keeps an underscore
TSQUERY = _TsSyntax()
TSQUERY_PAIRS = _TsSyntax(pairs=True)


def _word_expr(raw: str, syntax: _Syntax) -> str:
    prefix = raw.endswith("*")
    word = raw.rstrip("*")
    parts = WORD_RE.findall(word)
    if not parts:
        raise QueryError(f"nothing to search for in {raw!r}")
    if prefix:
        if len(parts) != 1:
            raise QueryError(f"a prefix search takes one word: {raw!r}")
        # A prefix is matched against lemmas as typed: lemmatising a fragment would change it.
        return syntax.prefix(parts[0].lower().replace("ё", "е"))
    if len(parts) > 1:  # "Северо-Запад", "АҚШ-тың" typed as one word: search it as a phrase
        return _phrase_expr(word, syntax)
    return syntax.either([syntax.term(v) for v in query_lemmas(parts[0])])


def _phrase_expr(text: str, syntax: _Syntax) -> str:
    words = WORD_RE.findall(text)
    if not words:
        raise QueryError("empty phrase")
    # Each word of a phrase may have two readings (ru/kk); a phrase takes one form per word,
    # so we spell out the combinations, keeping the common case (one reading) short.
    phrases: list[list[str]] = [[]]
    for w in words:
        phrases = [[*p, v] for p in phrases for v in query_lemmas(w)][:16]
    return syntax.either([syntax.phrase(p) for p in phrases])


def to_fts(query: str) -> str:
    """Translate a user query into an FTS5 MATCH expression, or raise QueryError."""
    return translate(query, FTS5)


def to_tsquery(query: str, pairs: bool = False) -> str:
    """Translate a user query into a PostgreSQL tsquery (cast with ::tsquery), or raise
    QueryError. `pairs` adds the pair lexemes of each phrase, for matching (not for ranking)."""
    return translate(query, TSQUERY_PAIRS if pairs else TSQUERY)


def translate(query: str, syntax: _Syntax) -> str:
    """Parse a user query and spell it in `syntax`, or raise QueryError with a reason."""
    if not query or not query.strip():
        raise QueryError("empty query")
    ops = {"OR": syntax.OR, "AND": syntax.AND, "NOT": syntax.NOT}
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
                out.append(syntax.AND)
            out.append(_phrase_expr(phrase[1:-1], syntax))
            expect_operand = False
        elif m.group("paren") == "(":
            if not expect_operand:
                out.append(syntax.AND)
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
                # Operators are all binary, as in FTS5: "a NOT b", never "NOT b".
                if expect_operand:
                    raise QueryError(f"{word} needs a word before it (write: a {word} b)")
                out.append(ops[word])
                expect_operand = True
                continue
            if not expect_operand:
                out.append(syntax.AND)
            out.append(_word_expr(word, syntax))
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
