"""Attendance: who came to a session, recorded by the group's trainers.

Who may do what:
- coordinators see and record every session's attendance;
- a trainer sees and records the sessions of the cohorts they lead and the single sessions
  they stand in for (substitute); any other session answers like one that does not exist;
- a partner sees (only) the marks of their own KiTa's families, and records nothing.

Rules: only confirmed registrations are participants; a mark is present, excused or
absent; a cancelled session takes no attendance; a session can be marked from the day it
takes place on (its start's date in Europe/Berlin) and at any time afterwards (from a paper
list), never before. A list is saved as a whole or not at all; every first mark and every
change is written to the audit trail (who, when, old and new mark, session and
registration ids, no names).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Final

import msgspec

from programmes.clock import BERLIN
from programmes.db import fetch, write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff
from programmes.domain.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from programmes.domain.types import Id
from programmes.tables import (
    Attendance,
    CohortTrainer,
    Guardian,
    Registration,
    Session,
)
from programmes.vocabulary import (
    AttendanceMark,
    PublicationStatus,
    RegistrationStatus,
    Role,
    SessionStatus,
)

#: More marks than any group has participants: a bigger list is a mistake or an attack.
MAX_MARKS: Final = 500
MARKS: Final = tuple(m.value for m in AttendanceMark)


class MarkInput(msgspec.Struct, frozen=True):
    """One participant's mark, as the page form and the JSON API send it."""

    registration_id: Id
    mark: str


class Participant(msgspec.Struct, frozen=True):
    """A confirmed registration: a family (its guardians' names) or a person (with seats)."""

    registration_id: int
    family_id: int | None
    names: list[str]
    seats: int
    mark: str | None
    recorded_at: datetime | None


class AttendanceSheet(msgspec.Struct, frozen=True):
    """A session's attendance list as the caller may see it.

    `state` is "open" (marks can be recorded), "cancelled" or "future"; `can_record` says
    whether this caller may record marks now (role and state)."""

    session_id: int
    cohort_id: int
    cohort_title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    location: str
    theme: str | None
    status: str
    state: str
    can_record: bool
    participants: list[Participant]


_SESSION_COLUMNS = (
    Session.id,
    Session.cohort,
    Session.cohort.title.as_alias("cohort_title"),
    Session.cohort.kita.as_alias("kita"),
    Session.cohort.status.as_alias("cohort_status"),
    Session.cohort.programme.kind.as_alias("kind"),  # type: ignore[union-attr]
    Session.starts_at,
    Session.ends_at,
    Session.location,
    Session.theme,
    Session.status,
    Session.substitute,
)


def led_by(staff: Staff) -> Any:
    """A where-clause on `Session`: the sessions `staff` (a trainer) leads or stands in for."""
    led = CohortTrainer.select(CohortTrainer.cohort).where(CohortTrainer.trainer == staff.id)
    return Session.cohort.is_in(led) | (Session.substitute == staff.id)  # type: ignore[arg-type]


async def _session_row(staff: Staff, session_id: int) -> dict[str, Any]:
    """The session if `staff` may see its attendance; else NotFound, like a missing one."""
    query = Session.select(*_SESSION_COLUMNS).where(Session.id == session_id)
    if staff.role is Role.trainer:
        query = query.where(led_by(staff))
    elif staff.role is Role.partner:
        query = query.where(Session.cohort.kita == staff.kita_id)
    row = await query.first()
    if row is None:
        raise NotFound(N_("There is no session with id %(id)s."), field="session", id=session_id)
    return row


def session_day(starts_at: datetime) -> date:
    return starts_at.astimezone(BERLIN).date()


def _state(row: dict[str, Any], now: datetime) -> str:
    if (
        row["status"] == SessionStatus.cancelled.value
        or row["cohort_status"] == PublicationStatus.cancelled.value
    ):
        return "cancelled"
    if session_day(row["starts_at"]) > now.astimezone(BERLIN).date():
        return "future"
    return "open"


def _check_open(row: dict[str, Any], now: datetime) -> None:
    state = _state(row, now)
    if state == "cancelled":
        raise Conflict(
            N_("This session is cancelled; a cancelled session takes no attendance."),
            field="session",
        )
    if state == "future":
        raise Conflict(
            N_(
                "This session is on %(day)s. Attendance can be recorded from the day of the "
                "session on (today is %(today)s), not in advance."
            ),
            field="session",
            day=session_day(row["starts_at"]).isoformat(),
            today=now.astimezone(BERLIN).date().isoformat(),
        )


async def _participants(staff: Staff, row: dict[str, Any]) -> list[Participant]:
    """The confirmed registrations with their marks for this session (three queries)."""
    query = (
        Registration.select(
            Registration.id,
            Registration.family,
            Registration.seats,
            Registration.person.name.as_alias("person_name"),
        )
        .where(
            (Registration.cohort == row["cohort"])
            & (Registration.status == RegistrationStatus.confirmed.value)
        )
        .order_by(Registration.id)
    )
    if staff.role is Role.partner:  # their own KiTa's families only
        query = query.where(Registration.family.kita == staff.kita_id)
    registrations = await query
    family_ids = [r["family"] for r in registrations if r["family"] is not None]
    guardians: dict[int, list[str]] = {}
    if family_ids:
        for guardian in (
            await Guardian.select(Guardian.family, Guardian.name)
            .where(Guardian.family.is_in(family_ids))
            .order_by(Guardian.id)
        ):
            guardians.setdefault(guardian["family"], []).append(guardian["name"])
    marks = {
        m["registration"]: m
        for m in await Attendance.select(
            Attendance.registration, Attendance.mark, Attendance.recorded_at
        ).where(Attendance.session == row["id"])
    }
    participants = []
    for r in registrations:
        mark = marks.get(r["id"])
        names = (
            guardians.get(r["family"], [])
            if r["family"] is not None
            else [r["person_name"]]
            if r["person_name"]
            else []
        )
        participants.append(
            Participant(
                registration_id=r["id"],
                family_id=r["family"],
                names=names,
                seats=r["seats"],
                mark=mark["mark"] if mark else None,
                recorded_at=mark["recorded_at"] if mark else None,
            )
        )
    return participants


def _may_record(staff: Staff) -> bool:
    return staff.role in (Role.coordinator, Role.trainer)


async def get_attendance(*, staff: Staff, session_id: int, now: datetime) -> AttendanceSheet:
    """A session's participants and their marks, for whoever may see them."""
    row = await _session_row(staff, session_id)
    state = _state(row, now)
    return AttendanceSheet(
        session_id=row["id"],
        cohort_id=row["cohort"],
        cohort_title=row["cohort_title"],
        kind=row["kind"],
        starts_at=row["starts_at"].astimezone(BERLIN),
        ends_at=row["ends_at"].astimezone(BERLIN),
        location=row["location"],
        theme=row["theme"],
        status=row["status"],
        state=state,
        can_record=state == "open" and _may_record(staff),
        participants=await _participants(staff, row),
    )


def _checked_marks(marks: Sequence[MarkInput]) -> dict[int, tuple[int, str]]:
    """registration id -> (index in the list, mark), or InvalidInput naming the entry."""
    if not marks:
        raise InvalidInput(N_("Mark at least one participant."), field="marks")
    if len(marks) > MAX_MARKS:
        raise InvalidInput(N_("At most %(max)s entries, please."), field="marks", max=MAX_MARKS)
    checked: dict[int, tuple[int, str]] = {}
    for index, item in enumerate(marks):
        if item.mark not in MARKS:
            raise InvalidInput(
                N_("Choose present, excused or absent."), field=f"marks[{index}].mark"
            )
        if item.registration_id in checked:
            raise InvalidInput(
                N_("Registration %(id)s is in the list twice; give each participant one mark."),
                field=f"marks[{index}].registration_id",
                id=item.registration_id,
            )
        checked[item.registration_id] = (index, item.mark)
    return checked


async def record_attendance(
    *, staff: Staff, session_id: int, marks: Sequence[MarkInput], now: datetime
) -> AttendanceSheet:
    """Record (or correct) the marks of a session's participants in one transaction.

    Participants not in `marks` keep what they have. Unchanged marks are left alone (their
    recorder and time stay); new and changed ones are stored with `staff` and `now`, and
    each goes to the audit trail."""
    row = await _session_row(staff, session_id)
    if not _may_record(staff):
        raise Forbidden(N_("Partners can see attendance but not record it."))
    _check_open(row, now)
    wanted = _checked_marks(marks)
    async with write_transaction():
        # Lock the session row (a no-op update) so that two lists saved at the same time
        # for one session are applied one after the other, then check again under the lock.
        await fetch("UPDATE cohort_session SET sequence = sequence WHERE id = {}", session_id)
        row = await _session_row(staff, session_id)
        _check_open(row, now)
        confirmed = {
            r["id"]
            for r in await Registration.select(Registration.id).where(
                (Registration.cohort == row["cohort"])
                & (Registration.status == RegistrationStatus.confirmed.value)
                & Registration.id.is_in(list(wanted))
            )
        }
        for registration_id, (index, _) in wanted.items():
            if registration_id not in confirmed:
                raise InvalidInput(
                    N_("Registration %(id)s is not a confirmed participant of this group."),
                    field=f"marks[{index}].registration_id",
                    id=registration_id,
                )
        await _store(staff, session_id, wanted, now)
    return await get_attendance(staff=staff, session_id=session_id, now=now)


async def _store(
    staff: Staff, session_id: int, wanted: dict[int, tuple[int, str]], now: datetime
) -> None:
    """Insert new marks (one statement), update changed ones (one per mark value) and
    write the audit events (one statement)."""
    before = {
        m["registration"]: m["mark"]
        for m in await Attendance.select(Attendance.registration, Attendance.mark).where(
            (Attendance.session == session_id) & Attendance.registration.is_in(list(wanted))
        )
    }
    new = [
        Attendance(
            session=session_id,
            registration=registration_id,
            mark=mark,
            recorded_by=staff.id,
            recorded_at=now,
        )
        for registration_id, (_, mark) in wanted.items()
        if registration_id not in before
    ]
    if new:
        await Attendance.insert(*new)
    changed: dict[str, list[int]] = {}
    for registration_id, (_, mark) in wanted.items():
        if registration_id in before and before[registration_id] != mark:
            changed.setdefault(mark, []).append(registration_id)
    for mark, registration_ids in changed.items():
        await Attendance.update(
            {
                Attendance.mark: mark,
                Attendance.recorded_by: staff.id,
                Attendance.recorded_at: now,
            }
        ).where(
            (Attendance.session == session_id) & Attendance.registration.is_in(registration_ids)
        )
    events = [
        (
            "attendance.recorded" if registration_id not in before else "attendance.changed",
            {
                "session": session_id,
                "registration": registration_id,
                "old": before.get(registration_id),
                "new": mark,
            },
        )
        for registration_id, (_, mark) in sorted(wanted.items())
        if before.get(registration_id) != mark
    ]
    await audit.record_many(
        actor_id=staff.id,
        action_details=events,
        object_type="session",
        object_id=session_id,
        now=now,
    )


__all__ = [
    "MARKS",
    "AttendanceSheet",
    "MarkInput",
    "Participant",
    "get_attendance",
    "led_by",
    "record_attendance",
    "session_day",
]
