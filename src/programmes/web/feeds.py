"""Calendar feeds over HTTP: /feeds/public.ics, /feeds/programmes/{id}.ics,
/feeds/private/{token}.ics and /events/{id}.ics (GET and HEAD).

The domain returns a cached, finished feed; this module only chooses the representation
(gzip or not) and answers conditional requests with 304 before any body is touched.

Headers, and why:
* public feeds: `Cache-Control: public, max-age=3600` (calendar apps and proxies may keep
  them for the hour the feed itself names as its refresh interval, `ical.REFRESH`; an ETag
  makes the next check cheap);
* private feeds: `Cache-Control: private, no-cache` (no shared cache may store them; the
  owner's calendar app may, but must revalidate, which costs a 304), plus
  `Referrer-Policy: no-referrer` and `X-Robots-Tag: noindex`. Not `no-store`: the feed holds
  no personal data (no names, only the owner's dates and counts), and `no-store` would
  forbid the validators that make polling cheap;
* every feed: `Vary: Accept-Encoding`, a strong `ETag` per representation (a hash of the
  identity body, "-gz" for the gzip body), `Last-Modified`, `text/calendar; charset=utf-8`,
  and the security headers every response carries (`security.strict_headers()`).

Each cached feed gets its header lists built once; a request picks one. The feed routes
sit outside the site's middleware (`app.site_router`): the security headers are in those
lists, there is no caller to authenticate (public, or the token in the URL), and CSRF
protects nothing here, while its cookie on a public, cacheable response would be wrong.
Their errors get the security headers from the error mapper. They read `?kind`/`?lang`
and `now` without Litestar's parameter machinery, which cost ~35 µs of a ~100 µs cached
304 (`_Call`).

Litestar matches path parameters only as whole segments, so "{id}.ics" arrives as one
string and is parsed here. `/events/{name}` is one route: the event page `/events/{id}`
(registrations issue) must be added to `event_resource` below, not as a second route on the
same path (Litestar would let the later route silently replace this one).
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qsl

from litestar import HttpMethod, Request, route
from litestar.params import FromPath
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Receive, Scope, Send

from programmes import i18n
from programmes.domain.errors import N_, NotFound
from programmes.domain.feeds import calendars
from programmes.domain.types import id_from_text
from programmes.ical import REFRESH
from programmes.web.conditional import accepts_gzip, http_date, is_not_modified
from programmes.web.events import event_page
from programmes.web.guards import PUBLIC
from programmes.web.security import strict_headers

METHODS: Final = [HttpMethod.GET, HttpMethod.HEAD]
CONTENT_TYPE: Final = (b"content-type", b"text/calendar; charset=utf-8")
#: Calendar apps and proxies may keep a public feed as long as the feed itself tells calendar
#: apps to wait before polling again (`REFRESH-INTERVAL`, `X-PUBLISHED-TTL`: `ical.REFRESH`).
PUBLIC_CACHE: Final = (
    b"cache-control",
    f"public, max-age={int(REFRESH.total_seconds())}".encode("ascii"),
)
PRIVATE_CACHE: Final = (b"cache-control", b"private, no-cache")
PRIVATE_EXTRA: Final = [
    (b"referrer-policy", b"no-referrer"),
    (b"x-robots-tag", b"noindex, nofollow"),
]
VARY: Final = (b"vary", b"Accept-Encoding")
GZIP: Final = (b"content-encoding", b"gzip")

#: The event files' paths, which the CSRF middleware skips (no cookie on a calendar file).
EVENT_FILE_PATH: Final = r"^/events/[^/]*\.ics$"
_ID_ICS = re.compile(r"([1-9][0-9]{0,8})\.ics")
_TOKEN_ICS = re.compile(r"([A-Za-z0-9_-]{1,200})\.ics")


def _id_from(name: str, missing: NotFound) -> int:
    match = _ID_ICS.fullmatch(name)
    if match is None:
        raise missing
    return int(match.group(1))


class FeedResponse(ASGIResponse):
    """Sends a cached body with headers built as raw bytes: nothing is copied or re-encoded.

    (Litestar's `Response` and `ASGIResponse` re-encode every header through
    `MutableScopeHeaders`; on a 304 that was most of the work.)"""

    __slots__ = ("_head", "_payload", "_status")

    def __init__(
        self, status: int, headers: tuple[tuple[bytes, bytes], ...], body: bytes = b""
    ) -> None:
        self._status = status
        self._head = headers
        self._payload = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self._status, "headers": self._head})
        await send({"type": "http.response.body", "body": self._payload, "more_body": False})


def _conditional_headers(scope: Scope) -> tuple[str | None, str | None, str | None]:
    """Accept-Encoding, If-None-Match and If-Modified-Since, in one pass over the raw list."""
    accept = none_match = modified_since = None
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            accept = value.decode("latin-1")
        elif name == b"if-none-match":
            none_match = value.decode("latin-1")
        elif name == b"if-modified-since":
            modified_since = value.decode("latin-1")
    return accept, none_match, modified_since


@functools.lru_cache(maxsize=256)
def _last_modified(moment: datetime) -> bytes:
    return http_date(moment).encode("ascii")


Headers = tuple[tuple[bytes, bytes], ...]
#: The header lists of each cached feed, built once: (gzip, private, filename, status).
_prepared: weakref.WeakKeyDictionary[calendars.RenderedFeed, dict[tuple[Any, ...], Headers]] = (
    weakref.WeakKeyDictionary()
)


def _headers(
    feed: calendars.RenderedFeed,
    *,
    gzip: bool,
    private: bool,
    filename: str | None,
    status: int,
    https: bool,
) -> Headers:
    variants = _prepared.get(feed)
    if variants is None:
        variants = _prepared[feed] = {}
    key = (gzip, private, filename, status)
    headers = variants.get(key)
    if headers is None:
        headers = variants[key] = _build_headers(
            feed, gzip=gzip, private=private, filename=filename, status=status, https=https
        )
    return headers


def _build_headers(
    feed: calendars.RenderedFeed,
    *,
    gzip: bool,
    private: bool,
    filename: str | None,
    status: int,
    https: bool,
) -> Headers:
    own = {name for name, _ in PRIVATE_EXTRA} if private else set()
    security = [h for h in strict_headers(https=https) if h[0] not in own]
    headers = [
        *security,
        (b"etag", (feed.gzip_etag if gzip else feed.etag).encode("ascii")),
        PRIVATE_CACHE if private else PUBLIC_CACHE,
        VARY,
    ]
    if feed.last_modified is not None:
        headers.append((b"last-modified", _last_modified(feed.last_modified)))
    if private:
        headers += PRIVATE_EXTRA
    if status == 304:
        return tuple(headers)
    body = feed.gzipped if gzip else feed.body
    headers += [CONTENT_TYPE, (b"content-length", str(len(body)).encode("ascii"))]
    if gzip:
        headers.append(GZIP)
    if filename:
        headers.append((b"content-disposition", f'attachment; filename="{filename}"'.encode()))
    return tuple(headers)


def feed_response(
    request: Request[Any, Any, Any],
    feed: calendars.RenderedFeed,
    *,
    now: datetime,
    private: bool = False,
    filename: str | None = None,
) -> ASGIResponse:
    accept_encoding, if_none_match, if_modified_since = _conditional_headers(request.scope)
    gzip = accepts_gzip(accept_encoding)
    not_modified = is_not_modified(
        if_none_match=if_none_match,
        if_modified_since=if_modified_since,
        etags=(feed.etag, feed.gzip_etag),
        last_modified=feed.last_modified,
        now=now,
    )
    status = 304 if not_modified else 200
    https = request.app.state.settings.secure_cookies
    headers = _headers(
        feed, gzip=gzip, private=private, filename=filename, status=status, https=https
    )
    if not_modified:
        return FeedResponse(status, headers)
    return FeedResponse(status, headers, feed.gzipped if gzip else feed.body)


@dataclass(frozen=True, slots=True)
class _Call:
    """What a feed handler needs from the request, read without Litestar's parameter
    machinery: declared query parameters and the injected `now` cost ~35 µs a request,
    a quarter of a cached feed's budget. `now` comes from the same clock the `now`
    dependency uses (tests freeze it); `?lang=` alone picks the language (no cookie: a feed
    URL must give the same bytes to everybody)."""

    site: calendars.FeedSite
    cache: calendars.FeedCache
    now: datetime
    language: str
    query: Mapping[str, str]

    @classmethod
    def of(cls, request: Request[Any, Any, Any]) -> _Call:
        state = request.app.state
        query = _query(request.scope["query_string"])
        return cls(
            site=state.feed_site,
            cache=state.feed_cache,
            now=state.clock(),
            language=i18n.normalise_language(query.get("lang")) or i18n.DEFAULT_LANGUAGE,
            query=query,
        )


@functools.lru_cache(maxsize=256)
def _query(raw: bytes) -> Mapping[str, str]:
    """The query's parameters (the first value of each), parsed once per distinct query."""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True) if raw else []
    query: dict[str, str] = {}
    for name, value in pairs:
        query.setdefault(name, value)
    return query


@route(
    "/feeds/public.ics",
    http_method=METHODS,
    opt=PUBLIC,
    tags=["feeds"],
    summary="All public trainings and info events (iCalendar)",
)
async def public_feed(request: Request[Any, Any, Any]) -> ASGIResponse:
    """Every session of the listed runs of public programmes (published, or cancelled and
    marked so; draft and archived ones are left out), from 30 days back to 400 days ahead
    (PROGRAMMES_FEED_DAYS_BACK/_AHEAD). Query: `kind=training|info_event` narrows it to one
    kind (anything else: 400); `lang=en` for English."""
    call = _Call.of(request)
    feed = await calendars.get_public_feed(
        kind=call.query.get("kind"),
        language=call.language,
        site=call.site,
        cache=call.cache,
        now=call.now,
    )
    return feed_response(request, feed, now=call.now)


@route(
    "/feeds/programmes/{name:str}",
    http_method=METHODS,
    opt=PUBLIC,
    tags=["feeds"],
    summary="One public programme (iCalendar): /feeds/programmes/{id}.ics",
)
async def programme_feed(request: Request[Any, Any, Any], name: FromPath[str]) -> ASGIResponse:
    """A public programme's sessions in the window; internal, draft, archived or unknown
    programmes answer 404. Query: `lang=en` for English."""
    missing = NotFound(N_("There is no public programme with id %(id)s."), id=name[:20])
    programme_id = _id_from(name, missing)
    call = _Call.of(request)
    feed = await calendars.get_programme_feed(
        programme_id, language=call.language, site=call.site, cache=call.cache, now=call.now
    )
    return feed_response(request, feed, now=call.now)


@route(
    "/feeds/private/{name:str}",
    http_method=METHODS,
    opt=PUBLIC,
    tags=["feeds"],
    summary="A person's own dates (iCalendar): /feeds/private/{token}.ics",
)
async def private_feed(request: Request[Any, Any, Any], name: FromPath[str]) -> ASGIResponse:
    """The token comes from the person's staff page (/staff/feed); unknown, rotated and
    revoked tokens answer 404. Query: `lang=en` for English."""
    match = _TOKEN_ICS.fullmatch(name)
    if match is None:
        raise NotFound(N_("There is no such calendar feed."))
    call = _Call.of(request)
    feed = await calendars.get_private_feed(
        match.group(1), language=call.language, site=call.site, cache=call.cache, now=call.now
    )
    return feed_response(request, feed, now=call.now, private=True)


@route(
    "/events/{name:str}",
    http_method=METHODS,
    opt=PUBLIC,
    tags=["feeds"],
    summary="One public event: its page, or its dates as iCalendar (/events/{id}.ics)",
)
async def event_resource(request: Request[Any, Any, Any], name: FromPath[str]) -> ASGIApp:
    """`/events/{id}.ics`: the "add to calendar" file of one public run (its cohort id),
    with all its dates (query `lang=en` for English). `/events/{id}`: the event's page.

    One route for both, because Litestar keeps only one handler for `/events/{…}`. So
    unlike the other feeds this one passes through the session and header middlewares,
    which the page needs; the CSRF middleware (the page's registration form carries a CSRF
    token) skips the file's path (`EVENT_FILE_PATH`), so no calendar answer sets a cookie.

    Annotated as a bare ASGI app so that Litestar passes both answers through untouched
    (a union would make it try to serialise the calendar answer as JSON)."""
    run_id = id_from_text(name)
    if run_id is not None:
        page = await event_page(request, run_id)
        # `HEAD` never reaches a route: `web.head.HeadAsGet` answers it as `GET`
        return page.to_asgi_response(app=None, request=request)
    missing = NotFound(N_("There is no public event with id %(id)s."), id=name[:20])
    cohort_id = _id_from(name, missing)
    call = _Call.of(request)
    feed = await calendars.get_run_calendar(
        cohort_id, language=call.language, site=call.site, cache=call.cache, now=call.now
    )
    return feed_response(request, feed, now=call.now, filename=f"event-{cohort_id}.ics")


#: The feeds served outside the site's middleware (see `app.site_router`); `event_resource`
#: is also a page with a form and stays behind it.
ROUTES: Final = [public_feed, programme_feed, private_feed]
