"""Turning stored data into what a page shows: names, highlighted spans, search snippets.

Nothing here writes HTML: functions return plain segments (text plus what marks it) and the
templates escape every piece, so a post's text can never become markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from multivector.annotate.tokens import WORD_RE, query_lemmas, tokens
from multivector.report import labels
from multivector.report.charts import vector_color

MAX_TOKENISED_CHARS = 20_000  # a snippet is looked for in the first pages of a long article
_QUERY_WORD = re.compile(r'[^\s()"]+')
_OPERATORS = {"OR", "AND", "NOT"}


class Names:
    """Display names of actors, themes and partner vectors, from the knowledge files."""

    def __init__(self, knowledge, country: str = "KZ"):
        self.knowledge = knowledge
        self.country = country
        # The server's country's names first; the default regions name the vectors of any other
        # country a page asks for (?country=RU has `eurasian`, which Kazakhstan's profile has not).
        regions = getattr(knowledge, "regions", {}) or {}
        self._vector_labels: dict[str, dict[str, str]] = {
            **{v: r.label for v, r in regions.items() if r.label},
            **knowledge.profile_for(country).vector_labels,
        }

    def actor(self, ident: str | None, lang: str = "en") -> str:
        if not ident:
            return ""
        actor = self.knowledge.actors.get(ident)
        if actor is not None and actor.kind == "org":
            return labels.actor_name(ident, lang)  # blocs read better as acronyms
        if actor is not None:
            return actor.name(lang)
        return labels.actor_name(ident, lang)

    def theme(self, ident: str | None, lang: str = "en", report: dict | None = None) -> str:
        if not ident:
            return ""
        theme = self.knowledge.themes.get(ident)
        if theme is not None:
            return theme.name(lang)
        for topic in (report or {}).get("topics") or []:
            if topic.get("theme") == ident and topic.get("label"):
                return str(topic["label"])
        return labels.humanize(ident)

    def vector(self, ident: str | None, lang: str = "en") -> str:
        if not ident:
            return ""
        names = self._vector_labels.get(ident) or {}
        return names.get(lang) or names.get("en") or labels.vector_name(ident, lang)

    def known_actor(self, ident: str) -> bool:
        return ident in self.knowledge.actors

    def known_theme(self, ident: str) -> bool:
        return ident in self.knowledge.themes

    def actor_choices(self, lang: str = "en") -> list[tuple[str, str]]:
        return sorted(((a, self.actor(a, lang)) for a in self.knowledge.actors), key=lambda x: x[1].lower())

    def theme_choices(self, lang: str = "en") -> list[tuple[str, str]]:
        return sorted(((t, self.theme(t, lang)) for t in self.knowledge.themes), key=lambda x: x[1].lower())


def color_of(vector: str, index: int = 0) -> str:
    return vector_color(vector, index)


# ---- a post's text with its actor and theme spans -------------------------------------------


@dataclass
class Segment:
    text: str
    actors: list[str] = field(default_factory=list)  # actor ids (or NER kinds) covering it
    themes: list[str] = field(default_factory=list)
    unlinked: bool = False  # an NER name no actor matched

    @property
    def marked(self) -> bool:
        return bool(self.actors or self.themes or self.unlinked)

    @property
    def css(self) -> str:
        kinds = []
        if self.actors:
            kinds.append("actor")
        if self.themes:
            kinds.append("theme")
        if self.unlinked and not self.actors:
            kinds.append("ner")
        return " ".join(kinds)

    @property
    def title(self) -> str:
        parts = [f"actor {a}" for a in self.actors] + [f"theme {t}" for t in self.themes]
        if self.unlinked and not self.actors:
            parts.append("a name no actor matched")
        return "; ".join(parts)


def segments(text: str, mentions: list[dict], theme_hits: list[dict]) -> list[Segment]:
    """Split `text` at every span boundary; each piece knows which spans cover it."""
    spans: list[tuple[int, int, str, str]] = []
    n = len(text)
    for m in mentions:
        kind = "actor" if m.get("actor") else "ner"
        spans.append((m["start"], m["end"], kind, m.get("actor") or m.get("kind") or ""))
    for h in theme_hits:
        spans.append((h["start"], h["end"], "theme", h["theme"]))
    spans = [(max(0, s), min(n, e), k, v) for s, e, k, v in spans if 0 <= s < e]
    cuts = sorted({0, n, *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    out: list[Segment] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a >= b:
            continue
        seg = Segment(text[a:b])
        for s, e, kind, value in spans:
            if s <= a and b <= e:
                if kind == "actor" and value not in seg.actors:
                    seg.actors.append(value)
                elif kind == "theme" and value not in seg.themes:
                    seg.themes.append(value)
                elif kind == "ner":
                    seg.unlinked = True
        if out and not out[-1].marked and not seg.marked:
            out[-1].text += seg.text
        else:
            out.append(seg)
    return out


# ---- search snippets ----------------------------------------------------------------------


@dataclass
class Wanted:
    lemmas: set[str]
    prefixes: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.lemmas or self.prefixes)

    def hit(self, lemma: str) -> bool:
        return lemma in self.lemmas or (bool(self.prefixes) and lemma.startswith(self.prefixes))


def wanted_terms(query: str | None) -> Wanted:
    """The lemmas (and prefixes) a query looks for, to mark them in results; words after NOT
    are left out."""
    lemmas: set[str] = set()
    prefixes: list[str] = []
    negate = False
    for raw in _QUERY_WORD.findall(query or ""):
        if raw in _OPERATORS:
            negate = raw == "NOT"
            continue
        if negate:
            negate = False
            continue
        if raw.endswith("*"):
            prefixes += [w.lower().replace("ё", "е") for w in WORD_RE.findall(raw.rstrip("*"))[:1]]
            continue
        for word in WORD_RE.findall(raw):
            lemmas.update(query_lemmas(word))
    return Wanted(lemmas, tuple(p for p in prefixes if p))


def snippet(text: str, lang: str | None, wanted: Wanted, width: int = 320) -> list[tuple[str, bool]]:
    """A window of `text` around the first word the query found, as (piece, is_hit) pairs."""
    head = text[:MAX_TOKENISED_CHARS]
    hits = [(t.start, t.end) for t in tokens(head, lang) if wanted.hit(t.lemma)] if wanted else []
    first = hits[0][0] if hits else 0
    start = max(0, first - width // 3)
    if start:  # begin at a word boundary
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    stop = min(len(text), start + width)
    if stop < len(text):
        space = text.rfind(" ", start + width // 2, stop)
        stop = space if space != -1 else stop
    pieces: list[tuple[str, bool]] = []
    if start:
        pieces.append(("…", False))
    pos = start
    for s, e in hits:
        if e <= pos or s < start:
            continue
        if s >= stop:
            break
        if s > pos:
            pieces.append((text[pos:s], False))
        pieces.append((text[s : min(e, stop)], True))
        pos = min(e, stop)
    if pos < stop:
        pieces.append((text[pos:stop], False))
    if stop < len(text):
        pieces.append(("…", False))
    return pieces


# ---- years --------------------------------------------------------------------------------


def years_of(months: list[dict]) -> list[int]:
    return sorted({int(m["month"][:4]) for m in months if m.get("posts")})


def latest_complete_year(months: list[dict]) -> int | None:
    """The latest year whose December has posts; else the latest year with posts at all."""
    years = years_of(months)
    if not years:
        return None
    with_december = {int(m["month"][:4]) for m in months if m["month"].endswith("-12") and m.get("posts")}
    complete = [y for y in years if y in with_december]
    return complete[-1] if complete else years[-1]
