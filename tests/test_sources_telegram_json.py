"""Telegram Desktop JSON export reader."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from multivector.model import SOURCE_TELEGRAM, InputError
from multivector.sources import telegram_json
from multivector.sources.base import ReadContext


def read_all(path: Path, **kw) -> tuple[list, ReadContext]:
    ctx = ReadContext(**kw)
    return list(telegram_json.read(path, ctx)), ctx


def test_single_chat_fields(sources_data: Path) -> None:
    path = sources_data / "tg_single.json"
    posts, ctx = read_all(path)
    by_id = {p.message_id: p for p in posts}
    assert [p.message_id for p in posts] == ["2", "3", "4", "5", "7"]
    assert ctx.counts["service"] == 2
    assert all(p.source == SOURCE_TELEGRAM and p.channel == "Vector Monitor" for p in posts)

    plain = by_id["2"]
    assert plain.text == "Plain string post about Astana and Beijing."
    assert plain.date == datetime(2024, 3, 1, 9, 5)
    assert plain.author == "Vector Monitor"  # `from` when there is no signature
    assert plain.url is None and plain.media is None and plain.links == [] and plain.hashtags == []
    assert plain.origin == f"{path}: message 2"

    rich = by_id["3"]
    assert rich.text == (
        "Токаев встретился с делегацией ЕС. Source: https://kazinform.kz/news/2\n#ЕС #Казахстан"
    )
    assert rich.links == ["https://akorda.kz/ru/news/1", "https://kazinform.kz/news/2"]
    assert rich.hashtags == ["#ЕС", "#Казахстан"]
    assert rich.author == "Aigerim N."  # the signature wins over `from`
    assert rich.edited == datetime(2024, 3, 1, 10, 30)
    assert rich.reply_to == "2"

    assert by_id["4"].text == "" and by_id["4"].media == "photo"  # media-only message is a post
    assert by_id["5"].forwarded_from == "Kazinform" and by_id["5"].media == "video_file"
    assert by_id["5"].links == []  # a @mention is not a link
    assert by_id["7"].media == "file"


def test_bad_date_is_reported_and_the_rest_kept(sources_data: Path) -> None:
    path = sources_data / "tg_single.json"
    posts, ctx = read_all(path)
    assert "6" not in {p.message_id for p in posts}
    assert len(posts) == 5
    assert len(ctx.problems) == 1
    problem = ctx.problems[0]
    assert problem.file == str(path)
    assert problem.place == "message 6"
    assert "not ISO 8601" in problem.message and "02/03/2024 09:00" in problem.message
    assert str(problem).startswith(f"{path}: message 6: date is not ISO 8601")


def test_channel_option_overrides_chat_name(sources_data: Path) -> None:
    posts, _ = read_all(sources_data / "tg_single.json", channel="My label")
    assert {p.channel for p in posts} == {"My label"}


def test_undated_message_gets_default_date_or_none(tmp_path: Path) -> None:
    export = {
        "name": "C",
        "type": "public_channel",
        "id": 1,
        "messages": [{"id": 1, "type": "message", "text": "no date here"}],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    posts, ctx = read_all(path)
    assert posts[0].date is None and not ctx.problems
    posts, _ = read_all(path, default_date=date(2024, 2, 29))
    assert posts[0].date == datetime(2024, 2, 29)


def test_url_only_when_the_export_gives_a_username(tmp_path: Path) -> None:
    export = {
        "name": "Kaz News",
        "username": "kaznews",
        "type": "public_channel",
        "id": 1,
        "messages": [{"id": 77, "type": "message", "date": "2024-01-01T00:00:00", "text": "x"}],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    posts, _ = read_all(path)
    assert posts[0].url == "https://t.me/kaznews/77"


def test_full_account_export_with_two_chats_and_left_chats(sources_data: Path) -> None:
    posts, ctx = read_all(sources_data / "tg_account.json")
    assert [(p.channel, p.message_id) for p in posts] == [
        ("Astana Times", "10"),
        ("Astana Times", "12"),
        ("Dana", "501"),
        ("Old Channel", "3"),
    ]
    assert ctx.counts["service"] == 1
    assert not ctx.problems
    assert posts[2].text == "Did you see the CICA statement?"
    assert len({p.id for p in posts}) == 4


def test_truncated_file_keeps_good_records_and_reports_once(sources_data: Path, tmp_path: Path) -> None:
    data = (sources_data / "tg_single.json").read_bytes()
    cut = data.index(b'"Briefing of the MFA')  # inside message 5
    path = tmp_path / "result.json"
    path.write_bytes(data[:cut])
    posts, ctx = read_all(path)
    assert [p.message_id for p in posts] == ["2", "3", "4"]
    assert len(ctx.problems) == 1
    problem = ctx.problems[0]
    assert problem.place == f"byte {cut}"
    assert "truncated or not valid JSON" in problem.message
    assert "message 4" in problem.message or "4" in problem.message


def test_truncated_before_any_record_is_an_input_error(sources_data: Path, tmp_path: Path) -> None:
    data = (sources_data / "tg_single.json").read_bytes()
    path = tmp_path / "result.json"
    path.write_bytes(data[: data.index(b'"type": "service"')])
    with pytest.raises(InputError, match="truncated or not valid JSON"):
        read_all(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'[{"text": "a"}]', "not a Telegram Desktop export"),
        (b'{"foo": [1, 2]}', "no 'messages' or 'chats'"),
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"this is not json", "not valid JSON"),
    ],
)
def test_unusable_files_raise_input_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason) as info:
        read_all(path)
    assert str(info.value).startswith(str(path))


def test_flatten_text_handles_strings_lists_and_entities() -> None:
    text, links, tags = telegram_json.flatten_text(
        ["a ", {"type": "text_link", "text": "b", "href": "https://x"}, {"type": "hashtag", "text": "#t"}]
    )
    assert (text, links, tags) == ("a b#t", ["https://x"], ["#t"])
    assert telegram_json.flatten_text("plain") == ("plain", [], [])
    assert telegram_json.flatten_text(None) == ("", [], [])


def test_real_chinese_export(corpora: Path) -> None:
    path = corpora / "tg_export_zh_trantor" / "result.json"
    posts, ctx = read_all(path)
    assert len(posts) == 908
    assert ctx.counts["service"] == 16
    assert ctx.problems == []
    assert len({p.message_id for p in posts}) == 908
    assert {p.channel for p in posts} == {"川陀大学图书馆"}
    first = next(p for p in posts if p.message_id == "6")
    assert first.author == "Daneel God"
    assert first.edited == datetime(2023, 8, 26, 0, 26, 10)
    assert "#随笔" in first.hashtags
    assert any(p.links for p in posts) and any(p.reply_to for p in posts)
    assert all(p.date is not None for p in posts)


def test_hostile_nesting_is_refused_quickly(tmp_path: Path) -> None:
    depth = 50_000
    path = tmp_path / "result.json"
    path.write_bytes(
        b'{"name": "c", "messages": [{"id": 1, "type": "message", "date": "2024-01-01", "text": "ok"},'
        b'{"id": 2, "type": "message", "text": ' + b"[" * depth + b"]" * depth + b"}]}"
    )
    posts, ctx = read_all(path)
    assert [p.message_id for p in posts] == ["1"]
    assert len(ctx.problems) == 1 and "nested deeper" in ctx.problems[0].message
