"""Staff sign-in and sign-out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Struct

from programmes.domain.accounts import kept_forms, staff_accounts
from programmes.domain.errors import AuthenticationFailed, InvalidInput, TooManyRequests
from programmes.web.auth import SESSION_COOKIE, session_cookie
from programmes.web.errors import status_for
from programmes.web.guards import PUBLIC, requires_staff
from programmes.web.pages import page, request_language


class SignInForm(Struct):
    email: str = ""
    password: str = ""
    next: str = ""


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect a signed-in person to another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/staff/"


class StaffAuthController(Controller):
    path = "/staff"
    tags = ["staff"]
    include_in_schema = False

    @get("/login", opt=PUBLIC)
    async def login_page(
        self,
        request: Request[Any, Any, Any],
        next: FromQuery[str] = "",
        expired: FromQuery[str] = "",
        kept: FromQuery[str] = "",
    ) -> Template:
        """The sign-in form; `expired=1` or `kept=1` (a form was sent after the sign-in
        expired; with `kept`, its entries wait for the page after signing in) say why."""
        return page(
            request,
            "staff/login.html",
            next=safe_next(next),
            error=None,
            email="",
            password_set=request.query_params.get("notice") == "password-set",
            expired=expired == "1" or kept == "1",
            kept_entries=kept == "1",
            keep_minutes=kept_forms.KEEP_MINUTES,
        )

    @post("/login", opt=PUBLIC, status_code=303)
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[SignInForm],
        now: NamedDependency[datetime],
    ) -> Redirect | Template:
        address = request.client.host if request.client else "unknown"
        try:
            signed_in = await staff_accounts.sign_in(
                email=data.email, password=data.password, address=address, now=now
            )
        except (AuthenticationFailed, TooManyRequests, InvalidInput) as exc:
            response = page(
                request,
                "staff/login.html",
                status_code=status_for(exc),
                next=safe_next(data.next),
                error=exc.translated(request_language(request)),
                email=data.email[:254],
                password_set=False,
                expired=False,
                kept_entries=False,
                keep_minutes=kept_forms.KEEP_MINUTES,
            )
            if isinstance(exc, TooManyRequests):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        previous = session_cookie(request.scope)
        if previous:  # session fixation: a pre-existing id never survives a sign-in
            await staff_accounts.sign_out(previous)
        settings = request.app.state.settings
        return Redirect(
            safe_next(data.next),
            status_code=303,
            cookies=[
                Cookie(
                    key=SESSION_COOKIE,
                    value=signed_in.session_token,
                    httponly=True,
                    secure=settings.secure_cookies,
                    samesite="lax",
                    path="/",
                )
            ],
        )

    @post("/logout", guards=[requires_staff], status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        token = session_cookie(request.scope)
        if token:
            await staff_accounts.sign_out(token)
        return Redirect(
            "/staff/login",
            status_code=303,
            cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/", httponly=True)],
        )
