"""Where `collect` may connect: only http(s), never to non-public addresses unless allowed.

Nothing here leaves 127.0.0.0/8. Host names are given addresses by an injected resolver, and
an injected connector records the address a request would go to and connects to the local test
server instead; refused addresses must never reach the connector at all.
"""

from __future__ import annotations

import socket
import sqlite3

import pytest

from multivector.collect import collect
from multivector.sources.collect_config import load_config
from multivector.sources.feeds_http import HttpClient, address_problem, is_local_url
from multivector.store.sqlite import Store
from test_collect_feeds import FAST_HTTP, ITEMS, OPTIONS, Route, no_proxy, rss  # noqa: F401 - a fixture
from test_collect_feeds import server as server  # noqa: F401 - a fixture

PUBLIC = "93.184.216.34"  # stands for a public web server; never connected to (see Recorder)
MIRROR = "151.101.1.1"


class Recorder:
    """Resolver and connector for HttpClient: fake DNS, and every connection diverted to 127.0.0.1."""

    def __init__(self, port: int, names: dict[str, list[str]]):
        self.port = port
        self.names = names
        self.lookups: list[str] = []
        self.connects: list[tuple[str, int]] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.names[host]

    def connect(self, address: tuple[str, int], timeout: float) -> socket.socket:
        self.connects.append(address)
        return socket.create_connection(("127.0.0.1", self.port), timeout)

    def client(self, config) -> HttpClient:
        return HttpClient(
            config.http, resolver=self.resolve, connector=self.connect, proxies={},
            request_deadline=config.limits.request,
        )  # fmt: skip


def run_feeds(tmp_path, recorder: Recorder, feeds: str):
    path = tmp_path / "sources.yaml"
    path.write_text(FAST_HTTP + "feeds:\n" + feeds, encoding="utf-8")
    config = load_config(path)
    with Store.open(tmp_path / "t.db") as store:
        report = collect(store, config, OPTIONS, http=recorder.client(config))
    return {s.label: s for s in report.sources}, report


@pytest.mark.parametrize(
    ("target", "names", "kind"),
    [
        ("http://169.254.169.254/latest/meta-data/", {}, "link-local"),
        (
            "http://metadata.internal/computeMetadata/v1/",
            {"metadata.internal": ["169.254.169.254"]},
            "link-local",
        ),
        ("http://intranet.example/admin", {"intranet.example": ["10.1.2.3"]}, "private"),
        ("http://db.example:5432/", {"db.example": ["192.168.0.10"]}, "private"),
        ("http://localhost:6379/", {"localhost": ["127.0.0.1"]}, "loopback"),
        ("http://[::1]:8080/", {}, "loopback"),
        ("http://[::ffff:127.0.0.1]/", {}, "loopback"),
        ("http://[::ffff:a9fe:a9fe]/", {}, "link-local"),
        ("http://[fe80::1]/", {}, "link-local"),
        ("http://[fd00::5]/", {}, "private"),
        ("http://0.0.0.0:80/", {}, "unspecified"),
        ("http://224.0.0.251/", {}, "multicast"),
        # A name with one public and one private address is refused as a whole.
        ("http://split.example/", {"split.example": [MIRROR, "172.16.5.4"]}, "private"),
    ],
)
def test_a_public_feed_cannot_redirect_to_a_non_public_address(server, tmp_path, target, names, kind):
    server.routes["/feed.xml"] = Route(status=302, location=target)
    recorder = Recorder(server.port, {"news.example": [PUBLIC], **names})
    results, report = run_feeds(tmp_path, recorder, "  - name: news\n    url: http://news.example/feed.xml\n")
    news = results["news"]
    assert news.failed and report.exit_code == 2
    assert "refused" in news.problems[0] and f"{kind} address" in news.problems[0], news.problems[0]
    assert "allow_private" in news.problems[0] and "\n" not in news.problems[0]
    # The first request went to the checked public address; the target was never connected to.
    assert recorder.connects == [(PUBLIC, 80)]
    assert len(server.hits("/feed.xml")) == 1


def test_redirects_to_other_schemes_are_not_followed(server, tmp_path):
    server.routes["/feed.xml"] = Route(status=301, location="ftp://files.example/feed.xml")
    server.routes["/file.xml"] = Route(status=302, location="file:///etc/passwd")
    recorder = Recorder(server.port, {"news.example": [PUBLIC]})
    results, _ = run_feeds(
        tmp_path, recorder,
        "  - name: ftp\n    url: http://news.example/feed.xml\n"
        "  - name: file\n    url: http://news.example/file.xml\n",
    )  # fmt: skip
    for name in ("ftp", "file"):
        assert results[name].failed and "only http(s) redirects are followed" in results[name].problems[0]
    assert "files.example" not in recorder.lookups
    assert all(address == (PUBLIC, 80) for address in recorder.connects)


def test_a_redirect_to_a_public_address_is_followed_with_the_right_host(server, tmp_path):
    server.routes["/feed.xml"] = Route(status=301, location="http://mirror.example/rss")
    server.routes["/rss"] = Route(rss(ITEMS))
    recorder = Recorder(server.port, {"news.example": [PUBLIC], "mirror.example": [MIRROR]})
    results, report = run_feeds(tmp_path, recorder, "  - name: news\n    url: http://news.example/feed.xml\n")
    assert (results["news"].status, results["news"].new) == ("ok", 3) and report.exit_code == 0
    assert recorder.connects == [(PUBLIC, 80), (MIRROR, 80)]
    # Connected by address, but the request still names the host it is for.
    assert server.hits("/feed.xml")[0].headers["Host"] == "news.example"
    assert server.hits("/rss")[0].headers["Host"] == "mirror.example"


def test_each_name_is_resolved_once_and_the_checked_address_is_used(server, tmp_path):
    """DNS rebinding: a second lookup that would answer 127.0.0.1 is never made."""
    server.routes["/feed.xml"] = Route(rss(ITEMS))
    answers = [[PUBLIC], ["127.0.0.1"]]

    recorder = Recorder(server.port, {})
    recorder.resolve = lambda host, port: (recorder.lookups.append(host), answers.pop(0))[1]  # type: ignore[method-assign]
    results, _ = run_feeds(tmp_path, recorder, "  - name: news\n    url: http://news.example/feed.xml\n")
    assert results["news"].status == "ok"
    assert recorder.lookups == ["news.example"] and recorder.connects == [(PUBLIC, 80)]


def test_allow_private_lets_an_intranet_feed_redirect_inside(server, tmp_path):
    server.routes["/feed.xml"] = Route(status=302, location="http://wiki.corp/rss")
    server.routes["/rss"] = Route(rss(ITEMS[:2]))
    recorder = Recorder(server.port, {"news.corp": ["10.0.0.2"], "wiki.corp": ["10.0.0.3"]})
    results, _ = run_feeds(
        tmp_path, recorder,
        "  - name: refused\n    url: http://news.corp/feed.xml\n"
        "  - name: allowed\n    url: http://news.corp/feed.xml\n    allow_private: true\n",
    )  # fmt: skip
    assert results["refused"].failed and "private address" in results["refused"].problems[0]
    assert (results["allowed"].status, results["allowed"].new) == ("ok", 2)
    assert recorder.connects == [("10.0.0.2", 80), ("10.0.0.3", 80)]


def test_article_links_to_private_addresses_are_refused_and_the_summary_kept(server, tmp_path):
    server.routes["/feed.xml"] = Route(rss(ITEMS[:2], link_base="http://169.254.169.254/latest/"))
    recorder = Recorder(server.port, {"news.example": [PUBLIC]})
    results, report = run_feeds(
        tmp_path,
        recorder,
        "  - name: news\n    url: http://news.example/feed.xml\n    fetch_articles: true\n",
    )
    news = results["news"]
    assert news.new == 2 and news.articles == 0 and news.article_fallbacks == 2
    assert sum("link-local address" in p for p in news.problems) == 2
    # No page could be used: reported, and the run does not pass for a success.
    assert news.status == "partial" and report.exit_code == 2
    assert recorder.connects == [(PUBLIC, 80)]
    texts = [t for (t,) in sqlite3.connect(tmp_path / "t.db").execute("SELECT text FROM posts")]
    assert any("Kazatomprom signed" in t for t in texts)


def test_a_local_test_feed_may_stay_local(server, tmp_path):
    """A source whose own URL is a loopback address (a test feed) may redirect on this machine."""
    server.routes["/old.xml"] = Route(status=308, location=server.url("/feed.xml"))
    server.routes["/feed.xml"] = Route(rss(ITEMS))
    results, _ = run_feeds(
        tmp_path, Recorder(server.port, {}), f"  - name: local\n    url: {server.url('/old.xml')}\n"
    )
    assert (results["local"].status, results["local"].new) == ("ok", 3)


@pytest.mark.parametrize(
    ("ip", "kind"),
    [
        ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("10.0.0.1", "private"),
        ("172.31.255.255", "private"), ("192.168.1.1", "private"), ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"),
        ("100.64.0.1", "non-public"), ("255.255.255.255", "private"), ("::1", "loopback"),
        ("::", "unspecified"), ("fe80::1%eth0", "link-local"), ("fc00::1", "private"), ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link-local"), ("::127.0.0.1", "loopback"),
        ("2002:7f00:1::", "loopback"), ("64:ff9b::a00:1", "private"), ("fec0::1", "site-local"),
    ],
)  # fmt: skip
def test_non_public_addresses(ip, kind):
    problem = address_problem(ip)
    assert problem is not None and problem.split(" ")[0] == kind


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses(ip):
    assert address_problem(ip) is None


def test_which_source_urls_count_as_local():
    assert is_local_url("http://127.0.0.1:8000/feed.xml") and is_local_url("http://localhost/x")
    assert is_local_url("http://[::1]/x") and is_local_url("http://192.168.1.5/rss")
    # A name is not trusted for what it resolves to: an intranet name needs allow_private.
    assert not is_local_url("http://intranet.example/rss") and not is_local_url("https://example.org/")


def test_through_a_proxy_names_only_the_proxy_knows_work_and_private_targets_are_still_refused(
    server, tmp_path, monkeypatch
):
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    # The local server plays the proxy: a plain-http proxy gets the whole URL as the path.
    server.routes["http://news.example/feed.xml"] = Route(rss(ITEMS))
    server.routes["http://news.example/moved.xml"] = Route(status=302, location="http://10.0.0.1/feed.xml")
    server.routes["http://news.example/inside.xml"] = Route(status=302, location="http://intranet.example/")
    recorder = Recorder(server.port, {"intranet.example": ["10.9.8.7"]})  # news.example: unknown here
    path = tmp_path / "sources.yaml"
    path.write_text(
        FAST_HTTP + "feeds:\n  - name: news\n    url: http://news.example/feed.xml\n"
        "  - name: moved\n    url: http://news.example/moved.xml\n"
        "  - name: inside\n    url: http://news.example/inside.xml\n",
        encoding="utf-8",
    )
    config = load_config(path)
    proxy = f"http://user:secret@127.0.0.1:{server.port}"
    http = HttpClient(
        config.http, resolver=recorder.resolve, connector=recorder.connect, proxies={"http": proxy}
    )
    with Store.open(tmp_path / "t.db") as store:
        results = {s.label: s for s in collect(store, config, OPTIONS, http=http).sources}
    assert (results["news"].status, results["news"].new) == ("ok", 3)
    hit = server.hits("http://news.example/feed.xml")[0]
    assert hit.headers["Host"] == "news.example" and hit.headers["Proxy-Authorization"].startswith("Basic ")
    assert results["moved"].failed and "10.0.0.1 is a private address" in results["moved"].problems[0]
    assert results["inside"].failed and "intranet.example (10.9.8.7)" in results["inside"].problems[0]
    assert not server.hits("http://10.0.0.1/feed.xml") and not server.hits("http://intranet.example/")
    assert set(recorder.connects) == {("127.0.0.1", server.port)}  # only ever the proxy


def test_https_to_a_checked_address_keeps_the_name_for_sni_and_the_certificate(tmp_path):
    import shutil
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from multivector.sources.collect_config import HttpOptions

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=news.example",
         "-addext", "subjectAltName=DNS:news.example", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    seen: dict[str, str | None] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            seen["host"] = self.headers.get("Host")
            body = rss(ITEMS)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    server_ctx.sni_callback = lambda sock, name, ctx: seen.__setitem__("sni", name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = server_ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        recorder = Recorder(httpd.server_address[1], {"news.example": [PUBLIC]})
        client_ctx = ssl.create_default_context(cafile=str(cert))
        http = HttpClient(
            HttpOptions(retries=0, per_host_interval=0), resolver=recorder.resolve, connector=recorder.connect,
            ssl_context=client_ctx, proxies={},
        )  # fmt: skip
        result = http.get("https://news.example/feed.xml", max_bytes=1_000_000)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.status == 200 and b"Kazatomprom" in result.body
    assert recorder.connects == [(PUBLIC, 443)]
    assert seen == {"sni": "news.example", "host": "news.example"}
