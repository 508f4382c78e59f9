"""What the analysis needs to know from the knowledge files, as plain functions.

`Lexicon` is the narrow interface between `analyze/` and `knowledge/`: the profile's partner
vectors, the vector(s) an actor id belongs to, labels of themes and vectors, and which actors
are the focus country's own. `Lexicon.from_knowledge(knowledge, "KZ")` builds it from the
loaded knowledge; tests build one by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def _no_vectors(actor: str) -> list[str]:
    return []


def _id_label(key: str, lang: str) -> str:
    return key


def _never(actor: str) -> bool:
    return False


@dataclass
class Lexicon:
    vectors: list[str] = field(default_factory=list)  # the profile's vectors, in profile order
    vectors_of: Callable[[str], list[str]] = _no_vectors  # actor id -> its vector(s)
    theme_label: Callable[[str, str], str] = _id_label  # (theme id, lang) -> label
    vector_label: Callable[[str, str], str] = _id_label  # (vector, lang) -> label
    actor_label: Callable[[str, str], str] = _id_label  # (actor id, lang) -> name
    is_focus: Callable[[str], bool] = _never  # the focus country and its own people/companies
    focus: str = ""
    profile: str = ""
    # Lemmas of the focus country's own names and aliases (Казахстан, Астана, Ақорда ...): in a
    # corpus about one country they are in every other post and describe nothing.
    focus_terms: frozenset[str] = frozenset()

    @classmethod
    def from_knowledge(cls, knowledge, country: str = "KZ") -> Lexicon:
        """The lexicon of the profile whose focus is `country` (or whose code is `country`)."""
        profile = knowledge.profile_for(country)
        code = profile.code
        themes = knowledge.themes
        actors = knowledge.actors

        def theme_label(tid: str, lang: str) -> str:
            t = themes.get(tid)
            return t.name(lang) if t is not None else tid

        def vector_label(v: str, lang: str) -> str:
            labels = profile.vector_labels.get(v, {})
            return labels.get(lang) or labels.get("en") or v

        def actor_label(aid: str, lang: str) -> str:
            a = actors.get(aid)
            return a.name(lang) if a is not None else aid

        return cls(
            focus_terms=_focus_terms(actors.get(profile.focus)),
            vectors=list(profile.vectors),
            vectors_of=profile.vectors_of,
            theme_label=theme_label,
            vector_label=vector_label,
            actor_label=actor_label,
            is_focus=profile.is_focus,
            focus=profile.focus,
            profile=code,
        )


def _focus_terms(actor) -> frozenset[str]:
    if actor is None:
        return frozenset()
    from multivector.annotate.tokens import WORD_RE, lemma

    out: set[str] = set()
    phrases = [(name, lang) for lang, name in actor.names.items()]
    phrases += [(t.text, t.lang) for t in (*actor.aliases, *actor.cased, *actor.exact)]
    for text, lang in phrases:
        words = WORD_RE.findall(text)
        if len(words) != 1:  # "Республика Казахстан": its words are common on their own
            continue
        for lg in (lang,) if lang in ("ru", "kk", "en") else ("ru", "kk", "en"):
            out.add(lemma(words[0], lg))
    return frozenset(t for t in out if len(t) >= 2)
