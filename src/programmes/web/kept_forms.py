"""A staff form sent after the sign-in expired: keep the entries, sign in, get them back.

1. The role guard (`guards.py`) finds no signed-in staff on a form POST to a staff page
   from a browser that has a session cookie (expired or ended): it keeps the form's entries
   (`domain.accounts.kept_forms`), minus password and CSRF token, and raises `SignInAgain`.
2. `errors.handle_http_error` answers with a redirect to the sign-in page, which says in
   the page's language that the sign-in expired and the entries are kept; the key travels
   in a cookie (`KEPT_COOKIE`, http-only, /staff only, minutes), never in the URL.
3. After signing in, the person is sent back to the page the form was on (its Referer).
   `KeptFormMiddleware` hands the entries to that page once (`scope["kept_form"]`), and
   `pages.page` fills them in as the form's values, with a note to check and send again.

Sending again, not sending automatically: the person sees what is being saved (perhaps by
another account now), and the CSRF rule stays simple. A form whose CSRF cookie was lost too
is not kept (see `errors.form_expired`).
"""

from __future__ import annotations

import re
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, FormMultiDict
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from programmes.clock import Clock
from programmes.domain.access import Staff
from programmes.domain.accounts import kept_forms
from programmes.web.auth import session_cookie

KEPT_COOKIE = "programmes_kept"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: The last part of a form's action that is not a page of its own (`/sessions/5/move`).
_ACTION = re.compile(
    r"/(move|cancel|reinstate|theme|substitute|withdraw|undo-withdrawal|archive|status|"
    r"capacity|create|rotate|revoke|delete|import|export|erase|consent/withdraw|"
    r"erasure-request|logout)/?$"
)


class SignInAgain(NotAuthorizedException):
    """Nobody is signed in on a staff form POST; `page` is where to come back to, `key`
    the kept entries' key (None: nothing was kept)."""

    def __init__(self, page: str, key: str | None) -> None:
        super().__init__("Please sign in.")
        self.page = page
        self.key = key


def return_page(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The staff page the form was sent from: its Referer when that is this site's staff
    page, else the form's own address without an action at its end."""
    referer = urlsplit(connection.headers.get("referer", ""))
    if (
        referer.netloc == connection.url.netloc
        and referer.path.startswith("/staff/")
        and not referer.path.startswith(("/staff/login", "//", "/\\"))
    ):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    path = connection.url.path
    while True:
        shorter = _ACTION.sub("", path)
        if shorter == path:
            break
        path = shorter
    return path if path.startswith("/staff/") else "/staff/"


def is_staff_form(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    scope = connection.scope
    if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
        return False
    if not connection.url.path.startswith("/staff/"):
        return False
    content_type = connection.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() in _FORM_TYPES


async def sign_in_again(connection: ASGIConnection[Any, Any, Any, Any]) -> NotAuthorizedException:
    """What a guard raises when nobody is signed in: for a staff page's form, the entries
    are kept first (`SignInAgain`); anything else gets a plain 401 (JSON callers, GETs)."""
    if not is_staff_form(connection):
        return NotAuthorizedException("Please sign in.")
    page = return_page(connection)
    session = session_cookie(connection.scope)
    if not session or connection.url.path.rstrip("/") == "/staff/logout":
        # Nobody was signed in on this browser (no session cookie at all): there is no
        # page of theirs to come back to, and nothing is stored for an anonymous caller.
        return SignInAgain(page, None)
    request: Request[Any, Any, Any] = Request(connection.scope, connection.receive)
    try:
        form = await request.form()
    except Exception:
        return SignInAgain(page, None)
    fields = [(str(name), str(value)) for name, value in form.multi_items()]
    key = await kept_forms.keep_form(
        account_id=await kept_forms.account_of_session(session),
        page=page,
        fields=fields,
        now=connection.app.state.clock(),
    )
    return SignInAgain(page, key)


def kept_cookie(value: str, *, secure: bool, max_age: int) -> Cookie:
    return Cookie(
        key=KEPT_COOKIE,
        value=value,
        max_age=max_age,
        path="/staff",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


class KeptFormMiddleware(ASGIMiddleware):
    """Hands kept entries to the page they were made on, once, after signing in."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, clock: Clock, *, secure: bool) -> None:
        self.clock = clock
        self.secure = secure

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        staff = scope.get("user")
        if scope.get("method") != "GET" or not isinstance(staff, Staff):
            await next_app(scope, receive, send)
            return
        key = _cookie(scope, KEPT_COOKIE)
        if not key:
            await next_app(scope, receive, send)
            return
        fields = await kept_forms.take_kept_form(
            key=key, account_id=staff.id, path=str(scope.get("path", "")), now=self.clock()
        )
        if fields is None:
            await next_app(scope, receive, send)
            return
        scope["kept_form"] = FormMultiDict(fields)  # type: ignore[typeddict-unknown-key]
        clear = kept_cookie("", secure=self.secure, max_age=0).to_header(header="")

        async def send_clearing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", clear.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await next_app(scope, receive, send_clearing)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            try:
                morsel = SimpleCookie(value.decode("latin-1")).get(name)
            except CookieError:
                return None
            return morsel.value if morsel else None
    return None


__all__ = [
    "KEPT_COOKIE",
    "KeptFormMiddleware",
    "SignInAgain",
    "kept_cookie",
    "return_page",
    "sign_in_again",
]
