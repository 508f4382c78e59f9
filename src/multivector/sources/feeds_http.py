"""Polite, bounded HTTP for feeds and article pages, on the standard library.

- Conditional requests: the caller passes the ETag and Last-Modified of the last answer; a
  304 comes back as `FetchResult.not_modified` with no body.
- A per-host rate limit: at least `per_host_interval` seconds between two requests to a host.
- Time limits: `timeout` for connecting and for each read, and a total deadline per request
  (name lookup, connect, TLS, headers, body and redirects together) that holds even against a
  server that trickles one byte at a time: a watchdog shuts the socket down when it passes.
  The caller may pass an outer deadline too (the source's or the run's); retries and backoff
  never go past it.
- Retries with exponential backoff on 5xx, 429, timeouts, dropped connections and bodies cut
  short (Retry-After is honoured up to a minute).
- A maximum body size: a declared Content-Length over the limit is refused before reading, and
  no more than limit + 1 bytes are ever read (after gzip decoding too).
- Where it connects: only http(s), redirects followed by hand (at most `MAX_REDIRECTS`). Every
  host name is resolved once, every address is checked, and the connection goes to the checked
  address (the Host header and TLS SNI keep the name). Loopback, private, link-local,
  multicast, unspecified and other non-public addresses (IPv4 and IPv6, IPv4-mapped and other
  embeddings included) are refused unless the caller allows them: a feed must not be able to
  point the collector at the machine's own services or the cloud metadata endpoint.

Every failure is a `FetchError` whose message is one line a user can act on.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote, urljoin, urlsplit

from multivector.sources.collect_config import HttpOptions

_CHUNK = 64 * 1024
MAX_RETRY_AFTER = 60.0
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}

Resolver = Callable[[str, int], list[str]]
Connector = Callable[[tuple[str, int], float], socket.socket]


class FetchError(Exception):
    """A URL could not be fetched; the message is one line."""


class RefusedAddress(FetchError):
    """The URL leads to an address this source may not reach (loopback, private ...)."""


class _Transient(Exception):
    """A failure worth another try (5xx, timeout, dropped connection)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    charset: str | None = None
    not_modified: bool = False


@dataclass(frozen=True)
class Deadline:
    """An outer time limit (the source's or the run's): a `time.monotonic()` value and its name."""

    at: float
    reason: str  # "the source's time limit (limits.source: 600 s)"


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + " MB"


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value and value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_AFTER)
    return None


# ---- which addresses may be connected to ----------------------------------------------------
def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, 6to4, NAT64), if any."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    value = int(addr)
    if value >> 32 == 0 and value > 1:  # ::a.b.c.d, the deprecated IPv4-compatible form
        return ipaddress.IPv4Address(value)
    if addr in ipaddress.IPv6Network("64:ff9b::/96"):  # NAT64
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def address_problem(ip: str) -> str | None:
    """Why an address is not a public one ("loopback", "private" ...), or None when it is."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])  # an IPv6 zone (%eth0) is not part of it
    except ValueError:
        return "unparseable"
    if isinstance(addr, ipaddress.IPv6Address):
        inner = _embedded_ipv4(addr)
        if inner is not None:  # ::ffff:127.0.0.1 is loopback as much as 127.0.0.1 is; judge the inner one
            return address_problem(str(inner))
    for kind, test in (
        ("unspecified", addr.is_unspecified),
        ("loopback", addr.is_loopback),
        ("link-local", addr.is_link_local),
        ("multicast", addr.is_multicast),
        ("private", addr.is_private),
        ("reserved", addr.is_reserved),
        ("site-local", isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local),
    ):
        if test:
            return kind
    if not addr.is_global:
        return "non-public"
    return None


def is_local_url(url: str) -> bool:
    """True when a URL names a non-public address itself (http://127.0.0.1/, http://localhost/)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return address_problem(host) is not None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address of a host name, in the order the system prefers them."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in out:
            out.append(sockaddr[0])
    return out


def system_connector(address: tuple[str, int], timeout: float) -> socket.socket:
    return socket.create_connection(address, timeout)


# ---- the per-request watchdog -----------------------------------------------------------------
class _Watchdog:
    """Shuts a request's socket down when its deadline passes, whatever the socket is waiting for.

    A per-read timeout cannot stop a server that sends a byte every few seconds; shutting the
    socket down from a timer thread ends any blocked read (plain or TLS) at once.
    """

    def __init__(self, seconds: float):
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        # A duplicate: TLS wrapping takes the original over, and shutdown acts on the socket
        # itself, not on one descriptor of it.
        dup = sock.dup()
        with self._lock:
            self._socks.append(dup)
            if self.expired:
                self._shutdown(dup)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._socks:
                sock.close()
            self._socks.clear()


@dataclass
class _Proxy:
    host: str
    port: int
    auth: str | None  # a ready Proxy-Authorization value


class HttpClient:
    """Fetches URLs one at a time.

    `sleep` and `clock` can be replaced (tests use tiny waits); so can `resolver` (host, port ->
    addresses) and `connector` ((address, port), timeout -> connected socket), which tests use
    to see where a request would go without sending anything off this machine.
    """

    def __init__(
        self,
        options: HttpOptions,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        notify: Callable[[str], None] | None = None,
        *,
        request_deadline: float = 60.0,
        resolver: Resolver = system_resolver,
        connector: Connector = system_connector,
        ssl_context: ssl.SSLContext | None = None,
        proxies: dict[str, str] | None = None,
    ):
        self.options = options
        self.sleep = sleep
        self.clock = clock
        self.notify = notify or (lambda message: None)
        self.request_deadline = request_deadline
        self.resolver = resolver
        self.connector = connector
        self.ssl_context = ssl_context or ssl.create_default_context()
        # The usual proxy variables (http_proxy, https_proxy, no_proxy), read once.
        self.proxies = urllib.request.getproxies() if proxies is None else proxies
        self._last_request: dict[str, float] = {}
        self.requests = 0

    # ---- the rate limit ----------------------------------------------------------------------
    def _wait_for_host(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            wait = self.options.per_host_interval - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)
        # Stamped again when the connection is made (see _request): the spacing is between
        # the requests the server sees, not between the calls.
        self._last_request[host] = self.clock()

    # ---- fetching ----------------------------------------------------------------------------
    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        etag: str | None = None,
        modified: str | None = None,
        accept: str = "*/*",
        allow_private: bool = False,
        deadline: Deadline | None = None,
    ) -> FetchResult:
        """GET a URL with retries; raises FetchError with a one-line reason.

        `allow_private` lets the request (and its redirects) reach non-public addresses.
        `deadline` bounds all attempts together; each attempt also has the request deadline.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {url!r}")
        host = f"{parts.hostname.lower()}:{parts.port or ''}"
        attempts = self.options.retries + 1
        for attempt in range(attempts):
            if deadline is not None and self.clock() >= deadline.at:
                raise FetchError(f"not fetched: {deadline.reason} was reached")
            self._wait_for_host(host)
            try:
                return self._attempt(url, max_bytes, etag, modified, accept, allow_private, deadline)
            except _Transient as e:
                tries = f" (tried {attempt + 1} times)" if attempt else ""
                if attempt + 1 >= attempts:
                    raise FetchError(f"{e}{tries}") from None
                wait = self.options.backoff * (2**attempt)
                if e.retry_after is not None:
                    wait = max(wait, e.retry_after)
                if deadline is not None and self.clock() + wait >= deadline.at:
                    raise FetchError(
                        f"{e}{tries}; no time for another try before {deadline.reason}"
                    ) from None
                self.notify(f"{url}: {e}; retrying in {wait:g} s")
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _attempt(
        self,
        url: str,
        max_bytes: int,
        etag: str | None,
        modified: str | None,
        accept: str,
        allow_private: bool,
        outer: Deadline | None,
    ) -> FetchResult:
        """One try: the request and its redirects, within one request deadline."""
        limit = self.request_deadline
        ends = self.clock() + limit
        reason = f"the request took more than {limit:g} s in all (limits.request)"
        if outer is not None and outer.at < ends:
            ends, reason = outer.at, outer.reason + " was reached"
        watchdog = _Watchdog(ends - self.clock())
        try:
            current = url
            for _ in range(MAX_REDIRECTS + 1):
                result = self._request(
                    current, max_bytes, etag, modified, accept, allow_private, ends, reason, watchdog
                )
                if isinstance(result, FetchResult):
                    return result
                target = urljoin(current, result)
                scheme = urlsplit(target).scheme.lower()
                if scheme not in ("http", "https") or not urlsplit(target).hostname:
                    raise FetchError(f"redirected to {target!r}: only http(s) redirects are followed")
                current = target
            raise FetchError(f"more than {MAX_REDIRECTS} redirects")
        finally:
            watchdog.close()

    def _request(
        self,
        url: str,
        max_bytes: int,
        etag: str | None,
        modified: str | None,
        accept: str,
        allow_private: bool,
        ends: float,
        reason: str,
        watchdog: _Watchdog,
    ) -> FetchResult | str:
        """One HTTP exchange: a FetchResult, or the Location of a redirect."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        hostname = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        headers = {
            "User-Agent": self.options.user_agent,
            "Accept": accept,
            "Accept-Encoding": "gzip, deflate",
            "Connection": "close",
        }
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query

        def remaining() -> float:
            left = ends - self.clock()
            if left <= 0 or watchdog.expired:
                raise _Transient(f"timed out: {reason}")
            return left

        proxy = self._proxy_for(scheme, hostname)
        if proxy is None:
            # Resolve once and check every address; the connection goes to a checked address.
            targets = self._checked_addresses(hostname, port, allow_private, remaining(), reason, url)
            conn_host, conn_port = hostname, port
        else:
            # The proxy connects and resolves the name itself: check what can be checked here
            # (a name this machine cannot resolve may still be known to the proxy). The proxy
            # itself is the user's own setting and is not checked.
            try:
                self._checked_addresses(hostname, port, allow_private, remaining(), reason, url)
            except RefusedAddress:
                raise
            except FetchError:
                pass
            conn_host, conn_port = proxy.host, proxy.port
            targets = self._resolve(proxy.host, proxy.port, remaining(), reason)
        timeout = min(self.options.timeout, remaining())
        if scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                conn_host, conn_port, timeout=timeout, context=self.ssl_context
            )
            if proxy is not None:
                tunnel_headers = {"Proxy-Authorization": proxy.auth} if proxy.auth else None
                conn.set_tunnel(hostname, port, headers=tunnel_headers)
        else:
            conn = http.client.HTTPConnection(conn_host, conn_port, timeout=timeout)
            if proxy is not None:
                path = url  # a plain-http proxy takes the whole URL
                if proxy.auth:
                    headers["Proxy-Authorization"] = proxy.auth

        def create_connection(address, timeout, source_address=None) -> socket.socket:
            last: OSError | None = None
            for ip in targets:
                try:
                    sock = self.connector((ip, address[1]), min(timeout, remaining()))
                except OSError as e:
                    last = e
                    continue
                watchdog.watch(sock)
                self._last_request[f"{hostname.lower()}:{parts.port or ''}"] = self.clock()
                return sock
            raise last or OSError(f"no address for {address[0]}")

        conn._create_connection = create_connection  # type: ignore[attr-defined]
        self.requests += 1
        try:
            try:
                remaining()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
            except _Transient:
                raise
            except (TimeoutError, OSError, http.client.HTTPException) as e:
                if watchdog.expired or self.clock() >= ends:
                    raise _Transient(f"timed out: {reason}") from None
                raise self._classify(e, timeout) from None
            status = response.status
            if status in _REDIRECTS:
                location = (response.headers.get("Location") or "").strip()
                if not location:
                    raise FetchError(f"HTTP {status} redirect without a Location")
                return location
            if status == 304:
                return FetchResult(
                    url=url, status=304, not_modified=True,
                    etag=response.headers.get("ETag") or etag,
                    last_modified=response.headers.get("Last-Modified") or modified,
                )  # fmt: skip
            if status >= 400:
                message = f"HTTP {status} {response.reason}".rstrip()
                if status >= 500 or status in (408, 429):
                    raise _Transient(message, _retry_after(response.headers))
                raise FetchError(message)
            return self._read(response, url, max_bytes, timeout, ends, reason, watchdog)
        finally:
            conn.close()

    def _read(
        self,
        response: http.client.HTTPResponse,
        url: str,
        max_bytes: int,
        timeout: float,
        ends: float,
        reason: str,
        watchdog: _Watchdog,
    ) -> FetchResult:
        info = response.headers
        declared = info.get("Content-Length")
        length = int(declared) if declared and declared.strip().isdigit() else None
        encoding = (info.get("Content-Encoding") or "identity").strip().lower()
        if length is not None and length > max_bytes and encoding == "identity":
            raise FetchError(f"too large: {_mb(length)}, over the {_mb(max_bytes)} limit")
        chunks: list[bytes] = []
        received = 0
        try:
            while True:
                chunk = response.read(min(_CHUNK, max_bytes + 1 - received) or 1)
                if watchdog.expired or self.clock() >= ends:
                    raise _Transient(f"timed out after {received} bytes: {reason}")
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
                if received > max_bytes:
                    raise FetchError(f"too large: more than the {_mb(max_bytes)} limit")
        except http.client.IncompleteRead as e:
            if watchdog.expired:
                raise _Transient(f"timed out after {received} bytes: {reason}") from None
            raise _Transient(f"response cut short after {received + len(e.partial)} bytes") from None
        except (TimeoutError, OSError, http.client.HTTPException) as e:
            if watchdog.expired or self.clock() >= ends:
                raise _Transient(f"timed out after {received} bytes: {reason}") from None
            raise self._classify(e, timeout, reading=True) from None
        if length is not None and received < length:
            raise _Transient(f"response cut short: got {received} of {length} bytes")
        body = b"".join(chunks)
        if encoding in ("gzip", "x-gzip", "deflate"):
            body = _decompress(body, encoding, max_bytes)
        elif encoding != "identity":
            raise FetchError(f"unsupported Content-Encoding {encoding!r}")
        content_type = info.get_content_type() if info.get("Content-Type") else None
        return FetchResult(
            url=url, status=response.status, body=body,
            etag=info.get("ETag"), last_modified=info.get("Last-Modified"),
            content_type=content_type, charset=info.get_content_charset(),
        )  # fmt: skip

    # ---- addresses and proxies ---------------------------------------------------------------
    def _resolve(self, host: str, port: int, seconds: float, reason: str) -> list[str]:
        """The addresses of `host`, within `seconds` (the system resolver has no timeout)."""
        try:
            ipaddress.ip_address(host)
            return [host]
        except ValueError:
            pass
        box: dict[str, object] = {}

        def lookup() -> None:
            try:
                box["addresses"] = self.resolver(host, port)
            except Exception as e:  # noqa: BLE001 - handed to the caller's thread
                box["error"] = e

        thread = threading.Thread(target=lookup, daemon=True)
        thread.start()
        thread.join(seconds)
        if thread.is_alive():
            raise _Transient(f"timed out looking up {host}: {reason}")
        error = box.get("error")
        if isinstance(error, socket.gaierror):
            raise FetchError(f"cannot resolve the host name {host} ({error.strerror or error})")
        if isinstance(error, Exception):
            raise FetchError(f"cannot resolve the host name {host} ({error})")
        addresses = box.get("addresses") or []
        if not addresses:
            raise FetchError(f"cannot resolve the host name {host} (no addresses)")
        return list(addresses)  # type: ignore[call-overload]

    def _checked_addresses(
        self, host: str, port: int, allow_private: bool, seconds: float, reason: str, url: str
    ) -> list[str]:
        addresses = self._resolve(host, port, seconds, reason)
        if allow_private:
            return addresses
        for ip in addresses:
            problem = address_problem(ip)
            if problem:
                where = host if host == ip else f"{host} ({ip})"
                raise RefusedAddress(
                    f"refused {url}: {where} is a {problem} address "
                    "(set allow_private: true on the source to allow it)"
                )
        return addresses

    def _proxy_for(self, scheme: str, host: str) -> _Proxy | None:
        value = self.proxies.get(scheme) or self.proxies.get("all")
        if not value or urllib.request.proxy_bypass(host):
            return None
        if "://" not in value:
            value = "http://" + value
        parts = urlsplit(value)
        if not parts.hostname:
            return None
        auth = None
        if parts.username is not None:
            token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            auth = "Basic " + base64.b64encode(token).decode("ascii")
        return _Proxy(parts.hostname, parts.port or 8080, auth)

    @staticmethod
    def _classify(reason: object, timeout: float, reading: bool = False) -> Exception:
        """A low-level network error -> a retryable _Transient or a final FetchError."""
        if isinstance(reason, TimeoutError | socket.timeout) or "timed out" in str(reason):
            what = "reading the response" if reading else "waiting for the server"
            return _Transient(f"timed out after {timeout:g} s {what}")
        if isinstance(reason, ssl.SSLCertVerificationError):
            return FetchError(f"TLS certificate problem: {reason.verify_message or reason}")
        if isinstance(reason, ConnectionRefusedError):
            return _Transient("connection refused")
        if isinstance(reason, ConnectionError | http.client.HTTPException | OSError):
            text = " ".join(str(reason).split()) or type(reason).__name__
            return _Transient(f"connection failed ({text})")
        return FetchError(f"cannot fetch ({reason})")


def _decompress(body: bytes, encoding: str, max_bytes: int) -> bytes:
    wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
    try:
        d = zlib.decompressobj(wbits)
        out = d.decompress(body, max_bytes + 1)
    except zlib.error:
        if encoding == "deflate":  # some servers send raw deflate without the zlib header
            try:
                d = zlib.decompressobj(-zlib.MAX_WBITS)
                out = d.decompress(body, max_bytes + 1)
            except zlib.error as e:
                raise FetchError(f"body is not valid {encoding} ({e})") from None
        else:
            raise FetchError(f"body is not valid {encoding}") from None
    if len(out) > max_bytes or d.unconsumed_tail:
        raise FetchError(f"too large: more than the {_mb(max_bytes)} limit once decompressed")
    return out


# ---- articles ----------------------------------------------------------------------------------
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)


class ExtractorUnavailable(FetchError):
    """Article text cannot be extracted on this installation at all (not one page's fault)."""


def load_extractor():
    """The trafilatura module, or ExtractorUnavailable saying exactly why it cannot be imported.

    trafilatura itself may be installed while one of its own imports fails (lxml >= 5.2 without
    lxml_html_clean): that is reported as it is, not as "trafilatura is missing".
    """
    try:
        import trafilatura
    except ModuleNotFoundError as e:
        if e.name == "trafilatura":
            raise ExtractorUnavailable(
                "fetch_articles needs trafilatura: pip install -c constraints.txt 'multivector[articles]'"
            ) from None
        raise ExtractorUnavailable(_import_failure(e)) from None
    except Exception as e:  # noqa: BLE001 - an ImportError or whatever its import chain raises
        raise ExtractorUnavailable(_import_failure(e)) from None
    return trafilatura


def _import_failure(e: BaseException) -> str:
    detail = " ".join(str(e).split())
    return (
        f"trafilatura is installed but cannot be imported ({type(e).__name__}: {detail}); "
        "reinstall with: pip install -c constraints.txt 'multivector[articles]'"
    )


def extract_article(result: FetchResult) -> str:
    """The main text of an HTML page; raises FetchError when there is none to take.

    Raises ExtractorUnavailable (a FetchError) when trafilatura cannot be imported at all.
    """
    if result.content_type and result.content_type not in _HTML_TYPES:
        raise FetchError(f"not an HTML page ({result.content_type})")
    trafilatura = load_extractor()
    html = _decode_html(result.body, result.charset)
    try:
        text = trafilatura.extract(html, url=result.url, include_comments=False, include_tables=False)
    except Exception as e:  # noqa: BLE001 - a bad page must not stop the feed
        raise FetchError(f"text extraction failed ({type(e).__name__}: {e})") from None
    text = (text or "").strip()
    if not text:
        raise FetchError("no main text found on the page")
    return text


def _decode_html(body: bytes, charset: str | None) -> str:
    candidates = [charset] if charset else []
    m = _META_CHARSET.search(body[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "replace"))
    candidates.append("utf-8")
    for name in candidates:
        try:
            return body.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")
