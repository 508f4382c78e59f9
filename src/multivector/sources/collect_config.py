"""sources.yaml: which feeds and Telegram channels `multivector collect` follows.

The whole file is checked before anything is fetched. Every mistake (an unknown key, a bad
URL, a missing or repeated name, a Telegram source without API credentials or without
Telethon installed) raises `InputError` with one line naming the file and the line:
``sources.yaml: line 7: feeds[2]: unknown key 'fetch_article' (did you mean 'fetch_articles'?)``.

Shape (every block is optional, but there must be at least one source)::

    http:                       # defaults shown
      timeout: 20               # seconds for connecting and for each read (a silent server)
      retries: 3                # on 5xx, 429, timeouts and dropped connections
      backoff: 1                # first retry after 1 s, then 2 s, 4 s ...
      per_host_interval: 1      # at least this many seconds between two requests to one host
      max_feed_mb: 5
      max_article_mb: 5
      user_agent: "multivector/0.1 (+https://...)"
    limits:                     # wall-clock limits in seconds (defaults shown); 0: none
      request: 60               # one HTTP request in all: lookup, connect, headers, body, redirects
      source: 600               # one source: a feed with its article pages, or a Telegram channel
      run: 3600                 # one round over all sources
    telegram_api:               # or MULTIVECTOR_TG_API_ID / MULTIVECTOR_TG_API_HASH (env wins)
      api_id: 123456
      api_hash: 0123456789abcdef0123456789abcdef
      session: ~/multivector/telegram.session   # or MULTIVECTOR_TG_SESSION
      max_flood_wait: 900       # a longer FloodWait stops the channel for this run
      flood_retries: 3
      recheck: 50               # recent messages read again each run, to catch edits
    feeds:
      - name: astana-times      # becomes the channel name of its posts
        url: https://example.org/rss
        fetch_articles: false
        allow_private: false    # true: it may reach loopback/private addresses (an intranet feed)
    telegram:
      - channel: "@some_channel"   # @username, username or a t.me link
        name: Some Channel         # optional: the channel name of its posts (default: its title)
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from multivector.model import InputError

ENV_API_ID = "MULTIVECTOR_TG_API_ID"
ENV_API_HASH = "MULTIVECTOR_TG_API_HASH"
ENV_SESSION = "MULTIVECTOR_TG_SESSION"

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_API_HASH = re.compile(r"^[0-9a-fA-F]{32}$")
_MB = 1_000_000


@dataclass
class HttpOptions:
    timeout: float = 20.0
    retries: int = 3
    backoff: float = 1.0
    per_host_interval: float = 1.0
    max_feed_bytes: int = 5 * _MB
    max_article_bytes: int = 5 * _MB
    user_agent: str = "multivector/0.1 (feed collector; +https://pypi.org/project/multivector/)"


@dataclass
class Limits:
    """Wall-clock limits in seconds. 0 means no limit (not allowed for `request`)."""

    request: float = 60.0  # one HTTP request: lookup, connect, TLS, headers, body and redirects
    source: float = 600.0  # one source: a feed with its article pages, or one Telegram channel
    run: float = 3600.0  # one round over every source


@dataclass
class TelegramApi:
    """API credentials and Telegram behaviour. The hash never appears in a repr or a message."""

    api_id: int | None = None
    api_hash: str | None = field(default=None, repr=False)
    session: Path | None = None  # None: next to the database
    max_flood_wait: float = 900.0
    flood_retries: int = 3
    recheck: int = 50


@dataclass
class FeedSource:
    name: str
    url: str
    fetch_articles: bool = False
    # May it (its redirects and article links) reach loopback, private, link-local ... addresses?
    # Always so when its own URL names such an address (http://127.0.0.1:8000/feed.xml).
    allow_private: bool = False
    line: int = 0

    kind = "feed"

    @property
    def cursor_key(self) -> str:
        return f"feed:{self.name}"


@dataclass
class TelegramSource:
    channel: str  # a username without "@", or a numeric id as text
    name: str | None = None  # the channel name of its posts; None: the channel's title
    line: int = 0

    kind = "telegram"

    @property
    def numeric(self) -> bool:
        return self.channel.lstrip("-").isdigit()

    @property
    def label(self) -> str:
        return self.name or (self.channel if self.numeric else f"@{self.channel}")

    @property
    def cursor_key(self) -> str:
        return f"telegram:{self.channel.lower()}"


@dataclass
class CollectConfig:
    path: Path
    feeds: list[FeedSource] = field(default_factory=list)
    telegram: list[TelegramSource] = field(default_factory=list)
    http: HttpOptions = field(default_factory=HttpOptions)
    limits: Limits = field(default_factory=Limits)
    telegram_api: TelegramApi = field(default_factory=TelegramApi)
    warnings: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[FeedSource | TelegramSource]:
        return [*self.feeds, *self.telegram]


def source_label(source: FeedSource | TelegramSource) -> str:
    return source.name if isinstance(source, FeedSource) else source.label


# ---- YAML with line numbers -------------------------------------------------------------------
class _Map(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise _ConfigError(line, f"key {key!r} is not a name")
        if key in out:
            raise _ConfigError(line, f"key {key!r} appears twice")
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


class _ConfigError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _unknown_keys(m: _Map, allowed: tuple[str, ...], where: str) -> None:
    for key in m:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"expected {', '.join(allowed)}"
            raise _ConfigError(m.key_lines[key], f"{where}: unknown key {key!r} ({hint})")


def _number(m: _Map, key: str, where: str, default: float, *, integer: bool = False, minimum: float = 0):
    if key not in m:
        return default
    value = m[key]
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or value < minimum:
        kind = "a whole number" if integer else "a number"
        raise _ConfigError(m.key_lines[key], f"{where}.{key}: expected {kind} >= {minimum}, got {value!r}")
    return value


def _text(m: _Map, key: str, where: str, *, required: bool = False) -> str | None:
    value = m.get(key)
    if value is None:
        if required:
            raise _ConfigError(m.line, f"{where}: missing {key!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _ConfigError(m.key_lines[key], f"{where}.{key}: expected text, got {value!r}")
    text = str(value).strip()
    if not text:
        raise _ConfigError(m.key_lines[key], f"{where}.{key}: is empty")
    return text


def _check_url(url: str, line: int, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise _ConfigError(line, f"{where}.url: {url!r} is not an http(s) URL")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _ConfigError(line, f"{where}.url: {url!r} has a bad port") from None
    return url


def parse_channel(value: str) -> str | None:
    """'@name', 'name', 't.me/name', 'https://t.me/s/name/123' or '-100123' -> 'name' / '-100123'."""
    v = value.strip()
    if re.fullmatch(r"-?\d+", v):
        return v
    m = re.fullmatch(r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?([^/?#]+)(?:/\d+)?/?", v)
    if m:
        v = m.group(1)
    v = v.removeprefix("@")
    return v if _USERNAME.match(v) else None


# ---- the file ------------------------------------------------------------------------------
def load_config(
    path: Path, only: list[str] | None = None, env: dict[str, str] | None = None
) -> CollectConfig:
    """Read and check sources.yaml; keep only the sources named in `only` (when given).

    Telegram credentials and Telethon are required only when a selected source is a Telegram
    channel. Raises InputError with one line naming the file and line.
    """
    env = dict(os.environ) if env is None else env
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"{path}: no such file (write one like docs/sources.example.yaml, or pass --sources)"
        )
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a sources.yaml file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    try:
        config = _parse(path, text, env, only)
    except _ConfigError as e:
        raise InputError(f"{path}: line {e.line}: {e.message}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        reason = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"{path}: {line}not valid YAML ({reason})") from None
    return config


def _parse(path: Path, text: str, env: dict[str, str], only: list[str] | None) -> CollectConfig:
    doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    if doc is None:
        raise _ConfigError(1, "file is empty: list some feeds or telegram channels")
    if not isinstance(doc, _Map):
        raise _ConfigError(1, "expected keys feeds:, telegram:, http:, limits:, telegram_api:")
    _unknown_keys(doc, ("feeds", "telegram", "http", "limits", "telegram_api"), "top level")
    config = CollectConfig(path=path)

    if "http" in doc:
        config.http = _http(_block(doc, "http"))
    if "limits" in doc:
        config.limits = _limits(_block(doc, "limits"))
    api_block = _block(doc, "telegram_api") if "telegram_api" in doc else None
    config.telegram_api = _telegram_api(api_block, env, path.parent)

    names: dict[str, int] = {}

    def claim(name: str, line: int, where: str) -> None:
        if name in names:
            raise _ConfigError(line, f"{where}: name {name!r} is used twice (first on line {names[name]})")
        names[name] = line

    for i, item in enumerate(_list(doc, "feeds")):
        where = f"feeds[{i + 1}]"
        if not isinstance(item, _Map):
            raise _ConfigError(doc.key_lines["feeds"], f"{where}: expected name: and url:, got {item!r}")
        _unknown_keys(item, ("name", "url", "fetch_articles", "allow_private"), where)
        name = _text(item, "name", where, required=True)
        url = _text(item, "url", where, required=True)
        _check_url(url, item.key_lines["url"], where)
        fetch = _flag(item, "fetch_articles", where)
        allow_private = _flag(item, "allow_private", where)
        claim(name, item.line, where)
        config.feeds.append(
            FeedSource(name=name, url=url, fetch_articles=fetch, allow_private=allow_private, line=item.line)
        )

    for i, item in enumerate(_list(doc, "telegram")):
        where = f"telegram[{i + 1}]"
        if isinstance(item, str):  # the "- @channel" shorthand
            short = _Map(channel=item)
            short.line = doc.key_lines["telegram"]
            short.key_lines = {"channel": short.line}
            item = short
        if not isinstance(item, _Map):
            raise _ConfigError(doc.key_lines["telegram"], f"{where}: expected channel:, got {item!r}")
        _unknown_keys(item, ("channel", "name"), where)
        raw = _text(item, "channel", where, required=True)
        channel = parse_channel(raw)
        if channel is None:
            hint = (
                "invite links of private channels are not supported: join the channel and use its numeric id"
                if re.search(r"t\.me/(\+|joinchat/)", raw)
                else "expected @username, a t.me link or a numeric id"
            )
            raise _ConfigError(item.key_lines["channel"], f"{where}.channel: {raw!r}: {hint}")
        name = _text(item, "name", where)
        for other in config.telegram:
            if other.channel.lower() == channel.lower():
                raise _ConfigError(
                    item.line, f"{where}: channel {raw!r} is listed twice (first on line {other.line})"
                )
        if name:
            claim(name, item.line, where)
        config.telegram.append(TelegramSource(channel=channel, name=name, line=item.line))

    if not config.sources:
        raise _ConfigError(doc.line, "no sources: list some feeds: or telegram: channels")

    if only:
        labels = {source_label(s): s for s in config.sources}
        labels.update({f"@{s.channel}": s for s in config.telegram})
        labels.update({s.channel: s for s in config.telegram})
        for name in only:
            if name not in labels:
                known = ", ".join(source_label(s) for s in config.sources)
                raise InputError(f"--only {name!r}: no such source in {path} (sources: {known})")
        wanted = {id(labels[n]) for n in only}
        config.feeds = [s for s in config.feeds if id(s) in wanted]
        config.telegram = [s for s in config.telegram if id(s) in wanted]

    if config.telegram:
        _check_telegram_ready(config, api_block)
    return config


def _block(doc: _Map, key: str) -> _Map:
    value = doc[key]
    if not isinstance(value, _Map):
        raise _ConfigError(doc.key_lines[key], f"{key}: expected a block of key: value lines")
    return value


def _list(doc: _Map, key: str) -> list:
    if key not in doc or doc[key] is None:
        return []
    value = doc[key]
    if not isinstance(value, list):
        raise _ConfigError(doc.key_lines[key], f"{key}: expected a list (lines starting with '- ')")
    return value


def _http(m: _Map) -> HttpOptions:
    _unknown_keys(
        m,
        ("timeout", "retries", "backoff", "per_host_interval", "max_feed_mb", "max_article_mb", "user_agent"),
        "http",
    )
    d = HttpOptions()
    timeout = _number(m, "timeout", "http", d.timeout)
    if timeout <= 0:
        raise _ConfigError(m.key_lines["timeout"], "http.timeout: must be more than 0 seconds")
    agent = _text(m, "user_agent", "http") or d.user_agent
    return HttpOptions(
        timeout=float(timeout),
        retries=int(_number(m, "retries", "http", d.retries, integer=True)),
        backoff=float(_number(m, "backoff", "http", d.backoff)),
        per_host_interval=float(_number(m, "per_host_interval", "http", d.per_host_interval)),
        max_feed_bytes=int(_number(m, "max_feed_mb", "http", d.max_feed_bytes / _MB) * _MB),
        max_article_bytes=int(_number(m, "max_article_mb", "http", d.max_article_bytes / _MB) * _MB),
        user_agent=agent,
    )


def _limits(m: _Map) -> Limits:
    _unknown_keys(m, ("request", "source", "run"), "limits")
    d = Limits()
    request = _number(m, "request", "limits", d.request)
    if request <= 0:
        raise _ConfigError(m.key_lines["request"], "limits.request: must be more than 0 seconds")
    return Limits(
        request=float(request),
        source=float(_number(m, "source", "limits", d.source)),
        run=float(_number(m, "run", "limits", d.run)),
    )


def _flag(m: _Map, key: str, where: str) -> bool:
    value = m.get(key, False)
    if not isinstance(value, bool):
        raise _ConfigError(m.key_lines[key], f"{where}.{key}: expected true or false")
    return value


def _telegram_api(m: _Map | None, env: dict[str, str], base: Path) -> TelegramApi:
    """The telegram_api: block, then the environment over it. A relative session path in the
    file is relative to the file's folder (cron jobs start elsewhere)."""
    api = TelegramApi()
    if m is not None:
        _unknown_keys(
            m, ("api_id", "api_hash", "session", "max_flood_wait", "flood_retries", "recheck"), "telegram_api"
        )
        if "api_id" in m:
            value = m["api_id"]
            if (
                isinstance(value, bool)
                or not isinstance(value, int | str)
                or not str(value).strip().isdigit()
            ):
                raise _ConfigError(
                    m.key_lines["api_id"], "telegram_api.api_id: expected the number from my.telegram.org"
                )
            api.api_id = int(str(value).strip())
        if "api_hash" in m:
            value = m["api_hash"]
            if not isinstance(value, str) or not _API_HASH.match(value.strip()):
                # Never echo the value: it is a secret, even when it is a wrong one.
                raise _ConfigError(
                    m.key_lines["api_hash"],
                    "telegram_api.api_hash: expected the 32-character hex string from my.telegram.org",
                )
            api.api_hash = value.strip()
        session = _text(m, "session", "telegram_api")
        if session:
            api.session = base / Path(session).expanduser()
        api.max_flood_wait = float(_number(m, "max_flood_wait", "telegram_api", api.max_flood_wait))
        api.flood_retries = int(_number(m, "flood_retries", "telegram_api", api.flood_retries, integer=True))
        api.recheck = int(_number(m, "recheck", "telegram_api", api.recheck, integer=True))
    env_id = env.get(ENV_API_ID, "").strip()
    env_hash = env.get(ENV_API_HASH, "").strip()
    if env_id:
        if not env_id.isdigit():
            raise InputError(f"${ENV_API_ID}: expected the number from my.telegram.org")
        api.api_id = int(env_id)
    if env_hash:
        if not _API_HASH.match(env_hash):
            raise InputError(f"${ENV_API_HASH}: expected the 32-character hex string from my.telegram.org")
        api.api_hash = env_hash
    if env.get(ENV_SESSION, "").strip():
        api.session = Path(env[ENV_SESSION].strip()).expanduser()
    return api


def _check_telegram_ready(config: CollectConfig, api_block: _Map | None) -> None:
    first = config.telegram[0]
    api = config.telegram_api
    missing = [what for what, value in (("api_id", api.api_id), ("api_hash", api.api_hash)) if not value]
    if missing:
        raise _ConfigError(
            first.line,
            f"telegram {first.label}: Telegram sources need the API {' and '.join(missing)}: set "
            f"{ENV_API_ID} and {ENV_API_HASH} (from https://my.telegram.org), or add a telegram_api: block",
        )
    try:
        import telethon  # noqa: F401
    except ImportError:
        raise _ConfigError(
            first.line,
            f"telegram {first.label}: Telegram sources need Telethon: pip install 'multivector[telegram]'",
        ) from None
    if api_block is not None and "api_hash" in api_block and os.name == "posix":
        try:
            mode = config.path.stat().st_mode
        except OSError:
            return
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            config.warnings.append(
                f"{config.path}: holds the Telegram api_hash and is readable by other users "
                f"(chmod 600 {config.path}, or use {ENV_API_HASH})"
            )
