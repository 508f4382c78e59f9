"""When a post's subject happens: in the post's own days, ahead of them, or behind them.

A news report tells what happened today or yesterday; a preview tells what is to come
(«Январь начнётся с ...», "next week's summit"); a retrospective looks back (an anniversary,
"ten years ago"). The event finder keeps previews and retrospectives out of events: they are
not the happening. The decision reads the time references and the verbs of the text against
the post's date, with the cue tables of `knowledge/time_cues.yaml` (per language, as data).

Each sentence casts at most one vote:

1. its **time references** are resolved to days relative to the post's date: a day and month
   («6 октября», "October 6", «6 қазанда»), a month («в июле», "in July", «шілдеде»; without a
   written year, the occurrence nearest the post's date, among those to come when the sentence
   speaks of the future), "in <year>", relative phrases (вчера, next week, келесі жылы), "N years
   ago", anniversaries (unless they are the occasion of a present happening: «приуроченный к
   10-летию»). A reference is *near* when it overlaps the days from `back` (3) before to `ahead`
   (2) after the post's date, else *ahead* or *behind*. A whole year is never near: the post's
   own year points behind from July on (a year in review), ahead before;
2. its **verbs** say what it tells: future forms (состоится, will, өтеді) look ahead; past and
   ongoing forms (состоялся, held, өтті, проходит) report. Russian verbs are read by their
   grammar (pymorphy3), Kazakh by the ending of the sentence's last word, English by the lists
   and the "-ed" ending;
3. a sentence with references votes where most of them point (near on a tie), except that a
   report of something with a reference ahead is a report ("ministers met to prepare the July
   summit": near). A sentence without references gives half a vote: ahead when its future forms
   outnumber its report forms, near otherwise (a past verb alone does not say how long ago);
   words that only say "today" or name a weekday also give half a vote near.

The first two sentences (headline and lead) weigh 1.5. A post looks **ahead** when its ahead
votes reach 1 and twice its near votes, and are not fewer than its behind votes; **behind**
likewise; otherwise it is about **now** (a look back and a look ahead in one post do not add up
against its report).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources

import yaml

NOW, AHEAD, BEHIND = "now", "ahead", "behind"
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
LEAD_SENTENCES = 2
LEAD_WEIGHT = 1.5
WEAK_WEIGHT = 0.5
VERB_WEIGHT = 0.5
AWAY_MARGIN = 2.0


@dataclass(frozen=True)
class Focus:
    kind: str  # now | ahead | behind
    near: float
    ahead: float
    behind: float


@dataclass
class _Endings:
    final: bool = False
    future: tuple[str, ...] = ()
    now: tuple[str, ...] = ()
    report: tuple[str, ...] = ()
    not_report_after: tuple[str, ...] = ()
    exceptions: frozenset[str] = frozenset()


@dataclass
class _Lang:
    month_words: list[re.Pattern]  # lower-case, whole words
    month_case: str  # any | lower | title
    in_year: _Gated | None
    relative: _Gated | None  # one group per phrase: r<i>
    offsets: list[int]  # days of phrase i
    near: _Matcher
    ago: _Gated | None
    anniversary: _Gated | None
    occasion: _Matcher
    future: _Matcher
    report: _Matcher
    endings: _Endings = field(default_factory=_Endings)
    month_memo: dict[str, int | None] = field(default_factory=dict)


def _phrase(text: str, number: str) -> str:
    """A cue phrase as a regex: whole words, `*` for any ending, {n} a number, {y} a year."""
    out = []
    for part in re.split(r"(\{n\}|\{y\}|\*|\s+)", text):
        if part == "{n}":
            out.append(f"(?P<n>{number})")
        elif part == "{y}":
            out.append(r"(?P<y>(?:19|20)\d\d)")
        elif part == "*":
            out.append(r"\w*")
        elif part and part.isspace():
            out.append(r"\s+")
        elif part:
            # keep the regex syntax a cue may use ([йяе], (?:...)), escape everything else
            out.append(part if re.search(r"[\[\]()?|]", part) else re.escape(part))
    body = "".join(out)
    return rf"(?<!\w){body}" if text.endswith("*") else rf"(?<!\w){body}(?!\w)"


class _Gated:
    """A regex that runs only on text holding one of its phrases' literal words: most sentences
    hold none, and a substring test is much cheaper than a scan with look-behinds."""

    def __init__(self, pattern: re.Pattern, keys: list[str]):
        self.pattern = pattern
        self.keys = tuple(keys)

    def finditer(self, low: str):
        if self.keys and not any(k in low for k in self.keys):
            return iter(())
        return self.pattern.finditer(low)


def _key(phrase: str) -> str:
    """The longest literal piece of a phrase (its gate); "" when it has none."""
    phrase = re.sub(r"\(\?<?[!=][^)]*\)", " ", phrase)  # a guard is no part of what is found
    pieces = re.split(r"\{n\}|\{y\}|\*|\s+|\(\?:|[\[\]()?|\\]", phrase)
    return max(pieces, key=len, default="")


def _union(phrases: list[str], number: str) -> _Gated | None:
    """One regex for a list of phrases; the {n} and {y} groups of each get their own names."""
    if not phrases:
        return None
    parts = []
    keys = []
    for i, p in enumerate(phrases):
        p = str(p).lower()
        rx = _phrase(p, number).replace("(?P<n>", f"(?P<n{i}>").replace("(?P<y>", f"(?P<y{i}>")
        parts.append(f"(?:{rx})")
        keys.append(_key(p))
    # a phrase with no literal piece (a bare number) can match anywhere: no gate then
    return _Gated(re.compile("|".join(parts)), [] if not all(keys) else sorted(set(keys)))


class _Matcher:
    """Finds the phrases of one list in a sentence: single words by set lookup, `word*` by prefix,
    the rest (phrases of several words, regex syntax, {n}) by one regex."""

    def __init__(self, phrases: list[str], number: str):
        plain = re.compile(r"^\w+$")
        words, prefixes, rest = set(), [], []
        for p in (str(x).lower() for x in phrases):
            if plain.match(p):
                words.add(p)
            elif p.endswith("*") and plain.match(p[:-1]):
                prefixes.append(p[:-1])
            else:
                rest.append(p)
        self.words = frozenset(words)
        self.prefixes = tuple(prefixes)
        self.regex = _union(rest, number)

    def spans(self, low: str, tokens: list[tuple[int, int, str, bool]]) -> list[tuple[int, int]]:
        words, prefixes = self.words, self.prefixes
        out = [(a, b) for a, b, w, _ in tokens if w in words or (prefixes and w.startswith(prefixes))]
        if self.regex is not None:
            out += [m.span() for m in self.regex.finditer(low)]
        return out


def _group(m: re.Match, prefix: str) -> str | None:
    for k, v in m.groupdict().items():
        if k.startswith(prefix) and v:
            return v
    return None


@lru_cache(maxsize=200_000)
def _ru_tense(word: str) -> str | None:
    """'report' for a Russian past form or short passive participle, 'future' for a future
    form, None for anything else."""
    from multivector.annotate.tokens import _morph

    tag = _morph().parse(word)[0].tag
    if tag.POS == "PRTS" or (tag.POS == "VERB" and tag.tense == "past"):
        return "report"
    if tag.POS == "VERB" and tag.tense == "futr":
        return "future"
    return None  # the present says neither: commentary is written in it


class TimeCues:
    """The cue tables of every language, compiled."""

    def __init__(self, data: dict):
        def table(key: str) -> dict:
            return data.get(key) or {}

        self.numbers: dict[str, dict[str, int]] = {
            lang: {str(k).lower(): int(v) for k, v in words.items()}
            for lang, words in table("numbers").items()
        }
        langs: set[str] = set()
        for key in (
            "months",
            "relative",
            "near",
            "future",
            "report",
            "anniversary",
            "ago",
            "in_year",
            "endings",
        ):
            langs |= set(table(key))
        self.langs: dict[str, _Lang] = {}
        for lang in sorted(langs):
            number = r"\d{1,3}" + "".join(
                f"|{re.escape(w)}" for w in sorted(self.numbers.get(lang, {}), key=len, reverse=True)
            )
            months = table("months").get(lang) or []
            case = table("month_case").get(lang, "any")
            month_words = [re.compile(rf"(?:{m})\w*", re.IGNORECASE) for m in months]
            rel = table("relative").get(lang) or {}
            e = table("endings").get(lang) or {}
            self.langs[lang] = _Lang(
                month_words=month_words,
                month_case=case,
                in_year=_union(table("in_year").get(lang) or [], number),
                relative=_Gated(
                    re.compile(
                        "|".join(f"(?P<r{i}>{_phrase(str(k).lower(), number)})" for i, k in enumerate(rel))
                    ),
                    sorted({_key(str(k).lower()) for k in rel}),
                )
                if rel
                else None,
                offsets=[int(v) for v in rel.values()],
                near=_Matcher(table("near").get(lang) or [], number),
                ago=_union(table("ago").get(lang) or [], number),
                anniversary=_union(table("anniversary").get(lang) or [], number),
                occasion=_Matcher(table("occasion").get(lang) or [], number),
                future=_Matcher(table("future").get(lang) or [], number),
                report=_Matcher(table("report").get(lang) or [], number),
                endings=_Endings(
                    final=bool(e.get("final", False)),
                    future=tuple(e.get("future") or ()),
                    now=tuple(e.get("now") or ()),
                    report=tuple(e.get("report") or ()),
                    not_report_after=tuple(e.get("not_report_after") or ()),
                    exceptions=frozenset(str(w).lower() for w in e.get("except") or ()),
                ),
            )  # fmt: skip

    @classmethod
    def builtin(cls) -> TimeCues:
        return _builtin()

    # ---------------------------------------------------------------------------------------
    def _number(self, lang: str, m: re.Match) -> int:
        v = _group(m, "n")
        if v is None:
            return 1
        return int(v) if v.isdigit() else self.numbers.get(lang, {}).get(v.lower(), 1)

    def _month_of(self, c: _Lang, word: str) -> int | None:
        """The month (1-12) a lower-case word names, or None; remembered per language."""
        if word not in c.month_memo:
            c.month_memo[word] = next((i + 1 for i, p in enumerate(c.month_words) if p.fullmatch(word)), None)
        return c.month_memo[word]

    def _month_refs(
        self,
        c: _Lang,
        sentence: str,
        day: date,
        tense: int = 0,
        back: int = 3,
        ahead: int = 2,
        tokens: list[tuple[int, int, str, bool]] | None = None,
    ) -> list[tuple[int, int]]:
        """(first, last) day offsets of every month (or day and month) named in the sentence."""
        out: list[tuple[int, int]] = []
        if not c.month_words:
            return out
        tokens = _tokens(sentence) if tokens is None else tokens
        for k, (a, b, w, upper) in enumerate(tokens):
            month = self._month_of(c, w)
            if month is None:
                continue
            if c.month_case == "lower" and upper and k > 0:
                continue  # a capitalised month is a name elsewhere (Қазан, the city), not first in a sentence
            if c.month_case == "title" and not upper:
                continue
            word = sentence[a:b]
            before = sentence[max(0, a - 6) : a]
            after = sentence[b : b + 12]
            dm = re.search(r"(?<!\d)(\d{1,2})(?:-?\w{0,3})?\s*$", before) or re.match(
                r"\s*(\d{1,2})(?!\d)", after
            )
            ym = re.match(r"\s*(?:\d{1,2}\s*,?\s*)?((?:19|20)\d\d)", after)
            if word == "May" and not (dm or ym):  # the English modal verb
                continue
            dnum = int(dm.group(1)) if dm else None
            years = [int(ym.group(1))] if ym else [day.year - 1, day.year, day.year + 1]
            spans = []
            for y in years:
                lo, hi = _month_span(y, month, dnum)
                spans.append(((lo - day).days, (hi - day).days))
            if tense > 0 and not ym:
                spans = [s for s in spans if s[1] >= -back] or spans
            out.append(min(spans, key=lambda s: 0 if s[0] <= 0 <= s[1] else min(abs(s[0]), abs(s[1]))))
        return out

    def _verbs(
        self,
        c: _Lang,
        lang: str,
        sentence: str,
        low: str,
        tokens: list[tuple[int, int, str, bool]] | None = None,
    ) -> tuple[int, int]:
        """(future forms, report forms) of a sentence: the word lists, then the grammar."""
        tokens = _tokens(sentence) if tokens is None else tokens
        future = c.future.spans(low, tokens)
        report = c.report.spans(low, tokens)
        n_future, n_report = len(future), len(report)
        taken = future + report
        words = (
            [(a, w) for a, _, w, _ in tokens if not any(x <= a < y for x, y in taken)]
            if taken
            else [(a, w) for a, _, w, _ in tokens]
        )
        if lang == "ru":  # the grammar of every verb
            for _, w in words:
                t = _ru_tense(w)
                n_future += t == "future"
                n_report += t == "report"
            return n_future, n_report
        e = c.endings
        if taken or not (e.future or e.report or e.now):
            return n_future, n_report  # endings only where the lists found no verb
        if e.final:
            letters = [(s, w) for s, w in words if not w.isdigit()]
            words = letters[-1:]
        for _, lw in words:
            if lw in e.exceptions or len(lw) < 5:
                continue
            if lw.endswith(e.future):
                n_future += 1
            elif lw.endswith(e.now):
                n_report += 1
            elif lw.endswith(e.report):
                end = next(x for x in e.report if lw.endswith(x))
                if not lw[: -len(end)].endswith(e.not_report_after):
                    n_report += 1
        return n_future, n_report

    def sentence_vote(
        self, sentence: str, lang: str, day: date, back: int = 3, ahead: int = 2
    ) -> tuple[str, float] | None:
        """The direction one sentence points to, with its weight (see the module docstring)."""
        c = self.langs.get(lang)
        if c is None or not sentence.strip():
            return None
        sentence = sentence.replace("ё", "е").replace("Ё", "Е")
        low = sentence.lower()
        if len(low) != len(sentence):  # a letter whose lower case is longer: keep offsets aligned
            sentence = low
        tokens = _tokens(sentence)
        n_future, n_report = self._verbs(c, lang, sentence, low, tokens)
        tense = 1 if n_future > n_report else (-1 if n_report else 0)
        refs = {NOW: 0.0, AHEAD: 0.0, BEHIND: 0.0}

        def place(lo: int, hi: int) -> None:
            refs[BEHIND if hi < -back else AHEAD if lo > ahead else NOW] += 1.0

        for lo, hi in self._month_refs(c, sentence, day, tense, back, ahead, tokens):
            place(lo, hi)
        if c.in_year is not None:
            for m in c.in_year.finditer(low):
                y = int(_group(m, "y") or day.year)
                # a whole year is never the post's own days: "in 2024", written in December, looks
                # back over the year, written in January, ahead
                mid = date(y, 7, 1) if y == day.year else date(y, 12, 31) if y < day.year else date(y, 1, 1)
                refs[AHEAD if mid > day else BEHIND] += 1.0
        weak = 0
        if c.relative is not None:
            for m in c.relative.finditer(low):
                offset = c.offsets[int(m.lastgroup[1:])] if m.lastgroup else 0
                if offset:
                    place(offset, offset)
                else:
                    weak += 1
        if c.ago is not None:
            for m in c.ago.finditer(low):
                n = self._number(lang, m)
                place(-365 * n, -365 * n)
        if c.anniversary is not None:
            occasions = c.occasion.spans(low, tokens)
            for m in c.anniversary.finditer(low):
                if any(_words_between(low, m.span(), o) <= 4 for o in occasions):
                    continue  # the anniversary a present happening is timed to
                n = self._number(lang, m)
                place(-365 * n, -365 * n)
        weak += len(c.near.spans(low, tokens))
        if any(refs.values()):
            where = max((NOW, AHEAD, BEHIND), key=lambda k: refs[k])  # ties: near first
            if where == AHEAD and n_report > n_future:
                where = NOW  # "met to prepare the July summit": the report is the subject
            return where, 1.0
        if n_future or n_report:
            return (AHEAD if n_future > n_report else NOW), VERB_WEIGHT
        if weak:
            return NOW, WEAK_WEIGHT
        return None

    def focus(self, text: str, lang: str, day: date) -> Focus:
        """Where the post's subject lies in time (see the module docstring)."""
        total = {NOW: 0.0, AHEAD: 0.0, BEHIND: 0.0}
        for i, sentence in enumerate(s for s in _SENTENCE.split(text) if s.strip()):
            vote = self.sentence_vote(sentence, lang, day)
            if vote is not None:
                total[vote[0]] += vote[1] * (LEAD_WEIGHT if i < LEAD_SENTENCES else 1.0)
        near, ahead, behind = total[NOW], total[AHEAD], total[BEHIND]
        kind = NOW
        away = max(ahead, behind)  # a look back and a look ahead do not add up against a report
        if away >= 1.0 and away >= AWAY_MARGIN * near:
            kind = AHEAD if ahead >= behind else BEHIND
        return Focus(kind, near, ahead, behind)

    def verbs(self, sentence: str, lang: str) -> tuple[int, int]:
        """(future forms, report forms) of one sentence."""
        c = self.langs.get(lang)
        if c is None:
            return 0, 0
        sentence = sentence.replace("ё", "е").replace("Ё", "Е")
        return self._verbs(c, lang, sentence, sentence.lower())

    def looks_away(self, sentence: str, lang: str, day: date) -> bool:
        """A sentence that speaks of another time than the post's days (a title must not)."""
        vote = self.sentence_vote(sentence, lang, day)
        return vote is not None and vote[0] != NOW


def _tokens(sentence: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, lower-case word, written with a capital) of every word."""
    return [
        (m.start(), m.end(), m.group(0).lower(), m.group(0)[:1].isupper()) for m in _WORD.finditer(sentence)
    ]


def _words_between(text: str, a: tuple[int, int], b: tuple[int, int]) -> int:
    lo, hi = (a[1], b[0]) if a[1] <= b[0] else (b[1], a[0])
    return len(_WORD.findall(text[lo:hi])) if lo < hi else 0


def _month_span(year: int, month: int, dnum: int | None) -> tuple[date, date]:
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if dnum is not None and 1 <= dnum <= last.day:
        d = date(year, month, dnum)
        return d, d
    return first, last


@lru_cache(maxsize=1)
def _builtin() -> TimeCues:
    res = resources.files("multivector.knowledge").joinpath("time_cues.yaml")
    return TimeCues(yaml.safe_load(res.read_text(encoding="utf-8")))
