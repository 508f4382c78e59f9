"""Key terms a reader can read: words as the posts write them, and the phrases they form.

The analysis ranks terms on lemmas (`text.py`: pymorphy3 normal forms, Kazakh stems, light
English stems), which is right for counting and wrong for showing: a Russian reader does not
write «деньга» for «деньги», nobody writes «bric» for BRICS. This module turns a ranked list
of lemmas into display terms by reading a sample of the posts they came from:

- each lemma is shown in its most frequent **surface form** in those posts, in the case the
  posts write it mid-sentence (a capital that only opens sentences is dropped for ordinary
  words and kept for names); a form that names the word counts double (the dictionary form, a
  Russian nominative, a Kazakh form without a case ending), so «санкции» wins over an equally
  frequent «санкций»;
- a lemma that mostly occurs inside one **phrase** is shown as that phrase («Средний
  коридор», «критические минералы»): a two- or three-word noun group of content words, with
  nothing but spaces between them, that holds at least `phrase_share` of the lemma's uses and
  occurs in at least `phrase_min_posts` posts; the phrase takes the place of its words shown
  before and they are not shown again on their own. No verbs (Токаев провёл), no English
  possessive slices (Kazakhstan's energy), no Kazakh word in a case form (Тоқаев Қазанда);
- a Russian noun group in an oblique case is named in the nominative, as a term is written
  («строительству атомной электростанции» -> «строительство атомной электростанции»,
  «Казани» -> «Казань»), a lone adjective in its dictionary form (российские -> российский);
- a lemma the sample never writes (the ranking saw it in posts of another language), and a
  Kazakh word the sample only writes in a case form, are skipped: the caller picks the posts
  (those in the report's language when there are enough).

The posts are read through the lemma string the full-text index already holds for them (no
dictionary lookups when it lines up with the words), only their lead (`max_chars`), and only
the ranked lemmas and the phrases that hold one are counted. Ties are broken alphabetically,
so the result does not depend on the order of the posts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from multivector.annotate.stopwords import stop_lemmas
from multivector.annotate.tokens import WORD_RE, tokens

# What may stand between a sentence break and the first word of the next sentence.
_OPENERS = set(" \t\u00a0«»\"'“”„(—–-•·*#")
_BREAKS = set(".!?…:;\n\r")
_CYRILLIC = re.compile(r"[а-яё]", re.I)
_LATIN = re.compile(r"[a-z]", re.I)
_KAZAKH_ONLY = re.compile(r"[әғқңөұүһі]", re.I)
_LINK = re.compile(
    r"(?:https?://|www\.|t\.me/)\S+|\b[\w.-]+\.(?:com|org|net|kz|ru|io|info|me)\b(?:/\S*)?", re.I
)


@dataclass
class TermOptions:
    phrase_share: float = 0.4  # a phrase stands for its word when it holds this share of its uses
    phrase_min_posts: int = 2  # ... and occurs in at least this many posts of the sample
    extend_share: float = 0.75  # a three-word phrase replaces its two-word part at this share
    min_chars: int = 2  # shorter words are neither terms nor phrase parts
    max_chars: int = 3000  # of each post: the lead, where a post names what it is about

    def as_dict(self) -> dict:
        return {
            "phrase_share": self.phrase_share,
            "phrase_min_posts": self.phrase_min_posts,
            "extend_share": self.extend_share,
            "lead_chars": self.max_chars,
        }


@dataclass
class SurfaceCounts:
    """What a sample of posts writes: word forms per lemma, and phrases of two and three words."""

    forms: dict[str, Counter] = field(default_factory=dict)  # lemma -> Counter(lower form)
    # lower form -> Counter(as written): mid-sentence, and as the first word of a sentence
    casing: dict[str, Counter] = field(default_factory=dict)
    opening: dict[str, Counter] = field(default_factory=dict)
    uses: Counter = field(default_factory=Counter)  # lemma -> occurrences
    grams: dict[tuple[str, ...], Counter] = field(default_factory=dict)  # lemmas -> Counter(lower phrase)
    gram_uses: Counter = field(default_factory=Counter)  # lemmas -> occurrences
    gram_posts: Counter = field(default_factory=Counter)  # lemmas -> posts
    gram_casing: dict[str, Counter] = field(default_factory=dict)  # lower phrase -> Counter(as written)
    kazakh: Counter = field(default_factory=Counter)  # lemma or phrase -> uses in Kazakh posts
    by_lemma: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)  # lemma -> its phrases
    posts: int = 0


def _content(word: str, lem: str, is_stop: Callable[[str], bool], opt: TermOptions) -> bool:
    if len(lem) < opt.min_chars or lem.isdigit():
        return False
    if len(lem) == 2:  # two letters only as a capitalised name or acronym (Xi, ЕС) inside phrases
        return word[:1].isupper() and lem.isalpha() and lem not in stop_lemmas()
    return not is_stop(lem)


def _debris(text: str, start: int, links: list[tuple[int, int]]) -> bool:
    """A hashtag, an @account or a word inside a link: not something the post says."""
    if start and text[start - 1] in "#@/":
        return True
    return bool(links) and any(a <= start < b for a, b in links)


def _sentence_start(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in _OPENERS:
        i -= 1
    return i < 0 or text[i] in _BREAKS


def _aligned(text: str, lemmas: str, max_chars: int) -> list[tuple[int, int, str, str]] | None:
    """The words of `text` paired with the lemma string the full-text index holds for it, read
    the way the indexer read them (annotate/link.py: words inside links skipped, a hyphenated
    word either whole or split into its parts); None when they do not line up."""
    from multivector.annotate.link import _URL

    parts = lemmas.split()
    urls = (
        [m.span() for m in _URL.finditer(text)]
        if ("://" in text or "www." in text or "t.me/" in text)
        else []
    )
    out: list[tuple[int, int, str, str]] = []
    i = 0
    for m in WORD_RE.finditer(text):
        a, b = m.span()
        if a >= max_chars:
            return out  # only the lead is read
        if i >= len(parts):
            return None
        if urls and any(u <= a < v for u, v in urls):
            continue
        word = m.group()
        if "-" in word and "-" not in parts[i]:  # indexed as its parts
            pos = a
            for piece in word.split("-"):
                if piece:
                    if i >= len(parts):
                        return None
                    out.append((pos, pos + len(piece), piece, parts[i]))
                    i += 1
                pos += len(piece) + 1
            continue
        out.append((a, b, word, parts[i]))
        i += 1
    return out if i == len(parts) else None


def _words(
    text: str, lang: str | None, lemmas: str | None, max_chars: int
) -> Iterable[tuple[int, int, str, str]]:
    """(start, end, word, lemma) of the words in the first `max_chars` of `text`; the lemmas
    from the full-text index when they line up with the words (no dictionary lookups), else
    lemmatised here."""
    found = _aligned(text, lemmas, max_chars) if lemmas else None
    if found is not None:
        return found
    return ((t.start, t.end, t.text, t.lemma) for t in tokens(text[:max_chars], lang))


def count_surfaces(
    texts: Iterable[tuple],
    is_stop: Callable[[str], bool],
    options: TermOptions | None = None,
    wanted: set[str] | None = None,
) -> SurfaceCounts:
    """Count word forms and phrases over `(text, lang)` or `(text, lang, lemma string)` items
    (lang: the post's language). With `wanted`, only those lemmas' forms and the phrases that
    hold one of them are counted: all a list of ranked terms needs, at a fraction of the cost."""
    opt = options or TermOptions()
    out = SurfaceCounts()
    stop: dict[str, bool] = {}  # lemma -> content word (two-letter words depend on their capital)
    for item in texts:
        text, lang = item[0], item[1]
        if not text:
            continue
        out.posts += 1
        links = [m.span() for m in _LINK.finditer(text)] if ("/" in text or "www" in text) else []
        seen: set[tuple[str, ...]] = set()
        run: list[tuple[str, str, bool]] = []  # consecutive content words: (lemma, written, first)
        prev_end = None
        for start, end, word, lem in _words(text, lang, item[2] if len(item) > 2 else None, opt.max_chars):
            content = stop.get(lem)
            if content is None or len(lem) == 2:
                content = stop[lem] = _content(word, lem, is_stop, opt)
            content = content and not _debris(text, start, links)
            first = _sentence_start(text, start)
            if content and (wanted is None or lem in wanted):
                low = word.lower()
                out.forms.setdefault(lem, Counter())[low] += 1
                out.uses[lem] += 1
                if lang == "kk":
                    out.kazakh[lem] += 1
                (out.opening if first else out.casing).setdefault(low, Counter())[word] += 1
            # A phrase is consecutive content words with only spaces between them.
            joined = prev_end is not None and text[prev_end:start].strip(" \u00a0") == "" and not first
            if not content or not joined:
                run = []
            if content:
                run.append((lem, word, first))
                for n in (2, 3):
                    if len(run) < n:
                        break
                    part = run[-n:]
                    key = tuple(p[0] for p in part)
                    if wanted is not None and not any(k in wanted for k in key):
                        continue
                    written = " ".join(p[1] for p in part)
                    low = written.lower()
                    out.grams.setdefault(key, Counter())[low] += 1
                    out.gram_uses[key] += 1
                    if lang == "kk":
                        out.kazakh[key] += 1
                    if key not in seen:
                        seen.add(key)
                        out.gram_posts[key] += 1
                    if not part[0][2]:
                        out.gram_casing.setdefault(low, Counter())[written] += 1
                    for lemma_ in key:
                        out.by_lemma.setdefault(lemma_, set()).add(key)
            prev_end = end
    return out


def _russian(word: str) -> bool:
    return bool(_CYRILLIC.search(word)) and not _KAZAKH_ONLY.search(word)


@lru_cache(maxsize=100_000)
def _parse_ru(form: str, lemma: str | None):
    """pymorphy3's reading of a lower-case Russian form; the one with the indexed lemma first."""
    from multivector.annotate.tokens import _morph

    parses = _morph().parse(form)
    if lemma is not None:
        for p in parses:
            if p.normal_form.replace("ё", "е") == lemma:
                return p
    return parses[0] if parses else None


@lru_cache(maxsize=100_000)
def _nominative_ru(form: str, lemma: str) -> bool:
    from multivector.annotate.tokens import _morph

    return any("nomn" in p.tag and p.normal_form.replace("ё", "е") == lemma for p in _morph().parse(form))


def _kk_case(word: str) -> bool:
    """A Kazakh word with a case ending (Қазанда, станциясын, Қытайдың): not how a term is named."""
    from multivector.annotate.kazakh import _strip_case

    low = word.lower()
    return "-" not in low and _strip_case(low) != low


def _form_weight(form: str, lemma: str, kazakh: bool = False) -> int:
    """2 for a form that names the word (its dictionary form, a Russian nominative, a Kazakh
    form without a case ending), else 1."""
    if form.replace("ё", "е") == lemma:
        return 2
    if kazakh or _KAZAKH_ONLY.search(form):
        return 1 if _kk_case(form) else 2
    if _russian(form) and _nominative_ru(form, lemma):
        return 2
    return 1


# Russian words a term phrase may hold: nouns and the adjectives and participles that go with
# them (критические минералы, строительство атомной станции); never a verb (Токаев провёл).
_NOMINAL = {"NOUN", "ADJF", "PRTF"}
_PROPER = {"Name", "Surn", "Patr", "Geox", "Orgn", "Trad", "Abbr"}


def _admissible(low: str, key: tuple[str, ...], kazakh: bool = False) -> bool:
    """A phrase an analyst would write as a term: a noun group, not a slice of a sentence."""
    kinds = []
    words = low.split(" ")
    if any(w.endswith(("'s", "’s")) for w in words[:-1]):
        return False  # "Kazakhstan's energy": a possessive opens a slice of a sentence
    if kazakh or any(_KAZAKH_ONLY.search(w) for w in words):
        # Kazakh: no word in a case form (Тоқаев Қазанда, Қытайдың CNNC); a name is nominative.
        return not any(_kk_case(w) for w in words if _CYRILLIC.search(w) or _KAZAKH_ONLY.search(w))
    for word, p in zip(words, _group_parses(words, key), strict=True):
        if not _russian(word):
            kinds.append("NOUN")  # Latin and Kazakh words are not parsed: names, acronyms, stems
            continue
        pos = p.tag.POS if p is not None else None
        if pos not in _NOMINAL:
            return False
        kinds.append(pos)
    return "NOUN" in kinds and kinds[-1] == "NOUN"


def _group_parses(words: list[str], key: tuple[str, ...]) -> list:
    """pymorphy3's readings of a Russian word group, read right to left: a word before a noun
    or adjective is read as an adjective agreeing with it in case and number when it can be
    one («Среднего коридора»: the adjective «средний», not the noun «среднее»); otherwise the
    reading whose lemma the index holds."""
    from multivector.annotate.tokens import _morph

    out: list = [None] * len(words)
    for i in range(len(words) - 1, -1, -1):
        low = words[i].lower()
        if not _russian(low):
            continue
        nxt = out[i + 1] if i + 1 < len(words) else None
        chosen = None
        if nxt is not None and nxt.tag.POS in ("NOUN", "ADJF", "PRTF"):
            chosen = next(
                (
                    p
                    for p in _morph().parse(low)
                    if p.tag.POS in ("ADJF", "PRTF")
                    and p.tag.case == nxt.tag.case
                    and p.tag.number == nxt.tag.number
                ),
                None,
            )
        out[i] = chosen or _parse_ru(low, key[i] if i < len(key) else None)
    return out


def _recase(new: str, old: str) -> str:
    if old.isupper() and len(old) > 1:
        return new.upper()
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def nominative(written: str, key: tuple[str, ...]) -> str:
    """A Russian noun group in the nominative, as a term is written («строительству атомной
    станции» -> «строительство атомной станции», «Казани» -> «Казань»): the first noun and the
    adjectives before it take the nominative (keeping the noun's number); the words after it
    depend on it and stay as written. Anything pymorphy3 cannot inflect stays as written."""
    words = written.split(" ")
    if len(words) != len(key) or not all(_russian(w) for w in words[:1]):
        return written
    parses = _group_parses(words, key)
    head = next((i for i, p in enumerate(parses) if p is not None and p.tag.POS == "NOUN"), None)
    if head is None:
        p = parses[0]
        if len(words) == 1 and p is not None and p.tag.POS in ("ADJF", "PRTF"):
            # An adjective on its own is named as a dictionary names it (российские -> российский).
            form = p.inflect({"nomn", "sing", "masc"})
            return _recase(form.word, words[0]) if form is not None else written
        return written
    hp = parses[head]
    if hp is None or "nomn" in hp.tag or "Fixd" in hp.tag:
        return written
    number = "plur" if "plur" in hp.tag else "sing"
    if words[head][:1].isupper() and number == "plur" and not _PROPER & set(hp.tag.grammemes):
        return written  # a name the dictionary reads as a common plural (Токаев: not «токаи»)
    wanted = {"nomn", number}
    new_head = hp.inflect(wanted)
    if new_head is None:
        return written
    out = list(words)
    out[head] = _recase(new_head.word, words[head])
    gender = hp.tag.gender if number == "sing" and hp.tag.POS == "NOUN" else None
    for i in range(head):
        p = parses[i]
        if p is None or p.tag.POS not in ("ADJF", "PRTF"):
            return written
        form = p.inflect(wanted | ({gender} if gender else set()))
        if form is None:
            return written
        out[i] = _recase(form.word, words[i])
    return " ".join(out)


def _cased(
    low: str,
    mid: Counter | None,
    opening: Counter | None,
    proper: bool | None = None,
    lemma: str | None = None,
    kazakh: bool = False,
) -> str:
    """How the posts write a form: its commonest spelling where it does not open a sentence.

    A form only ever seen first in a sentence keeps capitals beyond the first letter (CNNC).
    Its first capital is kept when the other forms of its lemma are capitalised mid-sentence
    (`proper`), dropped when they are not, and otherwise: dropped for Latin words, dropped for
    a Russian word the dictionary knows as an ordinary word in the nominative («Подрядчик»
    opening a sentence), kept for the rest (a name the dictionary does not know, or reads as
    an odd form of a common word: «Токаев» is not the genitive plural of «токай»)."""
    if mid:
        return min(mid.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    if opening:
        written = min(opening.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        if written.isupper() and len(written) > 1 or any(ch.isupper() for ch in written[1:]):
            return written
        if proper is not None:
            return written if proper else low
        if _LATIN.search(low):
            return low
        if _russian(low) and not kazakh:
            p = _parse_ru(low, lemma)
            common = p is not None and p.is_known and "nomn" in p.tag and not _PROPER & set(p.tag.grammemes)
            return low if common else written
        return written
    return low


def _proper(counts: SurfaceCounts, lemma: str) -> bool | None:
    """Whether the posts write `lemma` with a capital mid-sentence (None: never seen there)."""
    upper = lower = 0
    for form in counts.forms.get(lemma, ()):
        for written, n in (counts.casing.get(form) or {}).items():
            if written[:1].isupper():
                upper += n
            else:
                lower += n
    if upper + lower == 0:
        return None
    return upper >= lower


def surface(counts: SurfaceCounts, lemma: str) -> str | None:
    """The most frequent written form of `lemma` in the sample (None when it never occurs, or
    when a Kazakh word occurs only with case endings)."""
    forms = counts.forms.get(lemma)
    if not forms:
        return None
    kk = _is_kazakh(counts, lemma)
    low = min(forms.items(), key=lambda kv: (-kv[1] * _form_weight(kv[0], lemma, kk), kv[0]))[0]
    if kk and _kk_case(low):
        return None  # only ever in a case form (Қытаймен, келді): no name to show
    written = _cased(low, counts.casing.get(low), counts.opening.get(low), _proper(counts, lemma), lemma, kk)
    return written if kk else nominative(written, (lemma,))  # Kazakh words are not pymorphy's


def _phrase_weight(low: str, key: tuple[str, ...], kazakh: bool = False) -> float:
    words = low.split(" ")
    return sum(_form_weight(w, lem, kazakh) for w, lem in zip(words, key, strict=False)) / max(len(words), 1)


def _is_kazakh(counts: SurfaceCounts, key) -> bool:
    """Whether a lemma or phrase is mostly written in Kazakh posts (its words are then read
    by Kazakh rules even when they hold no letter only Kazakh has: станциясын)."""
    uses = counts.uses.get(key, 0) if isinstance(key, str) else counts.gram_uses.get(key, 0)
    return uses > 0 and counts.kazakh.get(key, 0) * 2 > uses


def _commonest(counts: SurfaceCounts, key: tuple[str, ...]) -> str:
    # The commonest form, nominatives counting double as for single words («Центральная Азия»).
    kk = _is_kazakh(counts, key)
    return min(counts.grams[key].items(), key=lambda kv: (-kv[1] * _phrase_weight(kv[0], key, kk), kv[0]))[0]


def _phrase_text(counts: SurfaceCounts, key: tuple[str, ...]) -> str:
    low = _commonest(counts, key)
    written = counts.gram_casing.get(low)
    if written:
        text = min(written.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    else:  # seen only at the start of a sentence: each word keeps the casing it has elsewhere
        text = " ".join(
            _cased(
                w,
                counts.casing.get(w),
                counts.opening.get(w),
                _proper(counts, lem),
                lem,
                _is_kazakh(counts, key),
            )
            for w, lem in zip(low.split(" "), key, strict=False)
        )
    return text if _is_kazakh(counts, key) else nominative(text, key)


def phrase(counts: SurfaceCounts, lemma: str, options: TermOptions | None = None) -> tuple[str, ...] | None:
    """The phrase `lemma` mostly occurs in, when there is one (its lemmas), else None."""
    opt = options or TermOptions()
    uses = counts.uses.get(lemma, 0)
    if not uses:
        return None

    def strong(key: tuple[str, ...], base: float, share: float) -> bool:
        return counts.gram_posts[key] >= opt.phrase_min_posts and counts.gram_uses[key] >= share * base

    def fits(key: tuple[str, ...], base: float, share: float) -> bool:
        return (
            len(set(key)) == len(key)
            and strong(key, base, share)
            and _admissible(_commonest(counts, key), key, _is_kazakh(counts, key))
        )

    pairs = [k for k in counts.by_lemma.get(lemma, ()) if len(k) == 2 and fits(k, uses, opt.phrase_share)]
    if not pairs:
        return None
    best = min(pairs, key=lambda k: (-counts.gram_uses[k], k))
    base = counts.gram_uses[best]
    triples = [
        k
        for k in counts.by_lemma.get(lemma, ())
        if len(k) == 3 and (k[:2] == best or k[1:] == best) and fits(k, base, opt.extend_share)
    ]
    if triples:
        return min(triples, key=lambda k: (-counts.gram_uses[k], k))
    return best


def readable_terms(
    ranked: Iterable[str], counts: SurfaceCounts, k: int, options: TermOptions | None = None
) -> list[str]:
    """Up to `k` display terms for lemmas ranked best first, read off `counts`."""
    opt = options or TermOptions()
    out: list[tuple[tuple[str, ...], str]] = []  # (lemmas, text) in order
    shown: set[str] = set()
    covered: set[str] = set()
    for lemma in ranked:
        if len(out) >= k:
            break
        if lemma in covered or not counts.uses.get(lemma):
            continue
        key = phrase(counts, lemma, opt)
        if key is None:
            text = surface(counts, lemma)
            if text is None or not (_is_kazakh(counts, lemma) or _nominal(text, lemma)):
                continue
            key = (lemma,)
        else:
            text = _phrase_text(counts, key)
        covered.update(key)
        if text.lower() in shown:
            continue
        # A phrase that holds terms already shown takes the place of the first of them
        # (строительство -> строительство атомной электростанции).
        inside = [i for i, (k, _) in enumerate(out) if set(k) <= set(key)]
        if inside:
            out[inside[0]] = (key, text)
            out = [item for i, item in enumerate(out) if i not in inside[1:]]
        else:
            out.append((key, text))
        shown.add(text.lower())
    return [text for _, text in out]


def _nominal(word: str, lemma: str) -> bool:
    """A Russian word that can be a term on its own: a noun, adjective or participle (not «провёл»)."""
    if not _russian(word) or " " in word:
        return True
    p = _parse_ru(word.lower(), lemma)
    return p is None or p.tag.POS in _NOMINAL or p.tag.POS is None
