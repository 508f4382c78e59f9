"""Pasted text reader."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from multivector.model import SOURCE_TEXT, InputError
from multivector.sources import text
from multivector.sources.base import ReadContext

RUSSIAN = (
    "Президент Казахстана провёл переговоры с председателем КНР.\n"
    "Стороны обсудили «Один пояс, один путь», транзит через Каспий и поставки урана — "
    "всего подписано 20 документов № 5.\n"
)


def read_all(path: Path, **kw) -> tuple[list, ReadContext]:
    ctx = ReadContext(**kw)
    return list(text.read(path, ctx)), ctx


def test_multi_post_file_with_headers(sources_data: Path) -> None:
    path = sources_data / "pasted.txt"
    posts, ctx = read_all(path)
    assert ctx.problems == []
    assert [p.message_id for p in posts] == ["pasted.txt", "pasted.txt#2", "pasted.txt#3"]
    first, second, third = posts
    assert first.source == SOURCE_TEXT
    assert (first.channel, first.forwarded_from, first.author) == ("Kazinform", "Kazinform", "Айдос Сарым")
    assert first.date == datetime(2024, 5, 1)
    assert first.text == "Казахстан и Китай обсудили расширение Среднего коридора.\n\nВторой абзац."
    assert (second.channel, second.forwarded_from, second.author) == ("Tengrinews", "Tengrinews", None)
    assert second.date == datetime(2024, 5, 2, 14, 30)
    assert (third.channel, third.forwarded_from, third.date) == ("pasted", None, None)
    assert third.text == "Просто заметка без заголовков."
    assert third.origin == f"{path}: post pasted.txt#3"


def test_ids_are_stable_across_runs(sources_data: Path) -> None:
    first, _ = read_all(sources_data / "pasted.txt")
    again, _ = read_all(sources_data / "pasted.txt")
    assert [p.id for p in first] == [p.id for p in again]


def test_bom_and_crlf(sources_data: Path) -> None:
    posts, _ = read_all(sources_data / "bom_crlf.md")
    assert len(posts) == 1
    assert posts[0].channel == "The Astana Times"
    assert posts[0].text == "Post with a BOM and Windows line ends.\nSecond line."


def test_channel_and_date_options_fill_in(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("Just text.\n", encoding="utf-8")
    posts, _ = read_all(path, channel="Desk", default_date=date(2024, 1, 2))
    assert (posts[0].channel, posts[0].date, posts[0].message_id) == ("Desk", datetime(2024, 1, 2), "note.md")


def test_cp1251_is_read_silently(tmp_path: Path) -> None:
    path = tmp_path / "cp1251.txt"
    path.write_bytes(("Переслано от: Хабар 24\n\n" + RUSSIAN).encode("cp1251"))
    posts, ctx = read_all(path)
    assert ctx.problems == []
    assert posts[0].channel == "Хабар 24"
    assert posts[0].text == RUSSIAN.strip()


@pytest.mark.parametrize(
    "raw",
    [
        RUSSIAN.encode("koi8-r", "replace"),  # decodes as cp1251 into case-scrambled mojibake
        "Le café de la gare, un thé très léger à côté. Voilà!".encode("cp1252"),
        bytes(range(0x80, 0x98)) * 20,
    ],
)
def test_undecodable_text_is_rejected(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(raw)
    with pytest.raises(InputError, match="not UTF-8 and not recognisable as cp1251 text") as info:
        read_all(path)
    assert str(info.value).startswith(str(path))


def test_five_megabyte_post(tmp_path: Path) -> None:
    body = ("Многовекторная политика Казахстана. " * 150_000).strip()
    assert len(body.encode()) > 5_000_000
    path = tmp_path / "big.txt"
    path.write_text(body, encoding="utf-8")
    posts, _ = read_all(path)
    assert len(posts) == 1 and posts[0].text == body


def test_bad_date_header_is_reported_and_post_kept(tmp_path: Path) -> None:
    path = tmp_path / "dated.txt"
    path.write_text("Date: 5 мая 2024\n\nText of the post.\n---\nSecond post.\n", encoding="utf-8")
    posts, ctx = read_all(path)
    assert [p.text for p in posts] == ["Text of the post.", "Second post."]
    assert posts[0].date is None
    assert len(ctx.problems) == 1
    assert ctx.problems[0].place == "post dated.txt"
    assert "5 мая 2024" in ctx.problems[0].message


@pytest.mark.parametrize(
    ("content", "reason"), [(b"", "empty"), (b"\x00\x00PK\x03", "binary"), (b"\n---\n  \n---\n", "no text")]
)
def test_unusable_files(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason):
        read_all(path)


def test_cp1251_detector_accepts_plain_ascii_and_rejects_latin() -> None:
    assert text.looks_like_cp1251_text("plain ascii only")
    assert text.looks_like_cp1251_text(RUSSIAN)
    assert not text.looks_like_cp1251_text("Grüße aus München".encode("cp1252").decode("cp1251"))


def test_utf16_text_with_bom_is_read(tmp_path):
    from multivector.sources import read_path
    from multivector.sources.base import ReadContext

    path = tmp_path / "notepad.txt"
    path.write_bytes(
        "Forward from: Канал (Автор)\n\nҚазақстан мен Қытай келісімге қол қойды.".encode("utf-16")
    )
    posts = list(read_path(path, ReadContext(file=str(path))))
    assert [p.channel for p in posts] == ["Канал"]
    assert posts[0].text.endswith("Қазақстан мен Қытай келісімге қол қойды.")
