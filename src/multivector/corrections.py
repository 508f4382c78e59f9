"""Corrections as a file, and putting a post's machine tags back when a correction is withdrawn.

An analyst's corrections live in the database (`Store.add_correction` and friends); this module
moves them between databases as JSONL, one correction per line:

    {"post": "31a6730f8fe5dd14", "field": "actor", "value": "RU", "action": "remove",
     "author": "aigerim", "created_at": "2025-01-14T10:02:11", "note": "a passing mention"}

`field` is actor, theme or scope; `action` is add or remove (scope: set, with value "true" or
"false"). `author`, `note` and `created_at` are optional when a file is written by hand. The
format is part of docs/contracts.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO

from multivector.model import InputError, Problem
from multivector.store.base import Store, check_correction

FIELDS = ("post", "field", "value", "action", "author", "created_at", "note")
REQUIRED = ("post", "field", "value", "action")


def to_record(correction: dict) -> dict:
    """A stored correction as a line of the file: the database's own id stays behind."""
    return {k: correction.get(k) for k in FIELDS}


def write_jsonl(corrections: Iterable[dict], fh: IO[str]) -> int:
    n = 0
    for c in corrections:
        fh.write(json.dumps(to_record(c), ensure_ascii=False) + "\n")
        n += 1
    return n


def parse_record(obj: object) -> dict:
    """Check one decoded line; returns the record or raises InputError with the reason."""
    if not isinstance(obj, dict):
        raise InputError("expected a JSON object")
    unknown = sorted(set(obj) - set(FIELDS) - {"id"})
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r} (expected {', '.join(FIELDS)})")
    missing = [k for k in REQUIRED if obj.get(k) in (None, "")]
    if missing:
        raise InputError(f"{missing[0]} is missing")
    for key in ("author", "note", "created_at"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise InputError(f"{key} must be a string")
    record = {k: obj.get(k) for k in FIELDS}
    if isinstance(record["value"], bool):  # {"field": "scope", "value": true} written by hand
        record["value"] = "true" if record["value"] else "false"
    check_correction(record["post"], record["field"], record["value"], record["action"])
    if record["created_at"]:
        try:
            datetime.fromisoformat(record["created_at"])
        except ValueError:
            raise InputError(f"created_at {record['created_at']!r} is not ISO 8601") from None
    return record


def read_jsonl(path: Path, on_problem: Callable[[Problem], None]) -> Iterator[dict]:
    """The good corrections of a file; each bad line is reported as file:line and skipped."""
    try:
        fh = path.open(encoding="utf-8-sig")
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    with fh:
        try:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    yield parse_record(json.loads(line))
                except json.JSONDecodeError as e:
                    on_problem(Problem(str(path), f"line {n}", f"not JSON ({e.msg})"))
                except InputError as e:
                    on_problem(Problem(str(path), f"line {n}", str(e)))
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None


class Retagger:
    """Annotates a few posts again at once, so withdrawing a correction shows without waiting
    for `multivector annotate`. Loading the annotator takes seconds: keep one and reuse it."""

    def __init__(self, knowledge_dirs: Sequence[Path] = (), profile: str = "kz", ner: bool = True):
        from multivector.pipeline import AnnotateOptions, Preparer

        self._preparer = Preparer(
            AnnotateOptions(ner=ner, knowledge_dirs=tuple(knowledge_dirs), profile=profile)
        )

    def retag(self, store: Store, post_ids: Iterable[str]) -> int:
        rows = store.texts(list(post_ids))
        if not rows:
            return 0
        store.write_annotations(self._preparer.annotate_rows(rows), self._preparer.knowledge_fingerprint)
        return len(rows)
