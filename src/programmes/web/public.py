"""Public pages (no personal data, no sign-in)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.enrolment import public_runs
from programmes.web.calendar_links import CalendarLinks
from programmes.web.guards import PUBLIC
from programmes.web.pages import page, request_language


@get("/", opt=PUBLIC, include_in_schema=False)
async def home(request: Request[Any, Any, Any], now: NamedDependency[datetime]) -> Template:
    """Upcoming public runs with "add to calendar" links, and the feeds to subscribe to."""
    language = request_language(request)
    runs = await public_runs.list_upcoming_runs(language=language, now=now)
    calendar = CalendarLinks(request.app.state.settings.base_url, language)
    return page(
        request,
        "public/home.html",
        runs=runs,
        calendar=calendar,
        programme_links=[
            calendar.programme(programme.title, programme.programme_id)
            for programme in public_runs.listed_programmes(runs)
        ],
    )
