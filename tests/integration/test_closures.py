"""KiTa closure days on both engines: by hand, and imported from a real HTTP server on
127.0.0.1 (tests/ics_server.py) serving the school-year calendar
tests/fixtures/ics/school_year_2026_27.ics: single days, two ranges and a Teamtag every
first Monday with an EXDATE. The suite's "now" is 25 November 2026, so the import window is
26 October 2026 to 24 November 2028."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from programmes.domain.access import Staff
from programmes.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unavailable,
)
from programmes.domain.planning import closures, schedules
from programmes.domain.planning.closures import AddressRefused, ClosureView
from programmes.domain.planning.schedules import RuleInput
from programmes.tables import AuditEvent, ClosureDay, Kita
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_cohort, make_kita, make_programme, make_staff
from tests.ics_server import (
    HTML_PAGE,
    OVERSIZED,
    SCHOOL_YEAR,
    SCHOOL_YEAR_CHANGED,
    IcsServer,
    closed_port,
    running_ics_server,
)

NOW = FROZEN_NOW
MANUAL, ICAL = "manual", "ical"


def teamtag(day: date) -> tuple[date, date, str, str]:
    return (day, day, "Teamtag", ICAL)


#: The school-year calendar as stored: (first day, last day, reason, source).
SCHOOL_YEAR_CLOSURES = [
    teamtag(date(2026, 11, 2)),
    teamtag(date(2026, 12, 7)),
    (date(2026, 12, 21), date(2027, 1, 1), "Weihnachtsschließung", ICAL),
    # 2027-01-04 would be a Teamtag, but it is an EXDATE.
    (date(2027, 1, 18), date(2027, 1, 18), "Betriebsausflug", ICAL),
    teamtag(date(2027, 2, 1)),
    teamtag(date(2027, 3, 1)),
    teamtag(date(2027, 4, 5)),
    teamtag(date(2027, 5, 3)),
    (date(2027, 5, 7), date(2027, 5, 7), "Brückentag", ICAL),
    teamtag(date(2027, 6, 7)),
    teamtag(date(2027, 7, 5)),
    (date(2027, 7, 19), date(2027, 8, 6), "Sommerschließung", ICAL),
]


@pytest.fixture
def server() -> Iterator[IcsServer]:
    with running_ics_server() as ics:
        yield ics


@pytest.fixture
async def coordinator() -> Staff:
    return await make_staff(Role.coordinator)


def rows(views: list[ClosureView]) -> list[tuple[date, date, str, str]]:
    return [(c.first_day, c.last_day, c.reason, c.source) for c in views]


async def snapshot() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Everything an import or a closure change could touch."""
    closure_rows = await ClosureDay.select().order_by(ClosureDay.id)
    kitas = await Kita.select(Kita.id, Kita.closures_ical_url).order_by(Kita.id)
    return closure_rows, kitas, await AuditEvent.count()


async def do_import(
    staff: Staff, kita_id: int, url: str, *, allow_private_hosts: bool = True
) -> closures.ImportResult:
    return await closures.import_closures(
        staff=staff, kita_id=kita_id, url=url, now=NOW, allow_private_hosts=allow_private_hosts
    )


# --------------------------------------------------------------------------- import


async def test_import_stores_the_school_year(server: IcsServer, coordinator: Staff) -> None:
    kita_id = await make_kita()
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR)

    result = await do_import(coordinator, kita_id, url)

    assert (result.added, result.updated, result.removed, result.unchanged) == (12, 0, 0, 0)
    assert (result.window_start, result.window_end) == (date(2026, 10, 26), date(2028, 11, 24))
    stored = await closures.list_closures(staff=coordinator, kita_id=kita_id)
    assert rows(stored) == SCHOOL_YEAR_CLOSURES
    kita = await Kita.select(Kita.closures_ical_url).where(Kita.id == kita_id).first()
    assert kita == {"closures_ical_url": url}
    event = (
        await AuditEvent.select()
        .where(AuditEvent.action == "closures.imported")
        .output(load_json=True)
        .first()
    )
    assert event is not None
    assert (event["object_type"], event["object_id"]) == ("kita", kita_id)
    assert event["detail"]["added"] == 12
    assert "Teamtag" not in str(event["detail"])
    assert "127.0.0.1" not in str(event["detail"])  # the address may hold a secret key


async def test_reimporting_the_same_calendar_changes_nothing(
    server: IcsServer, coordinator: Staff
) -> None:
    kita_id = await make_kita()
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR)
    await do_import(coordinator, kita_id, url)
    before = await ClosureDay.select().order_by(ClosureDay.id)

    again = await do_import(coordinator, kita_id, url)

    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 12)
    assert await ClosureDay.select().order_by(ClosureDay.id) == before  # same rows, same ids


async def test_changed_calendar_replaces_imported_closures_and_keeps_the_rest(
    server: IcsServer, coordinator: Staff
) -> None:
    kita_id = await make_kita()
    other_kita = await make_kita()
    manual = await closures.add_closure(
        staff=coordinator,
        kita_id=kita_id,
        first_day=date(2027, 1, 18),
        reason="Betriebsausflug (von Hand)",
        now=NOW,
    )
    # An imported closure from last summer, before the window: history, never removed.
    await ClosureDay.insert(
        ClosureDay(
            kita=kita_id,
            first_day=date(2026, 8, 3),
            last_day=date(2026, 8, 21),
            reason="Sommerschließung 2026",
            source=ICAL,
            source_uid="sommer-2026@fz-regenbogen.example",
        )
    )
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR)
    await do_import(coordinator, kita_id, url)
    await do_import(coordinator, other_kita, url)
    bridge_id = next(c.id for c in await _all(kita_id) if c.reason == "Brückentag")

    server.serve("/schliesstage.ics", SCHOOL_YEAR_CHANGED)  # the KiTa edits its calendar
    result = await do_import(coordinator, kita_id, url)

    assert (result.added, result.updated, result.removed, result.unchanged) == (1, 2, 2, 8)
    expected = [
        (date(2026, 8, 3), date(2026, 8, 21), "Sommerschließung 2026", ICAL),
        *[c for c in SCHOOL_YEAR_CLOSURES if c[2] != "Betriebsausflug"],
        (manual.first_day, manual.last_day, manual.reason, MANUAL),
        (date(2027, 3, 12), date(2027, 3, 12), "Konzeptionstag", ICAL),
    ]
    expected.remove(teamtag(date(2027, 3, 1)))  # a second EXDATE
    expected.remove((date(2027, 5, 7), date(2027, 5, 7), "Brückentag", ICAL))
    expected.append(
        (date(2027, 5, 7), date(2027, 5, 7), "Brückentag nach Christi Himmelfahrt", ICAL)
    )
    expected.remove((date(2027, 7, 19), date(2027, 8, 6), "Sommerschließung", ICAL))
    expected.append((date(2027, 7, 26), date(2027, 8, 13), "Sommerschließung", ICAL))
    assert sorted(rows(await _all(kita_id))) == sorted(expected)
    renamed = next(c for c in await _all(kita_id) if c.reason.startswith("Brückentag"))
    assert renamed.id == bridge_id  # updated in place
    # The other KiTa imported the same calendar and is left alone.
    assert rows(await _all(other_kita)) == SCHOOL_YEAR_CLOSURES


async def _all(kita_id: int) -> list[ClosureView]:
    staff = Staff(id=0, email="", name="", role=Role.coordinator, kita_id=None)
    return await closures.list_closures(staff=staff, kita_id=kita_id)


def _failures() -> list[tuple[str, Callable[[IcsServer], str], type[DomainError], str]]:
    return [
        (
            "unreachable port",
            lambda s: f"http://127.0.0.1:{closed_port()}/schliesstage.ics",
            Unavailable,
            "refused the connection",
        ),
        ("404", lambda s: s.url("/fehlt.ics"), Unavailable, "HTTP 404"),
        (
            "HTML page",
            lambda s: s.serve("/kalender.html", HTML_PAGE, "text/html; charset=utf-8"),
            InvalidInput,
            "web page (HTML)",
        ),
        (
            "oversized body",
            lambda s: s.serve("/riesig.ics", OVERSIZED),
            InvalidInput,
            "larger than 1 MB",
        ),
        (
            "oversized body without length",
            lambda s: s.serve("/riesig-ohne-laenge.ics", OVERSIZED, send_length=False),
            InvalidInput,
            "larger than 1 MB",
        ),
        ("file: address", lambda s: "file:///etc/passwd", InvalidInput, "“file:”"),
        (
            "ftp: address",
            lambda s: s.url("/schliesstage.ics").replace("http:", "ftp:"),
            InvalidInput,
            "“ftp:”",
        ),
        (
            "redirect to file:",
            lambda s: s.redirect("/umgezogen.ics", "file:///etc/passwd"),
            InvalidInput,
            "redirects to “file:///etc/passwd”",
        ),
        ("blank address", lambda s: "   ", InvalidInput, "Enter the address"),
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
    kita_id = await make_kita()
    await closures.add_closure(
        staff=coordinator, kita_id=kita_id, first_day=date(2027, 2, 12), reason="Fasching", now=NOW
    )
    await do_import(coordinator, kita_id, server.serve("/schliesstage.ics", SCHOOL_YEAR))
    before = await snapshot()

    with pytest.raises(error) as refused:
        await do_import(coordinator, kita_id, make_url(server))

    assert refused.value.field == "url"
    assert words in refused.value.message
    assert refused.value.message.startswith("The calendar could not be imported: ")
    assert await snapshot() == before


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_private_addresses_are_refused_unless_allowed(
    server: IcsServer, coordinator: Staff, host: str
) -> None:
    kita_id = await make_kita()
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR).replace("127.0.0.1", host)
    before = await snapshot()

    with pytest.raises(AddressRefused) as refused:
        await do_import(coordinator, kita_id, url, allow_private_hosts=False)

    assert refused.value.field == "url"
    assert f"points at {host}, a server in a local or private network" in refused.value.message
    assert server.requests == []  # never contacted
    assert await snapshot() == before


async def test_import_for_a_missing_kita_fetches_nothing(
    server: IcsServer, coordinator: Staff
) -> None:
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR)
    with pytest.raises(NotFound) as missing:
        await do_import(coordinator, 4711, url)
    assert missing.value.field == "kita"
    assert server.requests == []
    assert await ClosureDay.count() == 0


@pytest.mark.parametrize("role", [Role.partner, Role.trainer])
async def test_only_coordinators_import(server: IcsServer, role: Role) -> None:
    kita_id = await make_kita()
    staff = await make_staff(role, kita_id=kita_id if role is Role.partner else None)
    with pytest.raises(Forbidden):
        await do_import(staff, kita_id, server.serve("/schliesstage.ics", SCHOOL_YEAR))
    assert server.requests == []
    assert await ClosureDay.count() == 0


async def test_imported_text_is_made_storable(server: IcsServer, coordinator: Staff) -> None:
    """A NUL byte (refused by PostgreSQL) or other control character in a SUMMARY or UID."""
    kita_id = await make_kita()
    calendar = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:team\x00tag@x\r\n"
        b"DTSTART;VALUE=DATE:20270111\r\nSUMMARY:Team\x00tag\x07 <b>&amp;</b>\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    url = server.serve("/steuerzeichen.ics", calendar)
    first = await do_import(coordinator, kita_id, url)
    again = await do_import(coordinator, kita_id, url)

    assert (first.added, again.unchanged) == (1, 1)
    [stored] = await _all(kita_id)
    assert stored.reason == "Team tag <b>&amp;</b>"
    uid = await ClosureDay.select(ClosureDay.source_uid).first()
    assert uid is not None
    assert uid["source_uid"].startswith("sha256-")


async def test_concurrent_imports_of_one_kita_queue_up(
    server: IcsServer, coordinator: Staff
) -> None:
    kita_id = await make_kita()
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR)
    results = await asyncio.gather(*(do_import(coordinator, kita_id, url) for _ in range(3)))
    assert sorted(r.added for r in results) == [0, 0, 12]
    assert rows(await _all(kita_id)) == SCHOOL_YEAR_CLOSURES


async def test_schedule_preview_skips_imported_closure_days(
    server: IcsServer, coordinator: Staff
) -> None:
    kita_id = await make_kita()
    programme_id = await make_programme(ProgrammeKind.rucksack, is_public=False)
    cohort_id = await make_cohort(programme_id, kita_id=kita_id)
    await do_import(coordinator, kita_id, server.serve("/schliesstage.ics", SCHOOL_YEAR))
    mondays = RuleInput(
        weekdays=[0],
        start_time="09:00",
        duration_minutes=120,
        first_day=date(2026, 11, 30),
        count=10,
    )

    plan = await schedules.preview_schedule(
        staff=coordinator, cohort_id=cohort_id, rule=mondays, now=NOW
    )

    assert [(s.day, s.reason) for s in plan.skipped] == [
        (date(2026, 12, 7), "KiTa geschlossen: Teamtag"),
        (date(2026, 12, 21), "KiTa geschlossen: Weihnachtsschließung"),
        (date(2026, 12, 28), "KiTa geschlossen: Weihnachtsschließung"),
        (date(2027, 1, 18), "KiTa geschlossen: Betriebsausflug"),
        (date(2027, 2, 1), "KiTa geschlossen: Teamtag"),
        (date(2027, 3, 1), "KiTa geschlossen: Teamtag"),
    ]
    session_days = [s.starts_at.date() for s in plan.sessions]
    assert date(2027, 1, 4) in session_days  # the Teamtag's EXDATE: the group meets
    assert len(session_days) == 10


# --------------------------------------------------------------------------- by hand


async def test_coordinator_adds_a_single_day_and_a_range(coordinator: Staff) -> None:
    kita_id = await make_kita()
    day = await closures.add_closure(
        staff=coordinator,
        kita_id=kita_id,
        first_day=date(2027, 2, 12),
        reason="  Fasching  ",
        now=NOW,
    )
    span = await closures.add_closure(
        staff=coordinator,
        kita_id=kita_id,
        first_day=date(2027, 3, 22),
        last_day=date(2027, 3, 26),
        reason="Umbau der Küche",
        now=NOW,
    )

    assert (day.first_day, day.last_day, day.reason, day.source) == (
        date(2027, 2, 12),
        date(2027, 2, 12),
        "Fasching",
        MANUAL,
    )
    assert rows(await _all(kita_id)) == [
        (date(2027, 2, 12), date(2027, 2, 12), "Fasching", MANUAL),
        (date(2027, 3, 22), date(2027, 3, 26), "Umbau der Küche", MANUAL),
    ]
    assert span.last_day == date(2027, 3, 26)
    events = (
        await AuditEvent.select().where(AuditEvent.action == "closure.added").output(load_json=True)
    )
    assert [e["detail"] for e in events] == [
        {"kita_id": kita_id, "days": 1},
        {"kita_id": kita_id, "days": 5},
    ]


async def test_names_in_any_script_round_trip(coordinator: Staff) -> None:
    kita_id = await make_kita()
    reason = "عيد الفطر – Zuckerfest 'Şeker Bayramı' <script>{{ 7*7 }}</script>"
    await closures.add_closure(
        staff=coordinator, kita_id=kita_id, first_day=date(2027, 3, 10), reason=reason, now=NOW
    )
    assert [c.reason for c in await _all(kita_id)] == [reason]


@pytest.mark.parametrize(
    ("first_day", "last_day", "reason", "field", "words"),
    [
        (date(2027, 3, 5), date(2027, 3, 1), "Umbau", "last_day", "must not be before"),
        (date(1999, 12, 31), None, "Umbau", "first_day", "2000 to 2100"),
        (date(2100, 12, 1), date(2101, 1, 1), "Umbau", "last_day", "2000 to 2100"),
        (date(2027, 1, 1), date(2028, 1, 2), "Umbau", "last_day", "at most 366 days"),
        (date(2027, 1, 1), None, "   ", "reason", "fill in"),
        (date(2027, 1, 1), None, "Um\x00bau", "reason", "not allowed"),
        (date(2027, 1, 1), None, "Umbau\nund mehr", "reason", "not allowed"),
        (date(2027, 1, 1), None, "x" * 201, "reason", "At most 200 characters"),
    ],
    ids=[
        "ends before it starts",
        "too early",
        "too late",
        "longer than a year",
        "blank reason",
        "NUL in reason",
        "line break in reason",
        "reason too long",
    ],
)
async def test_bad_closures_are_refused_and_nothing_is_stored(
    coordinator: Staff,
    first_day: date,
    last_day: date | None,
    reason: str,
    field: str,
    words: str,
) -> None:
    kita_id = await make_kita()
    before = await snapshot()
    with pytest.raises(InvalidInput) as refused:
        await closures.add_closure(
            staff=coordinator,
            kita_id=kita_id,
            first_day=first_day,
            last_day=last_day,
            reason=reason,
            now=NOW,
        )
    assert refused.value.field == field
    assert words in refused.value.message
    assert await snapshot() == before


async def test_a_year_long_closure_is_allowed(coordinator: Staff) -> None:
    kita_id = await make_kita()
    closure = await closures.add_closure(
        staff=coordinator,
        kita_id=kita_id,
        first_day=date(2027, 1, 1),
        last_day=date(2027, 12, 31),
        reason="Sanierung",
        now=NOW,
    )
    assert closure.last_day == date(2027, 12, 31)


async def test_closure_for_a_missing_kita_is_refused(coordinator: Staff) -> None:
    before = await snapshot()
    with pytest.raises(NotFound) as missing:
        await closures.add_closure(
            staff=coordinator, kita_id=999, first_day=date(2027, 1, 1), reason="Umbau", now=NOW
        )
    assert missing.value.field == "kita"
    assert await snapshot() == before


async def test_the_same_closure_twice_is_a_conflict(coordinator: Staff) -> None:
    kita_id = await make_kita()
    kwargs: dict[str, Any] = {"kita_id": kita_id, "first_day": date(2027, 1, 8), "reason": "Umbau"}
    await closures.add_closure(staff=coordinator, now=NOW, **kwargs)
    before = await snapshot()
    with pytest.raises(Conflict) as twice:
        await closures.add_closure(staff=coordinator, now=NOW, **kwargs)
    assert twice.value.field == "first_day"
    assert await snapshot() == before


@pytest.mark.parametrize("role", [Role.partner, Role.trainer])
async def test_only_coordinators_add_and_delete(coordinator: Staff, role: Role) -> None:
    kita_id = await make_kita()
    closure = await closures.add_closure(
        staff=coordinator, kita_id=kita_id, first_day=date(2027, 1, 8), reason="Umbau", now=NOW
    )
    staff = await make_staff(role, kita_id=kita_id if role is Role.partner else None)
    before = await snapshot()
    with pytest.raises(Forbidden):
        await closures.add_closure(
            staff=staff, kita_id=kita_id, first_day=date(2027, 1, 9), reason="Umbau", now=NOW
        )
    with pytest.raises(Forbidden):
        await closures.delete_closure(staff=staff, closure_id=closure.id, now=NOW)
    assert await snapshot() == before


async def test_coordinator_deletes_a_closure(coordinator: Staff) -> None:
    kita_id = await make_kita()
    keep = await closures.add_closure(
        staff=coordinator, kita_id=kita_id, first_day=date(2027, 1, 8), reason="Umbau", now=NOW
    )
    gone = await closures.add_closure(
        staff=coordinator, kita_id=kita_id, first_day=date(2027, 1, 9), reason="Umbau", now=NOW
    )
    deleted = await closures.delete_closure(staff=coordinator, closure_id=gone.id, now=NOW)
    assert deleted == gone
    assert await _all(kita_id) == [keep]
    event = (
        await AuditEvent.select()
        .where(AuditEvent.action == "closure.deleted")
        .output(load_json=True)
        .first()
    )
    assert event is not None
    assert (event["object_id"], event["detail"]) == (
        gone.id,
        {"kita_id": kita_id, "source": MANUAL},
    )


async def test_deleting_a_missing_or_foreign_closure_is_not_found(coordinator: Staff) -> None:
    kita_id = await make_kita()
    other = await make_kita()
    closure = await closures.add_closure(
        staff=coordinator, kita_id=kita_id, first_day=date(2027, 1, 8), reason="Umbau", now=NOW
    )
    before = await snapshot()
    for closure_id, in_kita in ((closure.id + 1, None), (closure.id, other)):
        with pytest.raises(NotFound) as missing:
            await closures.delete_closure(
                staff=coordinator, closure_id=closure_id, kita_id=in_kita, now=NOW
            )
        assert missing.value.field == "closure"
    assert await snapshot() == before


# --------------------------------------------------------------------------- who sees what


async def test_who_may_see_a_kitas_closures(coordinator: Staff) -> None:
    kita_id = await make_kita()
    other_kita = await make_kita()
    await closures.add_closure(
        staff=coordinator, kita_id=kita_id, first_day=date(2027, 1, 8), reason="Umbau", now=NOW
    )
    partner = await make_staff(Role.partner, kita_id=kita_id)
    foreign_partner = await make_staff(Role.partner, kita_id=other_kita)
    trainer = await make_staff(Role.trainer)
    other_trainer = await make_staff(Role.trainer)
    programme_id = await make_programme(ProgrammeKind.rucksack, is_public=False)
    await make_cohort(programme_id, kita_id=kita_id, trainer_ids=(trainer.id,))

    for allowed in (coordinator, partner, trainer):
        seen = await closures.list_closures(staff=allowed, kita_id=kita_id)
        assert [c.reason for c in seen] == ["Umbau"]
    for stranger in (foreign_partner, other_trainer):
        with pytest.raises(NotFound) as hidden:
            await closures.list_closures(staff=stranger, kita_id=kita_id)
        assert hidden.value.field == "kita"
    with pytest.raises(NotFound):
        await closures.list_closures(staff=coordinator, kita_id=12345)


async def test_list_from_a_day_and_the_address_for_coordinators_only(
    server: IcsServer, coordinator: Staff
) -> None:
    kita_id = await make_kita()
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR)
    await do_import(coordinator, kita_id, url)
    partner = await make_staff(Role.partner, kita_id=kita_id)

    upcoming = await closures.list_closures(
        staff=partner, kita_id=kita_id, from_day=date(2027, 7, 1)
    )
    assert rows(upcoming) == SCHOOL_YEAR_CLOSURES[-2:]
    # A range that began before from_day but is still running counts.
    running = await closures.list_closures(
        staff=partner, kita_id=kita_id, from_day=date(2027, 8, 6)
    )
    assert rows(running) == SCHOOL_YEAR_CLOSURES[-1:]
    assert (await closures.closure_calendar(staff=coordinator, kita_id=kita_id)).ical_url == url
    assert (await closures.closure_calendar(staff=partner, kita_id=kita_id)).ical_url is None
