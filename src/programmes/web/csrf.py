"""The CSRF cookie is set only with a page that hands out a form token.

Litestar's CSRF middleware makes a token for every read without the cookie and sets the
cookie on the answer, whatever the page. The start page, the privacy notice and the
imprint hold no form that posts, so a first visit there was given a cookie it did not
need; making the token and Litestar's cookie header was also about a tenth of the start
page's time in a worker (py-spy, `bench/mixed.py`).

So a read without the cookie gets a `FormToken`: the token is made when a template first
shows `csrf_input` (`render_thread.Page`), and the cookie goes out with that answer only.
A page with a form works as before: its token and the cookie match. Reads that bring the
cookie, and the check of every change (POST and the other unsafe methods), are Litestar's
own, unchanged.
"""

from __future__ import annotations

import html
from typing import Any, Final, cast

from litestar.enums import ScopeType
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_token
from litestar.types import Message, Receive, Scope, Send
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

#: Where a read without the cookie keeps its `FormToken` in the ASGI scope.
SCOPE_KEY: Final = "programmes.form_token"


class FormToken:
    """A CSRF token made on first use; `issued` says whether a page used it."""

    __slots__ = ("_secret", "_token")

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._token: str | None = None

    @property
    def issued(self) -> str | None:
        return self._token

    def token(self) -> str:
        if self._token is None:
            self._token = generate_csrf_token(secret=self._secret)
        return self._token


class FormTokenInput:
    """`csrf_input` for a template: the hidden field, with a token made when it is shown."""

    __slots__ = ("_token",)

    def __init__(self, token: FormToken) -> None:
        self._token = token

    def __html__(self) -> str:
        return _hidden_field(self._token.token())

    __str__ = __html__


def _hidden_field(token: str) -> str:
    """The form field as Litestar's `Template.create_template_context` writes it."""
    return f'<input type="hidden" name="_csrf_token" value="{html.escape(token)}" />'


def csrf_input(scope: Scope) -> str | FormTokenInput:
    """The hidden form field for a page of this request (Litestar's when the token is known)."""
    known = value_or_default(ScopeState.from_scope(scope).csrf_token, "")
    pending = cast("dict[str, Any]", scope).get(SCOPE_KEY)
    if not known and isinstance(pending, FormToken):
        return FormTokenInput(pending)
    return _hidden_field(known)


class CookieOnDemandCSRFMiddleware(CSRFMiddleware):
    """Litestar's CSRF middleware, except that a read without the cookie gets a
    `FormToken` and the cookie only if its page used the token."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or scope["method"] not in self.config.safe_methods
            or should_bypass_middleware(
                scope=scope,
                scopes=self.scopes,
                exclude_opt_key=self.config.exclude_from_csrf_key,
                exclude_path_pattern=self.exclude,
            )
        ):
            await super().__call__(scope, receive, send)
            return
        request = scope["litestar_app"].request_class(scope=scope, receive=receive)
        cookie = request.cookies.get(self.config.cookie_name)
        if cookie:
            ScopeState.from_scope(scope).csrf_token = cookie
            await self.app(scope, receive, send)
            return
        pending = FormToken(self.config.secret)
        cast("dict[str, Any]", scope)[SCOPE_KEY] = pending

        async def send_with_cookie(message: Message) -> None:
            token = pending.issued
            if token is not None and message["type"] == "http.response.start":
                message.setdefault("headers", [])
                self._set_cookie_if_needed(message, token)
            await send(message)

        await self.app(scope, receive, send_with_cookie)
