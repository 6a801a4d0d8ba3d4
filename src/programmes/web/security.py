"""Security headers on every response (Litestar sends none by itself), and the rules every
request body obeys.

The back office (piccolo-admin, a Vue app) and the API docs need a looser content policy
than our own pages, so each gets its own. Responses that may carry personal data (staff
pages, API, admin) are marked `no-store` unless the handler chose a cache policy itself.

Request bodies (`CheckedRequest`, the app's request class, so the rules hold wherever
Litestar reads a body: JSON data, forms, the CSRF check):

* every body is UTF-8 text, a url-encoded form also after its %-escapes are decoded (Python
  would otherwise replace broken bytes silently, or fail deep inside a parser); the service
  takes no file uploads;
* a JSON body comes as `application/json` (UTF-8), else 415: a cross-site HTML form can only
  send `text/plain`, url-encoded or multipart bodies, so it cannot post to the JSON API with
  the visitor's cookies;
* JSON is nested at most `MAX_JSON_DEPTH` levels (msgspec would decode up to Python's
  recursion limit and then fail with a RecursionError; our deepest input has 4 levels).

Each refusal is a `RequestRefused` naming what was wrong ("Content-Type" or "body");
`web.errors` answers it in the caller's language.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Final
from urllib.parse import unquote_to_bytes

from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from programmes.domain.errors import N_

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


# --------------------------------------------------------------------------- request bodies

#: How deeply a JSON body may nest arrays and objects.
MAX_JSON_DEPTH: Final = 32
JSON_MEDIA_TYPE: Final = "application/json"

#: A JSON string (escapes included): brackets inside strings do not nest.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
#: Every byte but the four brackets, to be deleted before counting.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
#: What each bracket does to the depth, by byte value.
_STEP = [{ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}.get(b, 0) for b in range(256)]


class RequestRefused(HTTPException):
    """A request whose body cannot be read as sent. `message` is a catalogue message id
    (translated by `web.errors`), `field` what was wrong: a header or "body"."""

    def __init__(self, status_code: int, message: str, *, field: str, **params: Any) -> None:
        super().__init__(detail=message % params if params else message, status_code=status_code)
        self.template = message
        self.params = params
        self.field = field


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether `body` nests arrays and objects more than `limit` levels deep, counted outside
    strings. A body with no more opening brackets than `limit` cannot (every body of this
    service: two byte counts); others are walked bracket by bracket (~0.1 µs each)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def check_utf8(body: bytes, *, url_encoded: bool) -> None:
    """Refuse a body that is not UTF-8 text (a url-encoded form: also after unescaping)."""
    try:
        body.decode("utf-8")
        if url_encoded:
            unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise RequestRefused(
            HTTP_400_BAD_REQUEST,
            N_("The request contains bytes that are not UTF-8 text."),
            field="body",
        ) from None


def _too_deep() -> RequestRefused:
    return RequestRefused(
        HTTP_400_BAD_REQUEST,
        N_("The JSON data is nested more than %(max)s levels deep."),
        field="body",
        max=MAX_JSON_DEPTH,
    )


class CheckedRequest(Request[Any, Any, Any]):
    """Litestar's request with the body rules of this module."""

    _utf8_checked = False

    async def body(self) -> bytes:
        body = await super().body()
        if not self._utf8_checked:
            check_utf8(body, url_encoded=self.content_type[0] == RequestEncodingType.URL_ENCODED)
            self._utf8_checked = True
        return body

    async def json(self) -> Any:
        media_type, options = self.content_type
        if media_type != JSON_MEDIA_TYPE or options.get("charset", "utf-8").lower() not in (
            "utf-8",
            "utf8",
        ):
            raise RequestRefused(
                HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                N_("Send the data as JSON, with the header Content-Type: application/json."),
                field="Content-Type",
            )
        if nested_deeper_than(await self.body(), MAX_JSON_DEPTH):
            raise _too_deep()
        try:
            return await super().json()
        except RecursionError:  # deeper than the count saw (a malformed string): the same
            raise _too_deep() from None

    async def form(self) -> FormMultiDict:
        await self.body()  # the whole body, checked; multipart parts are read from it
        return await super().form()
