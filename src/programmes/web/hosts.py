"""Serve only the service's own host names.

A request whose Host header names another host (DNS rebinding, a link poisoned through a
forged Host in a mail or a cache) gets 400 before any route, the back office and feeds
included. The port does not matter; `*.example.org` allows every subdomain. Litestar's own
allowed-hosts middleware compares the header with its port, so a server on a port other
than 80 or 443 would refuse its own address.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Receive, Scope, Send

REFUSED = b"This server does not answer for that host name.\n"


def host_name(header: bytes) -> str:
    """The host of a Host header, lower case, without its port (IPv6 keeps its brackets)."""
    text = header.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text.split("]", 1)[0] + "]"
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


class AllowedHosts:
    """ASGI middleware: 400 for any HTTP request to a host not in `hosts`."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        names = {h.lower() for h in hosts}
        self.exact = frozenset(n for n in names if not n.startswith("*."))
        self.suffixes = tuple(n[1:] for n in names if n.startswith("*."))

    def allows(self, name: str) -> bool:
        return name in self.exact or (bool(name) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            header = dict(scope["headers"]).get(b"host", b"")
            if not self.allows(host_name(header)):
                response = ASGIResponse(
                    body=REFUSED,
                    status_code=400,
                    media_type="text/plain; charset=utf-8",
                    headers={"cache-control": "no-store"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
