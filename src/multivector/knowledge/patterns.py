"""The pattern mini-language of the knowledge files, and what a word is.

One definition of a word (`WORD_RE`) serves the whole program: the loader validates aliases
and patterns with it, the annotator cuts posts with it, search cuts queries with it; if they
disagreed, a pattern could never meet the words it was written for.

Pattern syntax (documented for users in the header of themes.yaml):
    word        a word in any form (lemmatised when the tables are compiled)
    word*       any lemma starting with `word` (at least 3 letters)
    =Word       exactly this surface form, case-sensitive
    a|b|c       alternatives for one word
    w1 w2 ...   consecutive words within one sentence
    @ID         an actor trigger: a mention of that actor counts as a hit
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A word: letters and digits, with inner hyphens or apostrophes (Северо-Запад, АҚШ-тың, Xi's).
WORD_RE = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
_WORD_FULL = re.compile(WORD_RE.pattern + r"\Z", re.UNICODE)
_PUNCT_ONLY = re.compile(r"[-–—+/&]+")


@dataclass(frozen=True, slots=True)
class Alt:
    """One alternative of one slot: a word to lemmatise, a lemma prefix or an exact surface."""

    kind: str  # "word" | "prefix" | "surface"
    value: str


def parse_pattern(text: str) -> tuple[str | None, list[tuple[Alt, ...]]]:
    """Parse a theme pattern into (actor id or None, slots); raise ValueError if malformed.

    `@ID` is an actor trigger; otherwise whitespace separates slots, `|` separates the
    alternatives of a slot, `word*` matches any lemma starting with `word`, `=Word` matches
    the surface form exactly (case-sensitive). A slot of one plain alternative may hold
    punctuation (`C5+1`, `ОПЕК+`): its words become consecutive slots.
    """
    text = text.strip()
    if not text:
        raise ValueError("empty pattern")
    if text.startswith("@"):
        actor = text[1:]
        if not actor or not re.fullmatch(r"[A-Za-z0-9_]+", actor):
            raise ValueError(f"bad actor trigger '{text}' (write @ID)")
        return actor, []
    slots: list[tuple[Alt, ...]] = []
    for chunk in text.split():
        parts = chunk.split("|")
        if any(p.startswith("@") for p in parts):
            raise ValueError(f"an actor trigger must be the whole pattern ('{chunk}')")
        if len(parts) == 1 and not chunk.startswith("=") and "*" not in chunk:
            words = WORD_RE.findall(chunk)
            if not words:
                if _PUNCT_ONLY.fullmatch(chunk):
                    continue  # a dash or plus between words (Север – Юг): words are what count
                raise ValueError(f"'{chunk}' has no word in it")
            # A hyphenated word is matched by its parts, as the linker reads it (Север-Юг).
            slots.extend((Alt("word", p),) for w in words for p in w.split("-") if p)
            continue
        if len(parts) == 1 and "-" in chunk.strip("-"):
            # A hyphenated prefix or surface: all parts but the last are plain words/surfaces.
            marker = "=" if chunk.startswith("=") else ""
            pieces = chunk.lstrip("=").split("-")
            if any(not p for p in pieces):
                raise ValueError(f"'{chunk}' has an empty part")
            for p in pieces[:-1]:
                if "*" in p or not _WORD_FULL.match(p):
                    raise ValueError(f"'{chunk}': '{p}' is not a word")
                slots.append((Alt("surface", p) if marker else Alt("word", p),))
            parts = [marker + pieces[-1]]
        alts = []
        for part in parts:
            if not part:
                raise ValueError(f"empty alternative in '{chunk}'")
            if part.startswith("="):
                core, kind = part[1:], "surface"
            elif part.endswith("*"):
                core, kind = part[:-1], "prefix"
                if len(core) < 3:
                    raise ValueError(f"prefix '{part}' is too short (3 letters at least)")
            else:
                core, kind = part, "word"
            if "*" in core or "=" in core or "-" in core or not _WORD_FULL.match(core):
                raise ValueError(f"'{part}' is not one word (alternatives of '{chunk}' must be single words)")
            if kind == "prefix":
                core = core.lower().replace("ё", "е")
            alts.append(Alt(kind, core))
        slots.append(tuple(alts))
    if not slots:
        raise ValueError("no word in the pattern")
    return None, slots
