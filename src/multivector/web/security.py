"""Who may correct, and the headers every response carries.

The dashboard is read-only for everyone who can reach it. Corrections need the edit token given
at start (`--edit-token` or $MULTIVECTOR_EDIT_TOKEN): a person types it once on /login and gets
a signed session cookie (HttpOnly, SameSite=Strict) that names them as the author; a script
sends it as `Authorization: Bearer TOKEN`. Every form that changes something carries a CSRF
token tied to a random per-browser cookie (double submit, signed with a key that lives only in
this process), and a POST whose Origin is another site is refused before anything else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

SESSION_COOKIE = "mv_session"
CSRF_COOKIE = "mv_csrf"
SESSION_SECONDS = 12 * 3600
MIN_TOKEN_CHARS = 8

# No inline script anywhere; styles only from our own stylesheet; nothing from other hosts.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The report preview is the standalone report file (its CSS is inline, it has no script), shown in
# a frame of the /report page.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
    "frame-ancestors 'self'; base-uri 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def security_headers(path: str, content_type: str | None) -> dict[str, str]:
    if path.startswith("/report/view"):
        csp = REPORT_CSP
    elif path.startswith("/api/") or path == "/openapi.json":
        csp = API_CSP
    else:
        csp = PAGE_CSP
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",  # "no-referrer" makes Chromium send "Origin: null" on our own forms
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if not path.startswith("/report/view"):
        headers["X-Frame-Options"] = "DENY"
    return headers


@dataclass
class Session:
    author: str
    expires: int


class Guard:
    """Checks the edit token, issues and reads session cookies, makes and checks CSRF tokens."""

    def __init__(self, edit_token: str | None):
        self.edit_token = edit_token or None
        self._key = secrets.token_bytes(32)  # sessions end when the server stops

    @property
    def editing(self) -> bool:
        return self.edit_token is not None

    def token_ok(self, candidate: str | None) -> bool:
        if not self.edit_token or not candidate:
            return False
        return hmac.compare_digest(candidate.encode(), self.edit_token.encode())

    def bearer_ok(self, authorization: str | None) -> bool:
        if not authorization:
            return False
        scheme, _, value = authorization.partition(" ")
        return scheme.lower() == "bearer" and self.token_ok(value.strip())

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    # ---- sessions ------------------------------------------------------------------------------
    def new_session(self, author: str) -> str:
        expires = int(time.time()) + SESSION_SECONDS
        name = base64.urlsafe_b64encode(author.encode()).decode().rstrip("=")
        payload = f"{name}.{expires}"
        return f"{payload}.{self._sign('session:' + payload)}"

    def read_session(self, cookie: str | None) -> Session | None:
        if not cookie or not self.editing:
            return None
        payload, _, signature = cookie.rpartition(".")
        if not payload or not hmac.compare_digest(signature, self._sign("session:" + payload)):
            return None
        name, _, expires = payload.partition(".")
        try:
            author = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
            until = int(expires)
        except ValueError:
            return None
        if until < time.time():
            return None
        return Session(author, until)

    # ---- CSRF ----------------------------------------------------------------------------------
    @staticmethod
    def new_browser_id() -> str:
        return secrets.token_urlsafe(24)

    def csrf_token(self, browser_id: str) -> str:
        return self._sign("csrf:" + browser_id)

    def csrf_ok(self, browser_id: str | None, token: str | None) -> bool:
        if not browser_id or not token:
            return False
        return hmac.compare_digest(token, self.csrf_token(browser_id))


def same_origin(origin: str | None, host: str | None, scheme: str) -> bool:
    """True when a request's Origin header is absent or names this server."""
    if not origin:
        return True
    return host is not None and origin in (f"{scheme}://{host}", f"http://{host}", f"https://{host}")
