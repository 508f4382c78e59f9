"""Exports for people's own tools: JSONL (the contract), CSV and Parquet, streamed.

CSV is opened by spreadsheets, which run a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula (and a tab or carriage return can hide such a start). Post text is written by
strangers, so every text cell that starts with one of those characters gets a leading single
quote, as OWASP recommends for CSV injection; docs/contracts.md says so. JSONL and Parquet are
read by programs and keep every value as it is.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import IO

from multivector.store.base import Store

_PARQUET_BATCH = 5000
_LIST_FIELDS = ("actors", "themes", "mentions")


def write_export(store: Store, fmt: str, path: Path | None) -> int:
    """Write every post in `fmt` to `path` (stdout when None); returns the number of posts."""
    if fmt == "parquet":
        assert path is not None
        return _parquet(store, path)
    if path is None:
        return _text(store, fmt, sys.stdout)
    with path.open("w", encoding="utf-8", newline="") as fh:
        return _text(store, fmt, fh)


def _text(store: Store, fmt: str, fh: IO[str]) -> int:
    n = 0
    writer = None
    for row in store.iter_export():
        if fmt == "jsonl":
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            flat = _flat(row)
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(flat))
                writer.writeheader()
            writer.writerow(flat)
        n += 1
    return n


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _flat(row: dict) -> dict:
    # Spreadsheets want one cell per field: lists become "A;B", mentions stay JSON.
    flat = dict(row)
    flat["actors"] = ";".join(row["actors"])
    flat["themes"] = ";".join(row["themes"])
    del flat["about"]
    flat["about_actors"] = ";".join(row["about"]["actors"])
    flat["about_themes"] = ";".join(row["about"]["themes"])
    flat["mentions"] = json.dumps(row["mentions"], ensure_ascii=False)
    return {key: safe_cell(value) for key, value in flat.items()}


def _parquet(store: Store, path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    mention = pa.struct(
        [
            ("actor", pa.string()),
            ("kind", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
        ]
    )
    schema = pa.schema(
        [(name, pa.string()) for name in ("id", "source", "channel", "message_id", "author", "date", "url", "lang", "text", "forwarded_from", "duplicate_of", "duplicate_kind")]
        + [("in_scope", pa.bool_()),
           ("about", pa.struct([("actors", pa.list_(pa.string())), ("themes", pa.list_(pa.string()))])),
           ("actors", pa.list_(pa.string())), ("themes", pa.list_(pa.string())), ("mentions", pa.list_(mention))]
    )  # fmt: skip
    n = 0
    batch: list[dict] = []
    with pq.ParquetWriter(path, schema) as writer:
        for row in store.iter_export():
            batch.append(row)
            if len(batch) >= _PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n
