"""Named entities (PER, LOC, ORG) in Russian texts with natasha's news NER model.

Only the pieces NER needs are loaded (navec embeddings and the slovnet NER model, both inside
the natasha wheel, so nothing is downloaded); lemmas come from tokens.py, not from natasha's
morphology pipeline. The model is loaded on first use, once per process (~1 s, ~150 MB).
Texts are tagged in batches sorted by length, so a batch pads to similar lengths.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

# Roughly razdel's tokens (which the model was trained on): words without underscores (Markdown
# __bold__), runs of one punctuation character, any other character alone.
_CLOSERS = {")": "(", "»": "«", "”": "“"}
_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*|([^\w\s]|_)\1*", re.UNICODE)


class NerSpan(NamedTuple):
    start: int
    end: int
    kind: str  # PER / LOC / ORG


@lru_cache(maxsize=1)
def _tagger():
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


class NerTagger:
    """Batched natasha NER; picklable (the model is loaded lazily in each process)."""

    def __init__(self, batch_size: int = 16, max_chars: int = 20_000):
        self.batch_size = batch_size
        self.max_chars = max_chars  # longer texts are tagged in pieces of about this size

    def spans(self, text: str) -> list[NerSpan]:
        return self.spans_many([text])[0]

    def spans_many(self, texts: Sequence[str]) -> list[list[NerSpan]]:
        if not texts:
            return []
        tagger = _tagger()
        # Cut long texts at paragraph breaks; remember each piece's offset.
        pieces: list[tuple[int, int, str]] = []  # (text index, offset, piece)
        for ti, text in enumerate(texts):
            for off, piece in _pieces(text, self.max_chars):
                if piece.strip():
                    pieces.append((ti, off, piece))
        # Tokens with offsets from one regex instead of slovnet's razdel pass (a third of its
        # time): words as tokens.py sees them, every other non-space character on its own.
        tokens = [[(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(p[2])] for p in pieces]
        order = sorted((k for k in range(len(pieces)) if tokens[k]), key=lambda k: len(tokens[k]))
        infer = tagger.infer
        infer.encoder.batch_size = self.batch_size
        preds = infer.decoder(infer.process(infer.encoder([[t[2] for t in tokens[k]] for k in order])))
        out: list[list[NerSpan]] = [[] for _ in texts]
        for k, tags in zip(order, preds, strict=True):
            ti, off, _ = pieces[k]
            text = texts[ti]
            for sp in _bio_spans(tokens[k], tags, off):
                # The model sometimes starts a span at an emoji or ** before the name: trim.
                a, b = sp.start, sp.end
                while a < b and not text[a].isalnum():
                    a += 1
                while b > a and not text[b - 1].isalnum():
                    b -= 1
                if b < len(text) and text[b] in _CLOSERS and _CLOSERS[text[b]] in text[a:b]:
                    b += 1  # keep the bracket or quote the name opened: «Росатом», (MIT)
                if a < b:
                    out[ti].append(NerSpan(a, b, sp.kind))
        for spans in out:
            spans.sort()
        return out


def _bio_spans(tokens: list[tuple[int, int, str]], tags: list[str], offset: int) -> list[NerSpan]:
    out = []
    kind = None
    start = stop = 0
    for (a, b, _), tag in zip(tokens, tags, strict=False):
        part, _, typ = tag.partition("-")
        if part == "B" or (part == "I" and typ != kind):
            if kind:
                out.append(NerSpan(start + offset, stop + offset, kind))
            kind, start, stop = typ, a, b
        elif part == "I":
            stop = b
        else:
            if kind:
                out.append(NerSpan(start + offset, stop + offset, kind))
            kind = None
    if kind:
        out.append(NerSpan(start + offset, stop + offset, kind))
    return out


def _pieces(text: str, limit: int) -> list[tuple[int, str]]:
    if len(text) <= limit:
        return [(0, text)]
    out = []
    start = 0
    while start < len(text):
        end = min(len(text), start + limit)
        if end < len(text):
            cut = text.rfind("\n", start + limit // 2, end)
            if cut < 0:
                cut = text.rfind(" ", start + limit // 2, end)
            end = cut + 1 if cut > 0 else end
        out.append((start, text[start:end]))
        start = end
    return out
