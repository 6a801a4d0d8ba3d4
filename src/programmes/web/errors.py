"""How errors become HTTP responses: the status of each domain error (`status_for`, which
forms shown again with their error use too, see `web.forms`) and the answer to any error
that leaves a handler.

JSON callers (the API, or anyone asking for JSON) get `{"status_code", "detail", "field",
"errors": [{"field", "message"}]}` (a 409 for something that exists already also names it,
e.g. `"family_id"`); browsers get an error page in their language. A request
for a staff page without a session is redirected to the sign-in page instead of a bare 401.
Unexpected errors are logged with the request id only, never with request data.

Every error answer carries the security headers and `Cache-Control: no-store` itself: the
calendar feeds and unknown paths are outside the middleware that adds them to pages, and an
error may repeat what the caller sent. A private feed's errors also send no referrer.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_502_BAD_GATEWAY,
)

from programmes.domain.accounts.kept_forms import KEEP_MINUTES
from programmes.domain.errors import (
    N_,
    AlreadyExists,
    AuthenticationFailed,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidInputs,
    InvalidParameter,
    NotFound,
    TooManyRequests,
    Unavailable,
)
from programmes.i18n import gettext
from programmes.redaction import request_target
from programmes.web.kept_forms import SignInAgain, kept_cookie
from programmes.web.pages import page, request_language
from programmes.web.security import RequestRefused, strict_headers

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidParameter: HTTP_400_BAD_REQUEST,
    InvalidInput: HTTP_422_UNPROCESSABLE_ENTITY,
    NotFound: HTTP_404_NOT_FOUND,
    Forbidden: HTTP_403_FORBIDDEN,
    Conflict: HTTP_409_CONFLICT,
    AuthenticationFailed: HTTP_401_UNAUTHORIZED,
    TooManyRequests: HTTP_429_TOO_MANY_REQUESTS,
    Unavailable: HTTP_502_BAD_GATEWAY,
}

ErrorItem = dict[str, str | None]


def status_for(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]  # type: ignore[index]
    return HTTP_422_UNPROCESSABLE_ENTITY


def wants_json(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith(("/api/", "/health", "/feeds/")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@functools.lru_cache(maxsize=4)
def _safety_headers(*, https: bool, private_feed: bool) -> dict[str, str]:
    headers = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in strict_headers(https=https)
    }
    headers["cache-control"] = "no-store"
    if private_feed:
        headers["referrer-policy"] = "no-referrer"
    return headers


def error_response(
    request: Request[Any, Any, Any],
    status_code: int,
    detail: str,
    errors: list[ErrorItem] | None = None,
    headers: dict[str, str] | None = None,
    *,
    title: str | None = None,
    back: str | None = None,
    existing: Mapping[str, int] | None = None,
) -> Response[Any]:
    """The error as JSON or as a page; a page may have its own `title` and a link `back`
    to where the person came from. `existing` (ids of what exists already) goes into the
    JSON body."""
    errors = errors or []
    safety = _safety_headers(
        https=request.app.state.settings.secure_cookies,
        private_feed=request.url.path.startswith("/feeds/private/"),
    )
    headers = {**safety, **(headers or {})}
    if wants_json(request):
        return Response(
            {
                "status_code": status_code,
                "detail": detail,
                "field": errors[0]["field"] if errors else None,
                "errors": errors,
                **(existing or {}),
            },
            status_code=status_code,
            media_type=MediaType.JSON,
            headers=headers,
        )
    return _error_page(request, status_code, detail, errors, headers, title=title, back=back)


def _error_page(
    request: Request[Any, Any, Any],
    status_code: int,
    detail: str,
    errors: list[ErrorItem],
    headers: dict[str, str] | None,
    *,
    title: str | None,
    back: str | None,
) -> Response[Any]:
    template = page(
        request,
        "error.html",
        status_code=status_code,
        status=status_code,
        detail=detail,
        errors=errors,
        title=title,
        back=back,
    )
    if headers:
        template.headers.update(headers)
    return template  # type: ignore[return-value]


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    language = request_language(request)
    message = exc.translated(language)
    several = exc.errors if isinstance(exc, InvalidInputs) else [exc]
    return error_response(
        request,
        status_for(exc),
        message,
        [{"field": e.field, "message": e.translated(language)} for e in several if e.field],
        headers,
        existing=exc.existing if isinstance(exc, AlreadyExists) else None,
    )


def handle_request_refused(request: Request[Any, Any, Any], exc: RequestRefused) -> Response[Any]:
    """A body sent as the wrong media type (415), not UTF-8 or nested too deep (400)."""
    message = gettext(request_language(request), exc.template, **exc.params)
    return error_response(
        request, exc.status_code, message, [{"field": exc.field, "message": message}]
    )


def handle_validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Any]:
    language = request_language(request)
    errors: list[ErrorItem] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict):
            message = str(item.get("message", ""))
            errors.append(
                {
                    "field": _field_of(message, item.get("key")),
                    "message": _readable(message, language),
                }
            )
    fields = ", ".join(str(e["field"]) for e in errors if e["field"])
    detail = (
        gettext(language, N_("Invalid input: %(fields)s."), fields=fields)
        if fields
        else gettext(language, N_("The request could not be read."))
    )
    return error_response(request, exc.status_code, detail, errors)


_AT_PATH = re.compile(r"at `\$\.([^`]+)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")
#: msgspec's messages for the range rule of ids and whole numbers, in the reader's words.
_READABLE: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"Expected `int` <= (-?\d+)"), N_("At most %(limit)s, please."), "limit"),
    (re.compile(r"Expected `int` >= (-?\d+)"), N_("At least %(limit)s, please."), "limit"),
    (re.compile(r"Expected `int`, got"), N_("Please enter a whole number."), ""),
)


def _readable(message: str, language: str) -> str:
    """A decoding error of a whole number in the reader's language; others as msgspec
    words them."""
    for pattern, text, name in _READABLE:
        match = pattern.search(message)
        if match:
            return gettext(language, text, **({name: match.group(1)} if name else {}))
    return message


def _field_of(message: str, key: object) -> str | None:
    """The field a decoding error is about: msgspec names it in its message ("... - at
    `$.seats`", "Object missing required field `name`"); Litestar's key says "data"."""
    path = _AT_PATH.search(message)
    missing = _MISSING.search(message)
    if path and missing:
        return f"{path.group(1)}.{missing.group(1)}"
    if path:
        return path.group(1)
    if missing:
        return missing.group(1)
    return str(key) if key else None


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, SignInAgain) and not wants_json(request):
        return _sign_in_again(request, exc)
    if (
        isinstance(exc, NotAuthorizedException)
        and not wants_json(request)
        and request.method in ("GET", "HEAD")
    ):
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        target = raw_path.decode("latin-1") + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/staff/login?next={quote(target, safe='/')}", status_code=303)
    if isinstance(exc, PermissionDeniedException):
        if exc.detail == CSRF_FAILED:
            return form_expired(request)
        return error_response(
            request, HTTP_403_FORBIDDEN, gettext(request_language(request), ROLE_REFUSED)
        )
    return error_response(request, exc.status_code, _in_words(request, exc), headers=exc.headers)


ROLE_REFUSED = N_("Your role may not do this.")
#: What routing itself refuses (no page at the address, a method the address does not take,
#: too much data), in the reader's language instead of Litestar's English status phrase.
_ROUTING_REFUSALS = {
    404: N_(
        "There is no page at this address. Please check it, or start again from the home page."
    ),
    405: N_(
        "This address cannot be used like this. Please use the links and buttons on the pages."
    ),
    413: N_("What was sent is too large."),
}
_COULD_NOT = N_("The request could not be processed.")


def _in_words(request: Request[Any, Any, Any], exc: HTTPException) -> str:
    """The exception's own message, or, where it is only the status phrase ("Not Found"),
    a sentence in the reader's language."""
    detail = str(exc.detail)
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = None
    if detail != phrase:
        return detail
    return gettext(request_language(request), _ROUTING_REFUSALS.get(exc.status_code, _COULD_NOT))


def _sign_in_again(request: Request[Any, Any, Any], exc: SignInAgain) -> Response[Any]:
    """A staff form sent without a valid sign-in: to the sign-in page, which says so in the
    page's language and brings the person back to the form's page; the kept entries' key
    goes in a cookie (see `web.kept_forms`)."""
    flag = "kept" if exc.key else "expired"
    redirect = Redirect(
        f"/staff/login?next={quote(exc.page, safe='/')}&{flag}=1",
        status_code=303,
        headers=_safety_headers(
            https=request.app.state.settings.secure_cookies, private_feed=False
        ),
    )
    if exc.key:
        redirect.cookies.append(
            kept_cookie(
                exc.key,
                secure=request.app.state.settings.secure_cookies,
                max_age=KEEP_MINUTES * 60,
            )
        )
    return redirect


#: What Litestar's CSRF middleware says when a form comes without its token, or with one
#: that does not match the browser's CSRF cookie (tests/web/test_csrf_failure.py pins it).
CSRF_FAILED = "CSRF token verification failed"
FORM_EXPIRED_TITLE = N_("This form has expired")
FORM_EXPIRED = N_("Please open the form again and send it once more.")


def form_expired(request: Request[Any, Any, Any]) -> Response[Any]:
    """A form without a valid CSRF token: the token lives in a cookie that the browser lost
    (a restored tab after a restart, cookies cleared or blocked). In the page's language,
    with a link back to the form's page. The entries are not shown again: a page that gave
    back the values with a fresh token would let a forged form from another site through
    with one click."""
    language = request_language(request)
    title, advice = gettext(language, FORM_EXPIRED_TITLE), gettext(language, FORM_EXPIRED)
    if wants_json(request):
        return error_response(request, HTTP_403_FORBIDDEN, f"{title}. {advice}")
    return error_response(
        request, HTTP_403_FORBIDDEN, advice, title=title, back=_page_before(request)
    )


def _page_before(request: Request[Any, Any, Any]) -> str | None:
    """The local page the form was sent from (its Referer, when it is this site's)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith("/"):
        return None
    if referer.path.startswith(("//", "/\\")):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error(
        "unexpected %s on %s %s",
        type(exc).__name__,
        request.method,
        request_target(request.scope["path"], b""),
        exc_info=exc,
    )
    return error_response(
        request, HTTP_500_INTERNAL_SERVER_ERROR, "Something went wrong on our side."
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: handle_domain_error,
    RequestRefused: handle_request_refused,
    ValidationException: handle_validation_error,
    HTTPException: handle_http_error,
    HTTP_500_INTERNAL_SERVER_ERROR: handle_unexpected,
}
