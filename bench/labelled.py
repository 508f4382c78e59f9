"""The hand-labelled sets of posts, read the same way by the evaluation and the training script.

Written sets (`tests/data/about/{train,eval}/*.jsonl`) carry their texts. Labels of real posts
name them instead, because the real corpora may not be copied into this repository:
- `tests/data/news_labels/*.jsonl`: `channel` + `message_id` in ../shared/corpora/tg_news_ru_nktkln;
- `tests/data/kaznerd_labels/*.jsonl`: `sentence`, the index of a sentence of
  ../shared/corpora/kaznerd_kk/IOB2_valid.txt (tokens joined with spaces, punctuation re-attached).
Every item comes back as `{id, text, lang, in_scope, about_actors, themes, ...}`.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
NEWS = CORPORA / "tg_news_ru_nktkln" / "raw"
KAZNERD = CORPORA / "kaznerd_kk" / "IOB2_valid.txt"
DATA = ROOT / "tests" / "data"
# The halves of the written evaluation sets opened for tuning after their blind measurement
# (`tests/data/about/<folder>`); their other halves, `test` and `test2`, are held out.
DEV_FOLDERS = ("dev", "dev2")


# The labels name the region as a whole by this id (tests/data/about/GUIDE.md): a summit format
# ("Central Asia + Japan") stands for its partner and the region.
REGION = "CENTRAL_ASIA"


def labelled_level(actor_id: str, knowledge) -> set[str]:
    """A tool id at the labellers' level: a person or company as their country, an official as
    the body they speak for, a format as its partners and the region."""
    actor = knowledge.actors.get(actor_id)
    if actor is None:
        return {actor_id}
    if actor.represents:
        return {actor.represents}
    if actor.kind in ("person", "company"):
        return {actor.country} if actor.country else set()
    if actor.kind == "format":
        return {*actor.partners, REGION}
    return {actor_id}


class MissingCorpus(Exception):
    pass


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_written(data: Path) -> list[dict]:
    files = sorted(data.glob("*.jsonl")) if data.is_dir() else [data]
    return [d for f in files for d in read_jsonl(f)]


def news_posts() -> dict[tuple[str, int], dict]:
    """Every post of the real news set with a text, keyed by (channel, message id)."""
    if not NEWS.is_dir():
        raise MissingCorpus(f"{NEWS}: the real news corpus is not here")
    out = {}
    for f in sorted(NEWS.glob("*.json")):
        for m in json.loads(f.read_text(encoding="utf-8")):
            if (m.get("text") or "").strip():
                out[(m["channel"], int(m["message_id"]))] = m
    return out


def kaznerd_sentences() -> list[str]:
    if not KAZNERD.is_file():
        raise MissingCorpus(f"{KAZNERD}: the KazNERD sentences are not here")
    sentences: list[str] = []
    words: list[str] = []
    for line in KAZNERD.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if words:
                sentences.append(_join(words))
                words = []
            continue
        words.append(line.rpartition(" ")[0])
    if words:
        sentences.append(_join(words))
    return sentences


def _join(tokens: list[str]) -> str:
    text = " ".join(tokens)
    for p in (" ,", " .", " :", " ;", " !", " ?", " )", "« ", " »", "( "):
        text = text.replace(p, p.strip())
    return text


def load_news(labels: Path, posts: dict | None = None) -> list[dict]:
    posts = news_posts() if posts is None else posts
    out = []
    for d in read_jsonl(labels):
        m = posts.get((d["channel"], int(d["message_id"])))
        if m is None:
            raise MissingCorpus(f"{labels}: post {d['channel']}/{d['message_id']} is not in the corpus")
        out.append({**d, "id": d.get("n"), "text": m["text"], "lang": None})
    return out


def load_kaznerd(labels: Path, sentences: list[str] | None = None) -> list[dict]:
    sentences = kaznerd_sentences() if sentences is None else sentences
    return [
        {**d, "id": d.get("n"), "text": sentences[d["sentence"]], "lang": "kk"} for d in read_jsonl(labels)
    ]


def labelled_keys() -> set[tuple[str, int]]:
    """(channel, message id) of every labelled real news post, evaluation and training alike."""
    keys = set()
    for f in sorted((DATA / "news_labels").glob("*.jsonl")):
        keys |= {(d["channel"], int(d["message_id"])) for d in read_jsonl(f)}
    return keys
