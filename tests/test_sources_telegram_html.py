"""Telegram Desktop HTML export reader."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from multivector.model import SOURCE_TELEGRAM, InputError
from multivector.sources import telegram_html
from multivector.sources.base import ReadContext

CHANNEL = "Дипломатический вестник"


def read_all(path: Path, **kw) -> tuple[list, ReadContext]:
    ctx = ReadContext(**kw)
    return list(telegram_html.read(path, ctx)), ctx


@pytest.fixture
def export(sources_data: Path) -> Path:
    return sources_data / "html_export"


def test_folder_reads_pages_in_order(export: Path) -> None:
    posts, ctx = read_all(export)
    assert [p.message_id for p in posts] == ["2", "3", "4", "5", "6", "7", "8", "9", "10", "12"]
    assert ctx.counts["service"] == 2  # channel created + pinned; day separators are not counted
    assert ctx.problems == []
    assert all(p.source == SOURCE_TELEGRAM and p.channel == CHANNEL for p in posts)
    assert posts[0].origin == f"{export / 'messages.html'}: message 2"
    assert posts[-1].origin == f"{export / 'messages2.html'}: message 12"


def test_fields(export: Path) -> None:
    posts, _ = read_all(export)
    by_id = {p.message_id: p for p in posts}

    first = by_id["2"]
    assert first.date == datetime(2024, 1, 15, 10, 0, 0)  # local wall clock, offset dropped
    assert first.text == (
        'Астана и Пекин подписали соглашение о "вечном" стратегическом партнёрстве.\n\n'
        "Подробнее: сайт МИД и https://kazinform.kz/news/astana-beijing\n#Китай #МИД"
    )
    assert first.links == [
        "https://www.gov.kz/memleket/entities/mfa/press/news/details/123",
        "https://kazinform.kz/news/astana-beijing",
    ]
    assert first.hashtags == ["#Китай", "#МИД"]
    assert first.author == "Айгерим Н."  # signature

    joined = by_id["3"]
    assert joined.author == CHANNEL  # inherited from the previous message's from_name
    assert "политику.  Двойной" in joined.text  # text kept as written

    assert by_id["4"].text == "" and by_id["4"].media == "photo"

    fwd = by_id["5"]
    assert fwd.forwarded_from == "Ерлан Карин"  # without the forward date span
    assert fwd.text.startswith("Встреча с делегацией ЕС")
    joined_fwd = by_id["6"]
    assert joined_fwd.forwarded_from == "Ерлан Карин" and joined_fwd.media == "photo"
    assert joined_fwd.text == "Фото: пресс-служба Акорды"

    reply = by_id["7"]
    assert reply.reply_to == "2"
    assert reply.links == []  # mention, e-mail and phone are not links
    assert reply.text.endswith("Это 'важно' & срочно.")

    assert by_id["8"].media == "poll" and by_id["8"].text == ""
    cross = by_id["9"]
    assert cross.reply_to == "7"  # reply into the previous page
    assert cross.author == "Дамир С."
    assert cross.text.startswith("Уточнение к вчерашнему посту.\nВизит")
    assert cross.links == ["chat.openai.com"] and cross.hashtags == ["#уточнение"]
    assert by_id["10"].media == "video_file"
    assert by_id["12"].author == CHANNEL  # "via @bot" stripped
    assert by_id["12"].date == datetime(2024, 1, 17, 23, 59, 59)


def test_single_page_and_channel_option(export: Path) -> None:
    posts, ctx = read_all(export / "messages2.html", channel="Label")
    assert [p.message_id for p in posts] == ["8", "9", "10", "12"]
    assert {p.channel for p in posts} == {"Label"}
    assert ctx.counts["service"] == 1


def test_bad_date_is_reported_and_the_rest_kept(export: Path, tmp_path: Path) -> None:
    html = (export / "messages.html").read_text(encoding="utf-8")
    html = html.replace('title="15.01.2024 10:05:12 UTC+05:00"', 'title="yesterday"')
    page = tmp_path / "messages.html"
    page.write_text(html, encoding="utf-8")
    posts, ctx = read_all(page)
    assert [p.message_id for p in posts] == ["2", "4", "5", "6", "7"]
    assert len(ctx.problems) == 1
    assert ctx.problems[0].file == str(page)
    assert ctx.problems[0].place == "message 3"
    assert "yesterday" in ctx.problems[0].message


def test_pages_in_numeric_order(tmp_path: Path) -> None:
    for name in ("messages10.html", "messages2.html", "messages.html", "messages3.html", "other.html"):
        (tmp_path / name).write_text("<html></html>", encoding="utf-8")
    names = [p.name for p in telegram_html.page_files(tmp_path)]
    assert names == ["messages.html", "messages2.html", "messages3.html", "messages10.html"]


def test_not_a_telegram_page(tmp_path: Path) -> None:
    page = tmp_path / "messages.html"
    page.write_text("<html><body><p>Hello</p></body></html>", encoding="utf-8")
    with pytest.raises(InputError, match="not a Telegram Desktop HTML export"):
        read_all(page)
    with pytest.raises(InputError, match="no messages.html"):
        read_all(tmp_path / "..")


def test_html_to_text_for_feeds() -> None:
    html = "<p>One  <b>two</b>\n three</p><ul><li>a</li><li>b</li></ul>x&nbsp;y<br>z<script>bad()</script>"
    assert telegram_html.html_to_text(html) == "One two three\n\na\n\nb\n\nx\u00a0y\nz"
    assert telegram_html.html_to_text("plain &amp; simple") == "plain & simple"
