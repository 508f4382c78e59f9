"""sources.yaml: every mistake is one line naming the file and the line, before anything runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from multivector.model import InputError
from multivector.sources.collect_config import load_config, parse_channel

HASH = "0123456789abcdef0123456789abcdef"
NO_ENV: dict[str, str] = {}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error(path: Path, env=NO_ENV, only=None) -> str:
    with pytest.raises(InputError) as e:
        load_config(path, only=only, env=env)
    message = str(e.value)
    assert "\n" not in message
    return message


def test_a_good_file_with_every_option(tmp_path):
    path = write(
        tmp_path,
        "http:\n  timeout: 5\n  retries: 1\n  backoff: 0.5\n  per_host_interval: 2\n  max_feed_mb: 1\n"
        "  max_article_mb: 0.5\n  user_agent: test-agent\n"
        "limits:\n  request: 30\n  source: 120.5\n  run: 0\n"
        "feeds:\n  - name: astana-times\n    url: https://astanatimes.com/feed/\n    fetch_articles: true\n"
        "  - name: tengri\n    url: http://tengrinews.kz/rss\n    allow_private: true\n"
        "telegram:\n  - channel: '@kzdiplomacy'\n    name: KZ Diplomacy\n  - channel: https://t.me/s/other_chan/42\n"
        "  - '@third_channel'\n",
    )
    config = load_config(path, env={"MULTIVECTOR_TG_API_ID": "123", "MULTIVECTOR_TG_API_HASH": HASH})
    assert [f.name for f in config.feeds] == ["astana-times", "tengri"]
    assert config.feeds[0].fetch_articles and not config.feeds[1].fetch_articles
    assert not config.feeds[0].allow_private and config.feeds[1].allow_private
    assert (config.limits.request, config.limits.source, config.limits.run) == (30.0, 120.5, 0.0)
    assert [t.channel for t in config.telegram] == ["kzdiplomacy", "other_chan", "third_channel"]
    assert config.telegram[0].name == "KZ Diplomacy" and config.telegram[1].name is None
    h = config.http
    assert (h.timeout, h.retries, h.backoff, h.per_host_interval) == (5.0, 1, 0.5, 2.0)
    assert (h.max_feed_bytes, h.max_article_bytes, h.user_agent) == (1_000_000, 500_000, "test-agent")
    assert config.telegram_api.api_id == 123 and config.telegram_api.api_hash == HASH


def test_unknown_key_names_file_line_and_a_suggestion(tmp_path):
    path = write(tmp_path, "feeds:\n  - name: a\n    url: https://example.org/rss\n    fetch_article: true\n")
    assert error(path) == (
        f"{path}: line 4: feeds[1]: unknown key 'fetch_article' (did you mean 'fetch_articles'?)"
    )
    path = write(tmp_path, "feed:\n  - name: a\n")
    assert error(path).startswith(f"{path}: line 1: top level: unknown key 'feed' (did you mean 'feeds'?)")


def test_bad_url_and_missing_or_repeated_names(tmp_path):
    path = write(
        tmp_path,
        "feeds:\n  - name: a\n    url: https://example.org/rss\n  - name: b\n    url: ftp://example.org/x\n",
    )
    assert error(path) == f"{path}: line 5: feeds[2].url: 'ftp://example.org/x' is not an http(s) URL"
    path = write(tmp_path, "feeds:\n  - name: a\n    url: example.org/rss\n")
    assert "line 3" in error(path) and "not an http(s) URL" in error(path)
    path = write(tmp_path, "feeds:\n  - url: https://example.org/rss\n")
    assert error(path) == f"{path}: line 2: feeds[1]: missing 'name'"
    path = write(
        tmp_path,
        "feeds:\n  - name: a\n    url: https://example.org/1\n  - name: a\n    url: https://example.org/2\n",
    )
    assert error(path) == f"{path}: line 4: feeds[2]: name 'a' is used twice (first on line 2)"


def test_yaml_syntax_and_shape_errors_have_a_line(tmp_path):
    path = write(tmp_path, "feeds:\n  - name: a\n    url: https://example.org/rss\n   bad: [\n")
    message = error(path)
    assert message.startswith(f"{path}: line ") and "not valid YAML" in message
    assert (
        error(write(tmp_path, "")) == f"{path}: line 1: file is empty: list some feeds or telegram channels"
    )
    assert "expected a list" in error(write(tmp_path, "feeds: https://example.org/rss\n"))
    assert "line 2: http.timeout: expected a number" in error(write(tmp_path, "http:\n  timeout: soon\n"))
    missing = tmp_path / "nope.yaml"
    assert error(missing).startswith(f"{missing}: no such file")


def test_a_telegram_source_without_credentials_is_refused_before_anything_runs(tmp_path):
    text = "feeds:\n  - name: a\n    url: https://example.org/rss\ntelegram:\n  - channel: '@kzdiplomacy'\n"
    path = write(tmp_path, text)
    message = error(path)
    assert message.startswith(
        f"{path}: line 5: telegram @kzdiplomacy: Telegram sources need the API api_id and api_hash: set"
    )
    assert "MULTIVECTOR_TG_API_ID" in message and "MULTIVECTOR_TG_API_HASH" in message
    assert "need the API api_hash:" in error(path, env={"MULTIVECTOR_TG_API_ID": "1"})
    # Either the environment or a telegram_api: block is enough.
    load_config(path, env={"MULTIVECTOR_TG_API_ID": "1", "MULTIVECTOR_TG_API_HASH": HASH})
    load_config(write(tmp_path, f"telegram_api:\n  api_id: 1\n  api_hash: {HASH}\n" + text), env=NO_ENV)
    # Collecting only the feed needs no credentials.
    assert [f.name for f in load_config(path, only=["a"], env=NO_ENV).feeds] == ["a"]


def test_a_bad_api_hash_is_refused_without_being_echoed(tmp_path):
    secret = "not-hex-but-secret-0123456789abcd"
    path = write(
        tmp_path, f"telegram_api:\n  api_id: 1\n  api_hash: {secret}\ntelegram:\n  - channel: '@abcd_x'\n"
    )
    message = error(path)
    assert "line 3: telegram_api.api_hash" in message and secret not in message


def test_telegram_sources_without_telethon_installed(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "telethon", None)  # as if the extra were not installed
    path = write(tmp_path, "telegram:\n  - channel: '@kzdiplomacy'\n")
    message = error(path, env={"MULTIVECTOR_TG_API_ID": "1", "MULTIVECTOR_TG_API_HASH": HASH})
    assert message == (
        f"{path}: line 2: telegram @kzdiplomacy: Telegram sources need Telethon: pip install 'multivector[telegram]'"
    )


def test_bad_channels_and_only(tmp_path):
    path = write(tmp_path, "telegram:\n  - channel: https://t.me/+AbCdEf123\n")
    assert "line 2" in error(path) and "invite links" in error(path)
    path = write(tmp_path, "telegram:\n  - channel: '@x'\n")
    assert "expected @username" in error(path)
    path = write(tmp_path, "feeds:\n  - name: a\n    url: https://example.org/rss\n")
    assert error(path, only=["b"]) == f"--only 'b': no such source in {path} (sources: a)"
    assert parse_channel("t.me/kzdiplomacy/123") == "kzdiplomacy"
    assert parse_channel("-1001234567890") == "-1001234567890"


def test_feed_flags_must_be_true_or_false(tmp_path):
    for key in ("fetch_articles", "allow_private"):
        path = write(
            tmp_path, f"feeds:\n  - name: a\n    url: https://example.org/rss\n    {key}: yes please\n"
        )
        assert error(path) == f"{path}: line 4: feeds[1].{key}: expected true or false"
