"""The outside world -> Post: format detection, folder walking and dispatch to the readers.

Readers (each a generator ``read(path, ctx) -> Iterator[Post]``):

=================  ==========================================================
format             reader
=================  ==========================================================
``telegram-json``  :mod:`.telegram_json` -- Telegram Desktop JSON export
``telegram-html``  :mod:`.telegram_html` -- Telegram Desktop HTML export
``text``           :mod:`.text` -- pasted posts (.txt, .md)
``table``          :mod:`.table` -- CSV/TSV, JSON Lines, JSON arrays of objects
``feed``           :mod:`.feeds` -- RSS/Atom
``parquet``        :mod:`.parquet` -- Parquet tables (``export --format parquet`` reads back)
=================  ==========================================================

`read_path` puts every reader under the same rules: each post passes `base.check_post` (what
cannot be stored is reported and left out), and the reading time of a file is held to its
budget (`base.Limits`): a reader that runs over it stops, the posts read so far are kept and
one problem names the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from multivector.model import InputError, Post, Problem
from multivector.sources import feeds, parquet, table, telegram_html, telegram_json, text
from multivector.sources.base import ReadContext, check_readable, read_within_budget, shown

FORMATS = ("telegram-json", "telegram-html", "text", "table", "feed", "parquet")

READERS: dict[str, Callable[[Path, ReadContext], Iterator[Post]]] = {
    "telegram-json": telegram_json.read,
    "telegram-html": telegram_html.read,
    "text": text.read,
    "table": table.read,
    "feed": feeds.read,
    "parquet": parquet.read,
}

# Extensions a folder walk picks up; a file named explicitly is always read.
_INPUT_SUFFIXES = frozenset(
    ".json .jsonl .ndjson .jsonlines .csv .tsv .tab .txt .text .md .markdown .xml .rss .atom .parquet".split()
)
_HTML_PAGE = re.compile(r"^messages\d*\.html?$", re.IGNORECASE)
_TELEGRAM_HTML_MARKS = (
    b'class="page_header"',
    b'class="history"',
    b'class="message default',
    b"go_to_message",
)
_TELEGRAM_JSON_MARKS = (b'"messages"', b'"chats"', b'"left_chats"', b'"personal_information"')
_FORMAT_HINT = "use --format " + "|".join(FORMATS)


def detect_format(path: Path) -> str:
    """The format of `path`, from its extension and a look at its first bytes.

    Raises InputError ``"<file>: unknown format; use --format ..."`` when nothing fits.
    """
    path = Path(path)
    name = shown(path)
    if path.is_dir():
        if telegram_html.page_files(path):
            return "telegram-html"
        if (path / "result.json").is_file():
            return "telegram-json"
        raise InputError(f"{name}: a folder that is not a Telegram Desktop export; name its files instead")
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8192)
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1024]
    lowered = start.lower()

    if suffix in (".parquet", ".pq") or head.startswith(parquet.MAGIC):
        return "parquet"
    if suffix in (".jsonl", ".ndjson", ".jsonlines", ".csv", ".tsv", ".tab"):
        return "table"
    if suffix in (".txt", ".text", ".md", ".markdown"):
        return "text"
    if suffix in (".xml", ".rss", ".atom"):
        return "feed"
    if suffix in (".html", ".htm"):
        if any(mark in head for mark in _TELEGRAM_HTML_MARKS):
            return "telegram-html"
        raise InputError(f"{name}: HTML that is not a Telegram Desktop export; {_FORMAT_HINT}")
    if start.startswith(b"["):
        return "table"
    if start.startswith(b"{"):
        if (
            any(mark in start for mark in _TELEGRAM_JSON_MARKS)
            or b"here is the data you requested" in lowered
        ):
            return "telegram-json"
        return "table"
    if lowered.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf:rdf")):
        if b"<html" in lowered and not (b"<rss" in lowered or b"<feed" in lowered):
            raise InputError(f"{name}: XHTML, not a feed; {_FORMAT_HINT}")
        return "feed"
    if lowered.startswith((b"<!doctype html", b"<html")) and any(m in head for m in _TELEGRAM_HTML_MARKS):
        return "telegram-html"
    raise InputError(f"{name}: unknown format; {_FORMAT_HINT}")


def iter_input_files(
    paths: list[Path], on_problem: Callable[[Problem], None] | None = None
) -> Iterator[Path]:
    """The input files under `paths`, each once, in a stable order.

    A file named explicitly is yielded as is. A folder is walked recursively in sorted order,
    skipping hidden entries and files that are not inputs (images, media, databases,
    stylesheets ...: only .json .jsonl .ndjson .csv .tsv .txt .md .xml .rss .atom .parquet are taken,
    and .html only as Telegram ``messages*.html`` pages). A Telegram Desktop HTML export folder
    yields its ``messages*.html`` pages in numeric order, and a JSON export folder its
    ``result.json``; neither is searched further (photos/, files/ ...).

    A folder inside that cannot be listed is reported to `on_problem` and passed over (without
    `on_problem`, it raises InputError).
    """
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputError(f"{shown(path)}: no such file or folder")
        if path.is_dir():
            for found in _walk(path, set(), on_problem):
                key = found.resolve()
                if key not in seen:
                    seen.add(key)
                    yield found
        else:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                yield path


def _walk(folder: Path, visiting: set[Path], on_problem: Callable[[Problem], None] | None) -> Iterator[Path]:
    real = folder.resolve()
    if real in visiting:  # a symlink loop
        return
    visiting = visiting | {real}
    try:
        pages = telegram_html.page_files(folder)
        entries = sorted(folder.iterdir(), key=lambda p: p.name) if not pages else []
    except OSError as exc:
        message = f"cannot list folder ({exc.strerror or exc})"
        if on_problem is None:
            raise InputError(f"{shown(folder)}: {message}") from None
        on_problem(Problem(shown(folder), "", message))
        return
    if pages:
        yield from pages
        return
    result = folder / "result.json"
    if result.is_file():
        yield result
        return
    for entry in entries:
        if entry.name.startswith((".", "~$")) or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            yield from _walk(entry, visiting, on_problem)
        elif entry.is_file():
            suffix = entry.suffix.lower()
            if suffix in _INPUT_SUFFIXES or (suffix in (".html", ".htm") and _HTML_PAGE.match(entry.name)):
                yield entry


def read_path(path: Path, ctx: ReadContext, fmt: str | None = None) -> Iterator[Post]:
    """Read one input (a file, or a Telegram export folder) with the given or detected format.

    Raises InputError when the whole input is unusable; anything wrong with a record is a
    problem in `ctx`. The posts that come out have passed `check_post`.
    """
    path = Path(path)
    name = shown(path)
    if fmt is not None and fmt not in READERS:
        raise InputError(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}")
    try:
        if path.is_dir():
            fmt = fmt or detect_format(path)
            if fmt == "telegram-json":
                path = path / "result.json"
            elif fmt != "telegram-html":
                raise InputError(f"{name}: a folder can only be read as a Telegram Desktop export")
        else:
            check_readable(path)
            fmt = fmt or detect_format(path)
        pages = telegram_html.page_files(path) if path.is_dir() else [path]
        size = sum(p.stat().st_size for p in pages if p.exists())
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    ctx.file = shown(path)
    try:
        yield from read_within_budget(READERS[fmt](path, ctx), ctx, ctx.limits.seconds_for(size))
    except OSError as exc:
        raise InputError(f"{ctx.file}: cannot read ({exc.strerror or exc})") from None


__all__ = ["FORMATS", "READERS", "ReadContext", "detect_format", "iter_input_files", "read_path"]
