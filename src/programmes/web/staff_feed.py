"""/staff/feed: a member of staff creates, rotates or revokes their private calendar link.

The link is shown once, on the page the POST that created it redirects to (the database keeps
only its hash; the new link waits for that page in a cookie that only /staff/feed receives,
for a few minutes, and is cleared when shown), so a reload or the back button never sends the
form again. Afterwards the page says since when a link is active. Rotating and revoking ask
once first. Every form carries the CSRF token; the page is `no-store` (staff prefix) and
sends no Referer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from programmes.domain.errors import Conflict, NotFound
from programmes.domain.feeds import feed_tokens
from programmes.web.calendar_links import CalendarLinks
from programmes.web.confirm import confirmation, confirmed
from programmes.web.forms import Form, read_form, submit, text
from programmes.web.guards import current_staff, requires_staff
from programmes.web.notices import done
from programmes.web.pages import page, request_language

NO_REFERRER = {"referrer-policy": "no-referrer"}
FEED_PAGE = "/staff/feed"
NEW_LINK_COOKIE = "programmes_new_feed_link"
NEW_LINK_SECONDS = 300


def _staff_id(request: Request[Any, Any, Any]) -> int:
    staff = current_staff(request)
    assert staff is not None  # the controller's guard let only staff through
    return staff.id


class StaffFeedController(Controller):
    path = "/staff/feed"
    guards = [requires_staff]
    tags = ["staff"]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """The page; right after creating or rotating, once, with the new link (from the
        short-lived cookie, if it is still the active link), which is then cleared."""
        account_id = _staff_id(request)
        shown = request.cookies.get(NEW_LINK_COOKIE)
        new_token = (
            shown if shown and await feed_tokens.is_active_feed_token(account_id, shown) else None
        )
        status = await feed_tokens.describe_feed_link(account_id)
        links = CalendarLinks(request.app.state.settings.base_url, request_language(request))
        response = page(
            request,
            "staff/feed.html",
            link=status,
            new_link=links.private(new_token) if new_token else None,
        )
        response.headers.update(NO_REFERRER)
        if shown is not None:
            secure = request.app.state.settings.secure_cookies
            response.cookies.append(_new_link_cookie("", max_age=0, secure=secure))
        return response

    @post("/create", status_code=303)
    async def create(
        self, request: Request[Any, Any, Any], now: NamedDependency[datetime]
    ) -> Redirect:
        try:
            token = await feed_tokens.create_feed_token(account_id=_staff_id(request), now=now)
        except Conflict:  # sent twice (a reload, the back button): the link exists
            return Redirect(done(FEED_PAGE, "feed-exists"), status_code=303)
        return _show_once(request, token, "feed-created")

    @post("/rotate", status_code=303)
    async def rotate(
        self, request: Request[Any, Any, Any], now: NamedDependency[datetime]
    ) -> Response[Any]:
        form = await read_form(request)
        if not confirmed(form):
            return confirmation(  # type: ignore[return-value]
                request, form, what="feed-rotate", action=f"{FEED_PAGE}/rotate", back=FEED_PAGE
            )
        token = await feed_tokens.rotate_feed_token(account_id=_staff_id(request), now=now)
        return _show_once(request, token, "feed-rotated")

    @post("/reminder", status_code=303)
    async def reminder(
        self, request: Request[Any, Any, Any], now: NamedDependency[datetime]
    ) -> Response[Any]:
        """The feed's reminder before each session (VALARM): minutes, or empty for none."""
        account_id = _staff_id(request)

        async def action(form: Form) -> str:
            minutes = feed_tokens.check_reminder(text(form, "reminder"))
            await feed_tokens.set_feed_reminder(account_id=account_id, minutes=minutes, now=now)
            return done(FEED_PAGE, "feed-reminder")

        async def context() -> Mapping[str, Any]:
            return {"link": await feed_tokens.describe_feed_link(account_id), "new_link": None}

        response = await submit(request, "staff/feed.html", action, context)
        response.headers.update(NO_REFERRER)
        return response

    @post("/revoke", status_code=303)
    async def revoke(
        self, request: Request[Any, Any, Any], now: NamedDependency[datetime]
    ) -> Response[Any]:
        form = await read_form(request)
        if not confirmed(form):
            return confirmation(  # type: ignore[return-value]
                request, form, what="feed-revoke", action=f"{FEED_PAGE}/revoke", back=FEED_PAGE
            )
        try:
            await feed_tokens.revoke_feed_token(account_id=_staff_id(request), now=now)
        except NotFound:  # sent twice: it is revoked already
            return Redirect(done(FEED_PAGE, "feed-none"), status_code=303)
        return Redirect(done(FEED_PAGE, "feed-revoked"), status_code=303)


def _new_link_cookie(value: str, *, max_age: int, secure: bool) -> Cookie:
    return Cookie(
        key=NEW_LINK_COOKIE,
        value=value,
        max_age=max_age,
        path=FEED_PAGE,
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def _show_once(request: Request[Any, Any, Any], token: str, notice: str) -> Redirect:
    """Post/redirect/get for a new link: the page shows it once, from a cookie only this
    page gets (never in the URL or the server's logs) that lives a few minutes."""
    return Redirect(
        done(FEED_PAGE, notice),
        status_code=303,
        cookies=[
            _new_link_cookie(
                token,
                max_age=NEW_LINK_SECONDS,
                secure=request.app.state.settings.secure_cookies,
            )
        ],
    )
