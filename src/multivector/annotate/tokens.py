"""Words, their spans and their lemmas, for Russian, Kazakh and English.

One function, `tokens(text, lang)`, serves full-text search (store/), the gazetteer linker
and the theme tagger: they must all see the same lemma for the same word, or a query would
miss what the linker found. Russian goes through pymorphy3, Kazakh through our stemmer,
Latin script through a light English stemmer. Every lemma is cached: a year of posts
repeats the same few hundred thousand word forms millions of times.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from multivector.annotate import kazakh
from multivector.knowledge.patterns import WORD_RE

_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)
_KAZAKH_ONLY = re.compile(r"[әғқңөұүһі]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


class Token(NamedTuple):
    start: int
    end: int
    text: str
    lemma: str


@lru_cache(maxsize=1)
def _morph():
    # pymorphy3 loads its dictionaries once per process (~15 MB, ~0.3 s).
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=500_000)
def ru_lemma(word: str) -> str:
    """Normal form of a lower-case Russian word ('ядерной' -> 'ядерный')."""
    found = _known_word_lemma(word) if _lean_lookup() else None
    if found is None:
        found = _morph().parse(word)[0].normal_form
    return found.replace("ё", "е")


@lru_cache(maxsize=1)
def _lean_lookup() -> bool:
    """True when pymorphy3 analyses a word as `_known_word_lemma` assumes: the dictionary
    first, with the initials units beside it (they read one letter only), the group final
    when it finds anything, and parses ranked by P(tag | word)."""
    m = _morph()
    try:  # another pymorphy3 may be built otherwise: then every word takes the full analysis
        from pymorphy3.units import (
            AbbreviatedFirstNameAnalyzer,
            AbbreviatedPatronymicAnalyzer,
            DictionaryAnalyzer,
        )

        kinds = [(type(unit), final) for unit, final in m._units[:3]]
        d = m.dictionary
        ready = all(hasattr(d, a) for a in ("words", "paradigms", "gramtab", "build_normal_form"))
        probs = m.prob_estimator.p_t_given_w if m.prob_estimator is not None else None
    except (ImportError, AttributeError, TypeError, ValueError):
        return False
    expected = [
        (DictionaryAnalyzer, False),
        (AbbreviatedFirstNameAnalyzer, False),
        (AbbreviatedPatronymicAnalyzer, True),
    ]
    return kinds == expected and ready and probs is not None


def _known_word_lemma(word: str) -> str | None:
    """`parse(word)[0].normal_form` for a word of pymorphy3's dictionary, None for any other.

    A sixth of a worker's time went to lemmatising forms it had not seen yet. For dictionary
    words, `parse` builds every reading with its normal form and then sorts them by P(tag |
    word); here only the probabilities are looked up, and the normal form is built for the
    winner alone (the first of the most probable, as the stable sort leaves it): the same
    lemma in less than half the time (tests/test_prepare.py compares the two)."""
    if len(word) < 2:
        return None  # one letter may be an initial: the full analysis decides
    m = _morph()
    d = m.dictionary
    paradigms, gramtab, probs = d.paradigms, d.gramtab, m.prob_estimator.p_t_given_w
    best_p = -1
    best = None
    for fixed, parses in d.words.similar_items(word, m.char_substitutes):
        for para_id, idx in parses:
            paradigm = paradigms[para_id]
            p = probs.get(f"{word}:{gramtab[paradigm[len(paradigm) // 3 + idx]]}", 0)
            if p > best_p:
                best_p, best = p, (para_id, idx, fixed)
    return d.build_normal_form(*best) if best is not None else None


@lru_cache(maxsize=20_000)
def ru_known_word(word: str) -> bool:
    """A Russian word of pymorphy3's dictionary (in any case), not a guess at an unknown one."""
    if not _CYRILLIC.search(word) or _KAZAKH_ONLY.search(word):
        return False
    return _morph().word_is_known(word.lower())


@lru_cache(maxsize=20_000)
def ru_given_name(word: str) -> str | None:
    """The normal form of a Russian first name («Ивана» -> 'иван'), None for any other word:
    a word of pymorphy3's dictionary whose most probable reading carries the Name tag (a guess
    at an unknown word would take Kazakh words such as «Астанада» for names)."""
    if not ru_known_word(word):
        return None
    parse = _morph().parse(word.lower())[0]
    return parse.normal_form.replace("ё", "е") if "Name" in parse.tag else None


# Latin spellings of Russian sounds, longest first; the ends of names apart (Dmitry -> Дмитрий,
# Sergei -> Сергей, Maria -> Мария).
_LATIN_ENDS = (("iy", "ий"), ("yi", "ый"), ("ei", "ей"), ("ey", "ей"), ("ai", "ай"), ("ay", "ай"),
               ("oi", "ой"), ("oy", "ой"), ("ia", "ия"), ("y", "ий"), ("i", "ий"))  # fmt: skip
_LATIN_SOUNDS = re.compile(r"shch|sch|zh|kh|ts|ch|sh|yu|ya|yo|ye|[a-z]")
_CYRILLIC_OF = {
    "shch": "щ", "sch": "щ", "zh": "ж", "kh": "х", "ts": "ц", "ch": "ч", "sh": "ш", "yu": "ю",
    "ya": "я", "yo": "ё", "ye": "е", "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф",
    "g": "г", "h": "х", "i": "и", "j": "дж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о",
    "p": "п", "q": "к", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "кс",
    "y": "ы", "z": "з",
}  # fmt: skip


@lru_cache(maxsize=5_000)
def latin_given_name(word: str) -> str | None:
    """A first name in Latin letters that reads as a Russian one (Daniil, Dmitri, Yevgeny, Eric),
    in its Russian normal form; None for any other word (Remember, Meanwhile). The English
    spelling is turned back into Cyrillic the way names are transliterated, and pymorphy3's
    dictionary decides (`ru_given_name`)."""
    w = word.lower()
    if not w.isascii() or not w.isalpha() or len(w) < 3:
        return None
    end = ""
    for latin, cyrillic in _LATIN_ENDS:
        # A vowel before a final -y or -i is part of the ending pairs above (Sergei, Nikolai).
        if w.endswith(latin) and len(w) > len(latin) + 1 and (len(latin) > 1 or w[-2] not in "aeiouy"):
            w, end = w[: -len(latin)], cyrillic
            break
    body = "".join(_CYRILLIC_OF[m] for m in _LATIN_SOUNDS.findall(w)) + end
    spellings = [body, body + "ь"]
    if body.startswith("е"):
        spellings += ["э" + body[1:]]  # Eric -> Эрик, Eduard -> Эдуард
    for spelling in spellings:
        found = ru_given_name(spelling)
        if found:
            return found
    return None


@lru_cache(maxsize=200_000)
def en_stem(word: str) -> str:
    """Light English stemming: possessives and plurals only ('sanctions' -> 'sanction')."""
    w = word.replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    elif w.endswith("'"):
        w = w[:-1]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "xes", "ches", "shes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ys")):
        return w[:-1]
    return w


def _lemma(word: str, lang: str | None) -> str:
    w = word.lower().replace("ё", "е")
    if w.isdigit():
        return w
    if _CYRILLIC.search(w):
        if lang == "kk" or _KAZAKH_ONLY.search(w):
            return kazakh.stem(w)
        if "-" in w:
            # Keep hyphenated compounds whole, but lemmatise their last part (северо-западного).
            head, _, tail = w.rpartition("-")
            return f"{head}-{ru_lemma(tail)}"
        return ru_lemma(w)
    if _LATIN.search(w):
        return en_stem(w)
    return w


# Surface form -> lemma, one table for Kazakh posts and one for the rest. A plain dict
# lookup per word is what makes a year of posts cheap: the same forms repeat endlessly.
_CACHES: dict[bool, dict[str, str]] = {True: {}, False: {}}
_CACHE_LIMIT = 1_000_000


def lemma_cache(lang: str | None) -> dict[str, str]:
    """The surface -> lemma table for posts of `lang`; a miss is filled by `lemma()`."""
    cache = _CACHES[lang == "kk"]
    if len(cache) > _CACHE_LIMIT:
        cache.clear()
    return cache


def lemma(word: str, lang: str | None) -> str:
    """The lemma of one word as it is written in a post of language `lang`."""
    cache = lemma_cache(lang)
    found = cache.get(word)
    if found is None:
        found = cache[word] = _lemma(word, lang)
    return found


def tokens(text: str, lang: str | None) -> list[Token]:
    """All words of `text` with their character spans and lemmas."""
    cache = lemma_cache(lang)
    out = []
    for m in WORD_RE.finditer(text):
        word = m.group()
        found = cache.get(word)
        if found is None:
            found = cache[word] = _lemma(word, lang)
        out.append(Token(m.start(), m.end(), word, found))
    return out


def lemma_text(text: str, lang: str | None) -> str:
    """The text as a space-separated string of lemmas: what the full-text index holds."""
    cache = lemma_cache(lang)
    out = []
    for word in WORD_RE.findall(text):
        found = cache.get(word)
        if found is None:
            found = cache[word] = _lemma(word, lang)
        out.append(found)
    return " ".join(out)


def query_lemmas(word: str) -> list[str]:
    """Every lemma a query word may stand for, when the query's language is unknown.

    A Cyrillic word may be Russian or Kazakh (Казахстан, Қытай), so both readings are
    searched; the result is de-duplicated and sorted so a query always builds the same SQL.
    """
    w = word.lower().replace("ё", "е")
    if _CYRILLIC.search(w) and not _KAZAKH_ONLY.search(w):
        return sorted({lemma(w, "ru"), lemma(w, "kk")})
    return [lemma(w, None)]
