"""Security headers on every response (Litestar sends none by itself).

The back office (piccolo-admin, a Vue app) and the API docs need a looser content policy
than our own pages, so each gets its own. Responses that may carry personal data (staff
pages, API, admin) are marked `no-store` unless the handler chose a cache policy itself.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
ADMIN_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; font-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "font-src 'self' data: https://fonts.gstatic.com; connect-src 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)
PRIVATE_PREFIXES = ("/staff", "/api/", "/admin")


def full_path(scope: Scope) -> str:
    """The path the client asked for. Litestar hands a mounted app (piccolo-admin at /admin)
    and the middleware in front of it only the rest of the path ("/api/tables/…"), so rules
    by path prefix read the original."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else str(scope["path"])


def _encoded(headers: dict[str, str]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple(
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    )


def _defaults(csp: str, https: bool) -> tuple[tuple[bytes, bytes], ...]:
    headers = {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "DENY",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
    }
    if https:
        headers["strict-transport-security"] = "max-age=63072000"
    return _encoded(headers)


_NO_STORE = (b"cache-control", b"no-store")


def strict_headers(*, https: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The headers this middleware adds to our own pages, encoded: for the calendar feeds,
    which are served outside it and send them in prebuilt header lists, and for errors."""
    return _defaults(STRICT_CSP, https)


class SecurityHeadersMiddleware(ASGIMiddleware):
    """Adds each default header the response does not set itself (a handler's own value wins).

    Works on the raw header list: Litestar's MutableScopeHeaders.setdefault decodes and scans
    every header per call, which cost ~40 µs a response."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, *, https: bool) -> None:
        self.https = https
        self._strict = _defaults(STRICT_CSP, https)
        self._admin = _defaults(ADMIN_CSP, https)
        self._docs = _defaults(DOCS_CSP, https)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        path = full_path(scope)
        defaults = (
            self._admin
            if path.startswith("/admin")
            else self._docs
            if path.startswith("/schema")
            else self._strict
        )
        private = path.startswith(PRIVATE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {bytes(name).lower() for name, _ in headers}
                headers.extend(h for h in defaults if h[0] not in present)
                if (private or scope.get("user") is not None) and b"cache-control" not in present:
                    headers.append(_NO_STORE)
                message["headers"] = headers
            await send(message)

        await next_app(scope, receive, send_with_headers)
