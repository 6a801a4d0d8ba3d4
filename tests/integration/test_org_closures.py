"""Organisation closure calendars on both engines: the NRW school holidays imported from a
real HTTP server on 127.0.0.1 (tests/fixtures/ics/school_holidays_nrw_2026_27.ics) or
entered by hand; which cohorts pause during them (programme default and choice, cohort
override); the schedule preview naming every skipped date; the move confirmation. The
suite's "now" is 25 November 2026."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest

from programmes.clock import BERLIN
from programmes.domain.access import Staff
from programmes.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unavailable,
)
from programmes.domain.planning import closures, org_closures, schedules, sessions
from programmes.domain.planning.closure_import import FetchLimits
from programmes.domain.planning.schedules import RuleInput
from programmes.tables import AuditEvent, OrgCalendar, OrgClosure, ProgrammePause, Session
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_cohort, make_kita, make_programme, make_staff
from tests.ics_server import (
    HTML_PAGE,
    NRW_SCHOOL_HOLIDAYS,
    OVERSIZED,
    IcsServer,
    closed_port,
    running_ics_server,
)

NOW = FROZEN_NOW
HOLIDAYS = [
    (date(2026, 10, 17), date(2026, 10, 31), "Herbstferien", "ical"),
    (date(2026, 12, 23), date(2027, 1, 6), "Weihnachtsferien", "ical"),
    (date(2027, 3, 22), date(2027, 4, 3), "Osterferien", "ical"),
    (date(2027, 5, 18), date(2027, 5, 18), "Pfingstferien", "ical"),
    (date(2027, 7, 19), date(2027, 8, 31), "Sommerferien", "ical"),
]
#: Mondays and Fridays, 3 January to 9 April 2027.
MON_FRI = RuleInput(
    weekdays=[0, 4],
    start_time="09:00",
    duration_minutes=90,
    first_day=date(2027, 1, 1),
    last_day=date(2027, 4, 9),
)


@pytest.fixture
def server() -> Iterator[IcsServer]:
    with running_ics_server() as ics:
        yield ics


@pytest.fixture
async def coordinator() -> Staff:
    return await make_staff(Role.coordinator)


async def school_holidays(coordinator: Staff, server: IcsServer) -> int:
    calendar = await org_closures.create_calendar(
        staff=coordinator, name="Schulferien NRW", school_holidays=True, now=NOW
    )
    await org_closures.import_calendar(
        staff=coordinator,
        calendar_id=calendar.id,
        url=server.serve("/ferien.ics", NRW_SCHOOL_HOLIDAYS),
        now=NOW,
        allow_private_hosts=True,
    )
    return calendar.id


async def stored(calendar_id: int) -> list[tuple[date, date, str, str]]:
    rows = (
        await OrgClosure.select()
        .where(OrgClosure.calendar == calendar_id)
        .order_by(OrgClosure.first_day)
    )
    return [(r["first_day"], r["last_day"], r["reason"], r["source"]) for r in rows]


async def snapshot() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    return (
        await OrgClosure.select().order_by(OrgClosure.id),
        await OrgCalendar.select().order_by(OrgCalendar.id),
        await AuditEvent.count(),
    )


async def skipped_of(coordinator: Staff, cohort_id: int) -> dict[date, str]:
    plan = await schedules.preview_schedule(
        staff=coordinator, cohort_id=cohort_id, rule=MON_FRI, now=NOW
    )
    return {s.day: s.reason for s in plan.skipped}


async def test_the_issue_example_a_rucksack_cohort_skips_the_school_holidays_with_reasons(
    server: IcsServer, coordinator: Staff
) -> None:
    await school_holidays(coordinator, server)
    kita_id = await make_kita()
    await closures.add_closure(
        staff=coordinator, kita_id=kita_id, first_day=date(2027, 2, 12), reason="Teamtag", now=NOW
    )
    cohort_id = await make_cohort(await make_programme(ProgrammeKind.rucksack), kita_id=kita_id)

    skipped = await skipped_of(coordinator, cohort_id)

    assert skipped == {
        date(2027, 1, 1): "Feiertag: Neujahr",
        date(2027, 1, 4): "Schulferien NRW: Weihnachtsferien",
        date(2027, 2, 12): "KiTa geschlossen: Teamtag",
        date(2027, 3, 22): "Schulferien NRW: Osterferien",
        date(2027, 3, 26): "Feiertag: Karfreitag",  # a holiday wins over the holidays
        date(2027, 3, 29): "Feiertag: Ostermontag",
        date(2027, 4, 2): "Schulferien NRW: Osterferien",
    }
    saved = await schedules.save_schedule(
        staff=coordinator, cohort_id=cohort_id, rule=MON_FRI, now=NOW
    )
    days = {
        row["starts_at"].astimezone(BERLIN).date()
        for row in await Session.select(Session.starts_at).where(Session.cohort == cohort_id)
    }
    assert len(days) == len(saved.sessions) == 22
    assert not days & set(skipped)
    assert date(2027, 1, 8) in days and date(2027, 4, 5) in days


async def test_a_training_meets_unless_its_programme_or_cohort_chooses_to_pause(
    server: IcsServer, coordinator: Staff
) -> None:
    calendar_id = await school_holidays(coordinator, server)
    training = await make_programme(ProgrammeKind.training)
    rucksack = await make_programme(ProgrammeKind.rucksack)
    training_cohort = await make_cohort(training)
    rucksack_cohort = await make_cohort(rucksack)
    easter = date(2027, 3, 22)

    assert easter not in await skipped_of(coordinator, training_cohort)  # default: meets
    assert easter in await skipped_of(coordinator, rucksack_cohort)  # default: pauses

    # The programmes choose the other way round.
    await org_closures.set_programme_pauses(
        staff=coordinator, calendar_id=calendar_id, pausing=[training], now=NOW
    )
    assert easter in await skipped_of(coordinator, training_cohort)
    assert easter not in await skipped_of(coordinator, rucksack_cohort)
    choices = (
        await org_closures.calendar_detail(staff=coordinator, calendar_id=calendar_id)
    ).programmes
    assert {(c.programme_id, c.pauses, c.by_default) for c in choices} == {
        (training, True, False),
        (rucksack, False, False),
    }

    # Each cohort may override its programme; "inherit" follows it again.
    for cohort_id, choice, pauses in [
        (training_cohort, "meet", False),
        (rucksack_cohort, "pause", True),
        (training_cohort, "inherit", True),
        (rucksack_cohort, "inherit", False),
    ]:
        await org_closures.set_cohort_pause(
            staff=coordinator, cohort_id=cohort_id, choice=choice, now=NOW
        )
        assert (easter in await skipped_of(coordinator, cohort_id)) is pauses, (cohort_id, choice)
        assert (await org_closures.pause_summary(cohort_id)).choice == choice


async def test_a_calendar_entered_by_hand_applies_too(coordinator: Staff) -> None:
    calendar = await org_closures.create_calendar(
        staff=coordinator, name="Betriebsferien Büro", school_holidays=False, now=NOW
    )
    await org_closures.add_day(
        staff=coordinator,
        calendar_id=calendar.id,
        first_day=date(2027, 2, 8),
        last_day=date(2027, 2, 12),
        reason="Inventur",
        now=NOW,
    )
    cohort_id = await make_cohort(await make_programme(ProgrammeKind.rucksack))
    assert date(2027, 2, 8) not in await skipped_of(coordinator, cohort_id)  # not ticked

    await org_closures.set_cohort_pause(
        staff=coordinator, cohort_id=cohort_id, choice="pause", now=NOW
    )

    skipped = await skipped_of(coordinator, cohort_id)
    assert skipped[date(2027, 2, 8)] == "Betriebsferien Büro: Inventur"
    assert skipped[date(2027, 2, 12)] == "Betriebsferien Büro: Inventur"


async def test_import_again_replaces_idempotently_and_keeps_days_entered_by_hand(
    server: IcsServer, coordinator: Staff
) -> None:
    calendar_id = await school_holidays(coordinator, server)
    await org_closures.add_day(
        staff=coordinator,
        calendar_id=calendar_id,
        first_day=date(2027, 5, 7),
        reason="Beweglicher Ferientag",
        now=NOW,
    )
    first = await stored(calendar_id)
    ids = [r["id"] for r in await OrgClosure.select(OrgClosure.id).order_by(OrgClosure.id)]

    result = await org_closures.import_calendar(
        staff=coordinator,
        calendar_id=calendar_id,
        url=server.url("/ferien.ics"),
        now=NOW,
        allow_private_hosts=True,
    )

    assert (result.added, result.updated, result.removed, result.unchanged) == (0, 0, 0, 5)
    assert await stored(calendar_id) == first
    assert [r["id"] for r in await OrgClosure.select(OrgClosure.id).order_by(OrgClosure.id)] == ids
    assert sorted(first) == sorted(
        [*HOLIDAYS, (date(2027, 5, 7), date(2027, 5, 7), "Beweglicher Ferientag", "manual")]
    )


def _failures() -> list[tuple[str, Callable[[IcsServer], str], type[DomainError], str]]:
    return [
        (
            "unreachable",
            lambda s: f"http://127.0.0.1:{closed_port()}/ferien.ics",
            Unavailable,
            "refused the connection",
        ),
        ("404", lambda s: s.url("/fehlt.ics"), Unavailable, "HTTP 404"),
        (
            "not iCal",
            lambda s: s.serve("/ferien.html", HTML_PAGE, "text/html; charset=utf-8"),
            InvalidInput,
            "web page (HTML)",
        ),
        ("too large", lambda s: s.serve("/riesig.ics", OVERSIZED), InvalidInput, "1 MB"),
    ]


@pytest.mark.parametrize(
    ("make_url", "error", "words"),
    [case[1:] for case in _failures()],
    ids=[case[0] for case in _failures()],
)
async def test_a_failed_import_changes_nothing(
    server: IcsServer,
    coordinator: Staff,
    make_url: Callable[[IcsServer], str],
    error: type[DomainError],
    words: str,
) -> None:
    calendar_id = await school_holidays(coordinator, server)
    before = await snapshot()

    with pytest.raises(error) as refused:
        await org_closures.import_calendar(
            staff=coordinator,
            calendar_id=calendar_id,
            url=make_url(server),
            now=NOW,
            allow_private_hosts=True,
        )

    assert refused.value.field == "url"
    assert words in refused.value.message
    assert refused.value.message.startswith("The calendar could not be imported: ")
    assert await snapshot() == before  # days, stored address and audit trail unchanged


async def test_a_slow_server_times_out_and_changes_nothing(
    server: IcsServer, coordinator: Staff
) -> None:
    calendar_id = await school_holidays(coordinator, server)
    before = await snapshot()
    limits = FetchLimits(timeout_seconds=0.000001)

    with pytest.raises(Unavailable) as refused:
        await org_closures.import_calendar(
            staff=coordinator,
            calendar_id=calendar_id,
            url=server.url("/ferien.ics"),
            now=NOW,
            allow_private_hosts=True,
            limits=limits,
        )

    assert refused.value.field == "url"
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("first", "last", "reason", "field"),
    [
        (date(2027, 3, 5), date(2027, 3, 1), "Ferien", "last_day"),
        (date(2027, 3, 5), None, "   ", "reason"),
    ],
    ids=["from after to", "no reason"],
)
async def test_bad_days_are_refused_and_nothing_is_stored(
    coordinator: Staff, first: date, last: date | None, reason: str, field: str
) -> None:
    calendar = await org_closures.create_calendar(
        staff=coordinator, name="Schulferien NRW", school_holidays=True, now=NOW
    )
    before = await snapshot()
    with pytest.raises(InvalidInput) as refused:
        await org_closures.add_day(
            staff=coordinator,
            calendar_id=calendar.id,
            first_day=first,
            last_day=last,
            reason=reason,
            now=NOW,
        )
    assert refused.value.field == field
    assert await snapshot() == before


async def test_calendar_names_are_required_and_unique(coordinator: Staff) -> None:
    await org_closures.create_calendar(
        staff=coordinator, name="Schulferien NRW", school_holidays=True, now=NOW
    )
    before = await snapshot()
    with pytest.raises(InvalidInput) as empty:
        await org_closures.create_calendar(
            staff=coordinator, name="  ", school_holidays=False, now=NOW
        )
    with pytest.raises(Conflict) as twice:
        await org_closures.create_calendar(
            staff=coordinator, name=" Schulferien NRW ", school_holidays=False, now=NOW
        )
    assert (empty.value.field, twice.value.field) == ("name", "name")
    assert await snapshot() == before


@pytest.mark.parametrize("role", [Role.partner, Role.trainer])
async def test_only_coordinators_manage_calendars(role: Role) -> None:
    staff = await make_staff(role)
    with pytest.raises(Forbidden):
        await org_closures.create_calendar(
            staff=staff, name="Schulferien NRW", school_holidays=True, now=NOW
        )
    with pytest.raises(Forbidden):
        await org_closures.list_calendars(staff=staff)
    assert await OrgCalendar.count() == 0


async def test_deleting_a_calendar_removes_its_days_and_choices(
    server: IcsServer, coordinator: Staff
) -> None:
    calendar_id = await school_holidays(coordinator, server)
    programme = await make_programme(ProgrammeKind.rucksack)
    await org_closures.set_programme_pauses(
        staff=coordinator, calendar_id=calendar_id, pausing=[programme], now=NOW
    )
    cohort_id = await make_cohort(programme)

    await org_closures.delete_calendar(staff=coordinator, calendar_id=calendar_id, now=NOW)

    assert (await OrgClosure.count(), await ProgrammePause.count()) == (0, 0)
    assert date(2027, 3, 22) not in await skipped_of(coordinator, cohort_id)


async def test_moving_a_session_into_the_holidays_says_why(
    server: IcsServer, coordinator: Staff
) -> None:
    await school_holidays(coordinator, server)
    cohort_id = await make_cohort(await make_programme(ProgrammeKind.rucksack))
    await schedules.save_schedule(staff=coordinator, cohort_id=cohort_id, rule=MON_FRI, now=NOW)
    first = await Session.select(Session.id).where(Session.cohort == cohort_id).first()
    assert first is not None
    session_id = first["id"]
    starts = datetime(2027, 3, 23, 9, tzinfo=BERLIN)

    preview = await sessions.preview_move(
        staff=coordinator,
        session_id=session_id,
        starts_at=starts,
        ends_at=starts.replace(hour=10),
        location=None,
        now=NOW,
    )

    assert preview.paused == ["Schulferien NRW: Osterferien"]
    assert not preview.closed and preview.holiday is None


async def test_a_day_of_another_calendar_is_not_found_and_stays(coordinator: Staff) -> None:
    holidays, office = [
        await org_closures.create_calendar(
            staff=coordinator, name=name, school_holidays=False, now=NOW
        )
        for name in ("Schulferien NRW", "Betriebsferien Büro")
    ]
    day = await org_closures.add_day(
        staff=coordinator,
        calendar_id=holidays.id,
        first_day=date(2027, 5, 18),
        reason="Pfingstferien",
        now=NOW,
    )
    before = await snapshot()

    with pytest.raises(NotFound):
        await org_closures.delete_day(
            staff=coordinator, calendar_id=office.id, closure_id=day.id, now=NOW
        )

    assert await snapshot() == before
