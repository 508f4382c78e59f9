"""A small suffix-stripping stemmer for Kazakh.

There is no offline Kazakh lemmatiser on PyPI, and Kazakh is agglutinative: a noun takes
derivation, plural, possessive and case suffixes in that order (Қазақстан-ның, Қытай-мен,
ел-дер-і-нің, ресей-лік). We strip at most one suffix per slot, from the right: case, then
possessive, then plural, then the adjective-forming -лық/-лік; an ending is cut only where it
agrees with the sound before it (-ты after a voiceless sound, -лар after a vowel). Weak case
endings that only follow a possessive (-н, -на, -нда, -нан) are stripped only there, and a
short list of words whose own ending looks like a suffix (Ақорда, Канада, Қатар ...) is left
alone.

The stemmer is deliberately simple and sometimes over-strips; search queries and
gazetteer aliases go through the same function, so both sides still meet on one stem.
"""

from __future__ import annotations

from functools import lru_cache

_VOWELS = frozenset("аәеиоөұүуыіэюяё")

_CASE = (
    # locative-adjectival (Астанадағы), genitive, dative, accusative, locative, ablative, instrumental
    "дағы", "дегі", "тағы", "тегі",
    "ның", "нің", "дың", "дің", "тың", "тің",
    "ға", "ге", "қа", "ке",
    "ны", "ні", "ды", "ді", "ты", "ті",
    "да", "де", "та", "те",
    "дан", "ден", "тан", "тен",
    "менен", "бенен", "пенен", "мен", "бен", "пен",
)  # fmt: skip
# Case endings that follow a 3rd-person possessive (саммиті-не, ураны-н, елі-нде) or,
# for the ablative, a nasal (Қазақстан-нан, Иран-нан).
_CASE_AFTER_POSSESSIVE = ("ндағы", "ндегі", "нда", "нде", "нан", "нен", "на", "не", "н")
_ANY_CASE = _CASE_AFTER_POSSESSIVE + _CASE
# Third person and "our" only: news and analysis hardly ever say "my" or "your", while many roots
# end as those would (келісім, ұйым, өнім, маусым; теңіз, маңыз): cut, the bare root and its
# inflected forms (келісімі, ұйымның) had two different stems.
_POSSESSIVE = ("ымыз", "іміз", "мыз", "міз", "сы", "сі", "ы", "і")
_PLURAL = ("лар", "лер", "дар", "дер", "тар", "тер")
_ADJECTIVE = ("лық", "лік", "дық", "дік", "тық", "тік")

# Words (already lower-case) whose own ending looks like a suffix.
_PROTECTED = frozenset(
    """
    ақорда канада уганда руанда гренада мальта қарағанды қатар сомали
    астана алматы вена женева сана ара ата ана бала қала дала аға іні апа
    нато ооны ұлы ортасы азия африка америка еуропа шри-ланка
    түрікмен сауда судан кеден өскемен
    """.split()
)


# Roots ending in с that take the possessive -ы/-і (not -сы/-сі after a vowel).
_S_ROOTS = ("бас", "тас", "кеңес", "серіктес", "әріптес", "ынтымақтас", "жарыс", "күрес", "келіс")

# "в" ends Russian surnames, which take the voiceless endings (Тоқаев-тың, Тоқаев-қа).
_VOICELESS = frozenset("кқпстфхцчшщв")
# Before a vowel-initial suffix a final к/қ/п is voiced (ынтымақтастық -> ынтымақтастығы).
_DEVOICE = str.maketrans({"ғ": "қ", "г": "к", "б": "п"})


def _ok(stem: str) -> bool:
    return len(stem) >= 2 and any(c in _VOWELS for c in stem)


def _fits(stem: str, suffix: str) -> bool:
    """Kazakh suffixes agree with the sound before them: -ты after a voiceless consonant,
    -ды after a voiced one, -ны after a vowel. A cut that breaks the rule is a wrong cut
    (саясат-ы is a possessive, not саяса-ты). A soft sign is not a sound: a loanword ending in
    one takes the endings of the consonant before it (Беларусь-тан, Беларусь-те)."""
    last = stem[-2] if stem.endswith("ь") and len(stem) > 1 else stem[-1]
    first = suffix[0]
    if suffix in _PLURAL:
        # -лар after a vowel, р, й or у (елшілер, министрлер, таулар), -дар after the other voiced
        # consonants (елдер), -тар after a voiceless one: доллар is no дол + -лар.
        if first == "л":
            return last in _VOWELS or last in "рй"
        if first == "д" and last in "рйу":
            return False
    if last == "у":
        last = "ж"  # a final у is a glide and takes a voiced consonant's endings (Мәскеу-дің, кездесу-ді)
    if first in "тқкп":
        # A loanword's final б, г or д is said voiceless before an ending (клуб-тар, талиб-тер).
        return last in _VOICELESS or last in "бгд"
    if suffix in ("ды", "ді", "дың", "дің"):
        return last not in _VOWELS and last not in _VOICELESS
    if suffix in ("ны", "ні"):
        return last in _VOWELS
    if suffix in ("ның", "нің"):
        return last in _VOWELS or last in "нмң"
    if first in "дғгб":
        return last not in _VOICELESS
    return True


def _strip(w: str, suffixes: tuple[str, ...]) -> str | None:
    if not w.endswith(suffixes):  # one test in C before the loop: most words end otherwise
        return None
    for suf in suffixes:
        if w.endswith(suf) and _ok(w[: -len(suf)]):
            return w[: -len(suf)]
    return None


def _strip_case(w: str) -> str:
    if not w.endswith(_ANY_CASE):
        return w
    for suf in _CASE_AFTER_POSSESSIVE:
        if w.endswith(suf):
            rest = w[: -len(suf)]
            before = rest[-1:] if rest else ""
            nasal_ablative = suf in ("нан", "нен") and before in ("н", "м", "ң")
            if _ok(rest) and (before in ("ы", "і") or nasal_ablative):
                return rest
    for suf in _CASE:
        if w.endswith(suf):
            rest = w[: -len(suf)]
            # -тан/-дан after "-стан" would cut the country names (Қазақстан, Өзбекстан).
            if suf in ("тан", "дан") and w.endswith("стан"):
                continue
            if _ok(rest) and _fits(rest, suf):
                return rest
    return w


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem one Kazakh word: 'Қазақстанның' -> 'қазақстан', 'елдерінің' -> 'ел'."""
    w = word.lower()
    if "-" in w:
        # АҚШ-тың, ШЫҰ-ға: an abbreviation with its endings after a hyphen.
        head, _, tail = w.rpartition("-")
        if head and is_suffix_chain(tail):
            return head
    for step in (_strip_case, _possessive, _plural, _adjective):
        if w in _PROTECTED:
            return w
        w = step(w)
    return w


def _possessive(w: str) -> str:
    rest = None
    if not w.endswith(_POSSESSIVE):
        return w
    for suf in _POSSESSIVE:
        if w.endswith(suf) and _ok(w[: -len(suf)]):
            cut = w[: -len(suf)]
            # -сы/-сі follows a vowel (қаласы); after a consonant, or when the word is a known
            # root ending in с, the с is the root's (серіктес-і, кеңес-і, бас-ы).
            if suf in ("сы", "сі") and (cut[-1] not in _VOWELS or (cut + "с").endswith(_S_ROOTS)):
                continue
            rest = cut
            break
    if rest is None:
        return w
    return rest[:-1] + rest[-1].translate(_DEVOICE) if w[len(rest)] in _VOWELS else rest


def _plural(w: str) -> str:
    if not w.endswith(_PLURAL):
        return w
    rest = w[:-3]  # every plural ending has three letters
    return rest if _ok(rest) and _fits(rest, w[-3:]) else w


def _adjective(w: str) -> str:
    # -лық/-лік derives from roots of three letters or more: көлік, түлік, астық are roots.
    rest = _strip(w, _ADJECTIVE)
    return rest if rest is not None and len(rest) >= 3 else w


# Every ending, longest first: the tail after a hyphen is read as a chain of them.
_ENDINGS = tuple(
    sorted(
        dict.fromkeys(_CASE + _CASE_AFTER_POSSESSIVE + _POSSESSIVE + _PLURAL + _ADJECTIVE),
        key=len,
        reverse=True,
    )
)


def is_suffix_chain(s: str) -> bool:
    """True when s is nothing but Kazakh endings (the tail of 'АҚШ-тың', 'ЕО-мен')."""
    for _ in range(4):
        if not s:
            return True
        for suf in _ENDINGS:
            if s.endswith(suf):
                s = s[: -len(suf)]
                break
        else:
            return False
    return not s
