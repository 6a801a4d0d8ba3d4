"""Who is calling: resolves a staff session cookie or a bearer token into a `Staff`.

The cookie is named `id` because piccolo-admin reads the same cookie and session table, so
one sign-in covers the staff pages and the back office. Requests without credentials cost
no query. A bearer token that is unknown or revoked is refused with 401 at once; a stale
cookie just means "not signed in". On `/api/` a cookie only authenticates reads: writes need
a bearer token, so the JSON API needs no CSRF token and cannot be driven cross-site.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPResponseStartEvent, Receive, Scope, Send

from programmes.clock import Clock
from programmes.domain.access import Staff
from programmes.domain.accounts import staff_accounts
from programmes.web.security import full_path

SESSION_COOKIE = "id"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def session_cookie(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    try:
        cookie = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = cookie.get(SESSION_COOKIE)
    return morsel.value if morsel else None


class AuthenticationMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    #: Handlers that never look at the caller (/health) set this in `opt` and skip the
    #: session lookup. (The calendar feeds are outside this middleware altogether.)
    exclude_opt_key = "skip_authentication"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        staff: Staff | None = None
        method: str | None = None
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() == "bearer":
                staff = await staff_accounts.staff_for_api_token(token.strip(), now=self.clock())
            if staff is None:
                await _refuse(send, "Unknown or revoked API token.")
                return
            method = "token"
        else:
            cookie = session_cookie(scope)
            method_name = str(scope.get("method", "GET"))
            api_write = full_path(scope).startswith("/api/") and method_name not in _SAFE_METHODS
            if cookie and not api_write:
                staff = await staff_accounts.staff_for_session(cookie)
                method = "session" if staff else None
        scope["user"] = staff
        scope["auth"] = method
        await next_app(scope, receive, send)


async def _refuse(send: Send, detail: str) -> None:
    body = ('{"status_code":401,"detail":"' + detail + '"}').encode()
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 401,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b'Bearer realm="programmes"'),
            (b"cache-control", b"no-store"),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
