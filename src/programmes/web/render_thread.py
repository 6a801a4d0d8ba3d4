"""Pages are rendered on one thread per worker, beside the event loop, not on it.

Why
---
Rendering a page from its templates is the longest single piece of work a worker does
(the start page: ~2.5 ms of Python in one go). On the event loop nothing else moves
meanwhile: under a mix of page views, calendar polls and registrations, every step of
every registration and every feed request waited behind the renders queued before it, so
pages took most of the worker and the other two starved (`bench/mixed.py`: registrations
at 4-25 % of their rate alone, the feed on PostgreSQL at 2-7 %).

How
---
`Page` is Litestar's `Template` whose body is rendered when the answer is sent, in a
worker thread that only renders (`renderer()`: one turn at a time per event loop, so
renders queue instead of piling up threads that would share the GIL among themselves).
The event loop goes on meanwhile; the GIL is handed over every 0.1 ms
(`app.tuned_runtime`).

Why the queue is guarded on the event loop, not by the thread: a thread that goes from
one render straight to the next wants the GIL all the time, and the loop, which lets go of
the GIL at every socket operation, then waits for it after each one (the convoy effect of
the GIL). Tried with a one-thread executor (bench/mixed.py, SQLite): pages 63 % of their
rate alone, but the feed fell to 13 % and registrations to 8 %. Guarded by a limiter on the
loop, the next render starts only when the loop has taken the last one back, which leaves
the loop its turns: pages 22 %, feed 28 %, registrations 26 % (before: 25 %, 36 %, 12 %).

Pages made from the same values
-------------------------------
The start page is the same for every visitor in one language until its runs change, and it
is the page most visitors load. A handler may say what its page shows (`Reuse`: a key
naming the page and the visitor's language and address, and the values it was made from,
compared with ==). A body rendered from equal values is kept (`kept_bodies`, the app's 64
most recent) and sent again without rendering: the start page's values are checked against
the database for every request (`enrolment.listing_cache`), so a change is shown at once,
but the 2.5 ms render runs only when they changed. `web.pages.page` offers reuse only to
anonymous visitors without a notice or kept form, and a body with a CSRF field is never
kept: nothing personal can be sent to another visitor.

What stays the same: the page's status, headers and cookies are decided before the
render, as before; a template error still ends in the error page (the render runs before
the first byte goes out); templates only display what the handler gave them, so nothing
in a render touches the database or the request's state.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from litestar import Litestar, Request
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.response import Template
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send, TypeEncodersMap

from programmes.domain.feeds.cache import LRU
from programmes.web.csrf import csrf_input

_renderers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def renderer() -> anyio.CapacityLimiter:
    """The one render thread's turn for the running event loop."""
    loop = asyncio.get_running_loop()
    limiter = _renderers.get(loop)
    if limiter is None:
        limiter = _renderers[loop] = anyio.CapacityLimiter(1)
    return limiter


@dataclass(frozen=True)
class Reuse:
    """What a page shows besides its template: `key` names the page as the visitor asked
    for it (template, language, address), `shown` holds the values it is made from. A body
    rendered for an equal key from equal values may be sent again."""

    key: Hashable
    shown: object


def kept_bodies(app: Litestar) -> LRU[Hashable, tuple[object, bytes]]:
    """The app's 64 most recently rendered bodies that may be sent again (`Reuse`): key ->
    (the values shown, the body). Kept in the app's state, so apps never share them."""
    kept: LRU[Hashable, tuple[object, bytes]] | None = app.state.get("kept_bodies")
    if kept is None:
        kept = app.state["kept_bodies"] = LRU(64)
    return kept


#: A body with this in it holds the visitor's CSRF token: never kept.
_CSRF_FIELD = b'name="_csrf_token"'


class Page(Template):
    """A template response whose body is rendered on the render thread, or taken from
    `kept_bodies` when `reuse` matches."""

    def __init__(self, *args: Any, reuse: Reuse | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reuse = reuse

    def create_template_context(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Litestar's context, with a `csrf_input` that makes its token only when shown
        (`web.csrf`: the cookie then goes out only with pages that hold a form)."""
        context = super().create_template_context(request)
        context["csrf_input"] = csrf_input(request.scope)
        return context

    def to_asgi_response(
        self,
        app: Litestar | None,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Any = None,
        encoded_headers: Any = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        template_engine = request.app.template_engine
        assert template_engine is not None, "the app configures its templates"
        assert self.template_name is not None, "pages name their template"
        merged: list[Cookie] = [*self.cookies, *(cookies or ())]
        template = template_engine.get_template(self.template_name)
        context = self.create_template_context(request)
        encoding = self.encoding

        def render() -> bytes:
            return template.render(**context).encode(encoding)  # type: ignore[no-any-return]

        return _RenderedOnSend(
            render,
            self.reuse,
            kept_bodies(request.app),
            background=self.background or background,
            cookies=merged,
            encoding=encoding,
            headers={**(headers or {}), **self.headers},
            is_head_response=is_head_response,
            media_type=self.media_type or media_type or MediaType.HTML,
            status_code=self.status_code or status_code,
        )


class _RenderedOnSend(ASGIResponse):
    """Renders its body on the render thread just before sending it (unless a body made
    from the same values is kept)."""

    __slots__ = ("_kept_bodies", "_render", "_reuse")

    def __init__(
        self,
        render: Any,
        reuse: Reuse | None,
        kept: LRU[Hashable, tuple[object, bytes]],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._render = render
        self._reuse = reuse
        self._kept_bodies = kept

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kept = self._kept()
        body = kept if kept is not None else await self._rendered()
        if not self.is_head_response:
            self.body = body
        self.content_length = len(body)
        self.headers["content-length"] = str(len(body))
        await super().__call__(scope, receive, send)

    async def _rendered(self) -> bytes:
        body: bytes = await anyio.to_thread.run_sync(self._render, limiter=renderer())
        if self._reuse is not None and _CSRF_FIELD not in body:
            self._kept_bodies.put(self._reuse.key, (self._reuse.shown, body))
        return body

    def _kept(self) -> bytes | None:
        if self._reuse is None:
            return None
        kept = self._kept_bodies.get(self._reuse.key)
        if kept is None or kept[0] != self._reuse.shown:
            return None
        return kept[1]
