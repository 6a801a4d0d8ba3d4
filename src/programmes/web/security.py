"""Security headers on every response (Litestar sends none by itself).

The back office (piccolo-admin, a Vue app) and the API docs need a looser content policy
than our own pages, so each gets its own. Responses that may carry personal data (staff
pages, API, admin) are marked `no-store` unless the handler chose a cache policy itself.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
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


class SecurityHeadersMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, *, https: bool) -> None:
        self.https = https

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        path: str = scope["path"]
        csp = (
            ADMIN_CSP
            if path.startswith("/admin")
            else DOCS_CSP
            if path.startswith("/schema")
            else STRICT_CSP
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers.setdefault("content-security-policy", csp)
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("referrer-policy", "same-origin")
                headers.setdefault("x-frame-options", "DENY")
                headers.setdefault("permissions-policy", "camera=(), microphone=(), geolocation=()")
                if self.https:
                    headers.setdefault("strict-transport-security", "max-age=63072000")
                if path.startswith(PRIVATE_PREFIXES) or scope.get("user") is not None:
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await next_app(scope, receive, send_with_headers)
