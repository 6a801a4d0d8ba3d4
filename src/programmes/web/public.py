"""Public pages (no personal data, no sign-in): the start page, the privacy notice and the
imprint."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from programmes.domain.enrolment import public_runs
from programmes.domain.enrolment.listing_cache import ListingCache
from programmes.domain.privacy.retention import RetentionPolicy
from programmes.domain.types import MAX_ID
from programmes.settings import Settings
from programmes.web.calendar_links import CalendarLinks
from programmes.web.guards import PUBLIC
from programmes.web.pages import page, request_language

#: `?page=2`: like `deps.OptionalQueryId`, under the name people see in the address.
PageNumber = Annotated[int | None, QueryParameter(name="page", ge=1, le=MAX_ID)]
#: Where the privacy notice lives; `/privacy` redirects here.
PRIVACY_PATH = "/datenschutz"
#: Where the imprint lives; `/imprint` redirects here.
IMPRINT_PATH = "/impressum"


@get("/", opt=PUBLIC, include_in_schema=False)
async def home(
    request: Request[Any, Any, Any],
    now: NamedDependency[datetime],
    kind: FromQuery[str | None] = None,
    month: FromQuery[str | None] = None,
    page_number: PageNumber = None,
) -> Template:
    """Upcoming public runs as cards (filtered by `kind` and `month`, 50 to a page) with
    their "register" and "add to calendar" links, and the feeds to subscribe to. A month or
    kind that is not one is a 400 naming it, in the page's language."""
    language = request_language(request)
    chosen_kind = public_runs.parse_kind(kind)
    chosen_month = public_runs.parse_month(month)
    listings: ListingCache = request.app.state.listings
    listing = await listings.listing(
        language=language, now=now, kind=chosen_kind, month=chosen_month, page=page_number or 1
    )
    calendar = CalendarLinks(request.app.state.settings.base_url, language)

    def page_url(number: int) -> str:
        query = {"kind": chosen_kind or "", "month": month or "", "page": str(number)}
        kept = urlencode({k: v for k, v in query.items() if v and v != "1"})
        return f"/?{kept}" if kept else "/"

    return page(
        request,
        "public/home.html",
        shows=(listing, chosen_kind, chosen_month, request.app.state.settings.base_url),
        listing=listing,
        kind=chosen_kind,
        month=chosen_month,
        kinds=public_runs.KINDS,
        months=listing.months,
        page_url=page_url,
        calendar=calendar,
        programme_links=[
            calendar.programme(programme.title, programme.programme_id)
            for programme in listing.programmes
        ],
    )


def retention_policy(settings: Settings) -> RetentionPolicy:
    """The retention periods of the settings: the daily job keeps them, and the privacy
    notice states them (one mapping, so the notice cannot promise other periods)."""
    return RetentionPolicy(
        public_days=settings.retention_public_days,
        family_months=settings.retention_family_months,
        mail_days=settings.retention_mail_days,
    )


@get(PRIVACY_PATH, opt=PUBLIC, include_in_schema=False)
async def privacy_notice(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings]
) -> Template:
    """The privacy notice in the version that consents record, with the retention periods
    the retention job applies."""
    return page(
        request,
        "public/privacy.html",
        version=settings.privacy_notice_version,
        retention=retention_policy(settings),
        organisation=settings.organisation_name,
        imprint=settings.imprint,
    )


@get("/privacy", opt=PUBLIC, include_in_schema=False)
async def privacy_redirect(request: Request[Any, Any, Any]) -> Redirect:
    return Redirect(_same_query(request, PRIVACY_PATH), status_code=301)


@get(IMPRINT_PATH, opt=PUBLIC, include_in_schema=False)
async def imprint(request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
    """Who runs the service and how to reach them (PROGRAMMES_ORGANISATION and
    PROGRAMMES_IMPRINT_*)."""
    return page(
        request,
        "public/imprint.html",
        organisation=settings.organisation_name,
        imprint=settings.imprint,
    )


@get("/imprint", opt=PUBLIC, include_in_schema=False)
async def imprint_redirect(request: Request[Any, Any, Any]) -> Redirect:
    return Redirect(_same_query(request, IMPRINT_PATH), status_code=301)


def _same_query(request: Request[Any, Any, Any], path: str) -> str:
    """`path` with the request's `lang` (the only parameter these pages read)."""
    language = request.query_params.get("lang")
    return f"{path}?{urlencode({'lang': language})}" if language else path


ROUTES = [home, privacy_notice, privacy_redirect, imprint, imprint_redirect]
