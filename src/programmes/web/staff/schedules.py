"""Staff pages for planning a cohort's sessions and changing single sessions."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from programmes.domain.access import Staff
from programmes.domain.catalogue import entries
from programmes.domain.errors import DomainError
from programmes.domain.planning import org_closures, schedules, sessions
from programmes.domain.planning.schedules import RuleInput, SchedulePlan
from programmes.vocabulary import ProgrammeKind, Role, SessionStatus
from programmes.web.confirm import confirmation, confirmed
from programmes.web.deps import PathId
from programmes.web.forms import (
    Form,
    form_error,
    int_list,
    optional_date,
    optional_int,
    read_form,
    required_date,
    required_int,
    submit,
    text,
)
from programmes.web.guards import requires_coordinator, requires_role, requires_staff
from programmes.web.notices import done
from programmes.web.pages import page
from programmes.web.staff.catalogue import WEEKDAYS


def _rule(form: Form) -> RuleInput:
    return RuleInput(
        weekdays=int_list(form, "weekdays", high=6),
        start_time=text(form, "start_time"),
        duration_minutes=required_int(form, "duration_minutes", low=0, high=24 * 60),
        first_day=required_date(form, "first_day"),
        last_day=optional_date(form, "last_day"),
        count=optional_int(form, "count", high=1000),
        every_weeks=optional_int(form, "every_weeks", high=100) or 1,
    )


class SchedulePages(Controller):
    path = "/staff/cohorts/{cohort_id:int}/schedule"
    guards = [requires_coordinator]
    include_in_schema = False

    @post("/")
    async def preview_or_save(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        """ "Preview" shows what would happen (the confirmation step: which dates, and who
        gets a mail); "Save" stores it and redirects to the cohort's page. Errors show the
        form again."""
        form = await read_form(request)
        try:
            rule = _rule(form)
            if text(form, "step") == "save":
                await schedules.save_schedule(staff=staff, cohort_id=cohort_id, rule=rule, now=now)
                return Redirect(
                    done(f"/staff/cohorts/{cohort_id}", "schedule-saved"), status_code=303
                )
            plan = await schedules.preview_schedule(
                staff=staff, cohort_id=cohort_id, rule=rule, now=now
            )
        except DomainError as error:
            return await form_error(
                request, "staff/cohort.html", error, form, partial(_plan_context, staff, cohort_id)
            )
        return page(  # type: ignore[return-value]
            request,
            "staff/cohort.html",
            form=form,
            **await _plan_context(staff, cohort_id, plan),
        )


class CalendarPausePages(Controller):
    path = "/staff/cohorts/{cohort_id:int}/calendar-pause"
    guards = [requires_coordinator]
    include_in_schema = False

    @post("/")
    async def save(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        """Saves the cohort's choice; the schedule is not changed until it is saved again."""

        async def action(form: Form) -> str:
            await org_closures.set_cohort_pause(
                staff=staff, cohort_id=cohort_id, choice=text(form, "calendar_pause"), now=now
            )
            return done(f"/staff/cohorts/{cohort_id}", "cohort-calendar-pause")

        return await submit(
            request, "staff/cohort.html", action, partial(_plan_context, staff, cohort_id)
        )


async def _plan_context(
    staff: Staff, cohort_id: int, plan: SchedulePlan | None = None
) -> dict[str, Any]:
    """The cohort page with its sessions and, after "Preview" or "Save", the plan."""
    return {
        "cohort": await entries.get_cohort(staff=staff, cohort_id=cohort_id),
        "weekday_names": WEEKDAYS,
        "sessions": await sessions.list_sessions(staff=staff, cohort_id=cohort_id),
        "plan": plan,
        "pause": await org_closures.pause_summary(cohort_id),
    }


class SessionPages(Controller):
    path = "/staff/sessions/{session_id:int}"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        session_id: PathId,
        now: NamedDependency[datetime],
    ) -> Template:
        return page(request, "staff/session.html", **await _context(staff, session_id, now))

    @post("/move", guards=[requires_coordinator])
    async def move(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        session_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str | Response[Any]:
            starts_at, ends_at = sessions.local_times(
                required_date(form, "day"), text(form, "start_time"), text(form, "end_time")
            )
            location = text(form, "location") or None
            if not confirmed(form):
                preview = await sessions.preview_move(
                    staff=staff,
                    session_id=session_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    location=location,
                    now=now,
                )
                return await _ask(request, form, staff, session_id, "move", preview=preview)
            await sessions.move_session(
                staff=staff,
                session_id=session_id,
                starts_at=starts_at,
                ends_at=ends_at,
                location=location,
                now=now,
            )
            return done(f"/staff/sessions/{session_id}", "session-moved")

        return await submit(
            request, "staff/session.html", action, partial(_context, staff, session_id, now)
        )

    @post("/cancel", guards=[requires_coordinator])
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        session_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str | Response[Any]:
            reason = text(form, "reason")
            if not confirmed(form):
                audience = await sessions.preview_cancel(
                    staff=staff,
                    session_id=session_id,
                    reason=reason,
                    public_note=text(form, "public_note"),
                )
                return await _ask(request, form, staff, session_id, "cancel", audience=audience)
            await sessions.cancel_session(
                staff=staff,
                session_id=session_id,
                reason=text(form, "reason"),
                public_note=text(form, "public_note"),
                now=now,
            )
            return done(f"/staff/sessions/{session_id}", "session-cancelled")

        return await submit(
            request, "staff/session.html", action, partial(_context, staff, session_id, now)
        )

    @post("/reinstate", guards=[requires_coordinator])
    async def reinstate(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        session_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        """Take a cancellation back (the session is planned again, everyone told)."""

        async def action(form: Form) -> str | Response[Any]:
            if not confirmed(form):
                audience = await sessions.preview_reinstate(
                    staff=staff, session_id=session_id, now=now
                )
                return await _ask(request, form, staff, session_id, "reinstate", audience=audience)
            await sessions.reinstate_session(staff=staff, session_id=session_id, now=now)
            return done(f"/staff/sessions/{session_id}", "session-reinstated")

        return await submit(
            request, "staff/session.html", action, partial(_context, staff, session_id, now)
        )

    @post("/theme", guards=[requires_role(Role.coordinator, Role.trainer)])
    async def theme(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        session_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await sessions.change_theme(
                staff=staff, session_id=session_id, theme=text(form, "theme"), now=now
            )
            return done(f"/staff/sessions/{session_id}", "theme-saved")

        return await submit(
            request, "staff/session.html", action, partial(_context, staff, session_id, now)
        )

    @post("/substitute", guards=[requires_coordinator])
    async def substitute(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        session_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await sessions.set_substitute(
                staff=staff,
                session_id=session_id,
                trainer_id=optional_int(form, "trainer_id", low=1),
                now=now,
            )
            return done(f"/staff/sessions/{session_id}", "substitute-saved")

        return await submit(
            request, "staff/session.html", action, partial(_context, staff, session_id, now)
        )


async def _ask(
    request: Request[Any, Any, Any],
    form: Form,
    staff: Staff,
    session_id: int,
    step: str,
    **facts: Any,
) -> Response[Any]:
    """The confirmation page of a move, cancellation or reinstatement of the session."""
    session = await sessions.get_session(staff=staff, session_id=session_id)
    cohort = await entries.get_cohort(staff=staff, cohort_id=session.cohort_id)
    return confirmation(  # type: ignore[return-value]
        request,
        form,
        what=f"session-{step}",
        action=f"/staff/sessions/{session_id}/{step}",
        back=f"/staff/sessions/{session_id}",
        session=session,
        families=cohort.kind == ProgrammeKind.rucksack.value,
        **facts,
    )


async def _context(staff: Staff, session_id: int, now: datetime) -> dict[str, Any]:
    session = await sessions.get_session(staff=staff, session_id=session_id)
    cohort = await entries.get_cohort(staff=staff, cohort_id=session.cohort_id)
    programme = await entries.get_programme(staff=staff, programme_id=cohort.programme_id)
    return {
        "session": session,
        "may_reinstate": session.status == SessionStatus.cancelled.value
        and session.starts_at > now,
        "cohort": cohort,
        "themes": programme.themes,
        "trainers": await entries.list_trainers(staff=staff) if staff.is_coordinator else [],
    }
