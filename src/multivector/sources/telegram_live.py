"""Telegram channels, live, through Telethon (the optional extra `multivector[telegram]`).

`message_to_post` maps a `telethon.tl.types.Message` to a Post the same way the Desktop export
readers do (so a channel read from an export and then followed live does not double): the
text is `message.message`; links come from MessageEntityUrl / MessageEntityTextUrl, hashtags
from MessageEntityHashtag (offsets are UTF-16 code units, as Telegram counts them);
`fwd_from` becomes `forwarded_from` (the author's name, the forwarded channel's title when
Telegram sent it along, else ``channel:<id>``); `edit_date` becomes `edited`; views, forwards,
the post's signature and the reply header are kept; a media-only message is a post with empty
text and its media type. Service messages (channel created, pinned ...) are counted, not kept.

`ChannelReader` walks a channel with `client.iter_messages`: the messages after the cursor
(`min_id`, oldest first) and, before them, the last few already stored ones again (`recheck`),
so that an edit made since the last run is picked up. A FloodWait is honoured: the reader
says so, sleeps the time Telegram asks for and goes on where it stopped, a bounded number of
times; a wait longer than `max_flood_wait` stops the channel for this run with a clear message.

The client is anything with Telethon's `get_entity` and `iter_messages` (a synchronous
`telethon.sync.TelegramClient` in production). The session file is created with mode 0600 and
the API hash is never printed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from multivector.model import SOURCE_TELEGRAM, Post
from multivector.sources.collect_config import TelegramApi, TelegramSource

SESSION_NAME = "multivector-telegram.session"


class TelegramError(Exception):
    """A channel (or the whole Telegram connection) could not be read; the message is one line."""


@dataclass
class ChannelInfo:
    id: int
    username: str | None
    title: str | None
    entity: object = None  # what the client returned, passed back to iter_messages


@dataclass
class ReadStats:
    service: int = 0  # service messages skipped
    rechecked: int = 0  # older messages read again to catch edits
    fetched: int = 0  # new messages (after the cursor)
    last_id: int = 0  # the highest message id read after the cursor
    flood_waits: int = 0


# ---- mapping ------------------------------------------------------------------------------------
def _naive_utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def _utf16_slice(text: str, offset: int, length: int) -> str:
    data = text.encode("utf-16-le")
    return data[offset * 2 : (offset + length) * 2].decode("utf-16-le", "ignore")


def _links_and_hashtags(text: str, entities) -> tuple[list[str], list[str]]:
    from telethon.tl import types

    links: list[str] = []
    hashtags: list[str] = []
    for entity in entities or ():
        if isinstance(entity, types.MessageEntityTextUrl):
            link = entity.url
        elif isinstance(entity, types.MessageEntityUrl):
            link = _utf16_slice(text, entity.offset, entity.length)
        elif isinstance(entity, types.MessageEntityHashtag):
            tag = _utf16_slice(text, entity.offset, entity.length)
            if tag and tag not in hashtags:
                hashtags.append(tag)
            continue
        else:
            continue
        if link and link not in links:
            links.append(link)
    return links, hashtags


def media_kind(media) -> str | None:
    """The media type of a message, named as the Desktop export names it."""
    from telethon.tl import types

    if media is None or isinstance(media, types.MessageMediaEmpty | types.MessageMediaWebPage):
        return None  # a link preview is not media: the link is in the text
    if isinstance(media, types.MessageMediaPhoto):
        return "photo"
    if isinstance(media, types.MessageMediaDocument):
        document = media.document
        attributes = getattr(document, "attributes", None) or []
        for attr in attributes:
            if isinstance(attr, types.DocumentAttributeSticker):
                return "sticker"
            if isinstance(attr, types.DocumentAttributeAnimated):
                return "animation"
        for attr in attributes:
            if isinstance(attr, types.DocumentAttributeVideo):
                return "video_message" if attr.round_message or media.round else "video_file"
            if isinstance(attr, types.DocumentAttributeAudio):
                return "voice_message" if attr.voice or media.voice else "audio_file"
        if media.video:
            return "video_file"
        return "file"
    names = (
        (types.MessageMediaPoll, "poll"),
        (types.MessageMediaGeoLive, "location"),
        (types.MessageMediaGeo, "location"),
        (types.MessageMediaVenue, "venue"),
        (types.MessageMediaContact, "contact"),
        (types.MessageMediaGame, "game"),
        (types.MessageMediaInvoice, "invoice"),
        (types.MessageMediaDice, "dice"),
        (types.MessageMediaStory, "story"),
    )
    for kind, name in names:
        if isinstance(media, kind):
            return name
    return "other"


def _peer_label(peer, titles: dict[int, str]) -> str | None:
    from telethon.tl import types

    if isinstance(peer, types.PeerChannel):
        return titles.get(peer.channel_id) or f"channel:{peer.channel_id}"
    if isinstance(peer, types.PeerChat):
        return titles.get(peer.chat_id) or f"chat:{peer.chat_id}"
    if isinstance(peer, types.PeerUser):
        return titles.get(peer.user_id) or f"user:{peer.user_id}"
    return None


def forwarded_from(fwd, titles: dict[int, str] | None = None) -> str | None:
    """Who a forwarded message came from: the name Telegram shows, a channel title, or an id."""
    if fwd is None:
        return None
    titles = titles or {}
    if fwd.from_name:
        return fwd.from_name
    label = _peer_label(fwd.from_id, titles)
    if label:
        return label
    if getattr(fwd, "saved_from_name", None):
        return fwd.saved_from_name
    return _peer_label(getattr(fwd, "saved_from_peer", None), titles) or "hidden"


def remember_forward_titles(message, titles: dict[int, str]) -> None:
    """Keep the names of forwarded channels and users that Telegram sent along with a message."""
    forward = getattr(message, "forward", None)  # set by Telethon on messages it fetched
    if forward is None:
        return
    chat = getattr(forward, "chat", None)
    if chat is not None and getattr(chat, "title", None):
        titles[chat.id] = chat.title
    sender = getattr(forward, "sender", None)
    if sender is not None:
        name = " ".join(
            p for p in (getattr(sender, "first_name", None), getattr(sender, "last_name", None)) if p
        )
        if name:
            titles[sender.id] = name


def is_service(message) -> bool:
    from telethon.tl import types

    return isinstance(message, types.MessageService | types.MessageEmpty)


def message_to_post(
    message,
    channel: str,
    username: str | None,
    channel_id: int | None = None,
    titles: dict[int, str] | None = None,
) -> Post | None:
    """A Telethon Message -> Post; None for a service or empty message."""
    if is_service(message):
        return None
    text = message.message or ""
    links, hashtags = _links_and_hashtags(text, message.entities)
    reply = getattr(message.reply_to, "reply_to_msg_id", None) if message.reply_to else None
    if username:
        url = f"https://t.me/{username}/{message.id}"
    elif channel_id:
        url = f"https://t.me/c/{channel_id}/{message.id}"
    else:
        url = None
    return Post(
        source=SOURCE_TELEGRAM,
        channel=channel,
        message_id=str(message.id),
        text=text,
        date=_naive_utc(message.date),
        author=message.post_author or None,
        url=url,
        forwarded_from=forwarded_from(message.fwd_from, titles),
        reply_to=str(reply) if reply is not None else None,
        edited=_naive_utc(message.edit_date),
        links=links,
        hashtags=hashtags,
        media=media_kind(message.media),
        views=message.views,
        forwards=message.forwards,
        origin=f"telegram {('@' + username) if username else channel}: message {message.id}",
    )


# ---- reading a channel ----------------------------------------------------------------------------
class ChannelReader:
    """Reads channels through a Telethon-like client, honouring FloodWait."""

    def __init__(
        self,
        client,
        api: TelegramApi,
        sleep: Callable[[float], None] = time.sleep,
        notify: Callable[[str], None] | None = None,
    ):
        self.client = client
        self.api = api
        self.sleep = sleep
        self.notify = notify or (lambda message: None)
        self.titles: dict[int, str] = {}

    def _flood(self, error, what: str, waits: int) -> None:
        seconds = int(getattr(error, "seconds", 0) or 0)
        if seconds > self.api.max_flood_wait:
            raise TelegramError(
                f"Telegram asks to wait {seconds} s before more requests (FloodWait), longer than "
                f"max_flood_wait {self.api.max_flood_wait:g} s; stopped {what}, run again later"
            )
        if waits > self.api.flood_retries:
            raise TelegramError(
                f"Telegram kept asking to wait (FloodWait {waits} times); stopped {what}, run again later"
            )
        self.notify(f"Telegram FloodWait while {what}: waiting {seconds} s as asked")
        self.sleep(seconds + 1)

    def resolve(self, source: TelegramSource) -> ChannelInfo:
        from telethon import errors

        target: str | int = int(source.channel) if source.numeric else source.channel
        shown = source.channel if source.numeric else f"@{source.channel}"
        waits = 0
        loaded_dialogs = False
        while True:
            try:
                entity = self.client.get_entity(target)
                break
            except errors.FloodWaitError as e:
                waits += 1
                self._flood(e, f"looking up {shown}", waits)
            except ValueError:
                if source.numeric and not loaded_dialogs and hasattr(self.client, "get_dialogs"):
                    # A numeric id is known only from this account's chats: load them once.
                    loaded_dialogs = True
                    self.client.get_dialogs()
                    continue
                if source.numeric:
                    raise TelegramError(
                        f"channel {shown} is not among this account's chats (join it first)"
                    ) from None
                raise TelegramError(f"no channel {shown} on Telegram (check the name)") from None
            except (errors.UsernameInvalidError, errors.UsernameNotOccupiedError):
                raise TelegramError(f"no channel {shown} on Telegram (check the name)") from None
            except errors.ChannelPrivateError:
                raise TelegramError(f"{shown} is private and this account is not a member") from None
            except errors.RPCError as e:
                raise TelegramError(f"Telegram refused to look up {shown} ({e.message})") from None
        title = getattr(entity, "title", None)
        if title is None:
            raise TelegramError(f"{shown} is a user or bot, not a channel or group")
        return ChannelInfo(
            id=entity.id, username=getattr(entity, "username", None), title=title, entity=entity
        )

    def _iterate(self, entity, what: str, stats: ReadStats, **kwargs) -> Iterator:
        """client.iter_messages that resumes where it stopped after a FloodWait."""
        from telethon import errors

        waits = 0
        reverse = kwargs.get("reverse", False)
        while True:
            try:
                for message in self.client.iter_messages(entity, **kwargs):
                    if reverse:
                        kwargs["min_id"] = message.id
                        kwargs.pop("offset_date", None)
                    else:
                        kwargs["max_id"] = message.id
                        if kwargs.get("limit") is not None:
                            kwargs["limit"] -= 1
                    yield message
                return
            except errors.FloodWaitError as e:
                waits += 1
                stats.flood_waits += 1
                self._flood(e, what, waits)
                if not reverse and kwargs.get("limit") is not None and kwargs["limit"] <= 0:
                    return
            except errors.RPCError as e:
                raise TelegramError(f"Telegram refused to send {what} ({e.message})") from None

    def posts(
        self,
        info: ChannelInfo,
        channel_name: str,
        *,
        min_id: int,
        since: datetime | None,
        stats: ReadStats,
    ) -> Iterator[Post]:
        """Posts to store: the last `recheck` messages up to the cursor again, then every newer one."""
        label = f"@{info.username}" if info.username else channel_name
        entity = info.entity if info.entity is not None else (info.username or info.id)

        def to_post(message) -> Post | None:
            remember_forward_titles(message, self.titles)
            post = message_to_post(message, channel_name, info.username, info.id, self.titles)
            if post is None:
                stats.service += 1
                return None
            if since is not None and post.date is not None and post.date < since:
                return None
            return post

        if min_id and self.api.recheck:
            older = self._iterate(
                entity, f"the last messages of {label}", stats, limit=self.api.recheck, max_id=min_id + 1
            )
            for message in older:
                stats.rechecked += 1
                post = to_post(message)
                if post is not None:
                    yield post
        kwargs: dict = {"reverse": True, "min_id": min_id}
        if since is not None and not min_id:
            kwargs["offset_date"] = since.replace(tzinfo=UTC)
        for message in self._iterate(entity, f"new messages of {label}", stats, **kwargs):
            stats.fetched += 1
            stats.last_id = max(stats.last_id, message.id)
            post = to_post(message)
            if post is not None:
                yield post


# ---- the client and its session file --------------------------------------------------------------
def session_path(api: TelegramApi, db_path: Path) -> Path:
    """Where the login is kept: telegram_api.session / $MULTIVECTOR_TG_SESSION, else next to the database."""
    path = api.session or (Path(db_path).resolve().parent / SESSION_NAME)
    return path if path.name.endswith(".session") else path.with_name(path.name + ".session")


def secure_session_file(path: Path) -> None:
    """Create the session file readable by its owner only, or tighten an existing one to 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    if os.name == "posix":
        os.chmod(path, 0o600)


def make_client(api: TelegramApi, path: Path):
    """A synchronous Telethon client on a 0600 session file (not connected yet)."""
    from telethon.sync import TelegramClient

    secure_session_file(path)
    old = os.umask(0o077)  # the journal files SQLite makes beside the session, too
    try:
        return TelegramClient(
            str(path), api.api_id, api.api_hash, receive_updates=False, flood_sleep_threshold=60, timeout=20
        )
    finally:
        os.umask(old)


def connect(api: TelegramApi, path: Path, interactive: bool | None = None):
    """A connected, logged-in client. The first login asks for the phone and code, in a terminal only."""
    from telethon import errors

    if interactive is None:
        interactive = sys.stdin.isatty()
    client = make_client(api, path)
    not_logged_in = TelegramError(
        f"not logged in to Telegram: run `multivector collect` once in a terminal to log in "
        f"(the login is kept in {path})"
    )
    if not interactive and client.session.auth_key is None:
        client.session.close()
        raise not_logged_in  # a fresh session: no need to reach the network to know
    try:
        client.connect()
        if not client.is_user_authorized():
            if not interactive:
                raise not_logged_in
            client.start()  # asks for the phone number, the code and the 2FA password
    except errors.ApiIdInvalidError:
        client.disconnect()
        raise TelegramError(
            "Telegram rejected the api id / api hash (check them on my.telegram.org)"
        ) from None
    except (OSError, ConnectionError) as e:
        client.disconnect()
        raise TelegramError(f"cannot connect to Telegram ({type(e).__name__}: {e})") from None
    except errors.RPCError as e:
        client.disconnect()
        raise TelegramError(f"Telegram login failed ({e.message})") from None
    except BaseException:
        client.disconnect()
        raise
    if os.name == "posix":
        os.chmod(path, 0o600)
    return client
