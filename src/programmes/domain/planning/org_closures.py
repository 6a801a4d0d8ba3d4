"""Organisation closure calendars (school holidays and the like), and which closed days a
cohort skips, and why.

Why this exists
---------------
Some closures belong to the organisation, not to one KiTa: the school holidays of NRW (most
Rucksack groups pause then, the families travel), the office's own closing days. A
coordinator keeps each as a named calendar ("Schulferien NRW"), its days imported from an
iCal address (the Land publishes the holidays) or entered by hand; then every programme
chooses whether its sessions pause during it, and a cohort may differ from its programme.

Who pauses during which calendar
--------------------------------
* A programme's own choice per calendar is a row of ``programme_pause``. Without one, a
  programme pauses by default exactly when it is a Rucksack programme and the calendar is
  marked as school holidays (:func:`pauses_by_default`): Rucksack groups meet during the KiTa
  year, and the KiTa year follows the school holidays. Trainings and info events for adults
  go on unless the coordinator ticks the calendar for them.
* A cohort's ``calendar_pause`` overrides: ``inherit`` (as its programme chooses, the
  default), ``pause`` (pauses during every organisation calendar) or ``meet`` (pauses during
  none).

Which days a cohort skips (:func:`cohort_closures`, the one home of this rule)
----------------------------------------------------------------------------
NRW public holidays ("Feiertag: Neujahr"), then its KiTa's closure days ("KiTa geschlossen:
Teamtag"), then the days of the organisation calendars it pauses during ("Schulferien NRW:
Weihnachtsferien"): the first that applies gives the reason. Schedule previews and saving
(`schedules`) skip these days; moving a session onto one is allowed but the confirmation
names it (`sessions.preview_move`).

Import
------
The same download, limits, messages and all-or-nothing replacement as a KiTa's closures
(:func:`closures.fetch_closures`, :func:`closures.replace_imported`); days entered by hand are
never touched by an import. Only coordinators see or change calendars: the address may hold a
secret key, and partners and trainers see the outcome in their cohorts' dates.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any, Final

import msgspec

from programmes.db import write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff, require_coordinator
from programmes.domain.errors import N_, Conflict, InvalidInput, NotFound
from programmes.domain.planning import closures
from programmes.domain.planning.closure_import import FetchLimits, ParseLimits
from programmes.domain.planning.recurrence import Closure
from programmes.domain.text import clean_text
from programmes.tables import ClosureDay, Cohort, OrgCalendar, OrgClosure, Programme, ProgrammePause
from programmes.vocabulary import CalendarPause, ClosureSource, ProgrammeKind

__all__ = [
    "MAX_NAME_LENGTH",
    "CalendarDetail",
    "CalendarImportResult",
    "CalendarView",
    "OrgClosureView",
    "PauseSummary",
    "ProgrammeChoice",
    "add_day",
    "calendar_detail",
    "closures_on",
    "cohort_closures",
    "create_calendar",
    "delete_calendar",
    "delete_day",
    "get_calendar",
    "import_calendar",
    "list_calendars",
    "parse_pause",
    "pause_summary",
    "pauses_by_default",
    "programme_pauses",
    "set_cohort_pause",
    "set_programme_pauses",
]

MAX_NAME_LENGTH: Final = 100


class CalendarView(msgspec.Struct, frozen=True):
    id: int
    name: str
    school_holidays: bool
    ical_url: str | None
    days: int = 0  #: how many closures it holds


class OrgClosureView(msgspec.Struct, frozen=True):
    id: int
    calendar_id: int
    first_day: date
    last_day: date
    reason: str
    source: str  # "manual" or "ical"


class ProgrammeChoice(msgspec.Struct, frozen=True):
    """Whether a programme's sessions pause during a calendar, and whether that is the
    default (no choice stored) or the programme's own choice."""

    programme_id: int
    title: str
    kind: str
    pauses: bool
    by_default: bool


class CalendarDetail(msgspec.Struct, frozen=True):
    calendar: CalendarView
    closures: list[OrgClosureView]
    programmes: list[ProgrammeChoice]


class CalendarImportResult(msgspec.Struct, frozen=True):
    calendar_id: int
    window_start: date
    window_end: date
    added: int
    updated: int
    removed: int
    unchanged: int


def pauses_by_default(kind: str, school_holidays: bool) -> bool:
    """A programme without its own choice pauses for school holidays if it is Rucksack."""
    return school_holidays and kind == ProgrammeKind.rucksack.value


# --------------------------------------------------------------------------- calendars


async def list_calendars(*, staff: Staff) -> list[CalendarView]:
    require_coordinator(staff)
    rows = await OrgCalendar.select(
        OrgCalendar.id, OrgCalendar.name, OrgCalendar.school_holidays, OrgCalendar.ical_url
    ).order_by(OrgCalendar.name)
    counts: dict[int, int] = {}
    for row in await OrgClosure.select(OrgClosure.calendar):
        counts[row["calendar"]] = counts.get(row["calendar"], 0) + 1
    return [CalendarView(**row, days=counts.get(row["id"], 0)) for row in rows]


async def get_calendar(*, staff: Staff, calendar_id: int) -> CalendarView:
    require_coordinator(staff)
    row = (
        await OrgCalendar.select(
            OrgCalendar.id, OrgCalendar.name, OrgCalendar.school_holidays, OrgCalendar.ical_url
        )
        .where(OrgCalendar.id == calendar_id)
        .first()
    )
    if row is None:
        raise _no_calendar(calendar_id)
    days = await OrgClosure.count().where(OrgClosure.calendar == calendar_id)
    return CalendarView(**row, days=days)


async def calendar_detail(*, staff: Staff, calendar_id: int) -> CalendarDetail:
    """The calendar, its days in date order and every programme's choice."""
    calendar = await get_calendar(staff=staff, calendar_id=calendar_id)
    rows = (
        await OrgClosure.select(*_COLUMNS)
        .where(OrgClosure.calendar == calendar_id)
        .order_by(OrgClosure.first_day, OrgClosure.last_day, OrgClosure.id)
    )
    chosen = {
        row["programme"]: row["pauses"]
        for row in await ProgrammePause.select(
            ProgrammePause.programme, ProgrammePause.pauses
        ).where(ProgrammePause.calendar == calendar_id)
    }
    programmes = [
        ProgrammeChoice(
            programme_id=row["id"],
            title=row["title"],
            kind=row["kind"],
            pauses=chosen.get(row["id"], pauses_by_default(row["kind"], calendar.school_holidays)),
            by_default=row["id"] not in chosen,
        )
        for row in await Programme.select(Programme.id, Programme.title, Programme.kind).order_by(
            Programme.title
        )
    ]
    return CalendarDetail(calendar, [_view(row) for row in rows], programmes)


def _checked_name(name: str) -> str:
    return clean_text(name, field="name", max_length=MAX_NAME_LENGTH)


async def create_calendar(
    *, staff: Staff, name: str, school_holidays: bool, now: datetime
) -> CalendarView:
    """A new, empty calendar; its days come by hand or by import."""
    require_coordinator(staff)
    name = _checked_name(name)
    async with write_transaction():
        if await OrgCalendar.exists().where(OrgCalendar.name == name):
            raise Conflict(N_("A calendar with this name exists already."), field="name")
        rows = await OrgCalendar.insert(
            OrgCalendar(name=name, school_holidays=school_holidays, created_at=now, updated_at=now)
        )
        calendar_id = int(rows[0]["id"])
        await audit.record(
            actor_id=staff.id,
            action="org_calendar.created",
            object_type="org_calendar",
            object_id=calendar_id,
            now=now,
        )
    return CalendarView(calendar_id, name, school_holidays, None)


async def delete_calendar(*, staff: Staff, calendar_id: int, now: datetime) -> None:
    """Delete the calendar with its days and the programmes' choices: nobody pauses for it
    any more (sessions saved before stay as they are)."""
    require_coordinator(staff)
    async with write_transaction():
        await _existing(calendar_id)
        days = await OrgClosure.count().where(OrgClosure.calendar == calendar_id)
        await OrgCalendar.delete().where(OrgCalendar.id == calendar_id)
        await audit.record(
            actor_id=staff.id,
            action="org_calendar.deleted",
            object_type="org_calendar",
            object_id=calendar_id,
            now=now,
            detail={"days": days},
        )


# --------------------------------------------------------------------------- days


_COLUMNS = (
    OrgClosure.id,
    OrgClosure.calendar,
    OrgClosure.first_day,
    OrgClosure.last_day,
    OrgClosure.reason,
    OrgClosure.source,
)


def _view(row: dict[str, Any]) -> OrgClosureView:
    return OrgClosureView(
        id=row["id"],
        calendar_id=row["calendar"],
        first_day=row["first_day"],
        last_day=row["last_day"],
        reason=row["reason"],
        source=row["source"],
    )


async def add_day(
    *,
    staff: Staff,
    calendar_id: int,
    first_day: date,
    last_day: date | None = None,
    reason: str,
    now: datetime,
) -> OrgClosureView:
    """Enter days by hand (checked like a KiTa's closures: `closures.checked_closure`)."""
    require_coordinator(staff)
    last, reason, days = closures.checked_closure(first_day, last_day, reason)
    async with write_transaction():
        await _existing(calendar_id)
        if await OrgClosure.exists().where(
            (OrgClosure.calendar == calendar_id)
            & (OrgClosure.first_day == first_day)
            & (OrgClosure.last_day == last)
            & (OrgClosure.reason == reason)
        ):
            raise Conflict(N_("This closure has been entered already."), field="first_day")
        rows = await OrgClosure.insert(
            OrgClosure(
                calendar=calendar_id,
                first_day=first_day,
                last_day=last,
                reason=reason,
                source=ClosureSource.manual.value,
                source_uid=None,
                created_at=now,
            )
        )
        closure_id = int(rows[0]["id"])
        await _touch(calendar_id, now)
        await audit.record(
            actor_id=staff.id,
            action="org_closure.added",
            object_type="org_closure",
            object_id=closure_id,
            now=now,
            detail={"calendar_id": calendar_id, "days": days},
        )
    return OrgClosureView(
        closure_id, calendar_id, first_day, last, reason, ClosureSource.manual.value
    )


async def delete_day(*, staff: Staff, calendar_id: int, closure_id: int, now: datetime) -> None:
    require_coordinator(staff)
    async with write_transaction():
        row = (
            await OrgClosure.select(OrgClosure.source)
            .where((OrgClosure.id == closure_id) & (OrgClosure.calendar == calendar_id))
            .first()
        )
        if row is None:
            raise NotFound(
                N_("There is no closure with id %(id)s."), field="closure", id=closure_id
            )
        await OrgClosure.delete().where(OrgClosure.id == closure_id)
        await _touch(calendar_id, now)
        await audit.record(
            actor_id=staff.id,
            action="org_closure.deleted",
            object_type="org_closure",
            object_id=closure_id,
            now=now,
            detail={"calendar_id": calendar_id, "source": row["source"]},
        )


async def import_calendar(
    *,
    staff: Staff,
    calendar_id: int,
    url: str,
    now: datetime,
    allow_private_hosts: bool = False,
    limits: FetchLimits = closures.DEFAULT_FETCH_LIMITS,
    parse_limits: ParseLimits = closures.DEFAULT_PARSE_LIMITS,
) -> CalendarImportResult:
    """Replace the calendar's imported days with those at ``url``; any error changes
    nothing (the stored address included)."""
    require_coordinator(staff)
    await _existing(calendar_id)  # before any network traffic
    fetched = await closures.fetch_closures(
        url=url,
        now=now,
        allow_private_hosts=allow_private_hosts,
        limits=limits,
        parse_limits=parse_limits,
    )
    async with write_transaction():
        # Updating the calendar first checks it still exists and, on PostgreSQL, locks it.
        locked = (
            await OrgCalendar.update(
                {OrgCalendar.ical_url: fetched.address, OrgCalendar.updated_at: now}
            )
            .where(OrgCalendar.id == calendar_id)
            .returning(OrgCalendar.id)
        )
        if not locked:
            raise _no_calendar(calendar_id)
        counts = await closures.replace_imported(
            OrgClosure,
            OrgClosure.calendar,
            calendar_id,
            fetched.closures,
            fetched.window_start,
            now,
        )
        await audit.record(
            actor_id=staff.id,
            action="org_calendar.imported",
            object_type="org_calendar",
            object_id=calendar_id,
            now=now,
            detail={
                **counts,
                "window_start": str(fetched.window_start),
                "window_end": str(fetched.window_end),
            },
        )
    return CalendarImportResult(
        calendar_id=calendar_id,
        window_start=fetched.window_start,
        window_end=fetched.window_end,
        **counts,
    )


# --------------------------------------------------------------------------- choices


async def set_programme_pauses(
    *, staff: Staff, calendar_id: int, pausing: Collection[int], now: datetime
) -> int:
    """Store every programme's choice for the calendar: the programmes in ``pausing`` pause,
    all others meet. Returns how many programmes pause."""
    require_coordinator(staff)
    async with write_transaction():
        await _existing(calendar_id)
        programme_ids = [row["id"] for row in await Programme.select(Programme.id)]
        unknown = set(pausing) - set(programme_ids)
        if unknown:
            raise NotFound(
                N_("There is no programme with id %(id)s."), field="programme", id=min(unknown)
            )
        await ProgrammePause.delete().where(ProgrammePause.calendar == calendar_id)
        if programme_ids:
            await ProgrammePause.insert(
                *[
                    ProgrammePause(
                        programme=programme_id,
                        calendar=calendar_id,
                        pauses=programme_id in pausing,
                    )
                    for programme_id in programme_ids
                ]
            )
        await audit.record(
            actor_id=staff.id,
            action="org_calendar.programmes",
            object_type="org_calendar",
            object_id=calendar_id,
            now=now,
            detail={"pausing": len(set(pausing)), "programmes": len(programme_ids)},
        )
    return len(set(pausing))


def parse_pause(value: str) -> CalendarPause:
    try:
        return CalendarPause(value)
    except ValueError:
        raise InvalidInput(
            N_("Choose whether the group pauses during the organisation's calendars."),
            field="calendar_pause",
        ) from None


async def set_cohort_pause(
    *, staff: Staff, cohort_id: int, choice: str, now: datetime
) -> CalendarPause:
    """The cohort's override: inherit (as its programme), pause (always) or meet (never).
    Saved sessions stay as they are: the next schedule preview shows the difference."""
    require_coordinator(staff)
    pause = parse_pause(choice)
    async with write_transaction():
        changed = (
            await Cohort.update({Cohort.calendar_pause: pause.value, Cohort.updated_at: now})
            .where(Cohort.id == cohort_id)
            .returning(Cohort.id)
        )
        if not changed:
            raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)
        await audit.record(
            actor_id=staff.id,
            action="cohort.calendar_pause",
            object_type="cohort",
            object_id=cohort_id,
            now=now,
            detail={"choice": pause.value},
        )
    return pause


# --------------------------------------------------------------------------- skipping


async def _pausing_calendars(cohort: dict[str, Any]) -> dict[int, str]:
    """The organisation calendars (id -> name) a cohort pauses during."""
    calendars = {
        row["id"]: row
        for row in await OrgCalendar.select(
            OrgCalendar.id, OrgCalendar.name, OrgCalendar.school_holidays
        )
    }
    pause = cohort["calendar_pause"]
    if pause == CalendarPause.meet.value or not calendars:
        return {}
    if pause == CalendarPause.pause.value:
        return {cid: row["name"] for cid, row in calendars.items()}
    chosen = {
        row["calendar"]: row["pauses"]
        for row in await ProgrammePause.select(
            ProgrammePause.calendar, ProgrammePause.pauses
        ).where(ProgrammePause.programme == cohort["programme"])
    }
    return {
        cid: row["name"]
        for cid, row in calendars.items()
        if chosen.get(cid, pauses_by_default(cohort["kind"], row["school_holidays"]))
    }


class PauseSummary(msgspec.Struct, frozen=True):
    """What the cohort's page says about the organisation calendars."""

    choice: str  #: the cohort's ``calendar_pause``
    pausing: list[str]  #: names of the calendars it pauses during, as things stand
    calendars: int  #: how many organisation calendars there are


async def _cohort_row(cohort_id: int) -> dict[str, Any]:
    cohort = (
        await Cohort.select(
            Cohort.kita,
            Cohort.programme,
            Cohort.calendar_pause,
            Cohort.programme.kind.as_alias("kind"),
        )
        .where(Cohort.id == cohort_id)
        .first()
    )
    if cohort is None:
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)
    return cohort


async def pause_summary(cohort_id: int) -> PauseSummary:
    """The cohort's choice and the calendars it pauses during (call after the caller
    checked that the staff member may see the cohort)."""
    cohort = await _cohort_row(cohort_id)
    names = await _pausing_calendars(cohort)
    return PauseSummary(
        choice=cohort["calendar_pause"],
        pausing=sorted(names.values()),
        calendars=await OrgCalendar.count(),
    )


async def programme_pauses(programme_id: int) -> list[str]:
    """Names of the organisation calendars the programme's cohorts pause during unless a
    cohort overrides it (call after the caller checked the programme may be seen)."""
    row = await Programme.select(Programme.kind).where(Programme.id == programme_id).first()
    if row is None:
        return []
    names = await _pausing_calendars(
        {"calendar_pause": CalendarPause.inherit.value, "programme": programme_id, **row}
    )
    return sorted(names.values())


async def cohort_closures(cohort_id: int) -> list[Closure]:
    """Every closed day the cohort skips besides public holidays, in the order they are
    asked for a reason: its KiTa's closures, then the organisation calendars it pauses
    during (reason prefixed with the calendar's name)."""
    cohort = await _cohort_row(cohort_id)
    found: list[Closure] = []
    if cohort["kita"] is not None:
        found += [
            Closure(row["first_day"], row["last_day"], row["reason"])
            for row in await ClosureDay.select(
                ClosureDay.first_day, ClosureDay.last_day, ClosureDay.reason
            )
            .where(ClosureDay.kita == cohort["kita"])
            .order_by(ClosureDay.first_day, ClosureDay.id)
        ]
    names = await _pausing_calendars(cohort)
    if names:
        found += [
            Closure(row["first_day"], row["last_day"], row["reason"], f"{names[row['calendar']]}: ")
            for row in await OrgClosure.select(
                OrgClosure.calendar, OrgClosure.first_day, OrgClosure.last_day, OrgClosure.reason
            )
            .where(OrgClosure.calendar.is_in(list(names)))
            .order_by(OrgClosure.first_day, OrgClosure.id)
        ]
    return found


async def closures_on(cohort_id: int, day: date) -> list[Closure]:
    """The cohort's closures (see :func:`cohort_closures`) that include ``day``."""
    return [c for c in await cohort_closures(cohort_id) if c.first_day <= day <= c.last_day]


# --------------------------------------------------------------------------- helpers


async def _existing(calendar_id: int) -> None:
    if not await OrgCalendar.exists().where(OrgCalendar.id == calendar_id):
        raise _no_calendar(calendar_id)


def _no_calendar(calendar_id: int) -> NotFound:
    return NotFound(N_("There is no calendar with id %(id)s."), field="calendar", id=calendar_id)


async def _touch(calendar_id: int, now: datetime) -> None:
    await OrgCalendar.update({OrgCalendar.updated_at: now}).where(OrgCalendar.id == calendar_id)
