"""Why a post is tagged as it is, for `multivector explain`: its scope with the score and the
reason, each actor with its salience and the words that name it, each theme with its score and
the words that carried it. The same answer for a stored post (its tags as stored, with the
analyst's corrections) and for any text (annotated now, as `ingest` would).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from multivector.knowledge.loader import Knowledge
from multivector.model import Annotation, InputError, Post

if TYPE_CHECKING:
    from multivector.preparer import AnnotateOptions

MAX_WORDS = 5  # spellings of an actor, or evidence words of a theme, shown for each


def _unique(texts: list[str], limit: int = MAX_WORDS) -> list[str]:
    """The first `limit` distinct spellings (ignoring case and spacing), in text order."""
    seen: dict[str, str] = {}
    for t in texts:
        spelled = " ".join(t.split())
        seen.setdefault(spelled.casefold(), spelled)
    return list(seen.values())[:limit]


def explain_detail(detail: dict, knowledge: Knowledge) -> dict[str, Any]:
    """The explanation of a post as the store gives it (`Store.post_detail`)."""
    named: dict[str, list[str]] = {}
    for m in detail.get("mentions", []):
        if m.get("actor"):
            named.setdefault(m["actor"], []).append(m["text"])
    carried: dict[str, list[str]] = {}
    for h in detail.get("theme_hits", []):
        carried.setdefault(h["theme"], []).append(h["text"])
    actors = [
        {
            "actor": a["actor"],
            "name": _actor_name(knowledge, a["actor"]),
            "about": bool(a["about"]),
            "salience": a.get("salience"),
            "named_as": _unique(named.get(a["actor"], [])),
        }
        for a in detail.get("actors", [])
    ]
    themes = [
        {
            "theme": t["theme"],
            "name": knowledge.themes[t["theme"]].name("en") if t["theme"] in knowledge.themes else t["theme"],
            "about": bool(t["about"]),
            "score": t.get("score"),
            "evidence": _unique(carried.get(t["theme"], [])),
        }
        for t in detail.get("themes", [])
    ]
    # Subjects first, then by weight: what decided the post's figures comes on top.
    actors.sort(key=lambda a: (not a["about"], -(a["salience"] or 0.0), a["actor"]))
    themes.sort(key=lambda t: (not t["about"], -(t["score"] or 0.0), t["theme"]))
    return {
        "id": detail.get("id"),
        "channel": detail.get("channel"),
        "date": detail.get("date"),
        "lang": detail.get("lang"),
        "genre": detail.get("genre"),
        "in_scope": detail.get("in_scope"),
        "scope_score": detail.get("scope_score"),
        "scope_reason": detail.get("scope_reason"),
        "actors": actors,
        "themes": themes,
        "corrections": detail.get("corrections", []),
        "text": detail.get("text", ""),
    }


def _actor_name(knowledge: Knowledge, actor_id: str) -> str:
    actor = knowledge.actors.get(actor_id)
    return actor.name("en") if actor is not None else actor_id


def annotation_detail(text: str, lang: str | None, annotation: Annotation) -> dict[str, Any]:
    """A fresh annotation in the shape `Store.post_detail` gives a stored post."""
    about_actors, about_themes = set(annotation.about_actors), set(annotation.about_themes)
    return {
        "id": None,
        "text": text,
        "lang": lang,
        "genre": annotation.genre,
        "in_scope": annotation.in_scope,
        "scope_score": annotation.scope_score,
        "scope_reason": annotation.scope_reason,
        "actors": [
            {"actor": a, "about": a in about_actors, "salience": annotation.salience.get(a)}
            for a in annotation.actors
        ],
        "themes": [
            {"theme": t, "about": t in about_themes, "score": annotation.theme_scores.get(t)}
            for t in annotation.theme_ids
        ],
        "mentions": [{"actor": m.actor, "text": m.text} for m in annotation.mentions],
        "theme_hits": [{"theme": h.theme, "text": h.text} for h in annotation.themes],
    }


def explain_text(text: str, options: AnnotateOptions) -> dict[str, Any]:
    """Prepare `text` with ingest's own `Preparer` (its cleaning, language guess, knowledge and
    model) and explain what it found."""
    from multivector.preparer import Preparer

    preparer = Preparer(options)
    assert preparer.annotator is not None  # explain always annotates
    (prepared,) = preparer.prepare([(Post(source="text", channel="", message_id="1", text=text), "")])
    post = prepared.post
    if not post.text.strip():
        raise InputError("--text: the text is empty")
    detail = annotation_detail(post.text, post.lang, prepared.annotation)
    return explain_detail(detail, preparer.annotator.knowledge)
