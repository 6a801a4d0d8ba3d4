"""The attendance list of a cohort (Anwesenheitsliste): sessions as columns, participants as
rows, marks filled in, or blank for use on paper.

Readable by coordinators, the cohort's trainers (and substitutes) and the partner of the
cohort's KiTa; anyone else gets "not found". Columns are the sessions that are not cancelled
(a cancelled run has none); rows are the confirmed registrations, and any other registration
that has a mark (a family that withdrew after coming). A family's row names its guardians;
a family whose data was erased shows as "—". Five queries for any size of cohort.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import msgspec

from programmes.clock import BERLIN
from programmes.db import fetch
from programmes.domain.access import Staff, check_cohort_visible
from programmes.domain.errors import N_, NotFound
from programmes.domain.reporting.reports import moment
from programmes.vocabulary import (
    AttendanceMark,
    PublicationStatus,
    RegistrationStatus,
    SessionStatus,
)

ERASED_NAME = "—"


class SessionColumn(msgspec.Struct, frozen=True):
    id: int
    starts_at: datetime
    ends_at: datetime
    held: bool


class ParticipantRow(msgspec.Struct, frozen=True):
    registration_id: int
    name: str
    seats: int
    status: str
    anonymised: bool
    marks: list[str | None]
    present: int


class AttendanceList(msgspec.Struct, frozen=True):
    cohort_id: int
    cohort: str
    programme: str
    kind: str
    kita: str | None
    threshold_percent: int
    trainers: list[str]
    sessions: list[SessionColumn]
    rows: list[ParticipantRow]
    blank: bool

    @property
    def held(self) -> int:
        return sum(1 for s in self.sessions if s.held)

    @property
    def first_day(self) -> date | None:
        held = [s.starts_at for s in self.sessions if s.held]
        return min(held).astimezone(BERLIN).date() if held else None

    @property
    def last_day(self) -> date | None:
        held = [s.starts_at for s in self.sessions if s.held]
        return max(held).astimezone(BERLIN).date() if held else None


async def attendance_list(
    *, staff: Staff, cohort_id: int, now: datetime, blank: bool = False
) -> AttendanceList:
    await check_cohort_visible(staff, cohort_id)
    return await load_attendance_list(cohort_id, now=now, blank=blank)


async def load_attendance_list(cohort_id: int, *, now: datetime, blank: bool) -> AttendanceList:
    """The list without an access check (callers check first)."""
    cohorts = await fetch(
        "SELECT c.id, c.title, c.status, p.title AS programme, p.kind AS kind, "
        "p.certificate_threshold_percent AS threshold, k.name AS kita "
        "FROM cohort c JOIN programme p ON p.id = c.programme "
        "LEFT JOIN kita k ON k.id = c.kita WHERE c.id = {}",
        cohort_id,
    )
    if not cohorts:
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)
    cohort = cohorts[0]
    trainers = await fetch(
        "SELECT a.first_name AS name FROM cohort_trainer ct JOIN account a ON a.id = ct.trainer "
        "WHERE ct.cohort = {} ORDER BY a.first_name",
        cohort_id,
    )
    sessions: list[SessionColumn] = []
    if cohort["status"] != PublicationStatus.cancelled.value:
        for row in await fetch(
            "SELECT id, starts_at, ends_at FROM cohort_session WHERE cohort = {} AND status <> {} "
            "ORDER BY starts_at, id",
            cohort_id,
            SessionStatus.cancelled.value,
        ):
            starts_at = moment(row["starts_at"])
            sessions.append(
                SessionColumn(
                    id=row["id"],
                    starts_at=starts_at,
                    ends_at=moment(row["ends_at"]),
                    held=starts_at < now,
                )
            )
    people = await fetch(
        "SELECT r.id, r.status, r.seats, r.family, f.anonymised_at AS family_erased, "
        "g.name AS guardian, pe.name AS person, pe.anonymised_at AS person_erased "
        "FROM registration r LEFT JOIN family f ON f.id = r.family "
        "LEFT JOIN guardian g ON g.family = r.family LEFT JOIN person pe ON pe.id = r.person "
        "WHERE r.cohort = {} AND (r.status = {} OR EXISTS "
        "(SELECT 1 FROM attendance m WHERE m.registration = r.id)) ORDER BY r.id, g.id",
        cohort_id,
        RegistrationStatus.confirmed.value,
    )
    marks: dict[tuple[int, int], str] = {}
    if not blank:
        for row in await fetch(
            "SELECT m.session, m.registration, m.mark FROM attendance m "
            "JOIN cohort_session s ON s.id = m.session WHERE s.cohort = {}",
            cohort_id,
        ):
            marks[(row["registration"], row["session"])] = row["mark"]
    return AttendanceList(
        cohort_id=cohort["id"],
        cohort=cohort["title"],
        programme=cohort["programme"],
        kind=cohort["kind"],
        kita=cohort["kita"],
        threshold_percent=int(cohort["threshold"]),
        trainers=[t["name"] or "" for t in trainers],
        sessions=sessions,
        rows=_rows(people, sessions, marks),
        blank=blank,
    )


def _rows(
    people: list[dict[str, object]],
    sessions: list[SessionColumn],
    marks: dict[tuple[int, int], str],
) -> list[ParticipantRow]:
    names: dict[int, list[str]] = defaultdict(list)
    info: dict[int, dict[str, object]] = {}
    for row in people:
        registration = int(row["id"])  # type: ignore[call-overload]
        info.setdefault(registration, row)
        if row["guardian"]:
            names[registration].append(str(row["guardian"]))
    rows = []
    for registration, row in info.items():
        erased = row["family_erased"] is not None or row["person_erased"] is not None
        if row["family"] is not None:
            name = ", ".join(names[registration])
        else:
            name = str(row["person"] or "")
        cells = [marks.get((registration, s.id)) for s in sessions]
        rows.append(
            ParticipantRow(
                registration_id=registration,
                name=ERASED_NAME if erased or not name.strip() else name,
                seats=int(row["seats"]),  # type: ignore[call-overload]
                status=str(row["status"]),
                anonymised=erased,
                marks=cells,
                present=sum(
                    1
                    for mark, session in zip(cells, sessions, strict=True)
                    if mark == AttendanceMark.present.value and session.held
                ),
            )
        )
    return sorted(rows, key=lambda r: (r.anonymised, r.name.casefold(), r.registration_id))
