"""Format detection, folder walking and dispatch (multivector.sources)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from multivector.model import InputError
from multivector.sources import FORMATS, detect_format, iter_input_files, read_path
from multivector.sources.base import ReadContext


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("tg_single.json", "telegram-json"),
        ("tg_account.json", "telegram-json"),
        ("html_export/messages.html", "telegram-html"),
        ("html_export", "telegram-html"),
        ("pasted.txt", "text"),
        ("bom_crlf.md", "text"),
        ("posts.csv", "table"),
        ("posts.jsonl", "table"),
        ("posts_array.json", "table"),
        ("feed_rss.xml", "feed"),
        ("feed_atom.xml", "feed"),
    ],
)
def test_detect_format_of_fixtures(sources_data: Path, name: str, fmt: str) -> None:
    assert fmt in FORMATS
    assert detect_format(sources_data / name) == fmt


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("download", b'<?xml version="1.0"?><rss version="2.0"></rss>', "feed"),
        ("atom.feed", b"<feed xmlns='http://www.w3.org/2005/Atom'></feed>", "feed"),
        ("dump.dat", b'  [{"text": "x"}]', "table"),
        ("lines.log", b'{"text": "x"}\n{"text": "y"}\n', "table"),
        (
            "export",
            b'{\n "name": "c",\n "type": "public_channel",\n "id": 1,\n "messages": []}',
            "telegram-json",
        ),
        ("feed.rss", b"anything", "feed"),
    ],
)
def test_detect_format_by_content(tmp_path: Path, name: str, content: bytes, fmt: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == fmt


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.docx", b"PK\x03\x04 something"),
        ("page.html", b"<html><body>news</body></html>"),
        ("x", b"hello"),
    ],
)
def test_unknown_format(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match="use --format telegram-json") as info:
        detect_format(path)
    assert str(info.value).startswith(str(path))


def test_iter_input_files(sources_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    shutil.copytree(sources_data / "html_export", root / "b_html")
    (root / "b_html" / "photos").mkdir()
    (root / "b_html" / "photos" / "photo_1.jpg").write_bytes(b"\xff\xd8")
    (root / "b_html" / "messages10.html").write_text("<html></html>", encoding="utf-8")
    (root / "a_json" / "photos").mkdir(parents=True)
    shutil.copy(sources_data / "tg_single.json", root / "a_json" / "result.json")
    (root / "a_json" / "photos" / "stray.json").write_text("[]", encoding="utf-8")
    (root / "c").mkdir()
    for name in ("z.txt", "a.csv", "pic.png", "store.db", ".hidden.txt", "page.html", "feed.xml"):
        (root / "c" / name).write_bytes(b"x")
    (root / ".git").mkdir()
    (root / ".git" / "config.txt").write_bytes(b"x")

    found = [p.relative_to(root).as_posix() for p in iter_input_files([root])]
    assert found == [
        "a_json/result.json",
        "b_html/messages.html",
        "b_html/messages2.html",
        "b_html/messages10.html",
        "c/a.csv",
        "c/feed.xml",
        "c/z.txt",
    ]
    # a file named explicitly is taken as is, and nothing is yielded twice
    again = list(iter_input_files([root / "c" / "pic.png", root / "c", root / "c" / "z.txt"]))
    assert [p.name for p in again] == ["pic.png", "a.csv", "feed.xml", "z.txt"]
    with pytest.raises(InputError, match="no such file"):
        list(iter_input_files([root / "missing"]))


def test_read_path_dispatches(sources_data: Path) -> None:
    counts = {}
    for path in iter_input_files([sources_data]):
        ctx = ReadContext()
        counts[path.name] = len(list(read_path(path, ctx)))
        assert ctx.file == str(path)
    assert counts == {
        "bom_crlf.md": 1,
        "feed_atom.xml": 1,
        "feed_rss.xml": 3,
        "messages.html": 6,
        "messages2.html": 4,
        "pasted.txt": 3,
        "posts.csv": 3,
        "posts.jsonl": 2,
        "posts_array.json": 3,
        "posts_semicolon.csv": 2,
        "tg_account.json": 4,
        "tg_single.json": 5,
    }


def test_read_path_folder_and_forced_format(sources_data: Path, tmp_path: Path) -> None:
    ctx = ReadContext()
    assert len(list(read_path(sources_data / "html_export", ctx))) == 10
    path = tmp_path / "list.txt"
    path.write_text("text,channel\nhello,Desk\n", encoding="utf-8")
    posts = list(read_path(path, ReadContext(), fmt="table"))
    assert (posts[0].text, posts[0].channel) == ("hello", "Desk")
    posts = list(read_path(path, ReadContext()))  # .txt -> pasted text by default
    assert posts[0].text == "text,channel\nhello,Desk"
    with pytest.raises(InputError, match="unknown format 'pdf'"):
        list(read_path(path, ReadContext(), fmt="pdf"))
    with pytest.raises(InputError, match="not a Telegram Desktop export"):
        list(read_path(tmp_path, ReadContext()))


@pytest.mark.parametrize(("content", "reason"), [(b"", "empty"), (b"\x00\x01\x02\x03", "binary")])
def test_read_path_rejects_unusable_files(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason):
        list(read_path(path, ReadContext()))
    with pytest.raises(InputError, match="no such file"):
        list(read_path(tmp_path / "missing.json", ReadContext()))


def test_real_corpora_through_dispatch(corpora: Path) -> None:
    ctx = ReadContext()
    posts = list(read_path(corpora / "tg_export_zh_trantor", ctx))
    assert len(posts) == 908 and ctx.counts["service"] == 16 and not ctx.problems
    files = list(iter_input_files([corpora / "tg_news_ru_nktkln" / "raw"]))
    assert len(files) == 24 and files == sorted(files)
    assert {detect_format(f) for f in files} == {"table"}
    ctx = ReadContext()
    assert sum(1 for f in files for _ in read_path(f, ctx)) == 22_099
    assert ctx.problems == []
    assert [p.name for p in iter_input_files([corpora / "tg_export_zh_trantor"])] == ["result.json"]
