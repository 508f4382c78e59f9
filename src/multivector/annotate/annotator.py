"""Annotate posts: actors (gazetteer + NER spans), themes and whether a post is in scope.

    annotator = Annotator(load_knowledge(dirs), profile="kz", ner=True)
    annotation = annotator.annotate(text, "ru")
    annotations = annotator.annotate_many([(text, lang), ...])  # NER batched

`mentions` hold every gazetteer match (actor id and kind) and, for Russian posts, every
natasha NER span (PER/LOC/ORG) that no gazetteer match overlaps, with `actor=None`, so names
the knowledge files do not know yet can surface later. `actors` lists the ids found, people,
companies and formats as themselves (the profile maps them to vectors later), `theme_ids`
every theme with evidence. What the post is *about* — `about_actors`, `about_themes`,
`in_scope` with its score and reason, the genre — is decided by the trained aboutness model
(`about.py`) from the whole post; the decision does not depend on the country profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from multivector.annotate.about import AboutModel, Observation, cue_index, observe
from multivector.annotate.link import Stream, actor_index, link, make_stream
from multivector.annotate.ner import NerSpan, NerTagger
from multivector.annotate.themes import ThemeEvidence, evidence, theme_tables
from multivector.knowledge.loader import Knowledge
from multivector.model import Annotation, Mention, ThemeHit

NER_LANGS = ("ru",)


class Indexed(NamedTuple):
    """One text's annotation with what its word pass gave the store besides."""

    annotation: Annotation
    lemmas: str  # the lemmas joined by spaces: what the full-text index holds
    content: frozenset[str]  # the content lemmas (no stop words): what the reworded-copy rule compares


ANNOTATED_LANGS = ("ru", "kk", "en", None)  # None: every other language


class Annotator:
    def __init__(
        self,
        knowledge: Knowledge,
        profile: str = "kz",
        ner: bool = True,
        ner_langs: Sequence[str] = NER_LANGS,
        ner_batch: int = 16,
        model: AboutModel | None | bool = True,
    ):
        self.knowledge = knowledge
        # The profile is checked here so a wrong code fails at start; aboutness and scope do
        # not depend on it (a post's subjects are the same whoever reads it).
        self.profile = knowledge.profile(profile)
        # `model=False` keeps only what the patterns find (used to build training data).
        if model is True:
            self.model: AboutModel | None = AboutModel.load(getattr(knowledge, "model_path", None))
        else:
            self.model = model if isinstance(model, AboutModel) else None
        self.ner = ner
        self.ner_langs = tuple(ner_langs)
        self._ner = NerTagger(batch_size=ner_batch) if ner else None
        self._vocab: dict[Any, frozenset[str]] = {}
        # A language's tables are compiled when a post in it first comes (a Russian news set
        # never needs the Kazakh ones, 0.24 s of a worker's start). Files a user added are
        # compiled for every language now, so that a mistake in them shows at start, not in
        # the middle of a run; the built-in files compile cleanly (tests/test_annotate.py).
        if knowledge.user_files:
            self.compile_all()

    def compile_all(self) -> None:
        """Compile the tables of every post language now."""
        for lang in ANNOTATED_LANGS:
            self._tables(lang)

    def _tables(self, lang: str | None):
        lang = lang if lang in ("ru", "kk", "en") else None
        actors = actor_index(self.knowledge, lang)
        themes = theme_tables(self.knowledge, lang)
        cue_index(self.knowledge, lang)
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
        return [found.annotation for found in self.annotate_for_index(items)]

    def annotate_for_index(self, items: Sequence[tuple[str, str | None]]) -> list[Indexed]:
        """Each text's annotation, its lemmas joined by spaces (for the full-text index) and its
        content lemmas, all from one pass over the words, so ingest lemmatises every post once."""
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
            annotation, obs = self._annotate_stream(stream, lang, actors, themes, ner_spans[k])
            out.append(Indexed(annotation, " ".join(stream.lemmas), obs.lemmas))
        return out

    def _annotate(self, text: str, lang: str | None, ner_spans: list[NerSpan] | None) -> Annotation:
        lang, actors, themes, vocab = self._tables(lang)
        return self._annotate_stream(make_stream(text, lang, vocab), lang, actors, themes, ner_spans)[0]

    def _annotate_stream(
        self, stream, lang, actors, themes, ner_spans: list[NerSpan] | None
    ) -> tuple[Annotation, Observation]:
        mentions, ev, obs = self._observe(stream, lang, actors, themes)
        found = sorted({m.actor for m in mentions if m.actor is not None})
        if ner_spans:
            mentions = _merge_ner(stream.text, mentions, ner_spans)
        if self.model is None:
            # Patterns only: every mention is a subject, every rule theme is found.
            theme_ids = ev.ids()
            in_scope = bool(theme_ids) or len({obs.families.get(a, a) for a in found}) >= 2
            return Annotation(
                mentions=mentions, themes=ev.hits(stream.text), actors=found, theme_ids=theme_ids,
                in_scope=in_scope, about_actors=found, about_themes=theme_ids if in_scope else [],
            ), obs  # fmt: skip
        d = self.model.decide(obs)
        theme_ids = sorted(set(ev.ids()) | set(d.about_themes))
        hits = ev.hits(stream.text, theme_ids)
        hits += _word_hits(stream, d.about_themes, d.why_themes, {h.theme for h in hits})
        hits.sort(key=lambda h: (h.start, h.end, h.theme))
        return Annotation(
            mentions=mentions, themes=hits, actors=found, theme_ids=theme_ids, in_scope=d.in_scope,
            about_actors=d.about_actors, about_themes=d.about_themes,
            salience={a: round(v, 4) for a, v in d.salience.items()},
            theme_scores={t: round(d.theme_scores.get(t, 0.0), 4) for t in theme_ids},
            scope_score=round(d.scope_score, 4), scope_reason=d.scope_reason, genre=d.genre,
        ), obs  # fmt: skip

    def _observe(
        self, stream: Stream, lang, actors, themes
    ) -> tuple[list[Mention], ThemeEvidence, Observation]:
        mentions = link(stream, actors)
        ev = evidence(stream, mentions, themes)
        cues = cue_index(self.knowledge, lang)
        return mentions, ev, observe(stream, mentions, ev, cues, self.knowledge, lang)

    def observe_many(
        self, items: Sequence[tuple[str, str | None]]
    ) -> list[tuple[Stream, list[Mention], Observation]]:
        """The model's view of each text (for training and for explaining decisions)."""
        out = []
        for text, lang in items:
            lang, actors, themes, vocab = self._tables(lang)
            stream = make_stream(text, lang, vocab)
            mentions, _, obs = self._observe(stream, lang, actors, themes)
            out.append((stream, mentions, obs))
        return out


def _word_hits(
    stream: Stream, themes: list[str], why: dict[str, list[str]], have: set[str]
) -> list[ThemeHit]:
    """Spans for themes the model found without a pattern hit: the first occurrence of each of
    the words that weighed most for the theme, so every tag can be traced to the text."""
    out = []
    for theme_id in themes:
        if theme_id in have:
            continue
        for key in why.get(theme_id, ()):
            if key.startswith("@"):
                continue
            try:
                i = stream.lemmas.index(key)
            except ValueError:
                continue
            a, b = stream.starts[i], stream.ends[i]
            out.append(ThemeHit(theme_id, a, b, stream.text[a:b]))
    return out


def _merge_ner(text: str, mentions: list[Mention], spans: list[NerSpan]) -> list[Mention]:
    """Add NER spans that overlap no gazetteer mention, with actor=None; keep text order."""
    out = list(mentions)
    for sp in spans:
        if any(m.start < sp.end and sp.start < m.end for m in mentions):
            continue
        out.append(Mention(sp.start, sp.end, text[sp.start : sp.end], None, sp.kind))
    out.sort(key=lambda m: (m.start, m.end))
    return out
