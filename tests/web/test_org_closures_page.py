"""The organisation's closure calendars, /staff/closures: coordinators only, German first,
plain forms with errors at their fields; the cohort page's pause choice, the schedule
preview naming skipped dates and the move confirmation naming the holidays. Imports run
against a real HTTP server on 127.0.0.1 (tests/ics_server.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from programmes.domain.access import Staff
from programmes.domain.planning import org_closures
from programmes.tables import AuditEvent, Cohort, OrgCalendar, OrgClosure, ProgrammePause, Session
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_cohort, make_kita, make_programme, make_session, make_staff
from tests.ics_server import HTML_PAGE, NRW_SCHOOL_HOLIDAYS, IcsServer, running_ics_server
from tests.web.helpers import post_form, sign_in

LIST = "/staff/closures"


@pytest.fixture
def server() -> Iterator[IcsServer]:
    with running_ics_server() as ics:
        yield ics


@pytest.fixture
async def coordinator(client: httpx.AsyncClient) -> Staff:
    staff = await make_staff(Role.coordinator)
    await sign_in(client, staff.email)
    return staff


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def snapshot() -> tuple[list[dict[str, Any]], ...]:
    return (
        await OrgCalendar.select().order_by(OrgCalendar.id),
        await OrgClosure.select().order_by(OrgClosure.id),
        await ProgrammePause.select().order_by(ProgrammePause.id),
        [{"events": await AuditEvent.count()}],
    )


async def new_calendar(client: httpx.AsyncClient, name: str = "Schulferien NRW") -> str:
    created = await post_form(client, LIST, LIST, {"name": name, "school_holidays": "on"})
    assert created.status_code == 303, created.text[:2000]
    location = created.headers["location"]
    assert re.fullmatch(r"/staff/closures/\d+\?done=org-calendar-created", location)
    return location.split("?")[0]


async def test_coordinator_creates_a_calendar_enters_days_and_imports(
    client: httpx.AsyncClient, coordinator: Staff, server: IcsServer
) -> None:
    page = await new_calendar(client)
    shown = text_of((await client.get(f"{page}?done=org-calendar-created")).text)
    assert "Der Kalender ist angelegt." in shown
    assert "Schulferien: Rucksack-Programme pausieren" in shown

    added = await post_form(
        client,
        page,
        f"{page}/days",
        {"first_day": "07.05.2027", "last_day": "", "reason": "Beweglicher Ferientag"},
    )
    assert added.headers["location"] == f"{page}?done=org-closure-added"
    url = server.serve("/ferien.ics", NRW_SCHOOL_HOLIDAYS)
    imported = await post_form(client, page, f"{page}/import", {"url": url})
    assert imported.headers["location"].startswith(
        f"{page}?done=org-calendar-imported&added=5&updated=0&removed=0&unchanged=0&"
    )

    html = (await client.get(imported.headers["location"])).text
    shown = text_of(html)
    assert "Der Kalender ist importiert." in shown
    assert "Import abgeschlossen: 5 neu, 0 geändert, 0 entfernt, 0 unverändert." in shown
    assert "Gelesener Zeitraum: 26.10.2026 bis 24.11.2028." in shown
    assert "Mi, 23.12.2026 – Mi, 06.01.2027 Weihnachtsferien importiert" in shown
    assert "Mo, 22.03.2027 – Sa, 03.04.2027 Osterferien importiert" in shown
    assert "Fr, 07.05.2027 Beweglicher Ferientag von Hand eingetragen" in shown
    assert f'value="{url}"' in html  # the address is offered again
    listing = text_of((await client.get(LIST)).text)
    assert "Schulferien NRW 6 Schließzeiten · Schulferien · importiert" in listing
    again = await post_form(client, page, f"{page}/import", {"url": url})
    assert "&added=0&updated=0&removed=0&unchanged=5&" in again.headers["location"]


@pytest.mark.parametrize(
    ("form", "field", "german"),
    [
        ({"name": "  "}, "name", "Bitte füllen"),
        ({"name": "Schulferien NRW"}, "name", "Einen Kalender mit diesem Namen gibt es schon."),
        ({"name": "x" * 101}, "name", "höchstens 100 Zeichen"),
    ],
    ids=["empty name", "duplicate name", "long name"],
)
async def test_a_bad_calendar_name_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, coordinator: Staff, form: dict[str, str], field: str, german: str
) -> None:
    await new_calendar(client)
    before = await snapshot()

    response = await post_form(client, LIST, LIST, form)

    assert response.status_code in (409, 422)
    assert german in response.text
    assert 'id="error-summary"' in response.text
    assert f'href="#{field}"' in response.text
    assert "Name des Kalenders" in text_of(response.text)
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("form", "field", "german"),
    [
        (
            {"first_day": "2027-03-05", "last_day": "2027-03-01", "reason": "Ferien"},
            "last_day",
            "Der letzte Tag (2027-03-01) darf nicht vor dem ersten Tag (2027-03-05) liegen.",
        ),
        ({"first_day": "", "last_day": "", "reason": "Ferien"}, "first_day", "Bitte füllen"),
        ({"first_day": "2027-03-05", "last_day": "", "reason": " "}, "reason", "Bitte füllen"),
    ],
    ids=["from after to", "no day", "no reason"],
)
async def test_bad_days_show_the_error_at_the_field_and_store_nothing(
    client: httpx.AsyncClient, coordinator: Staff, form: dict[str, str], field: str, german: str
) -> None:
    page = await new_calendar(client)
    before = await snapshot()

    response = await post_form(client, page, f"{page}/days", form)

    assert response.status_code == 422
    assert german in response.text
    assert f'aria-describedby="{field}-error"' in response.text
    assert "Es wurde nichts geändert." in text_of(response.text)
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status", "german"),
    [
        ("/fehlt.ics", None, "", 502, "HTTP 404"),
        ("/ferien.html", HTML_PAGE, "text/html; charset=utf-8", 422, "web page (HTML)"),
    ],
    ids=["404", "not iCal"],
)
async def test_a_failed_import_says_why_and_changes_nothing(
    client: httpx.AsyncClient,
    coordinator: Staff,
    server: IcsServer,
    path: str,
    body: bytes | None,
    content_type: str,
    status: int,
    german: str,
) -> None:
    page = await new_calendar(client)
    good = server.serve("/ferien.ics", NRW_SCHOOL_HOLIDAYS)
    await post_form(client, page, f"{page}/import", {"url": good})
    before = await snapshot()
    url = server.serve(path, body, content_type) if body is not None else server.url(path)

    response = await post_form(client, page, f"{page}/import", {"url": url})

    assert response.status_code == status, response.text[:3000]
    shown = text_of(response.text)
    assert "Der Kalender konnte nicht importiert werden" in shown
    assert german in shown
    assert f'value="{url}"' in response.text  # what was typed stays in the field
    assert await snapshot() == before


@pytest.mark.parametrize("role", [Role.partner, Role.trainer])
async def test_partners_and_trainers_get_403(client: httpx.AsyncClient, role: Role) -> None:
    staff = await make_staff(role)
    await sign_in(client, staff.email)
    assert (await client.get(LIST)).status_code == 403
    home = await client.get("/staff/")
    assert 'href="/staff/closures"' not in home.text


async def test_programme_choice_and_cohort_override_reach_the_schedule_preview(
    client: httpx.AsyncClient, coordinator: Staff, server: IcsServer
) -> None:
    assert 'href="/staff/closures"' in (await client.get("/staff/")).text
    page = await new_calendar(client)
    await post_form(
        client, page, f"{page}/import", {"url": server.serve("/f.ics", NRW_SCHOOL_HOLIDAYS)}
    )
    rucksack = await make_programme(ProgrammeKind.rucksack, title="Rucksack KiTa")
    training = await make_programme(ProgrammeKind.training, title="Elternkurs")
    cohort_id = await make_cohort(rucksack, kita_id=await make_kita())
    cohort_page = f"/staff/cohorts/{cohort_id}"
    rule = {
        "weekdays": ["0", "4"],
        "start_time": "09:00",
        "duration_minutes": "90",
        "first_day": "2027-01-01",
        "last_day": "2027-04-09",
        "every_weeks": "1",
        "step": "preview",
    }

    async def preview() -> str:
        response = await post_form(client, cohort_page, f"{cohort_page}/schedule", rule)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text[:2000]
        return text_of(response.text)

    shown = await preview()
    assert "Schulferien NRW: Weihnachtsferien" in shown  # 4 January
    assert "Schulferien NRW: Osterferien" in shown  # 22 March, 2 April
    assert "Feiertag: Neujahr" in shown
    assert "Die Termine pausieren während: Schulferien NRW." in text_of(
        (await client.get(cohort_page)).text
    )

    # The programme stops pausing (only the training is ticked) ...
    choice = await post_form(client, page, f"{page}/programmes", {"pauses": str(training)})
    assert choice.headers["location"] == f"{page}?done=org-calendar-programmes"
    calendar_page = text_of((await client.get(page)).text)
    assert "Elternkurs" in calendar_page and "Rucksack KiTa" in calendar_page
    programme_page = text_of((await client.get(f"/staff/programmes/{training}")).text)
    assert "Die Gruppen pausieren während: Schulferien NRW" in programme_page
    assert "pausieren während" not in text_of(
        (await client.get(f"/staff/programmes/{rucksack}")).text
    )
    assert "Osterferien" not in await preview()
    # ... and the cohort overrides it.
    saved = await post_form(
        client, cohort_page, f"{cohort_page}/calendar-pause", {"calendar_pause": "pause"}
    )
    assert saved.headers["location"] == f"{cohort_page}?done=cohort-calendar-pause"
    assert await Cohort.select(Cohort.calendar_pause) == [{"calendar_pause": "pause"}]
    assert "Schulferien NRW: Osterferien" in await preview()
    bad = await post_form(
        client, cohort_page, f"{cohort_page}/calendar-pause", {"calendar_pause": "sometimes"}
    )
    assert bad.status_code == 422
    assert "Wählen Sie, ob die Gruppe während der Kalender des Trägers pausiert." in bad.text


async def test_moving_a_session_into_the_holidays_asks_and_says_why(
    client: httpx.AsyncClient, coordinator: Staff, server: IcsServer
) -> None:
    page = await new_calendar(client)
    await post_form(
        client, page, f"{page}/import", {"url": server.serve("/f.ics", NRW_SCHOOL_HOLIDAYS)}
    )
    cohort_id = await make_cohort(await make_programme(ProgrammeKind.rucksack))
    session_id = await make_session(cohort_id)
    before = await Session.select(Session.starts_at).where(Session.id == session_id)

    asked = await post_form(
        client,
        f"/staff/sessions/{session_id}",
        f"/staff/sessions/{session_id}/move",
        {"day": "2027-03-23", "start_time": "09:00", "end_time": "10:30", "location": ""},
    )

    assert asked.status_code == 200, asked.text[:2000]
    shown = text_of(asked.text)
    assert "Bitte bestätigen" in shown
    assert "Die Gruppe pausiert an diesem Tag: Schulferien NRW: Osterferien." in shown
    assert await Session.select(Session.starts_at).where(Session.id == session_id) == before


async def test_deleting_a_calendar_asks_first(
    client: httpx.AsyncClient, coordinator: Staff
) -> None:
    page = await new_calendar(client)
    calendar_id = int(page.rsplit("/", 1)[1])
    await org_closures.add_day(
        staff=coordinator,
        calendar_id=calendar_id,
        first_day=date(2027, 5, 18),
        reason="Pfingstferien",
        now=FROZEN_NOW,
    )

    asked = await post_form(client, page, f"{page}/delete", {})
    assert asked.status_code == 200
    assert "Den Kalender „Schulferien NRW“ löschen?" in text_of(asked.text)
    assert "Seine 1 Schließzeit wird mitgelöscht" in text_of(asked.text)
    assert await OrgCalendar.count() == 1

    deleted = await post_form(client, page, f"{page}/delete", {"confirmed": "yes"})
    assert deleted.headers["location"] == f"{LIST}?done=org-calendar-deleted"
    assert (await OrgCalendar.count(), await OrgClosure.count()) == (0, 0)
    assert (await client.get(page)).status_code == 404


async def test_a_partner_reads_the_cohort_page_without_the_pause_form(
    client: httpx.AsyncClient,
) -> None:
    kita_id = await make_kita()
    partner = await make_staff(Role.partner, kita_id=kita_id)
    cohort_id = await make_cohort(await make_programme(ProgrammeKind.rucksack), kita_id=kita_id)
    await sign_in(client, partner.email)

    page = await client.get(f"/staff/cohorts/{cohort_id}")
    refused = await post_form(
        client,
        f"/staff/cohorts/{cohort_id}",
        f"/staff/cohorts/{cohort_id}/calendar-pause",
        {"calendar_pause": "meet"},
    )

    assert page.status_code == 200
    assert "calendar-pause" not in page.text
    assert refused.status_code == 403
    assert await Cohort.select(Cohort.calendar_pause) == [{"calendar_pause": "inherit"}]
