"""CSV / JSON Lines / JSON array reader."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from multivector.model import SOURCE_TABLE, InputError
from multivector.sources import table
from multivector.sources.base import ReadContext


def read_all(path: Path, **kw) -> tuple[list, ReadContext]:
    ctx = ReadContext(**kw)
    return list(table.read(path, ctx)), ctx


def test_csv_fields_and_bad_date_row(sources_data: Path) -> None:
    path = sources_data / "posts.csv"
    posts, ctx = read_all(path)
    assert [p.message_id for p in posts] == ["101", "103", "104"]
    first = posts[0]
    assert first.source == SOURCE_TABLE
    assert first.channel == "Kazinform"
    assert first.text == "Токаев провёл переговоры с Си Цзиньпином.\nСтороны подписали 20 документов."
    assert first.date == datetime(2024, 5, 1, 4, 0)  # +05:00 converted to naive UTC
    assert (first.url, first.author) == ("https://kazinform.kz/101", "Айдос")
    assert first.origin == f"{path}: row 2"
    assert posts[1].channel == "posts"  # empty channel cell -> the file stem
    assert posts[1].date == datetime(2024, 5, 1, 21, 46, 40)  # Unix time
    assert posts[1].text.endswith('a "quoted" word.')
    assert posts[2].date is None
    assert len(ctx.problems) == 1
    problem = ctx.problems[0]
    assert (problem.file, problem.place) == (str(path), "row 3")
    assert "not ISO 8601" in problem.message and "01.05.2024" in problem.message


def test_csv_channel_option_fills_only_missing(sources_data: Path) -> None:
    posts, _ = read_all(sources_data / "posts.csv", channel="Desk", default_date=date(2024, 1, 1))
    assert [p.channel for p in posts] == ["Kazinform", "Desk", "Tengrinews"]
    assert posts[2].date == datetime(2024, 1, 1)


def test_semicolon_csv_uses_row_numbers_as_ids(sources_data: Path) -> None:
    posts, ctx = read_all(sources_data / "posts_semicolon.csv")
    assert ctx.problems == []
    assert [(p.message_id, p.channel) for p in posts] == [("row 2", "Orda"), ("row 3", "Orda")]
    assert posts[1].date == datetime(2024, 6, 2, 10, 0)


def test_cp1251_csv_from_russian_excel(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    content = "Дата;Канал;Текст\r\n2024-03-01;Хабар;Визит министра иностранных дел в Ташкент\r\n"
    path.write_bytes(content.encode("cp1251"))
    # the Russian column names are not known: map them
    with pytest.raises(InputError, match="no text column") as info:
        read_all(path)
    assert "Дата, Канал, Текст" in str(info.value)
    posts, ctx = read_all(path, field_map={"text": "текст", "date": "Дата", "channel": "Канал"})
    assert ctx.problems == []
    assert (posts[0].text, posts[0].channel) == ("Визит министра иностранных дел в Ташкент", "Хабар")
    assert posts[0].date == datetime(2024, 3, 1)


def test_field_map_errors(sources_data: Path) -> None:
    with pytest.raises(InputError, match="'Missing'.*not found"):
        read_all(sources_data / "posts.csv", field_map={"text": "Missing"})
    with pytest.raises(InputError, match="unknown field"):
        read_all(sources_data / "posts.csv", field_map={"colour": "Text"})


def test_field_map_overrides_detection(sources_data: Path) -> None:
    posts, _ = read_all(sources_data / "posts.csv", field_map={"text": "category", "id": "URL"})
    assert posts[0].text == "politics"
    assert posts[0].message_id == "https://kazinform.kz/101"
    assert posts[1].message_id == "row 4"  # empty id cell -> the row


def test_csv_row_with_wrong_field_count(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("id,text\n1,ok\n2,too,many\n3,fine\n", encoding="utf-8")
    posts, ctx = read_all(path)
    assert [p.message_id for p in posts] == ["1", "3"]
    assert [(p.place, "3 fields" in p.message) for p in ctx.problems] == [("row 3", True)]


def test_five_megabyte_csv_field(tmp_path: Path) -> None:
    body = "Большой пост. " * 400_000
    assert len(body.encode()) > 5_000_000
    path = tmp_path / "big.csv"
    path.write_text('id,text\n1,"' + body + '"\n2,small\n', encoding="utf-8")
    posts, ctx = read_all(path)
    assert ctx.problems == [] and posts[0].text == body
    assert posts[1].text == "small"


def test_jsonl_with_a_broken_line(sources_data: Path) -> None:
    path = sources_data / "posts.jsonl"
    posts, ctx = read_all(path)
    assert [(p.message_id, p.channel) for p in posts] == [("a1", "Vlast"), ("a3", "Vlast")]
    assert posts[0].date == datetime(2024, 7, 1, 10, 0)
    assert posts[1].origin == f"{path}: line 4"
    assert [p.place for p in ctx.problems] == ["line 2", "line 5"]
    assert "not valid JSON" in ctx.problems[0].message
    assert "not a JSON object" in ctx.problems[1].message


def test_jsonl_with_no_valid_line(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("{broken\nalso broken\n", encoding="utf-8")
    with pytest.raises(InputError, match="no line holds a JSON object"):
        read_all(path)


def test_json_array(sources_data: Path) -> None:
    posts, ctx = read_all(sources_data / "posts_array.json")
    assert ctx.problems == []
    assert [p.message_id for p in posts] == ["1", "2", "3"]
    assert posts[0].text == "Array record one." and posts[0].author == "Desk"
    assert posts[0].date == datetime(2024, 5, 1, 3, 0)
    assert posts[1].forwarded_from == "Reuters"
    assert posts[2].text == ""  # null text: kept as an empty post


def test_truncated_json_array(tmp_path: Path) -> None:
    records = [{"id": i, "text": f"record {i}", "date": "2024-01-01"} for i in range(1, 6)]
    data = json.dumps(records).encode()
    cut = data.index(b'"record 4"')
    path = tmp_path / "cut.json"
    path.write_bytes(data[:cut])
    posts, ctx = read_all(path)
    assert [p.message_id for p in posts] == ["1", "2", "3"]
    assert len(ctx.problems) == 1
    assert ctx.problems[0].place == f"byte {cut}"
    assert "truncated" in ctx.problems[0].message and "item 3" in ctx.problems[0].message
    path.write_bytes(data[:5])
    with pytest.raises(InputError, match="truncated or not valid JSON"):
        read_all(path)


def test_json_without_text_column_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('[{"title": "a", "when": "2024-01-01"}]', encoding="utf-8")
    with pytest.raises(InputError, match="no text column.*columns are: title, when"):
        read_all(path)


def test_json_object_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{\n  "name": "chat",\n  "messages": []\n}', encoding="utf-8")
    with pytest.raises(InputError, match="not an array"):
        read_all(path)


@pytest.mark.parametrize("name", ["x.csv", "x.jsonl", "x.json"])
@pytest.mark.parametrize(("content", "reason"), [(b"", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00", "binary")])
def test_empty_and_binary(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason):
        read_all(path)


def test_real_news_set(corpora: Path) -> None:
    files = sorted((corpora / "tg_news_ru_nktkln" / "raw").glob("*.json"))
    assert len(files) == 24
    ctx = ReadContext()
    posts = [p for f in files for p in table.read(f, ctx)]
    assert len(posts) == 22_099
    assert ctx.problems == []
    assert len({p.channel for p in posts}) == 24
    assert all(p.date is not None and p.text for p in posts)
    assert all(p.message_id.isdigit() for p in posts)
    assert min(p.date for p in posts).year == 2023 and max(p.date for p in posts).year == 2024


def test_hostile_nesting_is_skipped_and_the_next_record_kept(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" + b"[" * 100_000 + b"]" * 100_000 + b', {"text": "after"}]')
    posts, ctx = read_all(path)
    assert [p.text for p in posts] == ["after"]
    assert [(p.place, p.message) for p in ctx.problems] == [
        ("item 1", "record nested deeper than 200 levels; skipped")
    ]
