"""/staff/feed: a member of staff creates, rotates or revokes their private calendar link.

The link is shown once, in the answer to the POST that created it (the database keeps only
its hash); afterwards the page says since when a link is active. Every form carries the CSRF
token; the page is `no-store` (staff prefix) and sends no Referer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from programmes.domain.feeds import feed_tokens
from programmes.web.calendar_links import CalendarLinks
from programmes.web.forms import Form, submit, text
from programmes.web.guards import current_staff, requires_staff
from programmes.web.pages import page, request_language

NO_REFERRER = {"referrer-policy": "no-referrer"}


def _staff_id(request: Request[Any, Any, Any]) -> int:
    staff = current_staff(request)
    assert staff is not None  # the controller's guard let only staff through
    return staff.id


class StaffFeedController(Controller):
    path = "/staff/feed"
    guards = [requires_staff]
    tags = ["staff"]
    include_in_schema = False

    async def _page(self, request: Request[Any, Any, Any], new_token: str | None) -> Template:
        status = await feed_tokens.describe_feed_link(_staff_id(request))
        links = CalendarLinks(request.app.state.settings.base_url, request_language(request))
        response = page(
            request,
            "staff/feed.html",
            link=status,
            new_link=links.private(new_token) if new_token else None,
        )
        response.headers.update(NO_REFERRER)
        return response

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        return await self._page(request, None)

    @post("/create", status_code=200)
    async def create(
        self, request: Request[Any, Any, Any], now: NamedDependency[datetime]
    ) -> Template:
        token = await feed_tokens.create_feed_token(account_id=_staff_id(request), now=now)
        return await self._page(request, token)

    @post("/rotate", status_code=200)
    async def rotate(
        self, request: Request[Any, Any, Any], now: NamedDependency[datetime]
    ) -> Template:
        token = await feed_tokens.rotate_feed_token(account_id=_staff_id(request), now=now)
        return await self._page(request, token)

    @post("/reminder", status_code=303)
    async def reminder(
        self, request: Request[Any, Any, Any], now: NamedDependency[datetime]
    ) -> Response[Any]:
        """The feed's reminder before each session (VALARM): minutes, or empty for none."""
        account_id = _staff_id(request)

        async def action(form: Form) -> str:
            minutes = feed_tokens.check_reminder(text(form, "reminder"))
            await feed_tokens.set_feed_reminder(account_id=account_id, minutes=minutes, now=now)
            return "/staff/feed"

        async def context() -> Mapping[str, Any]:
            return {"link": await feed_tokens.describe_feed_link(account_id), "new_link": None}

        response = await submit(request, "staff/feed.html", action, context)
        response.headers.update(NO_REFERRER)
        return response

    @post("/revoke", status_code=303)
    async def revoke(
        self, request: Request[Any, Any, Any], now: NamedDependency[datetime]
    ) -> Redirect:
        await feed_tokens.revoke_feed_token(account_id=_staff_id(request), now=now)
        return Redirect("/staff/feed", status_code=303)
