"""Funders' reports: the figures of a period, optionally of one programme, cohort or KiTa.

Definitions (the README repeats them for the people who read the reports):

* The **period** is a range of calendar days in Berlin, both ends included, at most five
  years long, in the years 2000 to 2100; by default the current KiTa year (1 August to
  31 July). A session belongs to the period when it starts on
  one of its days.
* The report covers the **cohorts** with at least one session in the period.
* **Planned**: every session in the period. **Cancelled**: sessions cancelled, or of a
  cancelled run. **Held**: not cancelled and started before now. Planned = held +
  cancelled + still to come.
* **Groups run**: cohorts with at least one held session in the period.
* **Enrolled**: confirmed registrations now (withdrawn and waiting ones do not count).
  Families, their guardians and children for Rucksack groups; seats of people for
  trainings and events. The totals count a family in several groups once.
* **Waiting list**: seats on waiting lists now (a family counts as one).
* **Attendance rate**: present ÷ marked, over the marks of held sessions in the period.
* **At the certificate threshold**: confirmed participants present at no fewer than the
  programme's threshold (default 75 %) of their cohort's held sessions in the period.
* **Languages**: families per language any of their guardians speaks.
* **Facilitator hours**: the length of every held session, counted for the session's
  substitute if it has one, else for each of the cohort's trainers.

Every figure is a count of rows and ids, never of names or contacts, so erasing a family's
personal data (names and contacts blanked) leaves the report unchanged. The whole report
costs the same few queries for any amount of data. Partners see their own KiTa only, with
every count below 5 shown as "< 5".
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import msgspec

from programmes.clock import BERLIN
from programmes.db import fetch
from programmes.domain.access import Staff
from programmes.domain.errors import N_, Forbidden, InvalidParameter
from programmes.domain.types import check_day, id_from_text
from programmes.vocabulary import (
    AttendanceMark,
    PublicationStatus,
    RegistrationStatus,
    Role,
    SessionStatus,
)

MAX_PERIOD_YEARS: Final = 5
#: Counts below this are shown as "< 5" to partners.
SMALL_COUNT: Final = 5
SMALL_COUNT_LABEL: Final = "< 5"
NO_LANGUAGE: Final = N_("not recorded")
NO_FACILITATOR: Final = N_("no facilitator recorded")

#: A count as shown: a number, or "< 5" where small counts are hidden.
Count = int | str


class ReportFilter(msgspec.Struct, frozen=True):
    date_from: date
    date_to: date
    programme_id: int | None = None
    cohort_id: int | None = None
    kita_id: int | None = None


class CohortFigures(msgspec.Struct, frozen=True):
    cohort_id: int
    cohort: str
    programme: str
    kind: str
    kita: str | None
    sessions_planned: Count
    sessions_held: Count
    sessions_cancelled: Count
    families: Count
    guardians: Count
    children: Count
    people: Count
    waiting: Count
    marked: Count
    present: Count
    attendance_rate: float | None
    threshold_percent: int
    at_threshold: Count


class Totals(msgspec.Struct, frozen=True):
    groups_run: Count
    sessions_planned: Count
    sessions_held: Count
    sessions_cancelled: Count
    families: Count
    guardians: Count
    children: Count
    people: Count
    waiting: Count
    marked: Count
    present: Count
    attendance_rate: float | None
    at_threshold: Count


class LanguageFigure(msgspec.Struct, frozen=True):
    language: str
    families: Count


class FacilitatorFigure(msgspec.Struct, frozen=True):
    facilitator: str
    sessions: Count
    hours: float


class Report(msgspec.Struct, frozen=True):
    date_from: date
    date_to: date
    programme_id: int | None
    programme: str | None
    cohort_id: int | None
    cohort: str | None
    kita_id: int | None
    kita: str | None
    small_counts_hidden: bool
    totals: Totals
    cohorts: list[CohortFigures]
    languages: list[LanguageFigure]
    facilitators: list[FacilitatorFigure]


# --------------------------------------------------------------------------- input


def kita_year(today: date) -> tuple[date, date]:
    """The KiTa year (1 August to 31 July, both included) that contains `today` (a Berlin
    day): the period funders and KiTas count in, so the report's default."""
    first_year = today.year if today.month >= 8 else today.year - 1
    return date(first_year, 8, 1), date(first_year + 1, 7, 31)


def parse_period(date_from: str | None, date_to: str | None, *, today: date) -> tuple[date, date]:
    """The period from ISO dates; a missing end defaults to the current KiTa year's."""
    year_start, year_end = kita_year(today)
    start = _parse_day(date_from, "from") or year_start
    end = _parse_day(date_to, "to") or year_end
    if end < start:
        raise InvalidParameter(N_("The end of the period is before its start."), field="to")
    if end >= _years_later(start, MAX_PERIOD_YEARS):
        raise InvalidParameter(
            N_("A period may be at most %(years)s years long."), field="to", years=MAX_PERIOD_YEARS
        )
    return start, end


def _parse_day(value: str | None, name: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidParameter(N_("Please give a date as YYYY-MM-DD."), field=name) from None
    return check_day(day, field=name, error=InvalidParameter)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return date(day.year + years, 3, 1)


def parse_report_filter(
    *,
    date_from: str | None,
    date_to: str | None,
    programme: str | None,
    cohort: str | None,
    kita: str | None,
    now: datetime,
) -> ReportFilter:
    """The report's filter from query parameters as typed (each error names its field)."""
    start, end = parse_period(date_from, date_to, today=now.astimezone(BERLIN).date())
    return ReportFilter(
        date_from=start,
        date_to=end,
        programme_id=parse_filter_id(programme, "programme"),
        cohort_id=parse_filter_id(cohort, "cohort"),
        kita_id=parse_filter_id(kita, "kita"),
    )


def parse_filter_id(value: str | None, name: str) -> int | None:
    """An optional id filter from a query string ("" means none)."""
    if value is None or not value.strip():
        return None
    number = id_from_text(value)
    if number is None:
        raise InvalidParameter(N_("Please give the id as a whole number."), field=name)
    return number


async def check_filters(staff: Staff, filters: ReportFilter) -> dict[str, str | None]:
    """Names of the chosen programme, cohort and KiTa; an unknown one, or one the caller
    may not see, is a 400 naming the filter. At most three queries."""
    if staff.role not in (Role.coordinator, Role.partner):
        raise Forbidden(N_("Reports are for coordinators and KiTa partners."))
    names: dict[str, str | None] = {"programme": None, "cohort": None, "kita": None}
    if filters.programme_id is not None:
        if staff.role is Role.partner:
            # a partner sees the programmes with a group at their KiTa (as `entries` does)
            rows = await fetch(
                "SELECT p.title FROM programme p WHERE p.id = {} AND EXISTS "
                "(SELECT 1 FROM cohort c WHERE c.programme = p.id AND c.kita = {})",
                filters.programme_id,
                staff.kita_id,
            )
        else:
            rows = await fetch("SELECT title FROM programme WHERE id = {}", filters.programme_id)
        if not rows:
            raise InvalidParameter(
                N_("There is no programme with id %(id)s."),
                field="programme",
                id=filters.programme_id,
            )
        names["programme"] = rows[0]["title"]
    if filters.cohort_id is not None:
        rows = await fetch("SELECT title, kita FROM cohort WHERE id = {}", filters.cohort_id)
        if not rows or (staff.role is Role.partner and rows[0]["kita"] != staff.kita_id):
            raise InvalidParameter(
                N_("There is no cohort with id %(id)s."), field="cohort", id=filters.cohort_id
            )
        names["cohort"] = rows[0]["title"]
    if filters.kita_id is not None:
        rows = await fetch("SELECT name FROM kita WHERE id = {}", filters.kita_id)
        if not rows or (staff.role is Role.partner and filters.kita_id != staff.kita_id):
            raise InvalidParameter(
                N_("There is no KiTa with id %(id)s."), field="kita", id=filters.kita_id
            )
        names["kita"] = rows[0]["name"]
    return names


# --------------------------------------------------------------------------- figures


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The period's first moment and the moment after it, in UTC (Berlin days)."""
    start = datetime.combine(date_from, time(), BERLIN).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time(), BERLIN).astimezone(UTC)
    return start, end


@dataclass
class _Scope:
    """The WHERE clause selecting the report's cohorts (alias `c`), with its arguments."""

    start: datetime
    end: datetime
    filters: str = ""
    args: list[Any] = field(default_factory=list)

    def cohorts(self) -> tuple[str, list[Any]]:
        sql = (
            "EXISTS (SELECT 1 FROM cohort_session ps WHERE ps.cohort = c.id "  # noqa: S608 (constants only)
            "AND ps.starts_at >= {} AND ps.starts_at < {})" + self.filters
        )
        return sql, [self.start, self.end, *self.args]


def _scope(staff: Staff, filters: ReportFilter, start: datetime, end: datetime) -> _Scope:
    scope = _Scope(start, end)
    kita_id = staff.kita_id if staff.role is Role.partner else filters.kita_id
    for column, value in (
        ("c.programme", filters.programme_id),
        ("c.id", filters.cohort_id),
        ("c.kita", kita_id),
    ):
        if value is not None:
            scope.filters += f" AND {column} = {{}}"
            scope.args.append(value)
    return scope


@dataclass
class _Tally:
    planned: int = 0
    held: int = 0
    cancelled: int = 0
    families: int = 0
    guardians: int = 0
    children: int = 0
    people: int = 0
    waiting: int = 0
    marked: int = 0
    present: int = 0
    at_threshold: int = 0


async def report_from_query(
    *,
    staff: Staff,
    now: datetime,
    date_from: str | None,
    date_to: str | None,
    programme: str | None,
    cohort: str | None,
    kita: str | None,
) -> Report:
    """The report for the filter as a page, a file or the API received it."""
    filters = parse_report_filter(
        date_from=date_from,
        date_to=date_to,
        programme=programme,
        cohort=cohort,
        kita=kita,
        now=now,
    )
    return await build_report(staff=staff, filters=filters, now=now)


async def build_report(*, staff: Staff, filters: ReportFilter, now: datetime) -> Report:
    """The report for `staff`: all of it for coordinators, their KiTa's for partners."""
    names = await check_filters(staff, filters)
    start, end = period_bounds(filters.date_from, filters.date_to)
    scope = _scope(staff, filters, start, end)
    where, args = scope.cohorts()
    cohorts = await fetch(
        "SELECT c.id, c.title, c.status, k.name AS kita_name, p.title AS programme_title, "  # noqa: S608 (constants only)
        "p.kind AS kind, p.certificate_threshold_percent AS threshold "
        "FROM cohort c JOIN programme p ON p.id = c.programme "
        f"LEFT JOIN kita k ON k.id = c.kita WHERE {where} "
        "ORDER BY p.title, c.title, c.id",
        *args,
    )
    sessions = await fetch(
        "SELECT s.cohort, s.status, s.starts_at, s.ends_at, s.substitute, "  # noqa: S608 (constants only)
        "a.first_name AS substitute_name FROM cohort_session s "
        "JOIN cohort c ON c.id = s.cohort LEFT JOIN account a ON a.id = s.substitute "
        f"WHERE s.starts_at >= {{}} AND s.starts_at < {{}}{scope.filters}",
        start,
        end,
        *scope.args,
    )
    trainers = await fetch(
        "SELECT ct.cohort, ct.trainer, a.first_name AS name FROM cohort_trainer ct "  # noqa: S608 (constants only)
        f"JOIN account a ON a.id = ct.trainer JOIN cohort c ON c.id = ct.cohort WHERE {where}",
        *args,
    )
    registrations = await fetch(
        "SELECT r.cohort, r.family, r.seats, r.status FROM registration r "  # noqa: S608 (constants only)
        f"JOIN cohort c ON c.id = r.cohort WHERE r.status IN ({{}}, {{}}) AND {where}",
        RegistrationStatus.confirmed.value,
        RegistrationStatus.waiting.value,
        *args,
    )
    enrolled = (
        "SELECT r.family FROM registration r JOIN cohort c ON c.id = r.cohort "  # noqa: S608 (constants only)
        f"WHERE r.status = {{}} AND r.family IS NOT NULL AND {where}"
    )
    guardians = await fetch(
        f"SELECT g.family, g.languages FROM guardian g WHERE g.family IN ({enrolled})",  # noqa: S608 (constants only)
        RegistrationStatus.confirmed.value,
        *args,
    )
    children = await fetch(
        f"SELECT ch.family, COUNT(*) AS n FROM child ch WHERE ch.family IN ({enrolled}) "  # noqa: S608 (constants only)
        "GROUP BY ch.family",
        RegistrationStatus.confirmed.value,
        *args,
    )
    marks = await fetch(
        "SELECT s.cohort, m.registration, r.status, "  # noqa: S608 (constants only)
        "SUM(CASE WHEN m.mark = {} THEN 1 ELSE 0 END) AS present, COUNT(*) AS marked "
        "FROM attendance m JOIN cohort_session s ON s.id = m.session "
        "JOIN registration r ON r.id = m.registration JOIN cohort c ON c.id = s.cohort "
        "WHERE s.status <> {} AND c.status <> {} AND s.starts_at >= {} AND s.starts_at < {} "
        f"AND s.starts_at < {{}}{scope.filters} GROUP BY s.cohort, m.registration, r.status",
        AttendanceMark.present.value,
        SessionStatus.cancelled.value,
        PublicationStatus.cancelled.value,
        start,
        end,
        now,
        *scope.args,
    )
    return _assemble(
        staff=staff,
        filters=filters,
        names=names,
        now=now,
        cohorts=cohorts,
        sessions=sessions,
        trainers=trainers,
        registrations=registrations,
        guardians=guardians,
        children=children,
        marks=marks,
    )


def _assemble(
    *,
    staff: Staff,
    filters: ReportFilter,
    names: dict[str, str | None],
    now: datetime,
    cohorts: list[dict[str, Any]],
    sessions: list[dict[str, Any]],
    trainers: list[dict[str, Any]],
    registrations: list[dict[str, Any]],
    guardians: list[dict[str, Any]],
    children: list[dict[str, Any]],
    marks: list[dict[str, Any]],
) -> Report:
    cancelled_runs = {c["id"] for c in cohorts if c["status"] == PublicationStatus.cancelled.value}
    tallies: dict[int, _Tally] = {c["id"]: _Tally() for c in cohorts}
    leaders: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for row in trainers:
        leaders[row["cohort"]].append((row["trainer"], row["name"] or ""))
    hours: dict[int | None, list[Any]] = {}
    for row in sessions:
        tally = tallies[row["cohort"]]
        tally.planned += 1
        starts_at = moment(row["starts_at"])
        if row["status"] == SessionStatus.cancelled.value or row["cohort"] in cancelled_runs:
            tally.cancelled += 1
        elif starts_at < now:
            tally.held += 1
            if row["substitute"] is not None:
                led_by = [(row["substitute"], row["substitute_name"] or "")]
            else:
                led_by = leaders.get(row["cohort"]) or [(None, "")]
            length = moment(row["ends_at"]) - starts_at
            for account_id, name in led_by:
                entry = hours.setdefault(account_id, [name, 0, timedelta()])
                entry[1] += 1
                entry[2] += length

    guardian_count: dict[int, int] = defaultdict(int)
    languages: dict[int, set[str]] = defaultdict(set)
    for row in guardians:
        guardian_count[row["family"]] += 1
        languages[row["family"]].update(_languages(row["languages"]))
    child_count = {row["family"]: int(row["n"]) for row in children}

    families: set[int] = set()
    for row in registrations:
        tally = tallies[row["cohort"]]
        if row["status"] == RegistrationStatus.waiting.value:
            tally.waiting += int(row["seats"])
        elif row["family"] is not None:
            families.add(row["family"])
            tally.families += 1
            tally.guardians += guardian_count.get(row["family"], 0)
            tally.children += child_count.get(row["family"], 0)
        else:
            tally.people += int(row["seats"])

    thresholds = {c["id"]: int(c["threshold"]) for c in cohorts}
    for row in marks:
        tally = tallies[row["cohort"]]
        present = int(row["present"])
        tally.marked += int(row["marked"])
        tally.present += present
        if row["status"] == RegistrationStatus.confirmed.value and reaches_threshold(
            present, tally.held, thresholds[row["cohort"]]
        ):
            tally.at_threshold += 1

    hide = staff.role is Role.partner
    show = _masked if hide else _plain
    figures = [
        CohortFigures(
            cohort_id=c["id"],
            cohort=c["title"],
            programme=c["programme_title"],
            kind=c["kind"],
            kita=c["kita_name"],
            sessions_planned=show(t.planned),
            sessions_held=show(t.held),
            sessions_cancelled=show(t.cancelled),
            families=show(t.families),
            guardians=show(t.guardians),
            children=show(t.children),
            people=show(t.people),
            waiting=show(t.waiting),
            marked=show(t.marked),
            present=show(t.present),
            attendance_rate=_rate(t.present, t.marked),
            threshold_percent=thresholds[c["id"]],
            at_threshold=show(t.at_threshold),
        )
        for c in cohorts
        for t in (tallies[c["id"]],)
    ]
    all_tallies = list(tallies.values())
    marked = sum(t.marked for t in all_tallies)
    present = sum(t.present for t in all_tallies)
    totals = Totals(
        groups_run=show(sum(1 for t in all_tallies if t.held)),
        sessions_planned=show(sum(t.planned for t in all_tallies)),
        sessions_held=show(sum(t.held for t in all_tallies)),
        sessions_cancelled=show(sum(t.cancelled for t in all_tallies)),
        families=show(len(families)),
        guardians=show(sum(guardian_count.get(f, 0) for f in families)),
        children=show(sum(child_count.get(f, 0) for f in families)),
        people=show(sum(t.people for t in all_tallies)),
        waiting=show(sum(t.waiting for t in all_tallies)),
        marked=show(marked),
        present=show(present),
        attendance_rate=_rate(present, marked),
        at_threshold=show(sum(t.at_threshold for t in all_tallies)),
    )
    return Report(
        date_from=filters.date_from,
        date_to=filters.date_to,
        programme_id=filters.programme_id,
        programme=names["programme"],
        cohort_id=filters.cohort_id,
        cohort=names["cohort"],
        kita_id=staff.kita_id if hide else filters.kita_id,
        kita=names["kita"],
        small_counts_hidden=hide,
        totals=totals,
        cohorts=figures,
        languages=[
            LanguageFigure(language=name, families=show(n))
            for name, n in _language_counts(languages[f] for f in families)
        ],
        facilitators=[
            FacilitatorFigure(
                facilitator=name or NO_FACILITATOR, sessions=show(n), hours=_hours(length)
            )
            for name, n, length in sorted(
                hours.values(), key=lambda entry: (-entry[2], entry[0] or "\uffff")
            )
        ],
    )


def reaches_threshold(present: int, held: int, threshold_percent: int) -> bool:
    """Whether `present` of `held` sessions is at least `threshold_percent` (exactly, no
    floating point: 27 of 36 is 75 %)."""
    return held > 0 and present * 100 >= threshold_percent * held


def _rate(present: int, marked: int) -> float | None:
    return round(present / marked, 4) if marked else None


def _hours(length: timedelta) -> float:
    return round(length.total_seconds() / 3600, 2)


def _plain(n: int) -> Count:
    return n


def _masked(n: int) -> Count:
    return SMALL_COUNT_LABEL if n < SMALL_COUNT else n


def moment(value: datetime | str) -> datetime:
    """A timestamp as either driver returns it (SQLite: text in UTC), made aware."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _languages(value: list[str] | str | None) -> set[str]:
    """A guardian's languages (SQLite stores the array as JSON text)."""
    if value is None:
        return set()
    items = json.loads(value) if isinstance(value, str) else value
    return {str(item).strip() for item in items if str(item).strip()}


def _language_counts(per_family: Iterable[set[str]]) -> list[tuple[str, int]]:
    """Families per language; spellings that differ only in case count as one (shown as the
    first spelling in sort order). A family without any language counts as "not recorded"."""
    counts: dict[str, int] = defaultdict(int)
    spelling: dict[str, str] = {}
    for spoken in per_family:
        keys = {name.casefold(): name for name in sorted(spoken)} or {"": NO_LANGUAGE}
        for key, name in keys.items():
            spelling[key] = min(spelling.get(key, name), name)
            counts[key] += 1
    return sorted(((spelling[k], n) for k, n in counts.items()), key=lambda x: (-x[1], x[0]))
