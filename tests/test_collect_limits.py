"""`collect` time limits: per request (against a server that trickles), per source, per run.

The servers are real, on 127.0.0.1. The assertions are about outcomes (which source failed and
why, what was stored, what the server managed to send), not about how long anything took.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time

import pytest

from multivector.collect import collect
from multivector.sources.collect_config import load_config
from multivector.store.sqlite import Store
from test_collect_feeds import ARTICLE, ITEMS, OPTIONS, Route, no_proxy, rss  # noqa: F401 - a fixture
from test_collect_feeds import server as server  # noqa: F401 - a fixture


class TrickleServer:
    """Answers each connection with `head` at once, then `trickle` one byte every `interval` s."""

    def __init__(self, head: bytes, trickle: bytes, interval: float = 0.05):
        self.head, self.trickle, self.interval = head, trickle, interval
        self.sent: list[int] = []  # bytes of `trickle` sent, per finished connection
        self.connections = 0
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path: str = "/feed.xml") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        n = 0
        with conn:
            conn.settimeout(5)
            data = b""
            with contextlib.suppress(OSError):
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(self.head)
                for byte in self.trickle:  # bounded: len(trickle) * interval seconds at most
                    if self.stop.is_set():
                        break
                    conn.sendall(bytes([byte]))
                    n += 1
                    time.sleep(self.interval)
        self.sent.append(n)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def trickle():
    servers: list[TrickleServer] = []

    def make(head: bytes, trickle: bytes, interval: float = 0.05) -> TrickleServer:
        servers.append(TrickleServer(head, trickle, interval))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def write(tmp_path, text: str):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_in_thread(db, sources, guard: float = 60):
    """collect() in a thread, so that a hang fails the test instead of stopping the suite."""
    box: dict = {}

    def target() -> None:
        with Store.open(db) as store:
            box["report"] = collect(store, load_config(sources), OPTIONS)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(guard)
    assert not thread.is_alive(), "collect did not finish: a time limit was not enforced"
    return box["report"]


def test_a_server_trickling_headers_or_body_is_cut_off_and_the_next_source_runs(server, tmp_path, trickle):
    body = rss(ITEMS)
    # Headers one byte at a time: every read gets a byte well within `timeout`.
    head_slow = trickle(
        b"", b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 400 + b"\r\nContent-Length: 10\r\n\r\n0123456789"
    )
    # Headers at once, then the body one byte at a time (each byte inside `timeout`).
    body_slow = trickle(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n" % len(body),
        body,
    )
    server.routes["/good.xml"] = Route(rss(ITEMS[:2]))
    sources = write(
        tmp_path,
        "http:\n  timeout: 5\n  retries: 0\n  per_host_interval: 0\nlimits:\n  request: 1\n"
        f"feeds:\n  - name: slow-head\n    url: {head_slow.url()}\n"
        f"  - name: slow-body\n    url: {body_slow.url()}\n"
        f"  - name: good\n    url: {server.url('/good.xml')}\n",
    )
    report = run_in_thread(tmp_path / "t.db", sources)
    r = {s.label: s for s in report.sources}
    assert report.exit_code == 2
    for name in ("slow-head", "slow-body"):
        assert r[name].failed, r[name]
        assert "timed out" in r[name].problems[0] and "limits.request" in r[name].problems[0], r[
            name
        ].problems
    # The good feed after them was fetched; the trickling servers never got to finish.
    assert (r["good"].status, r["good"].new) == ("ok", 2)
    for srv, total in ((head_slow, len(head_slow.trickle)), (body_slow, len(body))):
        for _ in range(100):  # the server thread notices the closed socket on its next write
            if srv.sent:
                break
            time.sleep(0.05)
        assert srv.sent and srv.sent[0] < total
    count = sqlite3.connect(tmp_path / "t.db").execute("SELECT count(*) FROM posts").fetchone()[0]
    assert count == 2


def test_retries_stop_at_the_source_limit(tmp_path, trickle):
    slow = trickle(b"", b"HTTP/1.1 200 OK\r\n" + b"X" * 400)
    sources = write(
        tmp_path,
        "http:\n  timeout: 5\n  retries: 10\n  backoff: 0.01\n  per_host_interval: 0\n"
        f"limits:\n  request: 0.5\n  source: 1.2\nfeeds:\n  - name: slow\n    url: {slow.url()}\n",
    )
    report = run_in_thread(tmp_path / "t.db", sources)
    result = report.sources[0]
    assert result.failed
    assert "limits.source" in result.problems[0], result.problems
    # Each try takes its 0.5 s request limit: at most 3 fit, not the 11 `retries: 10` allows.
    assert 1 <= slow.connections <= 3


def test_the_source_limit_stops_article_fetching_but_keeps_the_items(server, tmp_path):
    base = server.url("/news/")
    server.routes["/feed.xml"] = Route(rss(ITEMS, link_base=base))
    for guid, title, lead in ITEMS:
        server.routes[f"/news/{guid}"] = Route(
            ARTICLE.format(title=title, lead=lead).encode(), content_type="text/html", delay=0.8
        )
    feed = f"feeds:\n  - name: news\n    url: {server.url('/feed.xml')}\n    fetch_articles: true\n"
    http = "http:\n  timeout: 5\n  retries: 0\n  per_host_interval: 0\n"
    db = tmp_path / "t.db"
    report = run_in_thread(db, write(tmp_path, http + "limits:\n  source: 1\n" + feed))
    news = report.sources[0]
    assert news.status == "partial" and report.exit_code == 2
    assert any("limits.source" in p for p in news.problems), news.problems
    assert news.new == 3  # every item is stored, with its summary where the page was not read
    assert len([h for h in server.log if h.path.startswith("/news/")]) < 3

    # Without the limit, the next run fetches the pages it did not get to.
    again = run_in_thread(db, write(tmp_path, http + feed)).sources[0]
    assert again.status == "ok" and again.articles == 3 - news.articles
    texts = [t for (t,) in sqlite3.connect(db).execute("SELECT text FROM posts")]
    assert len(texts) == 3 and all("fifteen years" in t for t in texts)


def test_sources_not_reached_within_the_run_limit_are_skipped(server, tmp_path):
    server.routes["/slow.xml"] = Route(rss(ITEMS), delay=1.5)
    server.routes["/next.xml"] = Route(rss(ITEMS))
    sources = write(
        tmp_path,
        "http:\n  timeout: 10\n  retries: 0\n  per_host_interval: 0\nlimits:\n  request: 30\n  run: 1\n"
        f"feeds:\n  - name: slow\n    url: {server.url('/slow.xml')}\n"
        f"  - name: next\n    url: {server.url('/next.xml')}\n"
        f"  - name: last\n    url: {server.url('/next.xml')}\n",
    )
    report = run_in_thread(tmp_path / "t.db", sources)
    r = {s.label: s for s in report.sources}
    assert r["slow"].failed and "limits.run" in r["slow"].problems[0], r["slow"].problems
    for name in ("next", "last"):
        assert r[name].status == "skipped" and "limits.run" in r[name].problems[0]
    assert report.exit_code == 2 and not server.hits("/next.xml")


def test_limits_are_checked_in_sources_yaml(tmp_path):
    from multivector.model import InputError

    for text, message in (
        ("limits:\n  request: 0\n", "limits.request: must be more than 0"),
        ("limits:\n  sources: 10\n", "unknown key 'sources' (did you mean 'source'?)"),
        ("limits:\n  run: soon\n", "limits.run: expected a number"),
    ):
        path = write(tmp_path, text + "feeds:\n  - name: a\n    url: https://example.org/rss\n")
        with pytest.raises(InputError, match="line 2") as e:
            load_config(path)
        assert message in str(e.value)
    config = load_config(
        write(
            tmp_path,
            "limits:\n  run: 0\n  source: 5\nfeeds:\n  - name: a\n    url: https://example.org/rss\n",
        )
    )
    assert (config.limits.request, config.limits.source, config.limits.run) == (60, 5, 0)


def test_a_telegram_flood_wait_past_the_source_limit_stops_the_channel_and_keeps_what_was_read(
    tmp_path, monkeypatch
):
    pytest.importorskip("telethon")
    from test_collect_telegram import API_HASH, FakeTelegram, msg

    monkeypatch.setenv("MULTIVECTOR_TG_API_ID", "12345")
    monkeypatch.setenv("MULTIVECTOR_TG_API_HASH", API_HASH)
    sources = write(
        tmp_path,
        "limits:\n  source: 30\ntelegram_api:\n  max_flood_wait: 600\n"
        'telegram:\n  - channel: "@kzdiplomacy"\n',
    )
    tg = FakeTelegram([msg(i, f"Сообщение номер {i} о внешней политике") for i in range(1, 8)])
    tg.flood_after, tg.flood_seconds = 4, 120  # allowed by max_flood_wait, not by the source's limit
    sleeps: list[float] = []
    with Store.open(tmp_path / "t.db") as store:
        report = collect(store, load_config(sources), OPTIONS, telegram_client=tg, sleep=sleeps.append)
        cursor = store.get_cursor("telegram:kzdiplomacy")
    result = report.sources[0]
    assert result.status == "partial" and report.exit_code == 2 and sleeps == []
    assert "limits.source" in result.problems[0] and "after message 4" in result.problems[0]
    assert result.new == 4 and '"min_id": 4' in cursor
