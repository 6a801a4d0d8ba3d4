"""Single sessions: seeing them, moving one, cancelling one (and taking a cancellation
back), its theme and substitute.

A move, a cancellation or a reinstatement keeps the session's id (its calendar UID), raises
its `sequence` so calendar apps replace their copy, sets `updated_at` (the feed's
LAST-MODIFIED), writes an audit event without personal data, and queues a mail for everyone
registered.

Because these mail people, the staff pages first show what would happen (`preview_move`,
`preview_cancel`, `preview_reinstate`: the same checks as the change itself, nothing
written) and act only when the coordinator confirms. A move onto an NRW public holiday, a
day the KiTa is closed or a day of an organisation calendar the cohort pauses during
(`org_closures`) is allowed but named in the preview; a move into the past is refused.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Final

import msgspec
from piccolo.columns import Column

from programmes.clock import BERLIN
from programmes.db import write_transaction
from programmes.domain import audit
from programmes.domain.access import (
    Staff,
    check_cohort_visible,
    leads_cohort,
    require_coordinator,
    visible,
)
from programmes.domain.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from programmes.domain.planning import org_closures
from programmes.domain.planning.notifications import (
    Audience,
    SessionChange,
    audience,
    notify_session_change,
)
from programmes.domain.planning.recurrence import (
    CLOSED_PREFIX,
    MAX_DURATION,
    check_moved_day,
    public_holidays,
    to_berlin,
)
from programmes.domain.text import clean_text
from programmes.domain.types import check_day, check_instant
from programmes.tables import Account, Attendance, Cohort, Session
from programmes.vocabulary import Role, SessionStatus


class MovePreview(msgspec.Struct, frozen=True):
    """What moving a session would do: who is told, and why the new day may be a bad one."""

    audience: Audience
    starts_at: datetime
    ends_at: datetime
    location: str
    holiday: str | None  #: the NRW public holiday on the new day (German name)
    closed: bool  #: the cohort's KiTa is closed on the new day
    closure_reason: str  #: why, as entered ("" when no reason was given)
    #: the organisation calendars the cohort pauses during on the new day, each as
    #: "<calendar>: <reason>" (e.g. "Schulferien NRW: Osterferien")
    paused: list[str] = []


class SessionView(msgspec.Struct, frozen=True):
    id: int
    cohort_id: int
    cohort_title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    theme: str | None
    status: str
    cancel_reason: str
    public_cancel_note: str
    sequence: int
    updated_at: datetime
    substitute_id: int | None
    substitute_name: str | None
    attendance_taken: bool


_COLUMNS = (
    Session.id,
    Session.cohort,
    Session.cohort.title.as_alias("cohort_title"),
    Session.starts_at,
    Session.ends_at,
    Session.location,
    Session.theme,
    Session.status,
    Session.cancel_reason,
    Session.public_cancel_note,
    Session.sequence,
    Session.updated_at,
    Session.substitute,
    Session.substitute.first_name.as_alias("substitute_name"),
)


async def list_sessions(*, staff: Staff, cohort_id: int) -> list[SessionView]:
    await check_cohort_visible(staff, cohort_id)
    rows = (
        await Session.select(*_COLUMNS)
        .where(Session.cohort == cohort_id)
        .order_by(Session.starts_at)
    )
    return await _views(rows)


async def get_session(*, staff: Staff, session_id: int) -> SessionView:
    row = await _visible_session(staff, session_id)
    return (await _views([row]))[0]


async def _visible_session(staff: Staff, session_id: int) -> dict[str, Any]:
    cohorts = visible(Cohort.select(Cohort.id), staff)
    query = Session.select(*_COLUMNS).where(Session.id == session_id)
    if staff.role is Role.trainer:  # their cohorts' sessions, and the ones they stand in for
        query = query.where(Session.cohort.is_in(cohorts) | (Session.substitute == staff.id))
    elif staff.role is not Role.coordinator:
        query = query.where(Session.cohort.is_in(cohorts))
    row = await query.first()
    if row is None:
        raise NotFound(N_("There is no session with id %(id)s."), field="session", id=session_id)
    return row


async def _views(rows: list[dict[str, Any]]) -> list[SessionView]:
    ids = [row["id"] for row in rows]
    attended = (
        {
            r["session"]
            for r in await Attendance.select(Attendance.session)
            .where(Attendance.session.is_in(ids))
            .distinct()
        }
        if ids
        else set()
    )
    return [
        SessionView(
            id=row["id"],
            cohort_id=row["cohort"],
            cohort_title=row["cohort_title"],
            starts_at=row["starts_at"].astimezone(BERLIN),
            ends_at=row["ends_at"].astimezone(BERLIN),
            location=row["location"],
            theme=row["theme"],
            status=row["status"],
            cancel_reason=row["cancel_reason"],
            public_cancel_note=row["public_cancel_note"],
            sequence=row["sequence"],
            updated_at=row["updated_at"],
            substitute_id=row["substitute"],
            substitute_name=row["substitute_name"],
            attendance_taken=row["id"] in attended,
        )
        for row in rows
    ]


def local_times(day: date, start: str, end: str) -> tuple[datetime, datetime]:
    """A page form's date and wall-clock times as aware Berlin datetimes.

    A start in the spring-forward gap is refused; an ambiguous autumn time means its first
    occurrence (summer time), as everywhere in the service."""
    check_day(day, field="day")
    starts_at = to_berlin(day, _clock_time(start, "start_time"), field="start_time")
    ends_at = to_berlin(day, _clock_time(end, "end_time"), field="end_time")
    return starts_at, ends_at


def _clock_time(value: str, field: str) -> time:
    try:
        hours, _, minutes = value.strip().partition(":")
        return time(int(hours), int(minutes or 0))
    except ValueError:
        raise InvalidInput(
            N_("Give the time as hours and minutes, e.g. 09:00."), field=field
        ) from None


def _check_times(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """A new time for a session: aware, in the planned years (see `types.check_instant`),
    not in the past (people would be told of a date that has gone), and no longer than a
    planned session may be."""
    check_instant(starts_at, field="starts_at")
    check_instant(ends_at, field="ends_at")
    if starts_at <= now:
        raise InvalidInput(
            N_("A session can only be moved to a time in the future."), field="starts_at"
        )
    if ends_at <= starts_at:
        raise InvalidInput(N_("The session must end after it starts."), field="ends_at")
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidInput(
            N_("A session lasts at most %(hours)s hours."),
            field="ends_at",
            hours=int(MAX_DURATION.total_seconds() // 3600),
        )


async def _changeable(session_id: int) -> dict[str, Any]:
    row = await Session.select(*_COLUMNS).where(Session.id == session_id).first()
    if row is None:
        raise NotFound(N_("There is no session with id %(id)s."), field="session", id=session_id)
    if row["status"] == SessionStatus.cancelled.value:
        raise Conflict(N_("This session is cancelled already."), field="status")
    return row


def _checked_move(
    starts_at: datetime, ends_at: datetime, location: str | None, now: datetime
) -> str | None:
    _check_times(starts_at, ends_at, now)
    return None if location is None else clean_text(location, field="location", max_length=300)


async def _movable(session_id: int, starts_at: datetime, now: datetime) -> dict[str, Any]:
    """The session, if it may move to `starts_at` (see `recurrence.check_moved_day`)."""
    row = await _changeable(session_id)
    if await Attendance.exists().where(Attendance.session == session_id):
        raise Conflict(
            N_("Attendance was taken for this session; it cannot be moved."), field="session"
        )
    others = await Session.select(Session.starts_at).where(
        (Session.cohort == row["cohort"])
        & (Session.id != session_id)
        & (Session.status == SessionStatus.scheduled.value)
    )
    check_moved_day(
        starts_at.astimezone(BERLIN).date(),
        others=[o["starts_at"].astimezone(BERLIN).date() for o in others],
        today=now.astimezone(BERLIN).date(),
        field="starts_at",
    )
    return row


async def preview_move(
    *,
    staff: Staff,
    session_id: int,
    starts_at: datetime,
    ends_at: datetime,
    location: str | None,
    now: datetime,
) -> MovePreview:
    """What `move_session` with these values would do, checked as it checks them."""
    require_coordinator(staff)
    new_location = _checked_move(starts_at, ends_at, location, now)
    row = await _movable(session_id, starts_at, now)
    day = starts_at.astimezone(BERLIN).date()
    closed = await org_closures.closures_on(row["cohort"], day)
    kita_closure = next((c for c in closed if c.prefix == CLOSED_PREFIX), None)
    paused = [f"{c.prefix}{c.reason}" for c in closed if c.prefix != CLOSED_PREFIX]
    return MovePreview(
        audience=await audience(row["cohort"]),
        starts_at=starts_at.astimezone(BERLIN),
        ends_at=ends_at.astimezone(BERLIN),
        location=new_location if new_location is not None else row["location"],
        holiday=public_holidays(day, day).get(day),
        closed=kita_closure is not None,
        closure_reason=kita_closure.reason if kita_closure else "",
        paused=paused,
    )


async def move_session(
    *,
    staff: Staff,
    session_id: int,
    starts_at: datetime,
    ends_at: datetime,
    location: str | None,
    now: datetime,
) -> SessionView:
    """Give a session a new time (and place) in the future, within the span a schedule
    could give the cohort (`recurrence.check_moved_day`); everyone registered is told."""
    require_coordinator(staff)
    new_location = _checked_move(starts_at, ends_at, location, now)
    async with write_transaction():
        row = await _movable(session_id, starts_at, now)
        place = new_location if new_location is not None else row["location"]
        values: dict[Column | str, Any] = {
            Session.starts_at: starts_at,
            Session.ends_at: ends_at,
            Session.location: place,
            Session.sequence: Session.sequence + 1,
            Session.updated_at: now,
        }
        if place != row["location"]:
            # a new place given as text is free text: no longer the place it referred to
            values[Session.place] = None
        await Session.update(values).where(Session.id == session_id)
        await audit.record(
            actor_id=staff.id,
            action="session.moved",
            object_type="session",
            object_id=session_id,
            now=now,
            detail={
                "from": row["starts_at"].isoformat(),
                "to": starts_at.isoformat(),
                "location_changed": place != row["location"],
            },
        )
        await notify_session_change(
            cohort_id=row["cohort"],
            session_id=session_id,
            template="session_moved.txt",
            change=SessionChange(
                cohort_title=row["cohort_title"],
                starts_at=starts_at,
                ends_at=ends_at,
                location=place,
                old_starts_at=row["starts_at"],
                old_location=row["location"],
            ),
            now=now,
        )
    return await get_session(staff=staff, session_id=session_id)


#: The longest public cancel note (one line: it is shown in calendars and sent in mails).
MAX_PUBLIC_NOTE: Final = 300


async def preview_cancel(
    *, staff: Staff, session_id: int, reason: str, public_note: str = ""
) -> Audience:
    """Who `cancel_session` would tell, checked as it checks its input."""
    require_coordinator(staff)
    _cancel_texts(reason, public_note)
    row = await _changeable(session_id)
    return await audience(row["cohort"])


def _cancel_texts(reason: str, public_note: str) -> tuple[str, str]:
    """The internal reason and the public note, cleaned, or the first problem with them."""
    return (
        clean_text(reason, field="reason", max_length=300),
        clean_text(public_note, field="public_note", max_length=MAX_PUBLIC_NOTE, required=False),
    )


async def cancel_session(
    *, staff: Staff, session_id: int, reason: str, public_note: str = "", now: datetime
) -> SessionView:
    """Cancel one session; it stays in calendars as CANCELLED.

    Two texts: the `reason` is internal (staff pages, staff feeds); the optional
    `public_note` is what the public reads in public feeds and the mails to everyone
    registered. Without a note they read "This date is cancelled." A note is one line of at
    most 300 characters: a line break or a longer text is refused, naming the field (it is
    shown in a calendar's one-line views and a mail, where an editor's line breaks would
    not survive), and nothing is stored."""
    require_coordinator(staff)
    reason, public_note = _cancel_texts(reason, public_note)
    async with write_transaction():
        row = await _changeable(session_id)
        await Session.update(
            {
                Session.status: SessionStatus.cancelled.value,
                Session.cancel_reason: reason,
                Session.public_cancel_note: public_note,
                Session.sequence: Session.sequence + 1,
                Session.updated_at: now,
            }
        ).where(Session.id == session_id)
        await audit.record(
            actor_id=staff.id,
            action="session.cancelled",
            object_type="session",
            object_id=session_id,
            now=now,
            detail={"starts_at": row["starts_at"].isoformat()},
        )
        await notify_session_change(
            cohort_id=row["cohort"],
            session_id=session_id,
            template="session_cancelled.txt",
            change=SessionChange(
                cohort_title=row["cohort_title"],
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
                location=row["location"],
                reason=public_note,  # the mail goes to the public
            ),
            now=now,
        )
    return await get_session(staff=staff, session_id=session_id)


async def _reinstatable(session_id: int, now: datetime) -> dict[str, Any]:
    row = await Session.select(*_COLUMNS).where(Session.id == session_id).first()
    if row is None:
        raise NotFound(N_("There is no session with id %(id)s."), field="session", id=session_id)
    if row["status"] != SessionStatus.cancelled.value:
        raise Conflict(N_("This session is not cancelled."), field="status")
    if row["starts_at"] <= now:
        raise Conflict(
            N_("This session's time has passed; it cannot be taken back into the plan."),
            field="session",
        )
    return row


async def preview_reinstate(*, staff: Staff, session_id: int, now: datetime) -> Audience:
    """Who `reinstate_session` would tell."""
    require_coordinator(staff)
    row = await _reinstatable(session_id, now)
    return await audience(row["cohort"])


async def reinstate_session(*, staff: Staff, session_id: int, now: datetime) -> SessionView:
    """Take a cancellation back: the session is planned again at its time, calendars
    replace their cancelled copy (sequence raised) and everyone registered is told."""
    require_coordinator(staff)
    async with write_transaction():
        row = await _reinstatable(session_id, now)
        await Session.update(
            {
                Session.status: SessionStatus.scheduled.value,
                Session.cancel_reason: "",
                Session.sequence: Session.sequence + 1,
                Session.updated_at: now,
            }
        ).where(Session.id == session_id)
        await audit.record(
            actor_id=staff.id,
            action="session.reinstated",
            object_type="session",
            object_id=session_id,
            now=now,
            detail={"starts_at": row["starts_at"].isoformat()},
        )
        await notify_session_change(
            cohort_id=row["cohort"],
            session_id=session_id,
            template="session_reinstated.txt",
            change=SessionChange(
                cohort_title=row["cohort_title"],
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
                location=row["location"],
            ),
            now=now,
        )
    return await get_session(staff=staff, session_id=session_id)


async def change_theme(
    *, staff: Staff, session_id: int, theme: str | None, now: datetime
) -> SessionView:
    """Coordinators and the cohort's trainers may set a session's theme."""
    row = await _visible_session(staff, session_id)
    if staff.role is Role.partner or (
        staff.role is Role.trainer
        and not await leads_cohort(staff, row["cohort"])
        and row["substitute"] != staff.id
    ):
        raise Forbidden(N_("Only coordinators and the group's trainers may change the theme."))
    text = clean_text(theme, field="theme", max_length=200, required=False) or None
    async with write_transaction():
        await Session.update(
            {Session.theme: text, Session.sequence: Session.sequence + 1, Session.updated_at: now}
        ).where(Session.id == session_id)
        await audit.record(
            actor_id=staff.id,
            action="session.theme_changed",
            object_type="session",
            object_id=session_id,
            now=now,
        )
    return await get_session(staff=staff, session_id=session_id)


async def set_substitute(
    *, staff: Staff, session_id: int, trainer_id: int | None, now: datetime
) -> SessionView:
    """Name a trainer who leads this one session instead of the cohort's trainers."""
    require_coordinator(staff)
    async with write_transaction():
        await _changeable(session_id)
        if trainer_id is not None and not await Account.exists().where(
            (Account.id == trainer_id)
            & (Account.role == Role.trainer.value)
            & (Account.active == True)  # noqa: E712 (SQL comparison)
        ):
            raise NotFound(
                N_("There is no active trainer with id %(id)s."), field="trainer_id", id=trainer_id
            )
        await Session.update({Session.substitute: trainer_id, Session.updated_at: now}).where(
            Session.id == session_id
        )
        await audit.record(
            actor_id=staff.id,
            action="session.substitute_set",
            object_type="session",
            object_id=session_id,
            now=now,
            detail={"trainer": trainer_id},
        )
    return await get_session(staff=staff, session_id=session_id)


__all__ = [
    "MovePreview",
    "SessionView",
    "cancel_session",
    "change_theme",
    "get_session",
    "list_sessions",
    "local_times",
    "move_session",
    "preview_cancel",
    "preview_move",
    "preview_reinstate",
    "reinstate_session",
    "set_substitute",
]
