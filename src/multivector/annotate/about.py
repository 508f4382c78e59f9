"""What a post is about: actor salience, theme scores, scope and genre.

The gazetteer (`link.py`) and the theme patterns (`themes.py`) find what a post *mentions*.
This module weighs those findings against the whole post and decides what it is *about*:

- **actor salience**: where and how an actor is named (headline or first sentence, how often,
  in what share of the sentences, in a sentence about a relation such as a visit or a treaty,
  right after a "passing" cue such as «в обход», in a list of many names, in a digest's bulleted
  item, the words around it); people and companies also count for their country;
- **themes**: the pattern evidence of each theme (strong and weak hits, where they are, actor
  triggers that are subjects) plus the post's lemmas and subject actors, so a theme is found from
  its wider vocabulary, and a pattern word in another sense (a Docker «контейнер») is outweighed
  by its context;
- **scope**: whether international relations are the post's subject, from how many states and
  bodies are subjects, the themes and the post's words (crime, weather, sport, IT vocabulary
  weigh against it), independent of the country profile;
- **genre**: news report, analysis or opinion, digest, official statement, or other.

Each decision is a logistic model whose weights were fitted on labelled posts by
`tools/train_about.py` and ship in `annotate/models/about.json.gz`; feature names are shared
by training and inference through `observe()`. A theme the model was not trained on (a user's
own theme) is scored by the shared pattern-evidence weights alone.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from multivector.annotate.link import PhraseIndex, Stream
from multivector.annotate.stopwords import content_words, is_stop
from multivector.annotate.themes import STRONG, WEAK, PatternPhrase, ThemeEvidence, pattern_slot
from multivector.knowledge.loader import MENTION_CUES, Knowledge
from multivector.knowledge.patterns import parse_pattern
from multivector.model import InputError, Mention

GENRES = ("news", "analysis", "digest", "official", "other")
STATE_KINDS = ("country", "org", "region")
PASSING_REACH = 3  # a passing cue counts when it ends this many words or fewer before the mention
CONTEXT_REACH = 5  # words each side of a mention that the salience model reads
CONTEXT_BEFORE, CONTEXT_AFTER = "a:cL:", "a:cR:"  # the feature names' prefixes: a:cL:переговоры

_SENTENCE_END = re.compile(r"[.!?…]+[\"»”)\]]*\s+|\n\s*")
# A line that opens an item: a dash or bullet sign, "1." or "2)", a keycap digit (1️⃣, as Telegram
# digests number their items), or an emoji or two before a space.
_BULLET = re.compile(r"^\s*(?:[-–—•▪►✅🔹🔸📌⚡️❗️]|\d{1,2}[.)]|\d\ufe0f?\u20e3|[^\w\s]{1,2}\s)", re.UNICODE)
_URL = re.compile(r"https?://|t\.me/|www\.", re.IGNORECASE)
_LINE = re.compile(r"[^\n]+")
_DIGIT = re.compile(r"\d")


# First-person words: analysts write "I think", "we see"; news reports rarely do.
_FIRST_PERSON = frozenset(
    "я мы мой наш мне нам меня нас по-моему i we my our me us біз менің біздің маған бізге".split()
)


# ---------------------------------------------------------------------------------------------
# Cue tables (knowledge/cues.yaml), compiled per post language like the theme patterns


def build_cue_index(knowledge: Knowledge, lang: str | None) -> PhraseIndex:
    index = PhraseIndex()
    for kind in MENTION_CUES:
        for term in knowledge.cues.get(kind, []):
            if not (term.lang == "any" or term.lang == lang or lang is None):
                continue
            _, alts = parse_pattern(term.text)
            slots = tuple(pattern_slot(a, lang) for a in alts)
            index.add(PatternPhrase(slots, (kind, STRONG)))  # type: ignore[arg-type]
    return index.freeze()


def cue_index(knowledge: Knowledge, lang: str | None) -> PhraseIndex:
    lang = lang if lang in ("ru", "kk", "en") else None
    return knowledge.compiled(("cues", lang), lambda: build_cue_index(knowledge, lang))


# ---------------------------------------------------------------------------------------------
# Observation: the features of one post, named as the trained model names them


@dataclass(slots=True)
class Observation:
    """Everything the models read about one post."""

    actor_feats: dict[str, dict[str, float]]  # actor id -> dense features
    families: dict[str, str]  # actor id -> the subject it stands for at state level (putin -> RU)
    theme_feats: dict[str, dict[str, float]]  # theme id -> dense features (themes with any hit)
    doc_feats: dict[str, float]  # scope and genre dense features (without the ones from decisions)
    lemmas: frozenset[str]  # content lemmas of the post
    rule_themes: list[str]  # what the pattern rules alone decide
    lang: str | None = None  # the language its lemmas are in (word-vector weights are per language)


def _sentence_starts(text: str) -> list[int]:
    starts = [0]
    for m in _SENTENCE_END.finditer(text):
        if m.end() < len(text):
            starts.append(m.end())
    return starts


_ADJECTIVE_END = re.compile(
    r"(?:ский|ская|ское|ские|ского|ской|ских|скому|ским|скую|цкий|цкая|цкие|цкой|цких|"
    r"лық|лік|дық|дік|тық|тік|ese|ian|ish|ean|ic|i)$",
    re.IGNORECASE,
)


def _adjective(surface: str) -> bool:
    """A country named by an adjective («китайские инвесторы», "Chinese", қытайлық): often a
    qualifier of something else rather than a party."""
    word = surface.split()[-1] if surface else ""
    return (
        bool(_ADJECTIVE_END.search(word))
        and not word[:1].isupper()
        or word.lower().endswith(("ese", "ian", "ish"))
    )


def _family(actor_id: str, knowledge: Knowledge) -> str:
    """The state-level subject an actor stands for: its country for people and companies, the
    organisation for the people who speak for one (Guterres -> UN)."""
    actor = knowledge.actors.get(actor_id)
    if actor is not None and actor.represents:
        return actor.represents
    if actor is not None and actor.kind in ("person", "company") and actor.country:
        return actor.country
    return actor_id


def observe(
    stream: Stream,
    mentions: list[Mention],
    ev: ThemeEvidence,
    cues: PhraseIndex,
    knowledge: Knowledge,
    lang: str | None = None,
) -> Observation:
    text = stream.text
    n_chars = max(len(text), 1)
    sent_starts = _sentence_starts(text)
    n_sent = len(sent_starts)

    def sentence_of(pos: int) -> int:
        return bisect_right(sent_starts, pos) - 1

    # Cues: where passing cues end (word index) and which sentences hold a relation word.
    passing_ends: list[int] = []
    relation_sents: set[int] = set()
    relation_n = 0
    if cues.by_lemma or cues.by_prefix or cues.by_surface:
        for i in cues.candidates(stream):
            for ph, end in cues.matches_at(stream, i):
                kind = ph.payload[0]
                if kind == "passing":
                    passing_ends.append(end - 1)
                elif kind == "relation":
                    relation_sents.add(sentence_of(stream.starts[i]))
                    relation_n += 1

    word_starts = stream.starts
    linked = [m for m in mentions if m.actor is not None]
    # Mentions grouped by actor, and by the state-level subject they stand for.
    by_actor: dict[str, list[Mention]] = defaultdict(list)
    by_family: dict[str, list[Mention]] = defaultdict(list)
    families: dict[str, str] = {}
    for m in linked:
        assert m.actor is not None
        by_actor[m.actor].append(m)
        fam = families.setdefault(m.actor, _family(m.actor, knowledge))
        by_family[fam].append(m)
    n_families = len(by_family)
    mention_words = [bisect_right(word_starts, m.start) - 1 for m in linked]
    word_of = {id(m): w for m, w in zip(linked, mention_words, strict=True)}
    listed_words = sorted(mention_words)

    def passing(m: Mention) -> bool:
        w = word_of[id(m)]
        s = sentence_of(m.start)
        return any(0 <= w - e <= PASSING_REACH and sentence_of(word_starts[e]) == s for e in passing_ends)

    def in_list(m: Mention) -> bool:
        # Named next to other names ("Китай, Индия, Турция и Бразилия"): part of an enumeration.
        w = word_of[id(m)]
        k = listed_words.index(w)
        near = [x for x in listed_words[max(0, k - 1) : k + 2] if x != w and abs(x - w) <= 2]
        return len(near) > 0

    first_line_end = text.find("\n") if "\n" in text[: n_chars // 2 + 1] else 0
    # Where each bulleted line starts and ends (the genre reads how many there are). In a post
    # of several lines they are a digest's items: an actor named in one is that item's subject,
    # however many other items the post holds.
    bullet_lines = [(m.start(), m.end()) for m in _LINE.finditer(text) if _BULLET.match(m.group())]
    items = bullet_lines if "\n" in text else []

    def in_item(m: Mention) -> bool:
        return any(a <= m.start < b for a, b in items)

    def sentence_opener(m: Mention) -> bool:
        w = word_of[id(m)]
        s = sentence_of(m.start)
        return w == 0 or sentence_of(word_starts[w - 1]) != s or (w == 1 and is_stop(stream.lemmas[0]))

    def context_words(group: list[Mention]) -> dict[str, float]:
        # The words just before and after each mention, in its sentence: «турист из», "such as",
        # «по данным», «переговоры с», «в обход» ... the model learns which mark a party and
        # which a passing name, from wording no cue list holds.
        out = {}
        lemmas = stream.lemmas
        for m in group:
            first = word_of[id(m)]
            last = bisect_right(word_starts, m.end - 1) - 1
            # The words of the mention's sentence: from its first word to the next sentence's.
            s = sentence_of(m.start)
            top = bisect_right(word_starts, sent_starts[s] - 1)
            end = bisect_right(word_starts, sent_starts[s + 1] - 1) if s + 1 < n_sent else len(lemmas)
            for w in range(max(top, first - CONTEXT_REACH), first):
                if lemmas[w].isalpha():
                    out[CONTEXT_BEFORE + lemmas[w]] = 1.0
            for w in range(last + 1, min(end, last + 1 + CONTEXT_REACH)):
                if lemmas[w].isalpha():
                    out[CONTEXT_AFTER + lemmas[w]] = 1.0
        return out

    actor_feats: dict[str, dict[str, float]] = {}
    for actor_id, own in by_actor.items():
        fam = families[actor_id]
        group = by_family[fam] if fam == actor_id else own
        sents = {sentence_of(m.start) for m in group}
        first_pos = min(m.start for m in group)
        kind = knowledge.kind_of(actor_id) or "unknown"
        n_passing = sum(passing(m) for m in group)
        feats = {
            "a:bias": 1.0,
            "a:first": 1.0 if 0 in sents else 0.0,
            "a:count": math.log1p(len(group)),
            "a:share": len(sents) / n_sent,
            "a:early": 1.0 - first_pos / n_chars,
            "a:solo": 1.0 if n_families == 1 else 0.0,
            "a:rivals": math.log1p(n_families - 1),
            "a:passing": 1.0 if n_passing == len(group) else 0.0,
            "a:some_passing": 1.0 if 0 < n_passing < len(group) else 0.0,
            "a:relation": 1.0 if sents & relation_sents else 0.0,
            "a:listed": sum(in_list(m) for m in group) / len(group),
            "a:long": math.log1p(n_sent),
            # Opening a sentence is where the grammatical subject stands in ru/kk/en news.
            "a:opens": sum(sentence_opener(m) for m in group) / len(group),
            "a:title": 1.0 if first_line_end and first_pos < first_line_end else 0.0,
            "a:adjective": sum(_adjective(m.text) for m in group) / len(group),
            "a:bullet": sum(in_item(m) for m in group) / len(group) if items else 0.0,
            f"a:kind_{kind}": 1.0,
        }
        # The function word before the first mention: «из Германии» (a tourist's origin),
        # «с Китаем» (a partner), «против России» ... the model weighs each.
        w0 = word_of[id(min(group, key=lambda m: m.start))]
        if w0 > 0 and is_stop(stream.lemmas[w0 - 1]) and len(stream.lemmas[w0 - 1]) <= 6:
            feats["a:prev:" + stream.lemmas[w0 - 1]] = 1.0
        if fam != actor_id:
            # A person or company: how present their country is in the post too.
            feats["a:family_named"] = 1.0 if fam in by_actor else 0.0
        feats.update(context_words(group))
        actor_feats[actor_id] = feats

    # Themes: the pattern evidence of every theme with a hit.
    rule = set(ev.found)
    theme_feats: dict[str, dict[str, float]] = {}
    mentioned = set(by_actor)
    for theme_id, hits in ev.raw.items():
        if not hits and theme_id not in rule:
            continue
        strong = [h for h in hits if h[2] == STRONG]
        weak_keys = {h[3] for h in hits if h[2] == WEAK}
        sents = {sentence_of(a) for a, _, _, _ in hits}
        triggers = {h[3][0][1:] for h in hits if h[3] and h[3][0].startswith("@")}
        theme_feats[theme_id] = {
            "t:rule": 1.0 if theme_id in rule else 0.0,
            "t:strong": 1.0 if strong else 0.0,
            "t:strong_n": math.log1p(len(strong)),
            "t:weak1": 1.0 if len(weak_keys) == 1 else 0.0,
            "t:weak2": 1.0 if len(weak_keys) >= 2 else 0.0,
            "t:first": 1.0 if 0 in sents else 0.0,
            "t:share": len(sents) / n_sent,
            "t:trigger": 1.0 if triggers & mentioned else 0.0,
            "t:together": 1.0 if theme_id in ev.together else 0.0,
        }
        # `t:trigger_about` is added once the subjects are known (see AboutModel.decide).
        theme_feats[theme_id]["_triggers"] = triggers  # type: ignore[assignment]
    for theme_id in rule - set(theme_feats):
        theme_feats[theme_id] = {"t:rule": 1.0, "t:together": 1.0 if theme_id in ev.together else 0.0}
    n_rule = len(rule)
    for feats in theme_feats.values():
        feats["t:others"] = math.log1p(n_rule - (1 if feats.get("t:rule") else 0))

    lines = [ln for ln in text.split("\n") if ln.strip()]
    n_lines = max(len(lines), 1)
    doc_feats = {
        "d:len": math.log1p(n_chars / 100),
        "d:sent": math.log1p(n_sent),
        "d:lines": math.log1p(n_lines),
        "d:bullets": len(bullet_lines) / n_lines,
        "d:quotes": min((text.count("«") + text.count("“") + text.count('"')) / 2, 5) / 5,
        "d:question": min(text.count("?"), 3) / 3,
        "d:exclaim": min(text.count("!"), 3) / 3,
        "d:links": min(len(_URL.findall(text)), 3) / 3,
        "d:hashtags": min(text.count("#"), 3) / 3,
        "d:digits": len(_DIGIT.findall(text)) / n_chars,
        "d:families": math.log1p(n_families),
        "d:mentions": math.log1p(len(linked)),
        "d:relation": math.log1p(relation_n),
        "d:rule_themes": math.log1p(n_rule),
    }
    distinct = set(stream.lemmas)
    doc_feats["d:first_person"] = min(sum(map(_FIRST_PERSON.__contains__, stream.lemmas)), 5) / 5
    lemmas = content_words(distinct)
    return Observation(actor_feats, families, theme_feats, doc_feats, lemmas, sorted(rule), lang)


# ---------------------------------------------------------------------------------------------
# The trained model


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _dot(weights: dict[str, float], feats: dict[str, Any]) -> float:
    # Keys without a weight add nothing, so `_triggers` (a set, never weighed) drops out too.
    return sum([w * v for k, v in feats.items() if (w := weights.get(k)) is not None])


@dataclass
class Decision:
    salience: dict[str, float]
    about_actors: list[str]
    theme_scores: dict[str, float]
    about_themes: list[str]
    scope_score: float
    in_scope: bool
    scope_reason: str
    genre: str | None
    why_themes: dict[str, list[str]] = field(default_factory=dict)  # theme -> lemmas that carried it


class AboutModel:
    """Weights of the four decisions, as `tools/train_about.py` writes them."""

    def __init__(self, data: dict):
        self.version = data.get("version", 1)
        a = data["actor"]
        self.actor_w: dict[str, float] = a["w"]
        self.actor_threshold: float = a["threshold"]
        t = data["theme"]
        self.theme_w: dict[str, float] = t["w"]
        self.theme_bias: dict[str, float] = t["bias"]
        self.theme_default_bias: float = t["default_bias"]
        self.theme_lemmas: dict[str, dict[str, float]] = t["lemmas"]
        self.theme_threshold: float = t["threshold"]
        self.theme_thresholds: dict[str, float] = t.get("thresholds", {})
        s = data["scope"]
        self.scope_w: dict[str, float] = s["w"]
        self.scope_bias: float = s["bias"]
        self.scope_lemmas: dict[str, float] = s["lemmas"]
        self.scope_threshold: float = s["threshold"]
        # Per language, the scope weight of words as their word vectors place them
        # (tools/train_about.py folds the vector weights into one figure per word): a word no
        # training post held still counts as its neighbours do («беспилотник» as «ракета»).
        # Merged here with the learned word weights, so a post's words are looked up once.
        self.scope_vector_lemmas: dict[str, dict[str, float]] = s.get("vector_lemmas", {})
        self._scope_words = {
            lang: _merged(self.scope_lemmas, table) for lang, table in self.scope_vector_lemmas.items()
        }
        g = data.get("genre")
        self.genre_classes: list[str] = g["classes"] if g else []
        self.genre_bias: list[float] = g["bias"] if g else []
        self.genre_w: dict[str, list[float]] = g["w"] if g else {}
        self.genre_lemmas: dict[str, list[float]] = g["lemmas"] if g else {}
        # The per-word weights as matrices, a row per word: a post's words add up in one numpy
        # call instead of a walk over nested dicts (the decisions run for every ingested post).
        self._themes = sorted(self.theme_bias)
        self._theme_bias_vec = np.array([self.theme_bias[t] for t in self._themes])
        self._theme_rows, self._theme_matrix = _word_matrix(self.theme_lemmas, self._themes)
        self._genre_rows, self._genre_matrix = _word_matrix(
            {k: dict(enumerate(ws)) for k, ws in self.genre_lemmas.items()}, range(len(self.genre_classes))
        )
        # The genre's few dense features as one matrix too: a post's values meet it in one dot.
        self._genre_bias_vec = np.array(self.genre_bias, dtype=float)
        self._genre_dense = sorted(self.genre_w)
        self._genre_dense_matrix = np.array([self.genre_w[k] for k in self._genre_dense]).reshape(
            len(self._genre_dense), len(self.genre_classes)
        )

    @classmethod
    def load(cls, path: Path | None = None) -> AboutModel:
        if path is None:
            return _builtin_model()
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return cls(json.load(fh))
        except (OSError, EOFError, ValueError, KeyError, TypeError) as e:
            raise InputError(f"{path}: not an aboutness model made by tools/train_about.py ({e})") from None

    # -- the four decisions ------------------------------------------------------------------
    def salience(self, obs: Observation) -> dict[str, float]:
        return {a: _sigmoid(_dot(self.actor_w, f)) for a, f in obs.actor_feats.items()}

    def subjects(self, obs: Observation, salience: dict[str, float]) -> list[str]:
        return sorted(a for a, s in salience.items() if s >= self.actor_threshold)

    def theme_logits(self, obs: Observation, about: list[str], ordered: list[str]) -> dict[str, float]:
        """Logit of every theme the model knows or the patterns saw (`ordered`: the post's
        lemmas, sorted)."""
        # In word order: a set's order changes with the hash seed, and so would the float sums.
        # Without subjects the keys are the lemmas alone, already sorted.
        keys = sorted(self._theme_keys(obs, about)) if about else ordered
        rows = list(filter(None, map(self._theme_rows.get, keys)))  # rows start at 1: none is falsy
        words = self._theme_matrix[rows].sum(axis=0) if rows else 0.0
        z = dict(zip(self._themes, (self._theme_bias_vec + words).tolist(), strict=True))
        about_set = set(about)
        for theme_id, feats in obs.theme_feats.items():
            trig = feats.get("_triggers") or set()
            z[theme_id] = (
                z.get(theme_id, self.theme_default_bias)
                + _dot(self.theme_w, feats)
                + (self.theme_w.get("t:trigger_about", 0.0) if trig & about_set else 0.0)
            )
        return z

    def _theme_keys(self, obs: Observation, about: list[str]) -> set[str]:
        """The post's content lemmas and its subjects (as @id, themselves and their state)."""
        return obs.lemmas | {"@" + a for a in about} | {"@" + obs.families.get(a, a) for a in about}

    def _carried_by(self, obs: Observation, about: list[str], theme_id: str) -> list[str]:
        """The (at most five) words that weighed most for a theme; ties in word order."""
        parts = sorted(self.theme_words(obs, about, theme_id).items(), key=lambda kw: (-kw[1], kw[0]))
        return [k for k, w in parts[:5] if w > 0]

    def theme_words(self, obs: Observation, about: list[str], theme_id: str) -> dict[str, float]:
        """Each lemma's (or @subject's) part in a theme's logit: the words that carried it."""
        out = {}
        for k in self._theme_keys(obs, about):
            w = self.theme_lemmas.get(k, {}).get(theme_id)
            if w is not None:
                out[k] = w
        return out

    def decide(self, obs: Observation) -> Decision:
        salience = self.salience(obs)
        about = self.subjects(obs, salience)
        ordered = sorted(obs.lemmas)  # the order every word sum below runs in
        scores = {t: _sigmoid(z) for t, z in self.theme_logits(obs, about, ordered).items()}
        # Scope: state-level subjects, themes, and the post's own words.
        subjects_state = self.state_subjects(obs, about)
        feats = dict(obs.doc_feats)
        feats.update(scope_subject_feats(subjects_state, obs, salience))
        feats["s:theme_max"] = max(scores.values(), default=0.0)
        found = [t for t, p in scores.items() if p >= self.theme_thresholds.get(t, self.theme_threshold)]
        feats["s:themes_found"] = math.log1p(len(found))
        words = self._scope_words.get(obs.lang or "", self.scope_lemmas)
        weighed = list(filter(words.__contains__, ordered))
        word_parts = dict(zip(weighed, map(words.__getitem__, weighed), strict=True))
        z = self.scope_bias + _dot(self.scope_w, feats) + sum(word_parts.values())
        scope_score = _sigmoid(z)
        in_scope = scope_score >= self.scope_threshold
        about_themes = sorted(t for t, p in scores.items() if p >= self.theme_threshold) if in_scope else []
        reason = self._reason(in_scope, scope_score, subjects_state, about_themes, word_parts, feats)
        why = {t: self._carried_by(obs, about, t) for t in about_themes}
        return Decision(
            salience=salience, about_actors=about, theme_scores=scores, about_themes=about_themes,
            scope_score=scope_score, in_scope=in_scope, scope_reason=reason, genre=self.genre(feats, ordered),
            why_themes=why,
        )  # fmt: skip

    @staticmethod
    def state_subjects(obs: Observation, about: list[str]) -> list[str]:
        return sorted({obs.families.get(a, a) for a in about})

    def genre(self, feats: dict[str, float], ordered: list[str]) -> str | None:
        """The genre from the dense features and the post's lemmas (`ordered`: sorted)."""
        if not self.genre_classes:
            return None
        values = [feats.get(k, 0.0) for k in self._genre_dense]
        z = self._genre_bias_vec + np.dot(values, self._genre_dense_matrix)
        rows = list(filter(None, map(self._genre_rows.get, ordered)))
        if rows:
            z += self._genre_matrix[rows].sum(axis=0)
        return self.genre_classes[int(np.argmax(z))]  # the first best, as max() would take

    @staticmethod
    def _reason(
        in_scope: bool,
        score: float,
        subjects: list[str],
        themes: list[str],
        word_parts: dict[str, float],
        feats: dict[str, float],
    ) -> str:
        parts = []
        if subjects:
            parts.append(f"subjects {', '.join(subjects[:5])}")
        else:
            parts.append("no subject actor")
        if themes:
            parts.append(f"themes {', '.join(themes[:4])}")
        sign = 1 if in_scope else -1
        # Only the words that pushed the decision its way are sorted: a post has dozens of words.
        pushed = [(k, w) for k, w in word_parts.items() if sign * w > 0.05]
        words = [k for k, _ in sorted(pushed, key=lambda kw: (-sign * kw[1], kw[0]))[:4]]
        if words:
            parts.append(("words " if in_scope else "domestic words ") + ", ".join(words))
        return f"{'in' if in_scope else 'out of'} scope ({score:.2f}): " + "; ".join(parts)


def _merged(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(a)
    for k, w in b.items():
        out[k] = out.get(k, 0.0) + w
    return out


def _word_matrix(
    weights: dict[str, dict[Any, float]], columns: Iterable[Any]
) -> tuple[dict[str, int], np.ndarray]:
    """Word -> row, and the rows of a {word: {column: weight}} table (0 where a word has none).

    Row 0 is left empty, so that every word's row number is true (`filter(None, ...)`)."""
    col = {c: j for j, c in enumerate(columns)}
    rows = {k: i for i, k in enumerate(weights, start=1)}
    matrix = np.zeros((len(rows) + 1, len(col)))
    for k, ws in weights.items():
        for c, w in ws.items():
            if c in col:
                matrix[rows[k], col[c]] = w
    return rows, matrix


def scope_subject_feats(
    subjects: list[str], obs: Observation, salience: dict[str, float]
) -> dict[str, float]:
    """Scope features from the state-level subjects: how many states and bodies the post is
    about, and how salient the second one is (a relation needs two parties)."""
    n = len(subjects)
    fam_sal: dict[str, float] = {}
    for a, s in salience.items():
        fam = obs.families.get(a, a)
        fam_sal[fam] = max(fam_sal.get(fam, 0.0), s)
    ranked = sorted(fam_sal.values(), reverse=True)
    return {
        "s:subjects1": 1.0 if n == 1 else 0.0,
        "s:subjects2": 1.0 if n == 2 else 0.0,
        "s:subjects3": 1.0 if n >= 3 else 0.0,
        "s:second": ranked[1] if len(ranked) > 1 else 0.0,
        "s:top": ranked[0] if ranked else 0.0,
    }


@lru_cache(maxsize=1)
def _builtin_model() -> AboutModel:
    res = resources.files("multivector.annotate").joinpath("models", "about.json.gz")
    with res.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        return AboutModel(json.load(fh))


def builtin_model_available() -> bool:
    return resources.files("multivector.annotate").joinpath("models", "about.json.gz").is_file()
