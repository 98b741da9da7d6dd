"""Safe by default: who may use the desk, and what a browser may do with its pages.

Bound to a loopback address the desk is open to the local user, as the Dagster UI is. Bound
elsewhere, ``medradar serve`` refuses to start without a token (``MEDRADAR_API_TOKEN``); with
one, the API wants ``Authorization: Bearer <token>`` and the pages a session cookie set by
logging in with the token. Every response carries a Content-Security-Policy without inline
scripts, and state-changing requests from another origin are refused (a web page elsewhere
cannot make the analyst's browser save or delete watches).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.requests import Request

SESSION_COOKIE = "medradar_session"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# Paths anyone may reach: the login form and the stylesheet it uses.
PUBLIC_PATHS = ("/login", "/static/")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Access:
    """The token the desk wants (None: open, for a loopback binding only)."""

    token: str | None = field(default=None, repr=False)

    @property
    def required(self) -> bool:
        return self.token is not None

    def session(self) -> str:
        """The cookie value a login sets: derived from the token, so it is never the token itself
        and changes when the token does."""
        assert self.token is not None
        return hmac.new(self.token.encode(), b"medradar-session", hashlib.sha256).hexdigest()

    def token_matches(self, offered: str) -> bool:
        return self.token is not None and hmac.compare_digest(offered.encode(), self.token.encode())

    def allows(self, request: Request) -> bool:
        if not self.required or request.url.path.startswith(PUBLIC_PATHS):
            return True
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.token_matches(credentials.strip()):
            return True
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self.session().encode())


def cross_origin(request: Request) -> bool:
    """A state-changing request sent by a page of another origin."""
    if request.method not in UNSAFE_METHODS:
        return False
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:  # browsers say where a request comes from
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False  # not a browser form or fetch (curl, API clients)
    return origin == "null" or urlsplit(origin).netloc != request.headers.get("host", "")


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only (never //evil.example)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
