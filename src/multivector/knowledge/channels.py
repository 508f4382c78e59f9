"""Who speaks: the channel registry (channels.yaml) and a guess for channels it does not list.

An analyst weighs voices, not volume: a line of policy that the foreign ministry, the state
media and independent analysts all write about is not the same as one that only aggregators
repost. channels.yaml maps a channel's name or Telegram handle to its kind of voice and its
country:

    "Вектор Степи | аналитика 🧭": {kind: analyst, country: KZ}
    "@aqorda_resmi": {kind: official, country: KZ, names: ["Ақорда"]}

Names are matched without regard to case, spaces or a leading "@"; a handle also matches posts
whose link is https://t.me/<handle>/... A channel the registry does not list gets a guess from
the genres of its posts (annotate/about.py: news, analysis, digest, official, other): mostly
official statements -> official, analysis -> analyst, digests -> aggregator, news reports ->
`media` (a newsroom whose ownership nobody has told us: state, independent or foreign). A
guess needs `GUESS_MIN_POSTS` posts of known genre and a genre holding `GUESS_MIN_SHARE` of
them; otherwise the voice stays unknown ("").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from multivector.model import InputError

CHANNEL_KINDS = ("official", "state_media", "independent_media", "analyst", "aggregator", "foreign_media")
MEDIA = "media"  # a guessed newsroom of unknown ownership; `--voice media` takes every newsroom
VOICE_KINDS = (*CHANNEL_KINDS, MEDIA)
MEDIA_KINDS = frozenset({"state_media", "independent_media", "foreign_media", MEDIA})
CHANNEL_KEYS = {"kind", "country", "names", "note"}

# genre of most posts -> the voice guessed for an unlisted channel
GENRE_VOICE = {"official": "official", "analysis": "analyst", "digest": "aggregator", "news": MEDIA}
GUESS_MIN_POSTS = 3
GUESS_MIN_SHARE = 0.4

_T_ME = re.compile(r"^https?://(?:www\.)?t(?:elegram)?\.me/(?:s/)?([A-Za-z0-9_]{4,64})/", re.I)


def channel_key(name: str) -> str:
    """How names are compared: NFKC, case-folded, spaces collapsed, no leading "@"."""
    text = " ".join(unicodedata.normalize("NFKC", name).split()).casefold()
    return text.lstrip("@").strip()


def handle_of(url: str | None) -> str | None:
    """The Telegram handle of a post link (https://t.me/handle/123), or None."""
    m = _T_ME.match(url or "")
    return m.group(1) if m else None


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    name: str  # as written in channels.yaml
    kind: str
    country: str | None = None
    where: str = ""


@dataclass(frozen=True, slots=True)
class Voice:
    """The kind of voice of one channel, and where that came from."""

    kind: str  # one of VOICE_KINDS, or "" when unknown
    source: str  # "registry", "guess" or "" (unknown)
    country: str | None = None


@dataclass
class ChannelRegistry:
    by_key: dict[str, ChannelSpec] = field(default_factory=dict)

    def __len__(self) -> int:
        return len({id(s) for s in self.by_key.values()})

    def lookup(self, channel: str, handle: str | None = None) -> ChannelSpec | None:
        for name in (channel, handle):
            if name:
                hit = self.by_key.get(channel_key(name))
                if hit is not None:
                    return hit
        return None

    def voices(
        self,
        channels: Iterable[str],
        handles: Mapping[str, str | None] | None = None,
        genres: Mapping[str, Mapping[str, int]] | None = None,
    ) -> dict[str, Voice]:
        """The voice of each channel: the registry's, else a guess from its genre counts."""
        out = {}
        for ch in channels:
            spec = self.lookup(ch, (handles or {}).get(ch))
            if spec is not None:
                out[ch] = Voice(spec.kind, "registry", spec.country)
            else:
                kind = guess_kind((genres or {}).get(ch) or {})
                out[ch] = Voice(kind, "guess" if kind else "")
        return out


def guess_kind(genre_counts: Mapping[str, int]) -> str:
    """A voice from how many of a channel's posts are of each genre ("" when unsure)."""
    known = {g: n for g, n in genre_counts.items() if g}
    total = sum(known.values())
    if total < GUESS_MIN_POSTS:
        return ""
    ranked = sorted(
        ((n, g) for g, n in known.items() if g in GENRE_VOICE),
        key=lambda p: (-p[0], list(GENRE_VOICE).index(p[1])),
    )
    if not ranked or ranked[0][0] / total < GUESS_MIN_SHARE:
        return ""
    return GENRE_VOICE[ranked[0][1]]


def voice_matches(wanted: str, kind: str) -> bool:
    """`--voice media` takes every newsroom (state, independent, foreign, guessed); any other
    kind only itself."""
    return kind in MEDIA_KINDS if wanted == MEDIA else kind == wanted


def check_voice(wanted: str) -> str:
    if wanted not in VOICE_KINDS:
        raise InputError(f"--voice {wanted!r}: expected one of {', '.join(VOICE_KINDS)}")
    return wanted


def read_channels(layers: list[tuple[Any, Any]], actors: Mapping[str, Any]) -> ChannelRegistry:
    """channels.yaml of every knowledge layer, in order: a later entry for a channel replaces
    the earlier one. Errors name the file and the line."""
    from multivector.knowledge.loader import _keys, _Map, _Seq, _string

    registry = ChannelRegistry()
    for f, data in layers:
        if data is None:
            continue
        if not isinstance(data, _Map):
            raise f.err(getattr(data, "line", 1), "expected a mapping of channel names to {kind, country}")
        seen: dict[str, int] = {}
        for name, entry in data.items():
            line = data.key_lines[name]
            what = f"channel '{name}'"
            if not channel_key(name):
                raise f.err(line, "a channel name is empty")
            if not isinstance(entry, _Map):
                raise f.err(line, f"{what}: expected a mapping with 'kind' (and 'country')")
            _keys(f, entry, CHANNEL_KEYS, what)
            if "kind" not in entry:
                raise f.err(line, f"{what}: missing 'kind' (one of {', '.join(CHANNEL_KINDS)})")
            kind = _string(f, entry["kind"], entry.key_lines["kind"], f"{what}: kind")
            if kind not in CHANNEL_KINDS:
                raise f.err(
                    entry.key_lines["kind"],
                    f"{what}: unknown kind '{kind}' (one of {', '.join(CHANNEL_KINDS)})",
                )
            country = None
            if "country" in entry:
                cline = entry.key_lines["country"]
                country = _string(f, entry["country"], cline, f"{what}: country")
                target = actors.get(country)
                if target is None or target.kind not in ("country", "org"):
                    raise f.err(
                        cline, f"{what}: country '{country}' is not a country or organisation of actors.yaml"
                    )
            names = [name]
            if "names" in entry:
                extra = entry["names"]
                nline = entry.key_lines["names"]
                if isinstance(extra, str):
                    extra = [extra]
                if not isinstance(extra, list):
                    raise f.err(nline, f"{what}: 'names' must be a list of other names or handles")
                lines = extra.item_lines if isinstance(extra, _Seq) else [nline] * len(extra)
                names += [_string(f, n, ln, f"{what}: names") for n, ln in zip(extra, lines, strict=True)]
            spec = ChannelSpec(name, kind, country, f.where(line))
            for n in names:
                key = channel_key(n)
                if key in seen:
                    raise f.err(line, f"{what}: '{n}' is listed already at line {seen[key]}")
                seen[key] = line
                registry.by_key[key] = spec
    return registry
