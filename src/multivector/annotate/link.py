"""The gazetteer linker: actor aliases matched on lemma sequences, longest match first.

Aliases from actors.yaml are cut into words and lemmatised with `tokens.lemma` in the post's
language, exactly as the post's own words are, so «Казахстану», «Қазақстанның» and
"Kazakhstan's" meet their alias on one lemma. Ways to match a word (see the header of
actors.yaml): `aliases` on the lemma in any case, `cased` on the lemma when the word is written
in the alias's case (Куба, Қатар), `exact` on the surface form (Того, US), `weak` like cased
but only when the post names the actor otherwise too (Си, Алиев). `exclude` phrases are
matched like aliases and, being longer, win over the alias they contain («турецкий гамбит»,
«Китай-город», "Michael Jordan"). Russian names that pymorphy3 reads as ordinary words
(Песков/песок) keep their capital; Russian proper nouns and Kazakh words accept the lemma of
each of their inflected forms, because the lemmatisers do not always agree with themselves.

One pass over the words: a dict from a word's lemma (or surface) to the phrases starting with
it, every candidate checked against the following words, the longest taken, the scan resumed
after it. A multi-word match does not cross a sentence break. Aliases with hyphens are cut into
their parts; so is a hyphenated word of a post unless the tables know it whole (АҚШ-тың),
which lets российско-китайских and US-led meet their parts.

The same engine (`PhraseIndex`, `Stream`) serves the theme tagger.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from multivector.annotate.stopwords import is_stop
from multivector.annotate.tokens import (
    WORD_RE,
    latin_given_name,
    lemma,
    lemma_cache,
    ru_given_name,
    ru_known_word,
)
from multivector.knowledge.loader import Actor, Knowledge, Term
from multivector.model import InputError, Mention

# Case shapes a `cased` word must show in the text.
ANY_CASE, TITLE, UPPER = 0, 1, 2

_BREAK = re.compile(r"[!?;…\n\r]|\.\s")
_CONNECTOR = re.compile(r"[-–—+/]")
_ENDING_MARK = re.compile(r"[-'’]")  # what sets an ending off an abbreviation: АҚШ-тың, EU's
_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)
_KAZAKH_ONLY = re.compile(r"[әғқңөұүһі]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Slot:
    """What one word of a phrase accepts."""

    lemmas: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    surfaces: frozenset[str] = frozenset()
    case: int = ANY_CASE
    connector: bool = False  # the alias has a dash or plus before this word: the text must too
    # Stems the Kazakh stemmer cut out of a person's name itself (Байден -> бай, as if -ден
    # were an ending), or out of a name written in another language (Нарын -> нар): they count
    # only for a word written as the name begins, not for every word of that stem (байлығымыз,
    # "our wealth"; нар, a camel). Kazakh spellings of places keep their stems whole: the stem
    # is what joins their spellings and inflected forms (Самарқан, Самарқанд).
    cut: frozenset[str] = frozenset()
    head: str = ""

    def accepts(self, surface: str, lem: str) -> bool:
        if surface in self.surfaces:
            return True
        if lem in self.lemmas or (self.prefixes and lem.startswith(self.prefixes)):
            if self.cut and lem in self.cut and not surface.lower().startswith(self.head):
                return False
            if self.case == ANY_CASE:
                return True
            if self.case == UPPER:  # the word before its ending: АҚШ-тың, EU's
                return _capitals(_ENDING_MARK.split(surface, 1)[0])
            return surface[:1].isupper()
        return False


def _capitals(word: str) -> bool:
    """An abbreviation as written: in capitals, or in capitals with a Russian case ending of
    at most three lower-case letters (МКАДе, МИДом); «лаги» and «воз» are words."""
    k = 0
    while k < len(word) and (word[k].isupper() or word[k].isdigit()):  # C5, G7
        k += 1
    head = word[:k]
    return k > 1 and head.isupper() and (k == len(word) or (len(word) - k <= 3 and word[k:].islower()))


@dataclass(frozen=True, slots=True)
class Phrase:
    slots: tuple[Slot, ...]
    payload: Any
    rank: int = 0  # among equally long matches the higher rank wins


class Stream:
    """The words of one text with spans, surfaces and lemmas; hyphenated words the vocabulary
    does not know as a whole are replaced by their parts."""

    __slots__ = ("text", "starts", "ends", "surfaces", "lemmas")

    def __init__(self, text: str, starts: list[int], ends: list[int], surfaces: list[str], lemmas: list[str]):
        self.text = text
        self.starts = starts
        self.ends = ends
        self.surfaces = surfaces
        self.lemmas = lemmas

    def __len__(self) -> int:
        return len(self.lemmas)

    def gap(self, j: int) -> str:
        """The text between word j-1 and word j."""
        return self.text[self.ends[j - 1] : self.starts[j]]

    def joined(self, j: int, connector: bool = False) -> bool:
        """True when word j continues the phrase of word j-1: no sentence break between them
        and, if `connector`, a dash or plus (Центральная Азия – Китай, C5+1)."""
        gap = self.gap(j)
        if connector:
            return bool(_CONNECTOR.search(gap)) and not _BREAK.search(gap)
        if gap == " " or gap == "-":
            return True
        return not _BREAK.search(gap)


_URL = re.compile(r"(?:https?://|www\.|t\.me/)[^\s<>()\[\]«»\"]+", re.IGNORECASE)


def make_stream(text: str, lang: str | None, vocab: frozenset[str] | set[str]) -> Stream:
    """The words of `text` (words inside links are skipped: bbc.com/russian is not Russia)."""
    starts: list[int] = []
    ends: list[int] = []
    surfaces: list[str] = []
    lemmas: list[str] = []
    urls = (
        [m.span() for m in _URL.finditer(text)]
        if ("://" in text or "www." in text or "t.me/" in text)
        else ()
    )
    cache = lemma_cache(lang)  # the hot path: one dict lookup per known word form
    k = 0  # the first link that does not end before the word: links and words both run in order
    for m in WORD_RE.finditer(text):
        a, b = m.span()
        if urls:
            while k < len(urls) and urls[k][1] <= a:
                k += 1
            if k < len(urls) and urls[k][0] <= a:
                continue
        w = m.group()
        lw = cache.get(w)
        if lw is None:
            lw = lemma(w, lang)
        if "-" in w and lw not in vocab:
            pos = a
            for part in w.split("-"):
                if part:
                    starts.append(pos)
                    ends.append(pos + len(part))
                    surfaces.append(part)
                    lemmas.append(lemma(part, lang))
                pos += len(part) + 1
            continue
        starts.append(a)
        ends.append(b)
        surfaces.append(w)
        lemmas.append(lw)
    return Stream(text, starts, ends, surfaces, lemmas)


class PhraseIndex:
    """Phrases indexed by what their first word accepts: lemma, surface or lemma prefix."""

    STARTING_LIMIT = 100_000  # word forms whose starting phrases are remembered

    def __init__(self) -> None:
        self.by_lemma: dict[str, list[Phrase]] = defaultdict(list)
        self.by_surface: dict[str, list[Phrase]] = defaultdict(list)
        self.by_prefix: dict[str, list[Phrase]] = defaultdict(list)  # keyed by the prefix's first 3 letters
        self.vocab: set[str] = set()  # every whole lemma any slot accepts
        self.titles: frozenset[str] = frozenset()  # actor tables: lemmas of cues.yaml's `title`
        self._starting: dict[tuple[str, str], tuple[Phrase, ...]] = {}

    def add(self, phrase: Phrase) -> None:
        self._starting.clear()
        first = phrase.slots[0]
        for lem_ in first.lemmas:
            self.by_lemma[lem_].append(phrase)
        for s in first.surfaces:
            self.by_surface[s].append(phrase)
        for p in first.prefixes:
            self.by_prefix[p[:3]].append(phrase)
        for slot in phrase.slots:
            self.vocab.update(slot.lemmas)
            self.vocab.update(s.lower() for s in slot.surfaces)

    def freeze(self) -> PhraseIndex:
        self.by_lemma = dict(self.by_lemma)
        self.by_surface = dict(self.by_surface)
        self.by_prefix = dict(self.by_prefix)
        return self

    def candidates(self, s: Stream) -> list[int]:
        """Positions where some phrase could start: a cheap set test per word, so that
        `matches_at` runs only where the first word is known."""
        by_lemma, by_surface, by_prefix = self.by_lemma, self.by_surface, self.by_prefix
        pairs = zip(s.lemmas, s.surfaces, strict=True)
        if by_prefix:
            return [
                i
                for i, (lm, sf) in enumerate(pairs)
                if lm in by_lemma or sf in by_surface or lm[:3] in by_prefix
            ]
        return [i for i, (lm, sf) in enumerate(pairs) if lm in by_lemma or sf in by_surface]

    def starting(self, surface: str, lem_: str) -> tuple[Phrase, ...]:
        """The phrases whose first word accepts this word, remembered per (lemma, surface):
        a phrase list is filtered once per word form, not at every occurrence."""
        key = (lem_, surface)
        found = self._starting.get(key)
        if found is None:
            cands = self.by_lemma.get(lem_, [])
            cands = cands + self.by_surface.get(surface, [])
            if self.by_prefix:
                cands = cands + self.by_prefix.get(lem_[:3], [])
            found = tuple(ph for ph in cands if ph.slots[0].accepts(surface, lem_))
            if len(self._starting) >= self.STARTING_LIMIT:
                self._starting.clear()
            self._starting[key] = found
        return found

    def matches_at(self, s: Stream, i: int) -> list[tuple[Phrase, int]]:
        """Every phrase that matches the words from i on, with the index after its last word."""
        out = []
        n = len(s.lemmas)
        for ph in self.starting(s.surfaces[i], s.lemmas[i]):
            slots = ph.slots
            end = i + len(slots)
            if end > n:
                continue
            for k in range(1, len(slots)):
                j = i + k
                slot = slots[k]
                if not slot.accepts(s.surfaces[j], s.lemmas[j]) or not s.joined(j, slot.connector):
                    break
            else:
                out.append((ph, end))
        return out


# ---------------------------------------------------------------------------------------------
# Compiling actors.yaml into one index per post language


def _case_of(word: str) -> int:
    if len(word) > 1 and word.isupper():
        return UPPER
    if word[:1].isupper():
        return TITLE
    return ANY_CASE


def ru_name_forms(word: str) -> list[str]:
    """Case forms of a Russian surname or first name (Токаев -> Токаева, Токаеву ...).

    pymorphy3 lemmatises unknown surnames inconsistently (Токаев -> токай, Токаева ->
    токаева, Токаевым -> токаев), so a person's alias accepts the lemma of every case form.
    """
    w = word
    low = w.lower()
    if not _CYRILLIC.search(w) or len(w) < 3:
        return [w]
    if low.endswith(("ов", "ев", "ёв", "ин", "ын")):
        forms = [w + e for e in ("а", "у", "ым", "е", "ой")]  # male forms, and female -ой
    elif low.endswith(("ий", "ый")):
        stem = w[:-2]
        forms = [stem + e for e in ("ого", "ому", "им", "ом", "ая", "ой", "ую")]
    elif low.endswith("ь") or low.endswith("й"):
        stem = w[:-1]
        forms = [stem + e for e in ("я", "ю", "ем", "е")]
    elif low.endswith("а"):
        stem = w[:-1]
        forms = [stem + e for e in ("ы", "и", "е", "у", "ой", "ою")]
    elif low.endswith("я"):
        stem = w[:-1]
        forms = [stem + e for e in ("и", "ю", "ей", "е")]
    elif low[-1] in "бвгджзклмнпрстфхцчшщ":
        soft = low[-1] in "жшчщц"
        forms = [w + e for e in ("а", "у", "ем" if soft else "ом", "е")]
    else:
        forms = []  # ends in another vowel: not declined (Нуртлеу, Шойгу, Си)
    return [w, *forms]


@dataclass(slots=True)
class _Entry:
    payload: Any  # (actor id, kind, context ids or None, given names or None) or None for an exclusion
    term: Term
    own: bool  # written in the table's language (or "any")


def _actor_terms(actor: Actor) -> list[tuple[str, Term]]:
    """(mode, term) for every way to match the actor. Names count as aliases; a name or alias
    whose text is also listed under `cased`, `exact` or `weak` (in any language) is matched
    only in that stricter way, so a homonym is never let in through another language's list."""
    strict = {t.text for t in (*actor.cased, *actor.exact, *actor.weak)}
    out: list[tuple[str, Term]] = []
    for lang, name in actor.names.items():
        if name not in strict:
            out.append(("lemma", Term(name, lang, actor.where, 0)))
    out.extend(("lemma", t) for t in (*actor.aliases, *actor.places) if t.text not in strict)
    out.extend(("cased", t) for t in actor.cased)
    out.extend(("exact", t) for t in actor.exact)
    out.extend(("weak", t) for t in actor.weak)
    out.extend(("exclude", t) for t in actor.exclude)
    return out


def reads_as_kazakh(word: str, table_lang: str | None) -> bool:
    return bool(_CYRILLIC.search(word)) and (table_lang == "kk" or bool(_KAZAKH_ONLY.search(word)))


_BACK = frozenset("аоұыуяюё")
_FRONT = frozenset("әөүіеэи")
_KK_VOICELESS = frozenset("кқпстфхцчшщв")


@lru_cache(maxsize=20_000)
def kk_forms(word: str) -> list[str]:
    """A Kazakh word with its common endings (case, possessive, plural, -лық), following vowel
    harmony and the sound before the ending: Үнді -> Үндінің, Үнділік, Үндіге ...

    The stemmer sometimes cuts a bare word and its inflected forms to different stems
    (үнді -> үнд, but үнділік -> үнді); an alias accepts the stem of every form.
    """
    low = word.lower()
    vowels = [c for c in low if c in _BACK or c in _FRONT]
    front = bool(vowels) and vowels[-1] in _FRONT
    last = low[-1]
    if last in _BACK or last in _FRONT:
        ends = ["ның", "ға", "да", "дан", "ны", "мен", "лық", "лар", "сы", "дағы"]
        if last == "у":  # also read as the consonant it is in оқу -> оқудың: Бакудың, Нетаньяхуды
            ends += ["дың", "ды"]
    elif last in "мнң":
        ends = ["ның", "ға", "да", "нан", "ды", "мен", "дық", "дар", "ы", "дағы"]
    elif last in _KK_VOICELESS:
        ends = ["тың", "қа", "та", "тан", "ты", "пен", "тық", "тар", "ы", "тағы"]
    else:  # л р й у з ж
        sonorant = last in "йур"
        ends = ["дың", "ға", "да", "дан", "ды", "мен" if last in "лрйу" else "бен",
                "лық" if sonorant else "дық", "лар" if sonorant else "дар", "ы", "дағы"]  # fmt: skip
    # Both harmonies, the word's own first: loan words follow either (Тоқаевтың, Ресейдің).
    fronted = [e.translate(_TO_FRONT) for e in ends]
    ordered = fronted + ends if front else ends + fronted
    return [word, *dict.fromkeys(word + e for e in ordered)]


def _kk_cut_stems(word: str, stems: set[str], foreign: bool = False) -> tuple[str, frozenset[str]]:
    """The alias word as a written word must begin (its last letter left out when it is one
    that voices before an ending: Бішкек -> Бішкегі; for a Russian spelling, also a last
    vowel, which Kazakh words drop: Эмираты -> эмираттық), and the stems shorter than that."""
    head = word.lower()
    if len(head) > 3 and (head[-1] in "кқп" or (foreign and head[-1] in _RU_FINAL_VOWELS)):
        head = head[:-1]
    return head, frozenset(s for s in stems if len(s) < len(head))


_RU_FINAL_VOWELS = frozenset("аеиоуыэюя")


_TO_FRONT = str.maketrans({"а": "е", "ы": "і", "ғ": "г", "қ": "к", "ұ": "ү"})


_PROPER = frozenset({"Geox", "Name", "Surn", "Patr", "Orgn", "Trad", "Abbr"})


@lru_cache(maxsize=20_000)
def _ru_lexeme(word: str) -> list[str]:
    """Every form of a Russian proper noun as pymorphy3 inflects it (Астана -> Астану ...):
    pymorphy3 lemmatises some forms to another word (Астану -> астан), so an alias accepts
    the lemma of each form. Only nouns are expanded (Орано is no form of орать)."""
    from multivector.annotate.tokens import _morph

    parses = _morph().parse(word.lower())
    if not parses or parses[0].tag.POS != "NOUN":
        return [word]
    return [word, *(f.word for f in parses[0].lexeme)]


@lru_cache(maxsize=20_000)
def _ru_own_forms(word: str) -> tuple[str, ...] | None:
    """The written forms of a capitalised Russian name that pymorphy3 reads first as an inflected
    form of another, common noun (Львов: "of lions", Семей: "of families"), None for any other
    word. The forms are those of its place or name reading when pymorphy3 has one (Львова,
    Львове ...), else those of the common noun that begin as the name does (Акорда: Акорды,
    Акорде; Семей: not Семья)."""
    from multivector.annotate.tokens import _morph

    low = word.lower()
    parses = _morph().parse(low)
    top = parses[0] if parses else None
    if top is None or top.tag.POS != "NOUN" or _PROPER & set(top.tag.grammemes) or top.normal_form == low:
        return None
    readings = [p for p in parses if _PROPER & set(p.tag.grammemes) and p.normal_form == low]
    reading = next((p for p in readings if "Geox" in p.tag.grammemes), readings[0] if readings else top)
    forms = {f.word for f in reading.lexeme if f.word.startswith(low[:-1])} | {low}
    return tuple(sorted(f[:1].upper() + f[1:] for f in forms))


@lru_cache(maxsize=20_000)
def _common_word(word: str) -> bool:
    """True when pymorphy3 reads a capitalised Russian name first as an ordinary word
    (Песков -> песок, Токаев -> токай, Кремль -> кремль, Шеврон -> шеврон): such an alias word
    must then be capitalised in the text too."""
    from multivector.annotate.tokens import _morph

    m = _morph()
    low = word.lower()
    if not m.word_is_known(low):
        return False
    return not (_PROPER & set(m.parse(low)[0].tag.grammemes))


def _slots(
    mode: str, text: str, table_lang: str | None, person: bool, term_lang: str = "any"
) -> tuple[tuple[Slot, ...], tuple]:
    # Lemmas differ only between Kazakh and the rest (tokens.lemma), so the ru, en and
    # other-language tables share one reading of each alias.
    kazakh = table_lang == "kk"
    return _alias_slots(mode, text, kazakh, person, kazakh and term_lang not in ("kk", "any"))


@lru_cache(maxsize=50_000)
def _alias_slots(
    mode: str, text: str, kazakh: bool, person: bool, foreign: bool = False
) -> tuple[tuple[Slot, ...], tuple]:
    """The slots of one alias, and its key in the table. `foreign`: an alias written in another
    language than the table's Kazakh (Russian «Нарын» read in Kazakh posts)."""
    table_lang = "kk" if kazakh else None
    slots = []
    key = []
    # Words, with hyphenated ones cut into parts (Китай-город -> Китай + город): posts are read
    # the same way unless the whole word is known, so both sides meet on the parts.
    words: list[tuple[str, bool]] = []
    prev_end = None
    for m in WORD_RE.finditer(text):
        connector = prev_end is not None and bool(_CONNECTOR.search(text[prev_end : m.start()]))
        prev_end = m.end()
        for k, part in enumerate(p for p in m.group().split("-") if p):
            words.append((part, connector or k > 0))
    for n, (w, connector) in enumerate(words):
        if mode == "exact":
            slots.append(Slot(surfaces=frozenset([w]), connector=connector))
            key.append(("S", w, connector))
            continue
        base = lemma(w, table_lang)
        lemmas = {base}
        case = _case_of(w) if mode in ("cased", "weak") else ANY_CASE
        if case == ANY_CASE and len(w) > 1 and w.isascii() and w.isupper() and mode != "exclude":
            # An abbreviation in lower case is another word or a code: a two-letter one counts as
            # written (eu-central-1, a .uk address), a longer one with its capital at least
            # (the pace of talks is no PACE; Nato and Opec are house styles).
            case = _case_of(w) if len(w) <= 2 else TITLE
        cut: frozenset[str] = frozenset()
        head = ""
        if reads_as_kazakh(w, table_lang):
            if n == len(words) - 1:  # Kazakh endings go on the last word of a phrase
                lemmas.update(lemma(f, table_lang) for f in kk_forms(w))
            # A stem of one or two letters is some other word's too (үнді -> үн, "voice").
            short = len(base) < 3 < len(w)
            if (person or foreign or short) and mode != "exclude":
                # The Kazakh stemmer reads a Russian spelling as if it were Kazakh: what it cuts
                # off (Нарын -> нар, a Kazakh word) is no form of the name.
                head, cut = _kk_cut_stems(w, lemmas, foreign and not person)
                if person and case == ANY_CASE:
                    case = _case_of(w)  # a person's name is written with its capital, as in Russian
        elif _CYRILLIC.search(w) and w[:1].isupper():
            single = len(words) == 1 and not person and not w.isupper() and mode != "exclude"
            own = _ru_own_forms(w) if single else None
            if own is not None:
                # pymorphy3 reads the name first as a form of another word (Львов -> лев, Семей ->
                # семья): the name's own written forms count, not every form of that word.
                slots.append(Slot(surfaces=frozenset(own), connector=connector))
                key.append(("S", own, connector))
                continue
            if not w.isupper():
                forms = ru_name_forms(w) if person else _ru_lexeme(w)
                lemmas.update(lemma(f, table_lang) for f in forms)
            # A name that is also a word keeps its capital (Песков/песок), and an abbreviation
            # its capitals: «лаг репликации» is no ЛАГ, the Arab League.
            abbreviation = len(w) > 1 and w.isupper()
            if case == ANY_CASE and (person or abbreviation or _common_word(w)) and mode != "exclude":
                case = _case_of(w)
        slots.append(Slot(lemmas=frozenset(lemmas), case=case, connector=connector, cut=cut, head=head))
        # A foreign alias keeps the key of the same words written in Kazakh: the table then
        # holds one of them, the Kazakh one when both are listed (see build_actor_index).
        key.append(("L", base, case, connector, head if cut and person else ""))
    return tuple(slots), tuple(key)


_RANK = {"exact": 3, "exclude": 2, "cased": 2, "weak": 2, "lemma": 1}


def build_actor_index(knowledge: Knowledge, lang: str | None) -> PhraseIndex:
    """The alias table for posts in `lang` (ru, kk, en, or None for anything else)."""
    entries: dict[tuple, _Entry] = {}
    phrases: dict[tuple, Phrase] = {}
    for actor in knowledge.actors.values():
        person = actor.kind == "person"
        context = frozenset(x for x in (actor.id, actor.country, *actor.partners) if x)
        given = _given_names(actor) if person else None
        for mode, term in _actor_terms(actor):
            slots, key = _slots(mode, term.text, lang, person, term.lang)
            if not slots:
                continue
            if mode == "exclude":
                payload = None
            else:
                payload = (actor.id, actor.kind, context if mode == "weak" else None, given)
            own = term.lang == "any" or term.lang == lang or lang is None
            new = _Entry(payload, term, own)
            old = entries.get(key)
            if old is not None:
                same = (old.payload and old.payload[0]) == (payload and payload[0])
                if same:
                    if (new.own, new.term.layer) > (old.own, old.term.layer):
                        entries[key] = new
                        phrases[key] = Phrase(slots, payload, _RANK[mode])
                    continue
                if (new.own, new.term.layer) == (old.own, old.term.layer) and new.own:
                    a = old.payload[0] if old.payload else "an exclusion"
                    raise InputError(
                        f"{term.where}: '{term.text}' of '{actor.id}' matches the same words "
                        f"as '{old.term.text}' of {a!r} ({old.term.where})"
                    )
                if (new.own, new.term.layer) < (old.own, old.term.layer):
                    continue
            entries[key] = new
            # exact > cased > lemma among equally long matches: the stricter rule knows more
            phrases[key] = Phrase(slots, payload, _RANK[mode])
    index = PhraseIndex()
    for phrase in phrases.values():
        index.add(phrase)
    # Words before a surname that are no first name; only Latin letters are read there, and
    # their lemmas do not depend on the post's language.
    index.titles = frozenset(lemma(t.text, None) for t in knowledge.cues.get("title", []))
    return index.freeze()


def actor_index(knowledge: Knowledge, lang: str | None) -> PhraseIndex:
    lang = lang if lang in ("ru", "kk", "en") else None
    return knowledge.compiled(("actors", lang), lambda: build_actor_index(knowledge, lang))


OPEN_QUOTES = frozenset("«\"“„'")
CLOSE_QUOTES = frozenset("»\"”“'")
# A state's name or adjective right before a language noun names the language (казахский
# язык, қазақ тілі, Kazakh-language press), and right after a sports club's abbreviation it
# names the club (ФК Астана, FC Astana): in neither is the state a party. Lemmas, as
# `tokens.lemma` gives them.
LANGUAGE_AFTER = frozenset({"язык", "тіл", "language"})
CLUB_BEFORE = frozenset({"фк", "fc", "хк", "hc"})
# A university named after states or a city: the joint ones by a compound of two states
# (казахско-турецкий университет, Kazakh-British Technical University), and in English any
# capitalised name that ends in University (Astana Medical University).
UNIVERSITY = frozenset({"университет", "university"})


def _names_a_language(s: Stream, i: int, end: int) -> bool:
    """Words i..end-1, an actor's alias, name a language: a language noun follows.

    Only where the alias reads as the language's adjective: Russian and Kazakh write that in
    lower case, so a capital inside a sentence is the state or its capital (Для Москвы язык —
    главный канал; Астана тіл саясатын ...); English capitalises both, and only a possessive
    is the state (Kazakhstan's language policy)."""
    if end >= len(s) or s.lemmas[end] not in LANGUAGE_AFTER or not s.joined(end):
        return False
    first = s.surfaces[i]
    if _CYRILLIC.search(first):
        # A capital opening a sentence or what follows a colon says nothing.
        return first[:1].islower() or i == 0 or not s.joined(i) or ":" in s.gap(i)
    return not _possessive(s.surfaces[end - 1])


def _possessive(word: str) -> bool:
    return word.endswith(("'s", "’s"))


def _names_a_university(s: Stream, i: int, end: int) -> bool:
    """Words i..end-1, an actor's alias, begin the name of a university (`UNIVERSITY`)."""
    if UNIVERSITY.isdisjoint(s.lemmas[end : end + 5]):
        return False  # the common case, decided without a look at the words between
    j = end  # past the compound's other parts: казахско-турецкий, Kazakh-British
    while j < len(s) and s.gap(j) == "-":
        j += 1
    compound = j > end or (i > 0 and s.gap(i) == "-")
    if not compound and _possessive(s.surfaces[end - 1]):
        return False  # the UK's Cardiff University: the state, then the university
    for k in range(j, min(j + 3, len(s))):  # then at most two words before the noun
        if not s.joined(k):
            return False
        word = s.surfaces[k]
        if s.lemmas[k] in UNIVERSITY:
            return compound or word == "University"
        # Between them: words of the name (технический, Technical), not a conjunction or the like.
        if is_stop(s.lemmas[k]) if compound else not word[:1].isupper():
            return False
    return False


def _given_names(actor: Actor) -> frozenset[str]:
    """The first names a person's names and aliases give (Дмитрий, Dmitry), lower case."""
    words = set()
    for mode, term in _actor_terms(actor):
        parts = term.text.split()
        if mode != "exclude" and len(parts) > 1:
            words.update(ru_given_name(p) or p.lower() for p in parts[:-1])
    return frozenset(words)


_LATIN_WORD = re.compile(r"[A-Z][a-z]{2,}")
_SENTENCE_OPENS = re.compile(r"[.!?;:…\n\r\"'«“„(\[—–-]")  # what may come before a sentence's first word


def _someone_else(s: Stream, i: int, given: frozenset[str], index: PhraseIndex) -> bool:
    """A person's surname, named alone, right after another first name: a namesake or a relative
    (Иван Бортников, the director's son; Ахмат Кадыров, the father; Даниил Медведев). Russian
    first names of pymorphy3's dictionary; in Latin letters, any capitalised word that is none of
    the person's own first names, no rank, office or date (cues.yaml's `title`) and no name the
    tables know (Kremlin, Russian). A short form of the person's own (Тони for Энтони) is the
    person."""
    if i == 0 or s.gap(i) != " " or not s.surfaces[i - 1][:1].isupper():
        return False
    before = s.surfaces[i - 2] if i > 1 and s.gap(i - 1) == " " else ""
    if _LATIN_WORD.fullmatch(s.surfaces[i - 1]) and s.surfaces[i].isascii():
        return _latin_namesake(s, i, given, index, before)
    if before.istitle() and (not ru_known_word(before) or ru_given_name(before)):
        return False  # the end of another full name (Эмомали Рахмон Путинге ...)
    first = ru_given_name(s.surfaces[i - 1])
    return first is not None and not any(g.endswith(first) for g in given)


def _latin_namesake(s: Stream, i: int, given: frozenset[str], index: PhraseIndex, before: str) -> bool:
    word, lem = s.surfaces[i - 1], s.lemmas[i - 1]
    if is_stop(lem) or lem in index.titles or lem in index.vocab:
        return False
    # Inside a run of capitalised words (a headline in title case, a longer name) the word is not
    # read as a first name; a possessive or a function word before it does not make such a run
    # (Russia's Daniil Medvedev, and Daniil Medvedev).
    if before.istitle() and not is_stop(before.lower()) and not before.endswith(("'s", "’s")):
        return False
    # The person's own first names are words of the tables (`vocab` above, Jomart of Kassym-Jomart);
    # other spellings of them differ in their ending (Dmitri for Dmitry, Sergei for Sergey): the
    # first three letters decide, or the Russian name they spell.
    name = latin_given_name(word)
    if name in given or any(g[:3] == word[:3].lower() for g in given):
        return False
    # A sentence's first word is capitalised anyway (Remember Putin's ..., Meanwhile Lavrov ...):
    # there it must read as a first name.
    return name is not None or not (i == 1 or _SENTENCE_OPENS.search(s.gap(i - 1)))


def link(s: Stream, index: PhraseIndex) -> list[Mention]:
    """Leftmost-longest matching of the actor index over a stream.

    Rules on top of the tables: a country named alone inside quotes is the name of something
    else («Астана» the football club, «Казахстан» the TV channel), and so is one before a
    language noun, after a club's abbreviation or at the head of a university's name
    (`LANGUAGE_AFTER`, `CLUB_BEFORE`, `UNIVERSITY`); a person's surname alone after another
    first name is someone else (`_someone_else`); a `weak` alias counts only when the post
    names the actor, its country or its partner otherwise.
    """
    out: list[Mention] = []
    weak: list[tuple[Mention, frozenset[str]]] = []
    text = s.text
    next_free = 0  # matches do not overlap: the next one starts after the last one's end
    for i in index.candidates(s):
        if i < next_free:
            continue
        found = index.matches_at(s, i)
        if not found:
            continue
        best, end = found[0]
        for ph, e in found[1:]:
            if e > end or (e == end and ph.rank > best.rank):
                best, end = ph, e
        if best.payload is not None:
            start, stop = s.starts[i], s.ends[end - 1]
            actor_id, kind, context, given = best.payload
            if kind == "country" and (
                (
                    end == i + 1
                    and text[start - 1 : start] in OPEN_QUOTES
                    and text[stop : stop + 1] in CLOSE_QUOTES
                )
                or _names_a_language(s, i, end)
                or _names_a_university(s, i, end)
                or (i > 0 and s.lemmas[i - 1] in CLUB_BEFORE and s.joined(i))
            ):
                next_free = end
                continue
            if given is not None and end == i + 1 and _someone_else(s, i, given, index):
                next_free = end
                continue
            mention = Mention(start, stop, text[start:stop], actor_id, kind)
            if context is None:
                out.append(mention)
            else:
                weak.append((mention, context))
        next_free = end
    if weak:
        named = {m.actor for m in out}
        out.extend(m for m, context in weak if context & named)
        out.sort(key=lambda m: m.start)
    return out
