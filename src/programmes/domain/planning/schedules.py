"""Planning a cohort's sessions from a weekly rule: preview, then save.

The rule is expanded by `recurrence.expand_rule` (NRW holidays, the KiTa's closure days and
the organisation calendars the cohort pauses during skipped, each with its reason: see
`org_closures.cohort_closures`; themes assigned in order). Saving a rule for a cohort that
already has sessions changes only the future: sessions that have begun or have attendance
are never touched, a future session at a planned time keeps its identity (its calendar
UID), future sessions that are no longer planned are cancelled (they stay in calendars as
CANCELLED), and new times become new sessions. Everyone registered is told by mail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec

from programmes.db import write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff, require_coordinator
from programmes.domain.errors import N_, Conflict, InvalidInput, NotFound
from programmes.domain.planning import org_closures
from programmes.domain.planning.notifications import (
    Audience,
    SessionChange,
    audience,
    notify_schedule_change,
)
from programmes.domain.planning.recurrence import (
    MAX_DURATION,
    MAX_SESSIONS,
    PlannedSession,
    SchedulePreview,
    SkippedDate,
    WeeklyRule,
    expand_rule,
    validate_rule,
)
from programmes.tables import Attendance, Cohort, Session
from programmes.vocabulary import PublicationStatus, SessionStatus

SCHEDULE_CHANGED_REASON = "Terminplan geändert"


class RuleInput(msgspec.Struct, frozen=True):
    """A weekly rule as a coordinator enters it (API body, page form)."""

    weekdays: list[int]
    start_time: str
    duration_minutes: int
    first_day: date
    last_day: date | None = None
    count: int | None = None
    every_weeks: int = 1


def parse_rule(data: RuleInput) -> WeeklyRule:
    """The rule with its start time read as local wall-clock time ("09:00")."""
    try:
        hours, _, minutes = data.start_time.strip().partition(":")
        start = time(int(hours), int(minutes or 0))
    except ValueError:
        raise InvalidInput(
            N_("Give the start time as hours and minutes, e.g. 09:00."), field="start_time"
        ) from None
    rule = WeeklyRule(
        weekdays=tuple(data.weekdays),
        start_time=start,
        duration=_duration(data.duration_minutes),
        first_day=data.first_day,
        last_day=data.last_day,
        count=data.count,
        every_weeks=data.every_weeks,
    )
    with _input_field_names():
        validate_rule(rule)
    return rule


def _duration(minutes: int) -> timedelta:
    """The entered minutes as a duration for `validate_rule` to judge. Any number is
    accepted here: one beyond the cap stays beyond it (a timedelta of 10^20 minutes would
    overflow), so the refusal is the rule's own."""
    beyond = int(MAX_DURATION.total_seconds() // 60) + 1
    return timedelta(minutes=max(-1, min(minutes, beyond)))


@contextmanager
def _input_field_names() -> Iterator[None]:
    """The rule's `duration` is entered as `duration_minutes`: name the field as entered."""
    try:
        yield
    except InvalidInput as error:
        if error.field == "duration":
            error.field = "duration_minutes"
        raise


class PlannedView(msgspec.Struct, frozen=True):
    starts_at: datetime
    ends_at: datetime
    theme: str | None
    change: str  # "new", "unchanged", "updated" or "past"


class SkippedView(msgspec.Struct, frozen=True):
    day: date
    reason: str


class CancelledView(msgspec.Struct, frozen=True):
    session_id: int
    starts_at: datetime


class SchedulePlan(msgspec.Struct, frozen=True):
    """What saving the rule would do (the preview) or did (the result)."""

    cohort_id: int
    sessions: list[PlannedView]
    skipped: list[SkippedView]
    cancelled: list[CancelledView]
    kept: int
    saved: bool = False
    #: Who saving would tell of changed dates (the preview only; None after saving).
    audience: Audience | None = None


@dataclass
class _Existing:
    id: int
    starts_at: datetime
    ends_at: datetime
    theme: str | None
    location: str
    status: str
    attended: bool


async def preview_schedule(
    *, staff: Staff, cohort_id: int, rule: RuleInput, now: datetime
) -> SchedulePlan:
    """Every date that saving would create, keep or cancel, and every date skipped."""
    require_coordinator(staff)
    cohort = await _cohort(cohort_id)
    preview = await _expand(cohort, parse_rule(rule))
    plan = _plan(cohort_id, preview, await _existing_sessions(cohort_id), now)
    return msgspec.structs.replace(plan, audience=await audience(cohort_id))


async def save_schedule(
    *, staff: Staff, cohort_id: int, rule: RuleInput, now: datetime
) -> SchedulePlan:
    require_coordinator(staff)
    weekly = parse_rule(rule)
    async with write_transaction():
        cohort = await _cohort(cohort_id)
        if cohort["status"] == PublicationStatus.archived.value:
            raise Conflict(N_("An archived cohort cannot be changed."), field="status")
        preview = await _expand(cohort, weekly)
        existing = await _existing_sessions(cohort_id)
        plan = _plan(cohort_id, preview, existing, now)
        added, cancelled = await _apply(cohort, plan, existing, now)
        await Cohort.update({Cohort.schedule_rule: _rule_json(rule), Cohort.updated_at: now}).where(
            Cohort.id == cohort_id
        )
        await audit.record(
            actor_id=staff.id,
            action="schedule.saved",
            object_type="cohort",
            object_id=cohort_id,
            now=now,
            detail={"created": len(added), "cancelled": len(cancelled), "kept": plan.kept},
        )
        if existing:  # a first plan has nobody to tell yet
            await notify_schedule_change(
                cohort_id=cohort_id,
                cohort_title=cohort["title"],
                cancelled=cancelled,
                added=added,
                now=now,
            )
    return msgspec.structs.replace(plan, saved=True)


async def _cohort(cohort_id: int) -> dict[str, Any]:
    row = (
        await Cohort.select(
            Cohort.id,
            Cohort.title,
            Cohort.kita,
            Cohort.location,
            Cohort.place,
            Cohort.status,
            Cohort.programme.themes.as_alias("themes"),
        )
        .where(Cohort.id == cohort_id)
        .first()
    )
    if row is None:
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)
    return row


async def _expand(cohort: dict[str, Any], rule: WeeklyRule) -> SchedulePreview:
    closures = await org_closures.cohort_closures(cohort["id"])
    with _input_field_names():
        return expand_rule(rule, closures=closures, themes=list(cohort["themes"] or []))


async def _existing_sessions(cohort_id: int) -> list[_Existing]:
    rows = await Session.select(
        Session.id,
        Session.starts_at,
        Session.ends_at,
        Session.theme,
        Session.location,
        Session.status,
    ).where(Session.cohort == cohort_id)
    attended = {
        row["session"]
        for row in await Attendance.select(Attendance.session).where(
            Attendance.session.is_in([r["id"] for r in rows] or [0])
        )
    }
    return [_Existing(**row, attended=row["id"] in attended) for row in rows]


def _protected(session: _Existing, now: datetime) -> bool:
    """Begun or attended sessions belong to history: a new plan never touches them."""
    return session.starts_at <= now or session.attended


def _plan(
    cohort_id: int, preview: SchedulePreview, existing: list[_Existing], now: datetime
) -> SchedulePlan:
    protected = [s for s in existing if _protected(s, now)]
    open_ = {
        s.starts_at: s
        for s in existing
        if not _protected(s, now) and s.status == SessionStatus.scheduled.value
    }
    taken = {s.starts_at for s in protected if s.status == SessionStatus.scheduled.value}
    views: list[PlannedView] = []
    for planned in preview.sessions:
        if planned.starts_at <= now or planned.starts_at in taken:
            views.append(_view(planned, "past"))
            continue
        current = open_.pop(planned.starts_at, None)
        if current is None:
            views.append(_view(planned, "new"))
        elif current.ends_at == planned.ends_at and current.theme == planned.theme:
            views.append(_view(planned, "unchanged"))
        else:
            views.append(_view(planned, "updated"))
    active = len(taken) + sum(1 for v in views if v.change != "past")
    if active > MAX_SESSIONS:
        raise InvalidInput(
            N_(
                "With the sessions already held this cohort would have %(n)s sessions; "
                "at most %(max)s are allowed."
            ),
            field="count",
            n=active,
            max=MAX_SESSIONS,
        )
    return SchedulePlan(
        cohort_id=cohort_id,
        sessions=views,
        skipped=[_skipped(s) for s in preview.skipped],
        cancelled=[CancelledView(s.id, s.starts_at) for s in open_.values()],
        kept=len(protected),
    )


def _view(planned: PlannedSession, change: str) -> PlannedView:
    return PlannedView(planned.starts_at, planned.ends_at, planned.theme, change)


def _skipped(skipped: SkippedDate) -> SkippedView:
    return SkippedView(skipped.day, skipped.reason)


async def _apply(
    cohort: dict[str, Any], plan: SchedulePlan, existing: list[_Existing], now: datetime
) -> tuple[list[SessionChange], list[SessionChange]]:
    by_start = {
        s.starts_at: s
        for s in existing
        if not _protected(s, now) and s.status == SessionStatus.scheduled.value
    }
    added: list[SessionChange] = []
    new_rows = []
    for view in plan.sessions:
        if view.change == "new":
            new_rows.append(
                Session(
                    cohort=cohort["id"],
                    starts_at=view.starts_at,
                    ends_at=view.ends_at,
                    location=cohort["location"],
                    place=cohort["place"],
                    theme=view.theme,
                    sequence=0,
                    created_at=now,
                    updated_at=now,
                )
            )
            added.append(
                SessionChange(cohort["title"], view.starts_at, view.ends_at, cohort["location"])
            )
        elif view.change == "updated":
            await Session.update(
                {
                    Session.ends_at: view.ends_at,
                    Session.theme: view.theme,
                    Session.sequence: Session.sequence + 1,
                    Session.updated_at: now,
                }
            ).where(Session.id == by_start[view.starts_at].id)
    if new_rows:
        await Session.insert(*new_rows)
    cancelled: list[SessionChange] = []
    for gone in plan.cancelled:
        session = by_start[gone.starts_at]
        await Session.update(
            {
                Session.status: SessionStatus.cancelled.value,
                Session.cancel_reason: SCHEDULE_CHANGED_REASON,
                Session.public_cancel_note: SCHEDULE_CHANGED_REASON,  # no one's business in it
                Session.sequence: Session.sequence + 1,
                Session.updated_at: now,
            }
        ).where(Session.id == session.id)
        cancelled.append(
            SessionChange(cohort["title"], session.starts_at, session.ends_at, session.location)
        )
    return added, cancelled


def _rule_json(rule: RuleInput) -> dict[str, Any]:
    return msgspec.to_builtins(rule)  # type: ignore[no-any-return]


__all__ = [
    "CancelledView",
    "PlannedView",
    "RuleInput",
    "SchedulePlan",
    "SkippedView",
    "parse_rule",
    "preview_schedule",
    "save_schedule",
]
