"""Parquet files -> Post, streamed a record batch at a time.

Written first of all for reading back `multivector export --format parquet`: a file that
carries the export's ``id`` and ``source`` columns keeps each post's source, so the ids come
out the same (post ids hash source, channel and message id) and an export ingested into
another database is the same posts, not copies. Any other Parquet table is read like a CSV
table (`table.py`): its columns are found by their usual names or named with ``--map``, and
its posts get the ``table`` source.

Places are ``row N``, counting the file's records from 1. A row without text or with a date
that cannot be read is reported and skipped; a file that is not Parquet, or breaks in the
middle, is one clear line naming it (what was read before the break is kept).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from multivector.model import SOURCE_FEED, SOURCE_TABLE, SOURCE_TELEGRAM, SOURCE_TEXT, InputError, Post
from multivector.sources.base import ReadContext, check_readable, shown
from multivector.sources.table import Columns, record_to_post

MAGIC = b"PAR1"
_BATCH_ROWS = 2000  # rows held at once: a row group may be far larger
_SOURCES = frozenset({SOURCE_TELEGRAM, SOURCE_TEXT, SOURCE_TABLE, SOURCE_FEED})


def read(path: Path, ctx: ReadContext) -> Iterator[Post]:
    """Yield the posts of one Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    check_readable(path)
    ctx.file = name = shown(path)
    try:
        table = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{name}: not a readable Parquet file ({_reason(exc)})") from None
    names = table.schema_arrow.names
    cols = Columns(names, ctx.field_map, name, strict=True)
    # An export of ours: its rows name their source, which is part of the post id.
    keeps_source = "id" in names and "source" in names
    wanted = sorted(set(cols.of.values()) | ({"source"} if keeps_source else set()))
    row = 0
    try:
        for batch in table.iter_batches(batch_size=_BATCH_ROWS, columns=wanted):
            for rec in batch.to_pylist():
                row += 1
                post = record_to_post(_plain(rec), cols, f"row {row}", path, ctx)
                if post is not None:
                    source = rec.get("source")
                    if keeps_source and source in _SOURCES:
                        post.source = source
                    yield post
                ctx.check_time()
    except (pa.ArrowException, OSError) as exc:
        if row == 0:
            raise InputError(f"{name}: not a readable Parquet file ({_reason(exc)})") from None
        ctx.problem(
            f"row {row}", f"the file breaks after this row ({_reason(exc)}); the rows before are kept"
        )


def _plain(rec: dict) -> dict:
    """Timestamps as ISO text, the form the table reader parses (Parquet has real date types)."""
    for key, value in rec.items():
        if isinstance(value, datetime | date):
            rec[key] = value.isoformat()
    return rec


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
