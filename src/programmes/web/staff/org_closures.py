"""The organisation's closure calendars (school holidays and the like): /staff/closures.

Coordinators only (partners and trainers get 403): the list with a form for a new calendar,
and each calendar's page with its days, a form to enter days by hand, the iCal import and
which programmes pause during it. A cohort's own choice (inherit / pause / meet) is posted
from the cohort's page to /staff/cohorts/{id}/calendar-pause (`web.staff.schedules`). Plain
forms, each redirecting with a notice; deleting a day or a calendar asks first.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.access import Staff
from programmes.domain.planning import closures, org_closures
from programmes.web.confirm import confirmation, confirmed
from programmes.web.deps import PathId, allow_private_calendar_hosts
from programmes.web.forms import Form, checkbox, int_list, submit, text
from programmes.web.guards import requires_coordinator
from programmes.web.notices import done
from programmes.web.pages import page

BASE = "/staff/closures"
IMPORT_COUNTS = ("added", "updated", "removed", "unchanged")


def calendar_path(calendar_id: int) -> str:
    return f"{BASE}/{calendar_id}"


class OrgClosurePages(Controller):
    path = BASE
    guards = [requires_coordinator]
    include_in_schema = False

    @get("/")
    async def list_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff]
    ) -> Template:
        return page(request, "staff/org_calendars.html", **await _list_context(staff))

    @post("/")
    async def create(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            calendar = await org_closures.create_calendar(
                staff=staff,
                name=text(form, "name"),
                school_holidays=checkbox(form, "school_holidays"),
                now=now,
            )
            return done(calendar_path(calendar.id), "org-calendar-created")

        return await submit_page(request, "staff/org_calendars.html", action, staff)

    @get("/{calendar_id:int}")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        calendar_id: PathId,
    ) -> Template:
        return page(
            request,
            "staff/org_calendar.html",
            **await _detail_context(staff, calendar_id, _import_counts(request)),
        )

    @post("/{calendar_id:int}/days")
    async def add_day(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        calendar_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            first_day = closures.parse_day(
                text(form, "first_day"), field="first_day", required=True
            )
            assert first_day is not None  # required
            await org_closures.add_day(
                staff=staff,
                calendar_id=calendar_id,
                first_day=first_day,
                last_day=closures.parse_day(text(form, "last_day"), field="last_day"),
                reason=text(form, "reason"),
                now=now,
            )
            return done(calendar_path(calendar_id), "org-closure-added")

        return await submit_page(request, "staff/org_calendar.html", action, staff, calendar_id)

    @post("/{calendar_id:int}/days/{closure_id:int}/delete")
    async def delete_day(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        calendar_id: PathId,
        closure_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str | Response[Any]:
            if not confirmed(form):
                await org_closures.get_calendar(staff=staff, calendar_id=calendar_id)
                return confirmation(  # type: ignore[return-value]
                    request,
                    form,
                    what="closure-delete",
                    action=f"{calendar_path(calendar_id)}/days/{closure_id}/delete",
                    back=calendar_path(calendar_id),
                )
            await org_closures.delete_day(
                staff=staff, calendar_id=calendar_id, closure_id=closure_id, now=now
            )
            return done(calendar_path(calendar_id), "org-closure-deleted")

        return await submit_page(request, "staff/org_calendar.html", action, staff, calendar_id)

    @post("/{calendar_id:int}/import")
    async def import_calendar(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        calendar_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        """Imports, then redirects (a reload does not fetch the calendar again)."""

        async def action(form: Form) -> str:
            result = await org_closures.import_calendar(
                staff=staff,
                calendar_id=calendar_id,
                url=text(form, "url"),
                now=now,
                allow_private_hosts=allow_private_calendar_hosts(request),
            )
            counts = {name: getattr(result, name) for name in IMPORT_COUNTS}
            counts |= {"from": result.window_start, "to": result.window_end}
            return (
                f"{done(calendar_path(calendar_id), 'org-calendar-imported')}&{urlencode(counts)}"
            )

        return await submit_page(request, "staff/org_calendar.html", action, staff, calendar_id)

    @post("/{calendar_id:int}/programmes")
    async def programmes(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        calendar_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            pausing = int_list(form, "pauses")
            await org_closures.set_programme_pauses(
                staff=staff, calendar_id=calendar_id, pausing=pausing, now=now
            )
            return done(calendar_path(calendar_id), "org-calendar-programmes")

        return await submit_page(request, "staff/org_calendar.html", action, staff, calendar_id)

    @post("/{calendar_id:int}/delete")
    async def delete(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        calendar_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str | Response[Any]:
            if not confirmed(form):
                calendar = await org_closures.get_calendar(staff=staff, calendar_id=calendar_id)
                return confirmation(  # type: ignore[return-value]
                    request,
                    form,
                    what="org-calendar-delete",
                    action=f"{calendar_path(calendar_id)}/delete",
                    back=calendar_path(calendar_id),
                    org_calendar=calendar,
                )
            await org_closures.delete_calendar(staff=staff, calendar_id=calendar_id, now=now)
            return done(BASE, "org-calendar-deleted")

        return await submit_page(request, "staff/org_calendar.html", action, staff, calendar_id)


def _import_counts(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    """An import's counts and window from the page's query (numbers and dates only; None
    when they do not read as such)."""
    query = request.query_params
    try:
        counts: dict[str, Any] = {name: int(query.get(name, "")[:6]) for name in IMPORT_COUNTS}
        counts["start"] = date.fromisoformat(query.get("from", "")[:10])
        counts["end"] = date.fromisoformat(query.get("to", "")[:10])
    except ValueError:
        return None
    return counts


async def submit_page(
    request: Request[Any, Any, Any],
    template: str,
    action: Any,
    staff: Staff,
    calendar_id: int | None = None,
) -> Response[Any]:
    """`forms.submit` with the list's or the calendar's page as the error page."""
    context = (
        partial(_list_context, staff)
        if calendar_id is None
        else partial(_detail_context, staff, calendar_id)
    )
    return await submit(request, template, action, context)


async def _list_context(staff: Staff) -> dict[str, Any]:
    return {"calendars": await org_closures.list_calendars(staff=staff)}


async def _detail_context(
    staff: Staff, calendar_id: int, result: dict[str, Any] | None = None
) -> dict[str, Any]:
    detail = await org_closures.calendar_detail(staff=staff, calendar_id=calendar_id)
    return {
        "result": result,
        "org_calendar": detail.calendar,
        "closures": detail.closures,
        "programmes": detail.programmes,
        "action": calendar_path(calendar_id),
    }
