"""Polite HTTP for feeds and article pages, on the standard library.

- Conditional requests: the caller passes the ETag and Last-Modified of the last answer; a
  304 comes back as `FetchResult.not_modified` with no body.
- A per-host rate limit: at least `per_host_interval` seconds between two requests to a host.
- Timeouts for connecting and for each read; retries with exponential backoff on 5xx, 429,
  timeouts, dropped connections and bodies cut short (Retry-After is honoured up to a minute).
- A maximum body size: a declared Content-Length over the limit is refused before reading, and
  no more than limit + 1 bytes are ever read (after gzip decoding too).

Every failure is a `FetchError` whose message is one line a user can act on.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

from multivector.sources.collect_config import HttpOptions

_CHUNK = 64 * 1024
MAX_RETRY_AFTER = 60.0


class FetchError(Exception):
    """A URL could not be fetched; the message is one line."""


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


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + " MB"


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value and value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_AFTER)
    return None


class HttpClient:
    """Fetches URLs one at a time. `sleep` and `clock` can be replaced (tests use tiny waits)."""

    def __init__(
        self,
        options: HttpOptions,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        notify: Callable[[str], None] | None = None,
    ):
        self.options = options
        self.sleep = sleep
        self.clock = clock
        self.notify = notify or (lambda message: None)
        self._last_request: dict[str, float] = {}
        # Honours the usual proxy variables and follows redirects.
        self._opener = urllib.request.build_opener()
        self.requests = 0

    # ---- the rate limit ----------------------------------------------------------------------
    def _wait_for_host(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            wait = self.options.per_host_interval - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)
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
    ) -> FetchResult:
        """GET a URL with retries; raises FetchError with a one-line reason."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {url!r}")
        host = f"{parts.hostname.lower()}:{parts.port or ''}"
        attempts = self.options.retries + 1
        for attempt in range(attempts):
            self._wait_for_host(host)
            try:
                return self._get_once(url, max_bytes, etag, modified, accept)
            except _Transient as e:
                if attempt + 1 >= attempts:
                    tries = f" (tried {attempts} times)" if attempts > 1 else ""
                    raise FetchError(f"{e}{tries}") from None
                wait = self.options.backoff * (2**attempt)
                if e.retry_after is not None:
                    wait = max(wait, e.retry_after)
                self.notify(f"{url}: {e}; retrying in {wait:g} s")
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _get_once(
        self, url: str, max_bytes: int, etag: str | None, modified: str | None, accept: str
    ) -> FetchResult:
        headers = {
            "User-Agent": self.options.user_agent,
            "Accept": accept,
            "Accept-Encoding": "gzip, deflate",
        }
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        request = urllib.request.Request(url, headers=headers)
        timeout = self.options.timeout
        self.requests += 1
        try:
            response = self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as e:
            with e:
                if e.code == 304:
                    return FetchResult(
                        url=e.url or url, status=304, not_modified=True,
                        etag=e.headers.get("ETag") or etag,
                        last_modified=e.headers.get("Last-Modified") or modified,
                    )  # fmt: skip
                message = f"HTTP {e.code} {e.reason}".rstrip()
                if e.code >= 500 or e.code in (408, 429):
                    raise _Transient(message, _retry_after(e.headers)) from None
                raise FetchError(message) from None
        except urllib.error.URLError as e:
            raise self._classify(e.reason, timeout) from None
        except (TimeoutError, OSError, http.client.HTTPException) as e:
            raise self._classify(e, timeout) from None

        with response:
            return self._read(response, url, max_bytes, timeout)

    def _read(self, response, url: str, max_bytes: int, timeout: float) -> FetchResult:
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
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
                if received > max_bytes:
                    raise FetchError(f"too large: more than the {_mb(max_bytes)} limit")
        except http.client.IncompleteRead as e:
            raise _Transient(f"response cut short after {received + len(e.partial)} bytes") from None
        except (TimeoutError, OSError, http.client.HTTPException) as e:
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
            url=response.geturl() or url, status=response.status, body=body,
            etag=info.get("ETag"), last_modified=info.get("Last-Modified"),
            content_type=content_type, charset=info.get_content_charset(),
        )  # fmt: skip

    @staticmethod
    def _classify(reason: object, timeout: float, reading: bool = False) -> Exception:
        """A low-level network error -> a retryable _Transient or a final FetchError."""
        if isinstance(reason, TimeoutError | socket.timeout) or "timed out" in str(reason):
            what = "reading the response" if reading else "waiting for the server"
            return _Transient(f"timed out after {timeout:g} s {what}")
        if isinstance(reason, ssl.SSLCertVerificationError):
            return FetchError(f"TLS certificate problem: {reason.verify_message or reason}")
        if isinstance(reason, socket.gaierror):
            return FetchError(f"cannot resolve the host name ({reason.strerror or reason})")
        if isinstance(reason, ConnectionRefusedError):
            return _Transient("connection refused")
        if isinstance(reason, ConnectionError | http.client.HTTPException | OSError):
            text = str(reason) or type(reason).__name__
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


def extract_article(result: FetchResult) -> str:
    """The main text of an HTML page; raises FetchError when there is none to take."""
    if result.content_type and result.content_type not in _HTML_TYPES:
        raise FetchError(f"not an HTML page ({result.content_type})")
    try:
        import trafilatura
    except ImportError:
        raise FetchError("fetch_articles needs trafilatura: pip install 'multivector[articles]'") from None
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
