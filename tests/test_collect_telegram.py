"""Telegram live collection on real Telethon objects built offline, with a stand-in for the network."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("telethon")

from telethon import errors  # noqa: E402
from telethon.tl import types  # noqa: E402

from multivector.collect import CollectOptions, collect  # noqa: E402
from multivector.model import SOURCE_TELEGRAM  # noqa: E402
from multivector.pipeline import AnnotateOptions, IngestOptions  # noqa: E402
from multivector.sources.collect_config import TelegramApi, load_config  # noqa: E402
from multivector.sources.telegram_live import (  # noqa: E402
    make_client,
    media_kind,
    message_to_post,
    secure_session_file,
    session_path,
)
from multivector.store.sqlite import Store  # noqa: E402

CHANNEL_ID = 1234567
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
API_HASH = "0123456789abcdef0123456789abcdef"


def msg(mid: int, text: str = "", **kw) -> types.Message:
    kw.setdefault("date", T0 + timedelta(hours=mid))
    return types.Message(id=mid, peer_id=types.PeerChannel(CHANNEL_ID), message=text, post=True, **kw)


def channel_entity() -> types.Channel:
    return types.Channel(
        id=CHANNEL_ID, title="Kazakh Diplomacy", photo=types.ChatPhotoEmpty(), date=T0, username="kzdiplomacy",
        broadcast=True, access_hash=42,
    )  # fmt: skip


def photo() -> types.MessageMediaPhoto:
    return types.MessageMediaPhoto(
        photo=types.Photo(id=1, access_hash=2, file_reference=b"", date=T0, sizes=[], dc_id=2)
    )


def document(*attributes, mime="video/mp4") -> types.MessageMediaDocument:
    return types.MessageMediaDocument(
        document=types.Document(
            id=1, access_hash=2, file_reference=b"", date=T0, mime_type=mime, size=10, dc_id=2,
            attributes=list(attributes),
        )
    )  # fmt: skip


# ---- mapping ------------------------------------------------------------------------------------


def test_a_full_message_maps_to_a_post():
    text = "🇰🇿 Токаев встретился с Си Цзиньпином #Казахстан #Китай подробнее: https://akorda.kz/ru/1 и здесь"

    # Offsets are UTF-16 code units: the flag emoji counts 4, not 2.
    def at(piece: str) -> tuple[int, int]:
        start = text.index(piece)
        return len(text[:start].encode("utf-16-le")) // 2, len(piece.encode("utf-16-le")) // 2

    m = msg(
        101,
        text,
        date=datetime(2024, 3, 1, 12, 30, tzinfo=UTC),
        edit_date=datetime(2024, 3, 1, 13, 0, tzinfo=UTC),
        entities=[
            types.MessageEntityHashtag(*at("#Казахстан")),
            types.MessageEntityHashtag(*at("#Китай")),
            types.MessageEntityUrl(*at("https://akorda.kz/ru/1")),
            types.MessageEntityTextUrl(*at("здесь"), url="https://mfa.gov.kz/en/news"),
            types.MessageEntityBold(0, 4),
        ],
        fwd_from=types.MessageFwdHeader(date=T0, from_id=types.PeerChannel(777), channel_post=55),
        reply_to=types.MessageReplyHeader(reply_to_msg_id=99),
        views=15234,
        forwards=87,
        post_author="Пресс-служба",
    )
    post = message_to_post(m, "Kazakh Diplomacy", "kzdiplomacy", CHANNEL_ID, titles={777: "Akorda"})
    assert post.source == SOURCE_TELEGRAM and post.channel == "Kazakh Diplomacy"
    assert post.message_id == "101" and post.text == text
    assert post.date == datetime(2024, 3, 1, 12, 30) and post.date.tzinfo is None
    assert post.edited == datetime(2024, 3, 1, 13, 0)
    assert post.hashtags == ["#Казахстан", "#Китай"]
    assert post.links == ["https://akorda.kz/ru/1", "https://mfa.gov.kz/en/news"]
    assert post.forwarded_from == "Akorda"
    assert post.reply_to == "99"
    assert (post.views, post.forwards) == (15234, 87)
    assert post.author == "Пресс-служба"
    assert post.url == "https://t.me/kzdiplomacy/101"
    assert post.media is None


def test_forward_sources_fall_back_to_a_name_or_an_id():
    by_name = msg(1, "x", fwd_from=types.MessageFwdHeader(date=T0, from_name="Hidden Person"))
    unknown_channel = msg(2, "x", fwd_from=types.MessageFwdHeader(date=T0, from_id=types.PeerChannel(555)))
    assert message_to_post(by_name, "c", "u").forwarded_from == "Hidden Person"
    assert message_to_post(unknown_channel, "c", "u").forwarded_from == "channel:555"
    assert message_to_post(msg(3, "x"), "c", "u").forwarded_from is None


def test_media_only_messages_and_service_messages():
    only_photo = message_to_post(msg(5, "", media=photo()), "c", None, CHANNEL_ID)
    assert (only_photo.text, only_photo.media) == ("", "photo")
    assert only_photo.url == f"https://t.me/c/{CHANNEL_ID}/5"  # a channel without a username
    video = document(types.DocumentAttributeVideo(duration=3.0, w=1, h=1))
    assert media_kind(video) == "video_file"
    assert (
        media_kind(document(types.DocumentAttributeAudio(duration=3, voice=True), mime="audio/ogg"))
        == "voice_message"
    )
    assert (
        media_kind(document(types.DocumentAttributeFilename("report.pdf"), mime="application/pdf")) == "file"
    )
    service = types.MessageService(
        id=6, peer_id=types.PeerChannel(CHANNEL_ID), date=T0, action=types.MessageActionPinMessage()
    )
    assert message_to_post(service, "c", "u") is None


# ---- a stand-in for Telegram's network --------------------------------------------------------


class FakeTelegram:
    """Serves a channel's history like Telegram's getHistory would, through Telethon's call shape.

    It honours min_id / max_id / limit / reverse / offset_date the way `iter_messages` documents
    them, records each call, and can raise a real FloodWaitError after a given number of messages.
    """

    def __init__(self, messages: list):
        self.messages = messages
        self.calls: list[dict] = []
        self.flood_after: int | None = None  # raise once, after this many messages of the next call
        self.flood_seconds = 2

    def get_entity(self, target):
        assert target in ("kzdiplomacy", CHANNEL_ID)
        return channel_entity()

    def iter_messages(self, entity, limit=None, **kw):
        assert isinstance(entity, types.Channel)
        self.calls.append({"limit": limit, **kw})
        min_id, max_id = kw.get("min_id", 0), kw.get("max_id", 0)
        chosen = [m for m in self.messages if m.id > min_id and (not max_id or m.id < max_id)]
        if kw.get("offset_date") is not None and not min_id:
            chosen = [m for m in chosen if m.date > kw["offset_date"]]
        chosen.sort(key=lambda m: m.id, reverse=not kw.get("reverse"))
        if limit is not None:
            chosen = chosen[:limit]
        for n, m in enumerate(chosen):
            if self.flood_after is not None and n == self.flood_after:
                self.flood_after = None
                raise errors.FloodWaitError(request=None, capture=self.flood_seconds)
            yield m


OPTIONS = CollectOptions(ingest=IngestOptions(annotate=AnnotateOptions(enabled=False)))


@pytest.fixture
def sources(tmp_path, monkeypatch):
    monkeypatch.setenv("MULTIVECTOR_TG_API_ID", "12345")
    monkeypatch.setenv("MULTIVECTOR_TG_API_HASH", API_HASH)
    path = tmp_path / "sources.yaml"
    path.write_text(
        "telegram_api:\n  recheck: 3\n  flood_retries: 2\n  max_flood_wait: 60\n"
        'telegram:\n  - channel: "https://t.me/kzdiplomacy"\n'
    )
    return path


def run(db, sources, client, sleeps=None):
    sleeps = [] if sleeps is None else sleeps
    with Store.open(db) as store:
        report = collect(store, load_config(sources), OPTIONS, telegram_client=client, sleep=sleeps.append)
        cursor = store.get_cursor("telegram:kzdiplomacy")
    return report.sources[0], cursor


def history() -> list:
    return [
        msg(1, "Астана и Пекин подписали соглашение о транзите"),
        types.MessageService(
            id=2, peer_id=types.PeerChannel(CHANNEL_ID), date=T0, action=types.MessageActionPinMessage()
        ),
        msg(3, "", media=photo()),
        msg(4, "Визит в Ташкент: обсуждали воду и энергетику", views=100),
    ]


def test_cursor_second_run_asks_after_the_last_id_and_stores_nothing_new(tmp_path, sources):
    tg = FakeTelegram(history())
    db = tmp_path / "t.db"
    first, cursor = run(db, sources, tg)
    assert (first.status, first.new, first.service) == ("ok", 3, 1)
    assert '"min_id": 4' in cursor
    assert tg.calls == [{"limit": None, "reverse": True, "min_id": 0}]
    rows = (
        sqlite3.connect(db)
        .execute("SELECT message_id, channel, media, url FROM posts ORDER BY date")
        .fetchall()
    )
    assert rows[0][1] == "Kazakh Diplomacy"  # the channel's title when sources.yaml gives no name
    assert ("3", "Kazakh Diplomacy", "photo", "https://t.me/kzdiplomacy/3") in rows

    tg.calls.clear()
    second, cursor = run(db, sources, tg)
    assert (second.status, second.new, second.updated) == ("ok", 0, 0)
    new_call = [c for c in tg.calls if c.get("reverse")]
    assert new_call == [{"limit": None, "reverse": True, "min_id": 4}]
    assert '"min_id": 4' in cursor

    # New messages arrive: only they are new.
    tg.messages.append(msg(5, "Казахстан и ЕС: сырьевой диалог"))
    third, cursor = run(db, sources, tg)
    assert (third.new, third.updated) == (1, 0) and '"min_id": 5' in cursor
    assert sqlite3.connect(db).execute("SELECT count(*) FROM posts").fetchone()[0] == 4


def test_an_edited_message_is_updated_and_views_alone_are_not_an_edit(tmp_path, sources):
    tg = FakeTelegram(history())
    db = tmp_path / "t.db"
    run(db, sources, tg)
    tg.messages[3] = msg(
        4,
        "Визит в Ташкент: обсуждали воду, энергетику и транзит",
        views=900,
        edit_date=T0 + timedelta(days=1),
    )
    tg.messages[0] = msg(1, "Астана и Пекин подписали соглашение о транзите", views=5000)
    result, _ = run(db, sources, tg)
    assert (result.new, result.updated) == (0, 1)
    recheck = [c for c in tg.calls if not c.get("reverse")]
    assert recheck == [{"limit": 3, "max_id": 5}]  # the last 3 messages up to the cursor, again
    text, edited = (
        sqlite3.connect(db).execute("SELECT text, edited FROM posts WHERE message_id='4'").fetchone()
    )
    assert "транзит" in text and edited.startswith("2024-03-02")


def test_flood_wait_is_waited_out_and_the_channel_resumes_where_it_stopped(tmp_path, sources):
    tg = FakeTelegram([msg(i, f"Сообщение номер {i} о внешней политике") for i in range(1, 8)])
    tg.flood_after = 3
    sleeps: list[float] = []
    result, cursor = run(tmp_path / "t.db", sources, tg, sleeps)
    assert (result.status, result.new) == ("ok", 7)
    assert sleeps == [3]  # Telegram asked for 2 s; one more for safety, through the injected sleep
    assert [c["min_id"] for c in tg.calls] == [0, 3]  # resumed after message 3, not from the start
    assert '"min_id": 7' in cursor


def test_a_flood_wait_too_long_stops_the_channel_and_keeps_what_was_read(tmp_path, sources):
    tg = FakeTelegram([msg(i, f"Сообщение номер {i} о внешней политике") for i in range(1, 8)])
    tg.flood_after, tg.flood_seconds = 4, 3600
    sleeps: list[float] = []
    result, cursor = run(tmp_path / "t.db", sources, tg, sleeps)
    assert result.failed and sleeps == []
    assert "3600 s" in result.problems[0] and "FloodWait" in result.problems[0]
    assert result.new == 4 and '"min_id": 4' in cursor  # the next run goes on from message 5


def test_since_starts_a_first_run_at_a_date(tmp_path, sources):
    tg = FakeTelegram([msg(i, f"Сообщение {i} о транзите и логистике") for i in range(1, 6)])
    options = CollectOptions(ingest=OPTIONS.ingest, since=datetime(2024, 3, 1, 12, 30))
    with Store.open(tmp_path / "t.db") as store:
        result = collect(store, load_config(sources), options, telegram_client=tg).sources[0]
    assert result.new == 2  # messages 4 and 5 are dated 13:00 and 14:00 UTC
    assert tg.calls[0]["offset_date"] == datetime(2024, 3, 1, 12, 30, tzinfo=UTC)


# ---- the session file and the secrets -----------------------------------------------------------


def test_the_session_file_is_created_0600_and_an_existing_one_is_tightened(tmp_path):
    api = TelegramApi(api_id=12345, api_hash=API_HASH)
    path = session_path(api, tmp_path / "data" / "multivector.db")
    assert path == tmp_path / "data" / "multivector-telegram.session"
    client = make_client(api, path)  # a real Telethon client; it does not connect until asked
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        client.session.close()
    os.chmod(path, 0o644)
    secure_session_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert API_HASH not in repr(api)


def test_a_numeric_channel_id_is_found_among_the_accounts_chats(tmp_path, monkeypatch):
    class AccountTelegram(FakeTelegram):
        dialogs_loaded = False

        def get_entity(self, target):
            if target == -1001234567 and self.dialogs_loaded:
                return channel_entity()
            raise ValueError(f"Could not find the input entity for {target!r}")

        def get_dialogs(self):
            self.dialogs_loaded = True

    monkeypatch.setenv("MULTIVECTOR_TG_API_ID", "12345")
    monkeypatch.setenv("MULTIVECTOR_TG_API_HASH", API_HASH)
    path = tmp_path / "sources.yaml"
    path.write_text("telegram:\n  - channel: -1001234567\n    name: Private\n  - channel: '@nobody_here'\n")
    tg = AccountTelegram(history())
    with Store.open(tmp_path / "t.db") as store:
        report = collect(store, load_config(path), OPTIONS, telegram_client=tg)
    found, missing = report.sources
    assert (found.label, found.status, found.new) == ("Private", "ok", 3)
    assert missing.failed and missing.problems == ["no channel @nobody_here on Telegram (check the name)"]
    assert report.exit_code == 2


def test_without_a_login_telegram_sources_fail_clearly_and_feeds_still_run(tmp_path, monkeypatch):
    monkeypatch.setenv("MULTIVECTOR_TG_API_ID", "12345")
    monkeypatch.setenv("MULTIVECTOR_TG_API_HASH", API_HASH)
    monkeypatch.delenv("MULTIVECTOR_TG_SESSION", raising=False)
    path = tmp_path / "sources.yaml"
    path.write_text(
        "feeds:\n  - name: unreachable\n    url: http://127.0.0.1:9/feed.xml\n"
        "http:\n  retries: 0\n  timeout: 1\n"
        "telegram:\n  - channel: '@kzdiplomacy'\n  - channel: '@other_channel'\n"
    )
    options = CollectOptions(ingest=OPTIONS.ingest, db_path=tmp_path / "db" / "t.db", interactive=False)
    with Store.open(tmp_path / "db" / "t.db") as store:
        report = collect(store, load_config(path), options)  # a real Telethon client, no network
    feed_result, *channels = report.sources
    assert feed_result.failed and "connection refused" in feed_result.problems[0]
    session = tmp_path / "db" / "multivector-telegram.session"
    for result in channels:
        assert result.failed
        assert result.problems == [
            f"not logged in to Telegram: run `multivector collect` once in a terminal to log in (the login is kept in {session})"
        ]
        assert API_HASH not in result.problems[0]
    assert stat.S_IMODE(os.stat(session).st_mode) == 0o600
