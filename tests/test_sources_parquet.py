"""Parquet in: `export --format parquet` read back by `ingest` gives the same posts with the same
ids; other Parquet tables read like CSV tables; bad rows and bad files are reported clearly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import multivector
from multivector.cli import sample_dir
from multivector.model import SOURCE_TABLE, InputError
from multivector.sources import detect_format, parquet, read_path
from multivector.sources.base import ReadContext
from multivector.store import open_store


def export_rows(db: Path) -> dict[str, dict]:
    with open_store(db, create=False) as store:
        return {row["id"]: row for row in store.iter_export()}


def test_export_then_ingest_round_trips_posts_and_ids(tmp_path: Path) -> None:
    first, again, out = tmp_path / "first.db", tmp_path / "again.db", tmp_path / "posts.parquet"
    sample = sample_dir()
    assert multivector("--db", str(first), "ingest", str(sample), "--no-ner").returncode == 0
    result = multivector("--db", str(first), "export", "--format", "parquet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert detect_format(out) == "parquet"
    result = multivector("--db", str(again), "ingest", str(out), "--no-ner")
    assert result.returncode == 0, result.stderr
    before, after = export_rows(first), export_rows(again)
    assert len(before) > 300
    assert before.keys() == after.keys()  # same ids: telegram posts stay telegram posts
    assert {r["source"] for r in after.values()} == {r["source"] for r in before.values()}
    for pid, row in before.items():
        other = after[pid]
        keys = ("source", "channel", "message_id", "date", "text", "author", "url", "lang", "duplicate_of")
        for key in keys:
            assert row[key] == other[key], (pid, key)
    # Ingesting the export again is a no-op.
    result = multivector("--db", str(again), "ingest", str(out), "--no-ner")
    assert result.returncode == 0 and " 0 new" in result.stderr, result.stderr


def write_table(path: Path, rows: list[dict], **kw) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path, **kw)
    return path


def test_other_parquet_tables_read_like_csv_with_bad_rows_skipped(tmp_path: Path) -> None:
    rows = [
        {"Body": "Визит министра в Ташкент", "published": "2024-03-01T10:00:00", "chat": "Orda", "msg_id": 1},
        {"Body": "Переговоры в Пекине", "published": "01.03.2024", "chat": "Orda", "msg_id": 2},  # bad date
        {"Body": "Саммит ШОС в Астане", "published": "2024-07-04", "chat": None, "msg_id": 3},
    ]
    path = write_table(tmp_path / "table.parquet", rows, row_group_size=2)  # two row groups
    ctx = ReadContext(field_map={"text": "Body"})
    posts = list(read_path(path, ctx))
    assert [p.message_id for p in posts] == ["1", "3"]
    assert posts[0].source == SOURCE_TABLE and posts[0].channel == "Orda"
    assert posts[0].date == datetime(2024, 3, 1, 10, 0)
    assert posts[1].channel == "table"  # no channel: the file's stem, as for CSV
    assert [(p.place, "ISO 8601" in p.message) for p in ctx.problems] == [("row 2", True)]


def test_parquet_timestamps_are_dates(tmp_path: Path) -> None:
    table = pa.table(
        {"text": ["Визит министра"], "date": pa.array([datetime(2024, 5, 1, 9, 30)], pa.timestamp("ms"))}
    )
    path = tmp_path / "ts.parquet"
    pq.write_table(table, path)
    [post] = list(parquet.read(path, ReadContext()))
    assert post.date == datetime(2024, 5, 1, 9, 30)


def test_no_text_column_names_the_file_and_columns(tmp_path: Path) -> None:
    path = write_table(tmp_path / "notext.parquet", [{"title": "x", "date": "2024-01-01"}])
    with pytest.raises(InputError, match=r"notext\.parquet: no text column.*title, date"):
        list(parquet.read(path, ReadContext()))


def test_a_broken_parquet_file_is_one_line_naming_it(tmp_path: Path) -> None:
    good = write_table(
        tmp_path / "good.parquet", [{"text": f"post {i}", "message_id": i} for i in range(100)]
    )
    broken = tmp_path / "broken.parquet"
    data = good.read_bytes()
    broken.write_bytes(data[: len(data) // 2] + b"PAR1")  # magic kept at both ends, footer gone
    db = tmp_path / "x.db"
    result = multivector("--db", str(db), "ingest", str(broken), "--no-annotate")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any(str(broken) in line and "not a readable Parquet file" in line for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    fake = tmp_path / "fake.parquet"
    fake.write_text("id,text\n1,hello\n")
    with pytest.raises(InputError, match=r"fake\.parquet: not a readable Parquet file"):
        list(read_path(fake, ReadContext()))
