"""Annotate posts: actors (gazetteer + NER spans), themes and whether a post is in scope.

    annotator = Annotator(load_knowledge(dirs), profile="kz", ner=True)
    annotation = annotator.annotate(text, "ru")
    annotations = annotator.annotate_many([(text, lang), ...])  # NER batched

`mentions` hold every gazetteer match (actor id and kind) and, for Russian posts, every
natasha NER span (PER/LOC/ORG) that no gazetteer match overlaps, with `actor=None`, so names
the knowledge files do not know yet can surface later. `actors` lists the ids found, people,
companies and formats as themselves (the profile maps them to vectors later). `in_scope` is
true when a post mentions any actor other than the focus country and its own people and
companies, or has a theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from multivector.annotate.link import actor_index, link, make_stream
from multivector.annotate.ner import NerSpan, NerTagger
from multivector.annotate.themes import tag, theme_tables
from multivector.knowledge.loader import Knowledge
from multivector.model import Annotation, Mention

NER_LANGS = ("ru",)


class Annotator:
    def __init__(
        self,
        knowledge: Knowledge,
        profile: str = "kz",
        ner: bool = True,
        ner_langs: Sequence[str] = NER_LANGS,
        ner_batch: int = 16,
    ):
        self.knowledge = knowledge
        self.profile = knowledge.profile(profile)
        self.ner = ner
        self.ner_langs = tuple(ner_langs)
        self._ner = NerTagger(batch_size=ner_batch) if ner else None
        self._vocab: dict[Any, frozenset[str]] = {}
        for lang in ("ru", "kk", "en", None):  # compile now: errors show at start, not mid-run
            self._tables(lang)

    def _tables(self, lang: str | None):
        lang = lang if lang in ("ru", "kk", "en") else None
        actors = actor_index(self.knowledge, lang)
        themes = theme_tables(self.knowledge, lang)
        vocab = self._vocab.get(lang)
        if vocab is None:
            # Hyphenated words the actor tables know as a whole stay whole (АҚШ-тың, Китай-город);
            # others are read by their parts (российско-китайских). Theme patterns are split the
            # same way when they are loaded, so they need no say here.
            vocab = self._vocab[lang] = frozenset(actors.vocab)
        return lang, actors, themes, vocab

    def annotate(self, text: str, lang: str | None) -> Annotation:
        ner_spans = None
        if self._ner is not None and lang in self.ner_langs and text.strip():
            ner_spans = self._ner.spans(text)
        return self._annotate(text, lang, ner_spans)

    def annotate_many(self, items: Sequence[tuple[str, str | None]]) -> list[Annotation]:
        return [a for a, _ in self.annotate_for_index(items)]

    def annotate_for_index(self, items: Sequence[tuple[str, str | None]]) -> list[tuple[Annotation, str]]:
        """Each text's annotation and its lemmas joined by spaces (for the full-text index),
        both from one pass over the words, so ingest lemmatises every post once."""
        ner_spans: list[list[NerSpan] | None] = [None] * len(items)
        if self._ner is not None:
            todo = [k for k, (text, lang) in enumerate(items) if lang in self.ner_langs and text.strip()]
            if todo:
                found = self._ner.spans_many([items[k][0] for k in todo])
                for k, spans in zip(todo, found, strict=True):
                    ner_spans[k] = spans
        out = []
        for k, (text, lang) in enumerate(items):
            lang, actors, themes, vocab = self._tables(lang)
            stream = make_stream(text, lang, vocab)
            out.append((self._annotate_stream(stream, actors, themes, ner_spans[k]), " ".join(stream.lemmas)))
        return out

    def _annotate(self, text: str, lang: str | None, ner_spans: list[NerSpan] | None) -> Annotation:
        lang, actors, themes, vocab = self._tables(lang)
        return self._annotate_stream(make_stream(text, lang, vocab), actors, themes, ner_spans)

    def _annotate_stream(self, stream, actors, themes, ner_spans: list[NerSpan] | None) -> Annotation:
        mentions = link(stream, actors)
        theme_ids, hits = tag(stream, mentions, themes)
        found = sorted({m.actor for m in mentions if m.actor is not None})
        is_focus = self.profile.is_focus
        in_scope = bool(theme_ids) or any(not is_focus(a) for a in found)
        if ner_spans:
            mentions = _merge_ner(stream.text, mentions, ner_spans)
        return Annotation(
            mentions=mentions, themes=hits, actors=found, theme_ids=theme_ids, in_scope=in_scope
        )


def _merge_ner(text: str, mentions: list[Mention], spans: list[NerSpan]) -> list[Mention]:
    """Add NER spans that overlap no gazetteer mention, with actor=None; keep text order."""
    out = list(mentions)
    for sp in spans:
        if any(m.start < sp.end and sp.start < m.end for m in mentions):
            continue
        out.append(Mention(sp.start, sp.end, text[sp.start : sp.end], None, sp.kind))
    out.sort(key=lambda m: (m.start, m.end))
    return out
