"""The staff page /staff/kitas/{id}/closures: German first, plain forms, read-only for
partners and trainers who may see the KiTa. Imports run against a real HTTP server on
127.0.0.1 (tests/ics_server.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from programmes.domain.access import Staff
from programmes.domain.planning import closures
from programmes.tables import AuditEvent, ClosureDay, Kita
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_cohort, make_kita, make_programme, make_staff
from tests.ics_server import HTML_PAGE, SCHOOL_YEAR, IcsServer, running_ics_server
from tests.web.helpers import csrf_token, post_form, sign_in


@pytest.fixture
def server() -> Iterator[IcsServer]:
    with running_ics_server() as ics:
        yield ics


@pytest.fixture
async def coordinator(client: httpx.AsyncClient) -> Staff:
    staff = await make_staff(Role.coordinator)
    await sign_in(client, staff.email)
    return staff


async def snapshot() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    closure_rows = await ClosureDay.select().order_by(ClosureDay.id)
    kitas = await Kita.select(Kita.id, Kita.closures_ical_url).order_by(Kita.id)
    return closure_rows, kitas, await AuditEvent.count()


def page_of(kita_id: int) -> str:
    return f"/staff/kitas/{kita_id}/closures"


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags removed, blanks collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_coordinator_enters_a_day_and_a_range(
    client: httpx.AsyncClient, coordinator: Staff
) -> None:
    kita_id = await make_kita("KiTa Sonnenblume")
    page = page_of(kita_id)

    day = await post_form(
        client, page, page, {"first_day": "2027-02-12", "last_day": "", "reason": "Fasching"}
    )
    span = await post_form(
        client,
        page,
        page,
        # Typed by hand where a browser shows a text box instead of a date picker.
        {"first_day": "22.03.2027", "last_day": "26.3.2027", "reason": "Umbau der Küche"},
    )

    assert (day.status_code, day.headers["location"]) == (303, f"{page}?notice=added")
    assert span.status_code == 303
    shown = await client.get(day.headers["location"])
    assert shown.status_code == 200
    text = text_of(shown.text)
    assert "Schließtage: KiTa Sonnenblume" in text
    assert "Die Schließzeit wurde gespeichert." in text
    assert "Fr, 12.02.2027 Fasching von Hand eingetragen" in text
    assert "Mo, 22.03.2027 – Fr, 26.03.2027 Umbau der Küche" in text
    assert 'datetime="2027-03-26"' in shown.text


@pytest.mark.parametrize(
    ("form", "field", "german"),
    [
        (
            {"first_day": "2027-03-05", "last_day": "2027-03-01", "reason": "Umbau"},
            "last_day",
            "Der letzte Tag (2027-03-01) darf nicht vor dem ersten Tag (2027-03-05) liegen.",
        ),
        ({"first_day": "", "last_day": "", "reason": "Umbau"}, "first_day", "Bitte füllen"),
        (
            {"first_day": "31.02.2027", "last_day": "", "reason": "Umbau"},
            "first_day",
            "als TT.MM.JJJJ",
        ),
        (
            {"first_day": "2027-01-01", "last_day": "morgen", "reason": "Umbau"},
            "last_day",
            "als TT.MM.JJJJ",
        ),
        ({"first_day": "2027-03-05", "last_day": "", "reason": "  "}, "reason", "Bitte füllen"),
        (
            {"first_day": "2027-01-01", "last_day": "2028-06-30", "reason": "Umbau"},
            "last_day",
            "höchstens 366 Tage",
        ),
    ],
    ids=["ends before it starts", "no day", "no such day", "not a date", "no reason", "too long"],
)
async def test_a_bad_form_shows_the_error_at_its_field_and_stores_nothing(
    client: httpx.AsyncClient,
    coordinator: Staff,
    form: dict[str, str],
    field: str,
    german: str,
) -> None:
    kita_id = await make_kita()
    before = await snapshot()

    response = await post_form(client, page_of(kita_id), page_of(kita_id), form)

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert f'aria-describedby="{field}-error"' in response.text
    assert german in response.text
    assert "Es wurde nichts geändert." in text_of(response.text)
    assert f'value="{form["reason"]}"' in response.text  # what was typed stays
    assert await snapshot() == before


async def test_hostile_text_is_shown_literally(
    client: httpx.AsyncClient, coordinator: Staff
) -> None:
    kita_id = await make_kita("<b>KiTa</b> {{ 7*7 }}")
    reason = "<script>alert(1)</script> عيد الفطر {{ 7*7 }}"
    await post_form(
        client, page_of(kita_id), page_of(kita_id), {"first_day": "2027-04-01", "reason": reason}
    )
    shown = await client.get(page_of(kita_id))
    assert "<script>alert(1)</script>" not in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; عيد الفطر {{ 7*7 }}" in shown.text
    assert "&lt;b&gt;KiTa&lt;/b&gt; {{ 7*7 }}" in shown.text
    assert "49" not in text_of(shown.text)


async def test_coordinator_deletes_a_closure(client: httpx.AsyncClient, coordinator: Staff) -> None:
    kita_id = await make_kita()
    closure = await closures.add_closure(
        staff=coordinator,
        kita_id=kita_id,
        first_day=date(2027, 2, 12),
        reason="Fasching",
        now=FROZEN_NOW,
    )
    page = page_of(kita_id)
    assert f'action="{page}/{closure.id}/delete"' in (await client.get(page)).text

    response = await post_form(client, page, f"{page}/{closure.id}/delete", {"confirmed": "yes"})

    assert (response.status_code, response.headers["location"]) == (303, f"{page}?notice=deleted")
    shown = text_of((await client.get(response.headers["location"])).text)
    assert "Die Schließzeit wurde gelöscht." in shown
    assert "Fasching" not in shown
    assert await ClosureDay.count() == 0
    # Through another KiTa's page, or a second time: not found, nothing changes.
    other = page_of(await make_kita())
    again = await post_form(client, page, f"{other}/{closure.id}/delete", {"confirmed": "yes"})
    assert again.status_code == 404


async def test_import_shows_its_counts_and_keeps_the_address(
    client: httpx.AsyncClient, coordinator: Staff, server: IcsServer
) -> None:
    kita_id = await make_kita()
    page = page_of(kita_id)
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR)

    imported = await post_form(client, page, f"{page}/import", {"url": url})
    assert imported.status_code == 303
    assert imported.headers["location"].startswith(f"{page}?notice=imported&added=12&")
    first = await client.get(imported.headers["location"])
    requests_made = len(server.requests)
    assert (await client.get(imported.headers["location"])).status_code == 200  # a reload
    assert len(server.requests) == requests_made  # ... does not fetch the calendar again
    again = await post_form(client, page, f"{page}/import", {"url": url})
    second = await client.get(again.headers["location"])

    first_text = text_of(first.text)
    assert "Import abgeschlossen: 12 neu, 0 geändert, 0 entfernt, 0 unverändert." in first_text
    assert "Gelesener Zeitraum: 26.10.2026 bis 24.11.2028." in first_text
    assert "Mo, 02.11.2026 Teamtag aus dem Kalender der KiTa" in first_text
    assert "Mo, 21.12.2026 – Fr, 01.01.2027 Weihnachtsschließung" in first_text
    assert "04.01.2027" not in first_text  # the Teamtag's EXDATE
    assert "Import abgeschlossen: 0 neu, 0 geändert, 0 entfernt, 12 unverändert." in text_of(
        second.text
    )
    # The address is kept and offered again on the page.
    reloaded = await client.get(page)
    assert f'value="{url}"' in reloaded.text


@pytest.mark.parametrize(
    ("target", "status", "words"),
    [
        ("/kalender.html", 422, "web page (HTML)"),
        ("/fehlt.ics", 502, "HTTP 404"),
        ("file:///etc/passwd", 422, "“file:”"),
        ("ftp://127.0.0.1/schliesstage.ics", 422, "“ftp:”"),
    ],
)
async def test_a_failed_import_is_explained_at_the_address_and_changes_nothing(
    client: httpx.AsyncClient,
    coordinator: Staff,
    server: IcsServer,
    target: str,
    status: int,
    words: str,
) -> None:
    server.serve("/kalender.html", HTML_PAGE, "text/html; charset=utf-8")
    kita_id = await make_kita()
    page = page_of(kita_id)
    await post_form(client, page, f"{page}/import", {"url": server.serve("/a.ics", SCHOOL_YEAR)})
    before = await snapshot()
    url = server.url(target) if target.startswith("/") else target

    response = await post_form(client, page, f"{page}/import", {"url": url})

    assert response.status_code == status
    assert 'id="url-error"' in response.text
    alert = response.text[response.text.index('role="alert"') :].split("</p>")[0]
    assert "Es wurde nichts geändert. Der Kalender konnte nicht importiert werden:" in text_of(
        alert
    )
    assert 'href="#url"' in alert
    assert words in response.text
    assert f'value="{url}"' in response.text  # the address typed stays in the field
    assert await snapshot() == before


async def test_the_kita_page_links_to_its_closure_page(
    client: httpx.AsyncClient, coordinator: Staff
) -> None:
    kita_id = await make_kita("Familienzentrum Regenbogen")
    assert 'href="/staff/kitas"' in (await client.get("/staff/")).text
    kita_page = await client.get(f"/staff/kitas/{kita_id}")
    assert f'href="/staff/kitas/{kita_id}/closures"' in kita_page.text
    assert "Familienzentrum Regenbogen" in kita_page.text


async def test_earlier_closures_on_request(client: httpx.AsyncClient, coordinator: Staff) -> None:
    kita_id = await make_kita()
    for first_day, reason in ((date(2026, 9, 7), "Alter Teamtag"), (date(2027, 1, 8), "Umbau")):
        await closures.add_closure(
            staff=coordinator, kita_id=kita_id, first_day=first_day, reason=reason, now=FROZEN_NOW
        )
    current = text_of((await client.get(page_of(kita_id))).text)
    everything = text_of((await client.get(f"{page_of(kita_id)}?past=1")).text)
    assert "Umbau" in current
    assert "Alter Teamtag" not in current
    assert "Alter Teamtag" in everything


# --------------------------------------------------------------------------- roles


async def test_partners_and_trainers_who_may_see_the_kita_read_only(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    kita_id = await make_kita()
    await closures.add_closure(
        staff=coordinator,
        kita_id=kita_id,
        first_day=date(2027, 2, 12),
        reason="Fasching",
        now=FROZEN_NOW,
    )
    await Kita.update({Kita.closures_ical_url: "https://kita.example/geheim-abc123.ics"}).where(
        Kita.id == kita_id
    )
    partner = await make_staff(Role.partner, kita_id=kita_id)
    trainer = await make_staff(Role.trainer)
    programme_id = await make_programme(ProgrammeKind.rucksack, is_public=False)
    await make_cohort(programme_id, kita_id=kita_id, trainer_ids=(trainer.id,))

    for reader in (partner, trainer):
        client.cookies.clear()
        await sign_in(client, reader.email)
        response = await client.get(page_of(kita_id))
        assert response.status_code == 200
        assert "Fr, 12.02.2027 Fasching" in text_of(response.text)
        assert 'method="post" action="/staff/kitas' not in response.text  # no forms
        assert "geheim-abc123" not in response.text  # the address may hold a secret key
        assert "Schließtage werden von der Koordination eingetragen." in text_of(response.text)


@pytest.mark.parametrize("role", [Role.partner, Role.trainer])
async def test_strangers_get_404(client: httpx.AsyncClient, role: Role) -> None:
    kita_id = await make_kita()
    stranger = await make_staff(role)  # a partner of another KiTa, a trainer of no cohort there
    await sign_in(client, stranger.email)
    assert (await client.get(page_of(kita_id))).status_code == 404
    assert (await client.get(page_of(4711))).status_code == 404


@pytest.mark.parametrize("role", [Role.partner, Role.trainer])
async def test_partners_and_trainers_cannot_post(
    client: httpx.AsyncClient, server: IcsServer, role: Role
) -> None:
    coordinator = await make_staff(Role.coordinator)
    kita_id = await make_kita()
    closure = await closures.add_closure(
        staff=coordinator,
        kita_id=kita_id,
        first_day=date(2027, 2, 12),
        reason="Fasching",
        now=FROZEN_NOW,
    )
    staff = await make_staff(role, kita_id=kita_id if role is Role.partner else None)
    await sign_in(client, staff.email)
    token = await csrf_token(client, "/staff/login")
    page = page_of(kita_id)
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR)
    before = await snapshot()

    for action, form in (
        (page, {"first_day": "2027-02-13", "reason": "Umbau"}),
        (f"{page}/{closure.id}/delete", {}),
        (f"{page}/import", {"url": url}),
    ):
        response = await client.post(action, data={"_csrf_token": token, **form})
        assert response.status_code == 403, action
    assert server.requests == []
    assert await snapshot() == before


async def test_a_form_without_csrf_token_is_refused(
    client: httpx.AsyncClient, coordinator: Staff, server: IcsServer
) -> None:
    kita_id = await make_kita()
    page = page_of(kita_id)
    await client.get(page)  # the CSRF cookie is set, but the form field is missing
    before = await snapshot()
    for action, form in (
        (page, {"first_day": "2027-02-13", "reason": "Umbau"}),
        (f"{page}/import", {"url": server.serve("/schliesstage.ics", SCHOOL_YEAR)}),
    ):
        response = await client.post(action, data=form)
        assert response.status_code == 403, action
    assert server.requests == []
    assert await snapshot() == before


async def test_anonymous_visitors_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    kita_id = await make_kita()
    response = await client.get(page_of(kita_id))
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/login?next={page_of(kita_id)}"


async def test_the_page_in_english(client: httpx.AsyncClient, coordinator: Staff) -> None:
    kita_id = await make_kita()
    await closures.add_closure(
        staff=coordinator,
        kita_id=kita_id,
        first_day=date(2027, 2, 12),
        reason="Fasching",
        now=FROZEN_NOW,
    )
    text = text_of((await client.get(f"{page_of(kita_id)}?lang=en")).text)
    assert "Closure days:" in text
    assert "Fri, 12.02.2027 Fasching entered by hand" in text
