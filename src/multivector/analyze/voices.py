"""Who speaks: the kind of voice of each channel, the `--voice` filter, and which voices carry
a trend.

A channel's voice comes from the registry (knowledge/channels.yaml) or, for a channel it does
not list, from a guess on the genres of all its posts (knowledge/channels.py). A post speaks
with the voice of the channel that first published it (its duplicate group's root): copies
elsewhere are amplification, counted apart.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from multivector.knowledge.channels import ChannelRegistry, Voice, handle_of, voice_matches
from multivector.store.base import Content


def channel_voices(store, registry: ChannelRegistry | None) -> dict[str, Voice]:
    """Every channel of the store with its voice (registry first, else the guess)."""
    genres: dict[str, dict[str, int]] = defaultdict(dict)
    counts, links = store.channel_genres_and_links()
    for channel, genre, posts in counts:
        genres[channel][genre] = int(posts)
    handles = {ch: handle_of(url) for ch, url in links.items()}
    return (registry or ChannelRegistry()).voices(sorted(genres), handles, genres)


def kinds_of(content: Content, voices: dict[str, Voice]) -> list[str]:
    """The voice kind of each channel of `content.channels` ("" unknown)."""
    return [voices[ch].kind if ch in voices else "" for ch in content.channels]


def voice_filter(content: Content, voices: dict[str, Voice], wanted: str) -> Content:
    """Only the posts first published by a channel of the wanted voice."""
    ok = np.array([voice_matches(wanted, k) for k in kinds_of(content, voices)], dtype=bool)
    mask = ok[content.channel] if len(content) else np.zeros(0, dtype=bool)
    part = content.subset(mask)
    part.start, part.end = content.start, content.end
    return part


def voice_shares(content: Content, members: np.ndarray, kinds: list[str]) -> dict[str, float]:
    """Share of the given posts by the voice of their channel (unknown as ""), largest first."""
    if not len(members):
        return {}
    counts: dict[str, int] = defaultdict(int)
    for j, n in zip(*np.unique(content.channel[members], return_counts=True), strict=True):
        counts[kinds[j]] += int(n)
    total = len(members)
    return {k: counts[k] / total for k in sorted(counts, key=lambda k: (-counts[k], k))}
