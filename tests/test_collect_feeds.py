"""`collect` over feeds, against a real HTTP server on 127.0.0.1 that can be made to misbehave."""

from __future__ import annotations

import contextlib
import gzip
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from multivector.collect import CollectOptions, collect
from multivector.pipeline import AnnotateOptions, IngestOptions
from multivector.sources.collect_config import load_config
from multivector.store.sqlite import Store

# ---- a small feed server --------------------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before answering
    truncate: bool = False  # Content-Length promises the whole body, half of it is sent
    no_length: bool = False  # no Content-Length: the body ends when the connection closes
    fail_times: int = 0  # the first N requests get `fail_status`
    fail_status: int = 500
    gzip: bool = False
    location: str | None = None  # answer `status` (a 3xx) with this Location header
    hits: int = 0


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class FeedServer:
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[Hit] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Hit]:
        return [h for h in self.log if h.path == path]


def _handler(server: FeedServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            server.log.append(Hit(self.path, dict(self.headers.items()), time.monotonic()))
            route = server.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            route.hits += 1
            if route.delay:
                time.sleep(route.delay)
            if route.hits <= route.fail_times:
                self.send_error(route.fail_status)
                return
            if route.location is not None:
                self.send_response(route.status)
                self.send_header("Location", route.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.status != 200:
                self.send_error(route.status)
                return
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            if (
                route.last_modified
                and not route.etag
                and self.headers.get("If-Modified-Since") == route.last_modified
            ):
                self.send_response(304)
                self.end_headers()
                return
            body = gzip.compress(route.body) if route.gzip else route.body
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            if route.gzip:
                self.send_header("Content-Encoding", "gzip")
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            if not route.no_length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up (a size limit, a timeout)
                self.wfile.write(body[: len(body) // 2] if route.truncate else body)

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # broken pipes after client timeouts
        pass


@pytest.fixture
def server():
    fs = FeedServer()
    httpd = QuietServer(("127.0.0.1", 0), _handler(fs))
    fs.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fs
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


# ---- helpers ------------------------------------------------------------------------------------


def rss(items: list[tuple[str, str, str]], link_base: str = "https://example.org/news/") -> bytes:
    """items: (guid, title, summary)."""
    entries = "".join(
        f"<item><guid>{link_base}{guid}</guid><title>{title}</title><link>{link_base}{guid}</link>"
        f"<description>{summary}</description><pubDate>Mon, 0{i + 1} Jan 2024 10:00:00 GMT</pubDate></item>"
        for i, (guid, title, summary) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test feed</title>'
        f"<link>https://example.org/</link><description>d</description>{entries}</channel></rss>"
    ).encode()


ITEMS = [
    ("a1", "Astana hosts the C5+1 summit", "Leaders of Central Asia met in Astana to discuss transit."),
    ("a2", "Uranium exports to China grow", "Kazatomprom signed new supply contracts with CNNC."),
    ("a3", "Caspian route gains cargo", "The Middle Corridor carried more containers than a year ago."),
]

FAST_HTTP = """http:
  timeout: 0.4
  retries: 2
  backoff: 0.01
  per_host_interval: 0
"""

OPTIONS = CollectOptions(ingest=IngestOptions(annotate=AnnotateOptions(enabled=False)))


def write_sources(
    tmp_path: Path, feeds: list[tuple[str, str]], extra: str = "", http: str = FAST_HTTP
) -> Path:
    lines = [http, "feeds:"]
    for name, url in feeds:
        lines.append(f"  - name: {name}\n    url: {url}")
    path = tmp_path / "sources.yaml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def run(db: Path, sources: Path, options: CollectOptions = OPTIONS):
    with Store.open(db) as store:
        return collect(store, load_config(sources), options)


def count(db: Path, channel: str | None = None) -> int:
    con = sqlite3.connect(db)
    if channel is None:
        return con.execute("SELECT count(*) FROM posts").fetchone()[0]
    return con.execute("SELECT count(*) FROM posts WHERE channel=?", (channel,)).fetchone()[0]


def by_name(report):
    return {s.label: s for s in report.sources}


# ---- tests --------------------------------------------------------------------------------------


def test_first_run_stores_every_item_second_run_is_conditional_and_stores_nothing(server, tmp_path):
    stamp = formatdate(1704103200, usegmt=True)
    server.routes["/etag.xml"] = Route(rss(ITEMS), etag='"v1"', last_modified=stamp)
    server.routes["/lm.xml"] = Route(rss(ITEMS[:2]), last_modified=stamp)
    sources = write_sources(
        tmp_path, [("etag-feed", server.url("/etag.xml")), ("lm-feed", server.url("/lm.xml"))]
    )
    db = tmp_path / "t.db"

    first = by_name(run(db, sources))
    assert (first["etag-feed"].status, first["etag-feed"].new) == ("ok", 3)
    assert (first["lm-feed"].status, first["lm-feed"].new) == ("ok", 2)
    assert count(db, "etag-feed") == 3 and count(db, "lm-feed") == 2
    assert "If-None-Match" not in server.hits("/etag.xml")[0].headers

    second = by_name(run(db, sources))
    assert second["etag-feed"].status == "not modified" and second["etag-feed"].new == 0
    assert second["lm-feed"].status == "not modified" and second["lm-feed"].new == 0
    etag_req = server.hits("/etag.xml")[1].headers
    assert etag_req["If-None-Match"] == '"v1"' and etag_req["If-Modified-Since"] == stamp
    assert server.hits("/lm.xml")[1].headers["If-Modified-Since"] == stamp
    assert count(db) == 5
    # The stored posts carry what the feed said, under the configured name.
    text, url = sqlite3.connect(db).execute("SELECT text, url FROM posts WHERE url LIKE '%/a2'").fetchone()
    assert "Kazatomprom" in text and url == "https://example.org/news/a2"


def test_a_changed_feed_adds_only_its_new_items(server, tmp_path):
    route = Route(rss(ITEMS), etag='"v1"')
    server.routes["/feed.xml"] = route
    sources = write_sources(tmp_path, [("news", server.url("/feed.xml"))])
    db = tmp_path / "t.db"
    assert run(db, sources).sources[0].new == 3

    more = [
        *ITEMS,
        ("a4", "Tokayev visits Baku", "Talks on the Trans-Caspian route."),
        ("a5", "Wheat to Iran", "Exports up."),
    ]
    route.body, route.etag = rss(more), '"v2"'
    result = run(db, sources).sources[0]
    assert (result.status, result.new, result.updated, result.unchanged) == ("ok", 2, 0, 3)
    assert count(db) == 5
    assert server.hits("/feed.xml")[1].headers["If-None-Match"] == '"v1"'


def test_a_server_without_conditional_support_still_stores_nothing_twice(server, tmp_path):
    server.routes["/plain.xml"] = Route(rss(ITEMS), gzip=True)  # no ETag, no Last-Modified; gzip body
    sources = write_sources(tmp_path, [("plain", server.url("/plain.xml"))])
    db = tmp_path / "t.db"
    assert run(db, sources).sources[0].new == 3
    again = run(db, sources).sources[0]
    assert (again.status, again.new, again.unchanged) == ("ok", 0, 3)
    assert server.hits("/plain.xml")[0].headers.get("Accept-Encoding", "").startswith("gzip")


def test_misbehaving_servers_each_give_one_clear_line_and_the_others_complete(server, tmp_path):
    html = b"<!doctype html><html><head><title>Oops</title></head><body><p>Not a feed</p></body></html>"
    server.routes.update(
        {
            "/good.xml": Route(rss(ITEMS)),
            "/500.xml": Route(rss(ITEMS), status=500),
            "/slow.xml": Route(rss(ITEMS), delay=1.0),
            "/cut.xml": Route(rss(ITEMS), truncate=True),
            "/page.html": Route(html, content_type="text/html; charset=utf-8"),
            "/huge.xml": Route(b"<rss>" + b"x" * 10_000_000),
            "/huge-stream.xml": Route(b"<rss>" + b"x" * 10_000_000, no_length=True),
            "/good2.xml": Route(rss(ITEMS[:1])),
        }
    )
    names = ["good", "500", "slow", "cut", "page", "huge", "huge-stream", "good2"]
    paths = [
        "/good.xml",
        "/500.xml",
        "/slow.xml",
        "/cut.xml",
        "/page.html",
        "/huge.xml",
        "/huge-stream.xml",
        "/good2.xml",
    ]
    sources = write_sources(tmp_path, [(n, server.url(p)) for n, p in zip(names, paths, strict=True)])
    db = tmp_path / "t.db"

    started = time.monotonic()
    report = run(db, sources)
    assert time.monotonic() - started < 10
    r = by_name(report)
    assert report.exit_code == 2
    assert {s.label for s in report.failed} == {"500", "slow", "cut", "page", "huge", "huge-stream"}
    assert (r["good"].new, r["good2"].new) == (3, 1)
    assert count(db) == 4

    def line(name: str) -> str:
        message = r[name].problems[0]
        assert "\n" not in message
        return message

    assert "HTTP 500" in line("500") and "tried 3 times" in line("500")
    assert len(server.hits("/500.xml")) == 3  # retries: 2
    assert "timed out after 0.4 s" in line("slow") and len(server.hits("/slow.xml")) == 3
    assert "cut short" in line("cut")
    assert "not an RSS or Atom feed" in line("page") and "text/html" in line("page")
    assert "too large" in line("huge") and "10 MB" in line("huge") and "5 MB limit" in line("huge")
    assert "too large" in line("huge-stream") and "5 MB limit" in line("huge-stream")
    for name in names:
        assert line(name).startswith(server.url("")) if r[name].failed else not r[name].problems

    # A failed source keeps no cursor: the next run asks again, unconditionally.
    with Store.open(db) as store:
        assert store.get_cursor("feed:500") is None
        assert store.get_cursor("feed:good") is not None


def test_a_transient_error_is_retried_and_then_succeeds(server, tmp_path):
    server.routes["/flaky.xml"] = Route(rss(ITEMS), fail_times=2, fail_status=503)
    sources = write_sources(tmp_path, [("flaky", server.url("/flaky.xml"))])
    result = run(tmp_path / "t.db", sources).sources[0]
    assert (result.status, result.new) == ("ok", 3)
    assert len(server.hits("/flaky.xml")) == 3


def test_a_404_is_not_retried(server, tmp_path):
    sources = write_sources(tmp_path, [("gone", server.url("/missing.xml"))])
    result = run(tmp_path / "t.db", sources).sources[0]
    assert result.failed and "HTTP 404" in result.problems[0] and "tried" not in result.problems[0]
    assert len(server.hits("/missing.xml")) == 1


def test_requests_to_one_host_are_spaced_by_the_rate_limit(server, tmp_path):
    for i in range(3):
        server.routes[f"/f{i}.xml"] = Route(rss(ITEMS))
    http = FAST_HTTP.replace("per_host_interval: 0", "per_host_interval: 0.25")
    sources = write_sources(tmp_path, [(f"f{i}", server.url(f"/f{i}.xml")) for i in range(3)], http=http)
    run(tmp_path / "t.db", sources)
    times = [h.at for h in server.log]
    assert len(times) == 3
    assert all(b - a >= 0.24 for a, b in zip(times, times[1:], strict=False))


ARTICLE = """<!doctype html><html><head><title>{title}</title></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>{title}</h1>
<p>{lead}</p>
<p>The agreement covers the supply of natural uranium for fifteen years and includes a joint venture
for fuel assembly production. Officials said the first deliveries are planned for next spring.</p>
<p>Analysts in Almaty noted that the deal strengthens the eastern vector of the country's foreign
policy while contracts with European utilities remain in force.</p>
</article><footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""


def test_fetch_articles_takes_the_page_text_and_falls_back_to_the_summary(server, tmp_path):
    base = server.url("/news/")
    server.routes["/feed.xml"] = Route(rss(ITEMS[:2], link_base=base))
    server.routes["/news/a1"] = Route(
        ARTICLE.format(title=ITEMS[0][1], lead="Leaders of Central Asia met in Astana.").encode(),
        content_type="text/html; charset=utf-8",
    )
    # /news/a2 is missing at first: the item keeps its feed summary and is tried again later.
    extra = ""
    sources = write_sources(tmp_path, [], extra=extra)
    sources.write_text(
        FAST_HTTP + f"feeds:\n  - name: news\n    url: {server.url('/feed.xml')}\n    fetch_articles: true\n"
    )
    db = tmp_path / "t.db"
    result = run(db, sources).sources[0]
    assert (result.status, result.new, result.articles, result.article_fallbacks) == ("ok", 2, 1, 1)
    assert len(result.problems) == 1 and "HTTP 404" in result.problems[0] and "summary" in result.problems[0]
    con = sqlite3.connect(db)
    a1 = con.execute("SELECT text FROM posts WHERE url LIKE '%/a1'").fetchone()[0]
    assert "fifteen years" in a1 and a1.startswith(ITEMS[0][1])
    assert "Copyright" not in a1 and "Home" not in a1
    a2 = con.execute("SELECT text FROM posts WHERE url LIKE '%/a2'").fetchone()[0]
    assert "Kazatomprom signed" in a2

    # Next run: the stored article is not fetched again; the failed one is, and now it works.
    server.routes["/news/a2"] = Route(
        ARTICLE.format(title=ITEMS[1][1], lead="Kazatomprom signed new supply contracts.").encode(),
        content_type="text/html",
    )
    again = run(db, sources).sources[0]
    assert (again.new, again.updated, again.unchanged, again.articles) == (0, 1, 1, 1)
    assert len(server.hits("/news/a1")) == 1 and len(server.hits("/news/a2")) == 2
    a2 = con.execute("SELECT text FROM posts WHERE url LIKE '%/a2'").fetchone()[0]
    assert "fifteen years" in a2


def test_since_keeps_only_recent_items(server, tmp_path):
    server.routes["/feed.xml"] = Route(rss(ITEMS))  # dated 1, 2 and 3 January 2024
    sources = write_sources(tmp_path, [("news", server.url("/feed.xml"))])
    from multivector.collect import parse_since

    options = CollectOptions(ingest=OPTIONS.ingest, since=parse_since("2024-01-02"))
    assert run(tmp_path / "t.db", sources, options).sources[0].new == 2


def test_a_feed_cut_short_without_a_length_keeps_its_items_but_not_its_etag(server, tmp_path):
    body = rss(ITEMS)
    route = Route(
        body[: body.index(b"<item>", body.index(b"<item>") + 10) + 200], etag='"v1"', no_length=True
    )
    server.routes["/cut.xml"] = route
    sources = write_sources(tmp_path, [("cut", server.url("/cut.xml"))])
    db = tmp_path / "t.db"
    result = run(db, sources).sources[0]
    assert result.status == "ok" and result.new >= 1
    assert any("not well-formed XML" in p for p in result.problems)
    # The next request is not conditional: a 304 would hide the items this body lost.
    route.body = body
    again = run(db, sources).sources[0]
    assert "If-None-Match" not in server.hits("/cut.xml")[1].headers
    assert again.new == 3 - result.new and count(db) == 3


def test_an_item_dated_outside_the_calendar_is_reported_and_the_feed_kept(server, tmp_path):
    # A year 0 and a "9999-12-31 -05:00" (year 10000 in UTC) once failed the whole feed.
    body = rss(ITEMS).replace(b"Mon, 01 Jan 2024 10:00:00 GMT", b"Mon, 01 Jan 0000 10:00:00 GMT")
    body = body.replace(b"</channel>", b"<item><guid>late</guid><title>Far future</title>"
                        b"<dc:date xmlns:dc='http://purl.org/dc/elements/1.1/'>9999-12-31T23:59:59-05:00</dc:date>"
                        b"</item></channel>")  # fmt: skip
    server.routes["/dates.xml"] = Route(body)
    server.routes["/fine.xml"] = Route(rss(ITEMS[:1], link_base="https://example.org/other/"))
    sources = write_sources(
        tmp_path, [("dates", server.url("/dates.xml")), ("fine", server.url("/fine.xml"))]
    )
    db = tmp_path / "t.db"
    r = by_name(run(db, sources))
    assert (r["dates"].status, r["dates"].new, r["fine"].new) == ("ok", 2, 1)
    assert not r["dates"].failed and len(r["dates"].problems) == 2
    assert all("date is" in p for p in r["dates"].problems)
    assert count(db, "dates") == 2


def test_the_example_sources_file_in_the_docs_is_valid():
    example = Path(__file__).resolve().parents[1] / "docs" / "sources.example.yaml"
    env = {"MULTIVECTOR_TG_API_ID": "1", "MULTIVECTOR_TG_API_HASH": "0123456789abcdef0123456789abcdef"}
    config = load_config(example, env=env)
    assert config.feeds and config.telegram
