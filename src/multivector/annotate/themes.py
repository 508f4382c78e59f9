"""The theme tagger: themes.yaml patterns matched on lemmas, with the span of every hit.

A theme is found in a post when
- one of its `patterns` matches, or an actor listed as a trigger (`@ROSATOM`) is mentioned;
- or two different `weak` patterns match (two different words, not the same word twice);
- or the post names enough different actors of its `together` list (Central Asian states for
  regional cooperation), unless a theme of `together.unless` is found too;
and none of the themes in its `unless` list is found (trade in oil is `oil_gas` only).
A hit inside a match of one of the theme's `exclude` phrases does not count. Every hit of a
found theme is returned, so an analyst can see which words made the decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from multivector.annotate.link import (
    CLOSE_QUOTES,
    OPEN_QUOTES,
    PhraseIndex,
    Slot,
    Stream,
    kk_forms,
    reads_as_kazakh,
)
from multivector.annotate.tokens import lemma
from multivector.knowledge.loader import Knowledge, Together
from multivector.knowledge.patterns import Alt, parse_pattern
from multivector.model import Mention, ThemeHit

STRONG, WEAK, EXCLUDE = "strong", "weak", "exclude"


@dataclass(slots=True)
class ThemeTables:
    index: PhraseIndex
    triggers: dict[str, list[tuple[str, str]]]  # actor id -> [(theme id, strength)]
    together: dict[str, Together]  # theme id -> its `together` rule
    unless: dict[str, tuple[str, ...]]  # theme id -> themes that rule it out
    country_of: dict[str, str]  # people and companies -> their country


def pattern_slot(alts: tuple[Alt, ...], lang: str | None) -> Slot:
    lemmas: set[str] = set()
    prefixes: list[str] = []
    surfaces: set[str] = set()
    for alt in alts:
        if alt.kind == "word":
            lemmas.add(lemma(alt.value, lang))
            if reads_as_kazakh(alt.value, lang):
                # The stemmer may cut a bare word and its inflected forms differently.
                lemmas.update(lemma(f, lang) for f in kk_forms(alt.value))
        elif alt.kind == "prefix":
            prefixes.append(alt.value)
            if reads_as_kazakh(alt.value, lang):
                # Prefixes are matched on stems: келісім* must also meet келіс (келісімге -> келіс).
                cut = lemma(alt.value, lang)
                if cut != alt.value and len(cut) >= 4:
                    prefixes.append(cut)
        else:
            surfaces.add(alt.value)
    return Slot(
        lemmas=frozenset(lemmas), prefixes=tuple(dict.fromkeys(prefixes)), surfaces=frozenset(surfaces)
    )


class PatternPhrase:
    """A Phrase (duck-typed) built from a pattern; its payload says what the pattern is for."""

    __slots__ = ("slots", "payload", "rank")

    def __init__(self, slots: tuple[Slot, ...], payload: tuple[str, str]):
        self.slots = slots
        self.payload = payload
        self.rank = 0


def build_theme_tables(knowledge: Knowledge, lang: str | None) -> ThemeTables:
    index = PhraseIndex()
    triggers: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for theme in knowledge.themes.values():
        for strength, terms in ((STRONG, theme.patterns), (WEAK, theme.weak), (EXCLUDE, theme.exclude)):
            for term in terms:
                if not (term.lang == "any" or term.lang == lang or lang is None):
                    continue
                actor, alts = parse_pattern(term.text)
                if actor is not None:
                    if strength != EXCLUDE:
                        triggers[actor].append((theme.id, strength))
                    continue
                slots = tuple(pattern_slot(a, lang) for a in alts)
                index.add(PatternPhrase(slots, (theme.id, strength)))  # type: ignore[arg-type]
    together = {t.id: t.together for t in knowledge.themes.values() if t.together is not None}
    unless = {t.id: t.unless for t in knowledge.themes.values() if t.unless}
    country_of = {
        a.id: a.country for a in knowledge.actors.values() if a.kind in ("person", "company") and a.country
    }
    return ThemeTables(index.freeze(), dict(triggers), together, unless, country_of)


def theme_tables(knowledge: Knowledge, lang: str | None) -> ThemeTables:
    lang = lang if lang in ("ru", "kk", "en") else None
    return knowledge.compiled(("themes", lang), lambda: build_theme_tables(knowledge, lang))


@dataclass(slots=True)
class ThemeEvidence:
    """What the patterns saw in one post, per theme: the raw hits (start, end, strength, key)
    and the themes the pattern rules decide on, with their spans."""

    raw: dict[str, list[tuple[int, int, str, tuple[str, ...]]]]
    found: dict[str, list[tuple[int, int]]]
    together: set[str]

    def ids(self) -> list[str]:
        return sorted(self.found)

    def hits(self, text: str, themes: Iterable[str] | None = None) -> list[ThemeHit]:
        """The hits of the given themes (default: the ones the rules found), by position;
        a hit inside a longer hit of the same theme is left out."""
        out: list[ThemeHit] = []
        for theme_id in self.found if themes is None else themes:
            spans = self.found.get(theme_id) or [
                (a, b) for a, b, st, _ in self.raw.get(theme_id, ()) if st != EXCLUDE
            ]
            last_end = -1
            for a, b in sorted(set(spans), key=lambda ab: (ab[0], -ab[1])):
                if b <= last_end:
                    continue
                out.append(ThemeHit(theme_id, a, b, text[a:b]))
                last_end = b
        out.sort(key=lambda h: (h.start, h.end, h.theme))
        return out


def evidence(s: Stream, mentions: list[Mention], tables: ThemeTables) -> ThemeEvidence:
    """Every pattern and trigger hit of a post, and the themes the pattern rules find."""
    raw: dict[str, list[tuple[int, int, str, tuple[str, ...]]]] = defaultdict(list)
    index = tables.index
    text = s.text
    if index.by_lemma or index.by_surface or index.by_prefix:
        for i in index.candidates(s):
            for ph, end in index.matches_at(s, i):
                theme_id, strength = ph.payload
                a, b = s.starts[i], s.ends[end - 1]
                if end == i + 1 and text[a - 1 : a] in OPEN_QUOTES and text[b : b + 1] in CLOSE_QUOTES:
                    continue  # a name in quotes («Ертіс» the club, «Нефтяник»)
                raw[theme_id].append((a, b, strength, tuple(s.lemmas[i:end])))
    if tables.triggers:
        for m in mentions:
            if m.actor is not None:
                for theme_id, strength in tables.triggers.get(m.actor, ()):
                    raw[theme_id].append((m.start, m.end, strength, ("@" + m.actor,)))
    found: dict[str, list[tuple[int, int]]] = {}
    for theme_id, items in raw.items():
        excluded = [(a, b) for a, b, st, _ in items if st == EXCLUDE]
        kept = [
            (a, b, st, key)
            for a, b, st, key in items
            if st != EXCLUDE and not any(ea <= a and b <= eb for ea, eb in excluded)
        ]
        raw[theme_id] = kept
        strong = any(st == STRONG for _, _, st, _ in kept)
        weak_keys = {key for _, _, st, key in kept if st == WEAK}
        if strong or len(weak_keys) >= 2:
            found[theme_id] = [(a, b) for a, b, _, _ in kept]
    together: set[str] = set()
    if tables.together:
        together = _together(mentions, tables, raw, found)
    for theme_id in [t for t in found if any(u in found for u in tables.unless.get(t, ()))]:
        del found[theme_id]
    return ThemeEvidence(dict(raw), found, together)


def tag(s: Stream, mentions: list[Mention], tables: ThemeTables) -> tuple[list[str], list[ThemeHit]]:
    """The themes the pattern rules find in a post (sorted ids) and their hits (by position)."""
    ev = evidence(s, mentions, tables)
    return ev.ids(), ev.hits(s.text)


def _together(
    mentions: list[Mention], tables: ThemeTables, raw: dict, found: dict[str, list[tuple[int, int]]]
) -> set[str]:
    fired: set[str] = set()
    for theme_id, rule in tables.together.items():
        if theme_id in found or any(u in found for u in rule.unless):
            continue
        members = set(rule.actors)
        named: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for m in mentions:
            if m.actor is None:
                continue
            who = m.actor if m.actor in members else tables.country_of.get(m.actor)
            if who in members:
                named[who].append((m.start, m.end))
        if len(named) >= rule.min:
            found[theme_id] = [span for spans in named.values() for span in spans]
            # weak hits of the theme, if any, are evidence too
            found[theme_id] += [(a, b) for a, b, st, _ in raw.get(theme_id, ()) if st == WEAK]
            fired.add(theme_id)
    return fired
