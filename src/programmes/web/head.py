"""`HEAD` on every page: answered as the `GET` it stands for, without the body.

Litestar answers `HEAD` only on routes that declare it and 405 everywhere else, and a page
rendered from a template cannot be returned for `HEAD` at all (the response refuses a body).
Link checkers, uptime monitors and some browsers' prefetchers send `HEAD`, so this wrapper
sits in front of routing: it hands the request on as `GET` and drops the body while keeping
every header, `Content-Length` included, as RFC 9110 §9.3.2 describes.
"""

from __future__ import annotations

from typing import cast

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI wrapper: `HEAD` requests run as `GET`; their answer goes out without a body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return
        as_get = cast("Scope", {**scope, "method": "GET"})  # the caller's scope stays HEAD
        finished = False

        async def send_headers_only(message: Message) -> None:
            nonlocal finished
            if message["type"] != "http.response.body":
                await send(message)
            elif not finished:
                finished = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app(as_get, receive, send_headers_only)
