"""`create_app(settings)`: the Litestar application with its routes, templates, error
mapping, security middleware and database lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path

import anyio.to_thread
from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from programmes import __version__, db, hold_times
from programmes.clock import Clock, system_clock
from programmes.domain.enrolment.listing_cache import ListingCache
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.feeds.calendars import Calendars, FeedCache, FeedSite
from programmes.domain.feeds.render_pool import RenderPool
from programmes.domain.mail import links, outbox
from programmes.domain.mail.sender import MailSender
from programmes.domain.privacy import retention
from programmes.settings import Settings
from programmes.web import api, events, feeds, public, staff, staff_feed, system
from programmes.web.admin import admin_route, build_admin
from programmes.web.auth import AuthenticationMiddleware
from programmes.web.compression import GzipMiddleware
from programmes.web.csrf import CookieOnDemandCSRFMiddleware
from programmes.web.deps import provide_staff
from programmes.web.errors import EXCEPTION_HANDLERS
from programmes.web.head import HeadAsGet
from programmes.web.hosts import AllowedHosts
from programmes.web.kept_forms import KeptFormMiddleware
from programmes.web.pages import build_environment
from programmes.web.public import retention_policy
from programmes.web.security import CheckedRequest, SecurityHeadersMiddleware

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
POOL_MIN_SIZE = 2
POOL_MAX_SIZE = 10
#: No form or JSON body of this service comes near this; larger ones are refused (413).
MAX_BODY_BYTES = 256 * 1024


def _now_from(clock: Clock) -> Callable[[], datetime]:
    """The `now` dependency. A closure without parameters: Litestar then has nothing to
    parse, where a `state: State` parameter cost ~60 µs per request (a State is built)."""

    def now() -> datetime:
        return clock()

    return now


def _mail_from(settings: Settings, clock: Clock, calendars: Calendars) -> Callable[[], MailContext]:
    """The `mail` dependency: where mails link to, the time they are written, and the app's
    feeds (a mail's calendar file is the one the app serves)."""

    def mail() -> MailContext:
        return MailContext(base_url=settings.base_url, now=clock(), calendars=calendars)

    return mail


def _settings_of(settings: Settings) -> Callable[[], Settings]:
    def current() -> Settings:
        return settings

    return current


@asynccontextmanager
async def database_pool(app: Litestar) -> AsyncIterator[None]:
    """Connections are reused for the life of the app (see `db.connection_pool`)."""
    async with db.connection_pool(min_size=POOL_MIN_SIZE, max_size=POOL_MAX_SIZE):
        yield


#: How long a thread may hold the GIL while another waits (CPython's default: 5 ms). Feed
#: rebuilds render in a worker thread; during full rebuilds /health's p99 grew 6.5x with
#: 5 ms hand-overs, 5.9x with 0.5 ms and 2.8x with 0.1 ms, while the rebuild itself took no
#: longer (bench/feeds.py, SQLite, after /health stopped opening a connection per check).
SWITCH_INTERVAL = 0.0001


@asynccontextmanager
async def tuned_runtime(app: Litestar) -> AsyncIterator[None]:
    """Two process-wide settings for a busy worker, restored at shutdown.

    Objects built at start-up (piccolo-admin, templates, the schema: some 10^5) are frozen
    out of the garbage collector: full collections over them took ~18 % of the CPU of a
    worker serving cached feeds (py-spy). And the GIL is handed over every 0.1 ms, so the
    event loop keeps answering while a worker thread renders."""
    gc.collect()
    gc.freeze()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        gc.unfreeze()
        sys.setswitchinterval(switch)


def feed_renderer(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The helper process that renders large batches of calendar entries (if configured),
    started with the app so that the first feed does not wait for it."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if settings.feed_renderer != "process":
            yield
            return
        pool = RenderPool()
        pool.start()
        app.state.feed_cache.render_pool = pool
        try:
            yield
        finally:
            app.state.feed_cache.render_pool = None
            await anyio.to_thread.run_sync(pool.close)

    return lifespan


def mail_sender(
    settings: Settings, clock: Clock
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The background mail sender, running while the app runs (after the pool starts,
    stopped before it closes: Litestar leaves lifespans in reverse order)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        sender = MailSender(settings.smtp, clock=clock)
        app.state.mail_sender = sender
        sender.start()
        try:
            yield
        finally:
            await sender.stop()

    return lifespan


def daily_retention(
    settings: Settings, clock: Clock
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Retention once a day in each server process (when PROGRAMMES_RETENTION_DAILY is on;
    runs are idempotent, so several workers doing it cost nothing but a query)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if not settings.retention_daily:
            yield
            return
        task = asyncio.create_task(retention.run_daily(retention_policy(settings), clock))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan


def site_router(settings: Settings, clock: Clock) -> Router:
    """Every route but the calendar feeds, behind the security-header, sign-in and CSRF
    middleware (outermost first).

    The feeds (`web.feeds.ROUTES`) stay outside: they set their own headers, know no
    signed-in caller and take no form, and calendar apps poll them all day. Each middleware
    layer costs its checks and one more coroutine to resume per request: a cached feed's 304
    answered at 72 % of a bare Litestar route's rate with the layers skipped by flag, and at
    75-82 % without them (bench/feeds.py, PostgreSQL).
    """
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="programmes_csrf",
        cookie_secure=settings.secure_cookies,
        cookie_httponly=True,
        header_name="x-csrftoken",
        # `/events/{id}.ics` shares its route with the event page (web/feeds.py) but is a
        # calendar file: a cookie on it would be wrong (calendar apps and shared caches
        # keep it), so the CSRF middleware, the only one here that sets a cookie, skips it.
        exclude=["/api/", "/admin", feeds.EVENT_FILE_PATH],
    )
    return Router(
        path="/",
        route_handlers=[
            system.health_check,
            *public.ROUTES,
            events.EventPages,
            feeds.event_resource,
            *staff.CONTROLLERS,
            staff_feed.StaffFeedController,
            api.api_router(),
            admin_route(build_admin(settings)),
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                opt={"access": "public"},
                include_in_schema=False,
            ),
        ],
        middleware=[
            GzipMiddleware(),
            SecurityHeadersMiddleware(https=settings.secure_cookies),
            AuthenticationMiddleware(clock=clock),
            KeptFormMiddleware(clock, secure=settings.secure_cookies),
            DefineMiddleware(CookieOnDemandCSRFMiddleware, config=csrf),
        ],
    )


def create_app(
    settings: Settings, *, clock: Clock = system_clock, send_mail: bool = True
) -> Litestar:
    """The application. `send_mail=False` leaves out the background mail sender (mail
    then waits in the outbox for `programmes mail send`)."""
    db.configure(settings.database)
    outbox.set_message_id_host(settings.host)
    links.set_key(settings.secret_key)
    lifespans = [database_pool, tuned_runtime, feed_renderer(settings)] + (
        [mail_sender(settings, clock)] if send_mail else []
    )
    lifespans.append(daily_retention(settings, clock))
    if settings.hold_times_folder is not None:
        lifespans.append(hold_times.measured_into(settings.hold_times_folder))
    # per process: every worker builds its own
    calendars = Calendars(site=FeedSite.from_settings(settings), cache=FeedCache())
    application = Litestar(
        route_handlers=[site_router(settings, clock), *feeds.ROUTES],
        dependencies={
            "now": Provide(_now_from(clock), sync_to_thread=False),
            "staff": Provide(provide_staff, sync_to_thread=False),
            "mail": Provide(_mail_from(settings, clock, calendars), sync_to_thread=False),
            "settings": Provide(_settings_of(settings), sync_to_thread=False),
        },
        state=State(
            {
                "settings": settings,
                "clock": clock,
                "feed_site": calendars.site,
                "feed_cache": calendars.cache,
                "listings": ListingCache(calendars.cache),
            }
        ),
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(build_environment())
        ),
        openapi_config=OpenAPIConfig(
            title="programmes",
            version=__version__,
            use_handler_docstrings=True,
            openapi_router=Router(
                path="/schema",
                route_handlers=[],
                middleware=[SecurityHeadersMiddleware(https=settings.secure_cookies)],
            ),
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[DefineMiddleware(AllowedHosts, hosts=settings.allowed_hosts)],
        lifespan=lifespans,
        debug=False,
        request_max_body_size=MAX_BODY_BYTES,
        request_class=CheckedRequest,
    )
    # in front of routing, which would answer HEAD with 405 on every GET-only route
    application.asgi_handler = HeadAsGet(application.asgi_handler)
    return application
