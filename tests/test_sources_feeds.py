"""RSS / Atom reader."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from multivector.model import SOURCE_FEED, InputError
from multivector.sources import feeds
from multivector.sources.base import ReadContext


def read_all(path: Path, **kw) -> tuple[list, ReadContext]:
    ctx = ReadContext(**kw)
    return list(feeds.read(path, ctx)), ctx


def test_rss_fields(sources_data: Path) -> None:
    path = sources_data / "feed_rss.xml"
    posts, ctx = read_all(path)
    assert len(posts) == 3
    assert all(p.source == SOURCE_FEED and p.channel == "Central Asia Desk" for p in posts)
    first, second, third = posts
    assert first.message_id == "ca-desk-0001"
    assert first.url == "https://example.org/news/1"
    assert first.author == "Dana K."
    assert first.date == datetime(2024, 5, 1, 5, 0)  # +0500 -> UTC
    assert first.text == (
        "Kazakhstan and the EU sign a raw materials memorandum\n\n"
        "The memorandum covers critical raw materials and batteries.\n\n"
        "Second\u00a0paragraph with a link."
    )  # the full content:encoded wins over the short description; tags stripped
    assert first.origin == f"{path}: item ca-desk-0001"
    assert second.message_id == "https://example.org/news/2"  # no guid -> link
    assert second.text == "Item without a guid\n\nPlain description & more."
    assert third.message_id.startswith("title:") and third.url is None and third.date is None
    assert len(ctx.problems) == 1
    assert ctx.problems[0].place == "item ca-desk-0004"
    assert "sometime in May" in ctx.problems[0].message


def test_hash_id_is_stable(sources_data: Path) -> None:
    a, _ = read_all(sources_data / "feed_rss.xml")
    b, _ = read_all(sources_data / "feed_rss.xml")
    assert a[2].message_id == b[2].message_id


def test_atom(sources_data: Path) -> None:
    posts, ctx = read_all(sources_data / "feed_atom.xml", channel="Override")
    assert ctx.problems == []
    (post,) = posts
    assert post.channel == "Override"
    assert post.message_id == "tag:steppe.example,2024:summit"
    assert (
        post.text
        == "Turkic states summit in Astana\n\nLeaders of the OTS met in Astana.\nThey discussed transport."
    )
    assert post.date == datetime(2024, 5, 3, 18, 30, 2)
    assert post.author == "Erlan B."


def test_parse_feed_bytes_from_a_url(tmp_path: Path) -> None:
    data = (
        b'<?xml version="1.0"?><rss version="2.0"><channel>'
        b"<item><title>Relative</title><link>/news/9</link></item></channel></rss>"
    )
    ctx = ReadContext(default_date=date(2024, 4, 1))
    posts = list(feeds.parse_feed_bytes(data, "https://news.example.kz/rss", ctx))
    assert posts[0].channel == "news.example.kz"  # no feed title -> the host
    assert posts[0].url == "https://news.example.kz/news/9"
    assert posts[0].date == datetime(2024, 4, 1)
    assert posts[0].origin.startswith("https://news.example.kz/rss: item")


def test_truncated_feed_keeps_entries_and_reports(sources_data: Path, tmp_path: Path) -> None:
    data = (sources_data / "feed_rss.xml").read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(data[: data.index(b"<title>Item without guid or link")])
    posts, ctx = read_all(path)
    assert [p.message_id for p in posts][:2] == ["ca-desk-0001", "https://example.org/news/2"]
    assert any(p.place == "feed" and "not well-formed" in p.message for p in ctx.problems)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"just some words, not XML at all", "not an RSS or Atom feed"),
        (b"<html><body><p>A web page</p></body></html>", "not an RSS or Atom feed"),
        (b"<?xml version='1.0'?><rss><chan", "not well-formed XML"),
        (b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>", "no element found"),
        (b"<?xml version='1.0'?><note><to>x</to></note>", "not an RSS or Atom feed"),
        (b"", "empty"),
    ],
)
def test_not_a_feed(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason) as info:
        read_all(path)
    assert str(info.value).startswith(str(path))
