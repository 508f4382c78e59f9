"""The one vocabulary every stage speaks: posts, mentions, problems.

Sources turn the outside world into `Post` objects; prepare, annotate and store fill in
the remaining fields. Nothing here imports any other part of multivector.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import TypeVar

# Where a post came from. Stable strings: they are part of the export contract.
SOURCE_TELEGRAM = "telegram"
SOURCE_TEXT = "text"
SOURCE_TABLE = "table"
SOURCE_FEED = "feed"

T = TypeVar("T")


def post_id(source: str, channel: str, message_id: str) -> str:
    """A post's stable id: the same (source, channel, message id) always gives the same id.

    A hash rather than the natural key because channel names carry emoji, `|` and spaces,
    and users paste ids into scripts and URLs. Text that is not valid Unicode (a lone
    surrogate) is hashed as is rather than refused; the readers replace it before this.
    """
    key = f"{source}\x1f{channel}\x1f{message_id}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(key, digest_size=8).hexdigest()


def _pickled_as_tuple(cls: type[T]) -> type[T]:
    """Pickle a slotted dataclass as (class, field values): the default state methods of
    slotted dataclasses look the fields up for every object, and a worker's prepared posts
    (with their mentions) cross a process boundary by the hundred thousand."""
    get = attrgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]

    def __reduce__(self):  # noqa: N807
        return cls, get(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    return cls


@_pickled_as_tuple
@dataclass(slots=True)
class Post:
    """One message, article or pasted note, as read from a source."""

    source: str
    channel: str
    message_id: str
    text: str
    date: datetime | None = None
    author: str | None = None
    url: str | None = None
    forwarded_from: str | None = None
    reply_to: str | None = None
    edited: datetime | None = None
    links: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    media: str | None = None  # media type of a media message ("photo", "video_file" ...)
    views: int | None = None
    forwards: int | None = None
    origin: str = ""  # "file: place" the post was read from, for error messages and audit
    # Filled in by prepare/:
    text_raw: str | None = None  # the text exactly as the source gave it, before normalising
    lang: str | None = None  # ru / kk / en / other / und
    repeated_body: bool = False  # the source text held its body twice and was cut to one copy

    @property
    def id(self) -> str:
        return post_id(self.source, self.channel, self.message_id)


@_pickled_as_tuple
@dataclass(frozen=True, slots=True)
class Mention:
    """A span of a post's text that names an actor (or that NER found and no actor matched)."""

    start: int
    end: int
    text: str
    actor: str | None  # actor id, or None for an NER span no gazetteer entry matched
    kind: str  # actor kind (country, org, person, ...) or NER kind (PER/LOC/ORG)


@_pickled_as_tuple
@dataclass(frozen=True, slots=True)
class ThemeHit:
    """A span of a post's text that matched a theme pattern."""

    theme: str
    start: int
    end: int
    text: str


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def one_line(text: str, longest: int = 2000) -> str:
    """`text` fit for a one-line message: control characters escaped (``\\n``, ``\\x0d``),
    lone surrogates replaced, cut at `longest` characters."""
    text = _CONTROL.sub(lambda m: "\\n" if m.group() == "\n" else f"\\x{ord(m.group()):02x}", text)
    text = _SURROGATE.sub("\ufffd", text)
    return text if len(text) <= longest else text[: longest - 3] + "..."


@dataclass(frozen=True, slots=True)
class Problem:
    """A bad file or record: reported on one line, the rest of the input is kept.

    The fields are made printable on creation: whatever a file name or a record holds, a
    problem is one line."""

    file: str
    place: str  # "message 1234", "line 17", "item 3"; empty when the whole file is bad
    message: str

    def __post_init__(self) -> None:
        for name in ("file", "place", "message"):
            value = getattr(self, name)
            fixed = one_line(value if isinstance(value, str) else str(value))
            if fixed != value:
                object.__setattr__(self, name, fixed)

    def __str__(self) -> str:
        return f"{self.file}: {self.place}: {self.message}" if self.place else f"{self.file}: {self.message}"


class InputError(Exception):
    """Bad input or bad usage that stops a command: the CLI prints it on one line, exit 2."""

    def __init__(self, message: str):
        message = one_line(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@_pickled_as_tuple
@dataclass(slots=True)
class Annotation:
    """What annotate/ found in one post: the actors and themes, each with its spans."""

    mentions: list[Mention] = field(default_factory=list)
    themes: list[ThemeHit] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)  # sorted unique actor ids (every mention)
    theme_ids: list[str] = field(default_factory=list)  # sorted unique theme ids (every hit)
    in_scope: bool = False
    # What the post is about: a subset of `actors` / `theme_ids`, with a weight for each id
    # of those lists (actor salience, theme score; 0..1).
    about_actors: list[str] = field(default_factory=list)
    about_themes: list[str] = field(default_factory=list)
    salience: dict[str, float] = field(default_factory=dict)
    theme_scores: dict[str, float] = field(default_factory=dict)
    scope_score: float | None = None  # 0..1, how surely international relations are the subject
    scope_reason: str | None = None  # what decided `in_scope`, for a person to read
    genre: str | None = None  # news | analysis | digest | official | other


@_pickled_as_tuple
@dataclass(slots=True)
class PreparedPost:
    """A post after prepare/ and annotate/: everything the store writes in one go."""

    post: Post
    revision: str  # hash of what the source said; another value for the same id is an edit
    lemmas: str  # space-separated lemmas for the full-text index
    content_hash: str | None = None
    signature: bytes | None = None  # MinHash signature, None for very short texts
    bands: tuple[int, list[int]] | None = None  # (rows per band, LSH band keys), computed by a worker
    # Reworded-copy band values (annotate/reworded.py `reword_print`), computed by a worker after
    # annotation; [] when the text is too short to judge, None when not computed.
    reword_bands: list[int] | None = None
    annotation: Annotation | None = None
    annotated_with: str | None = None  # knowledge fingerprint used for `annotation`
