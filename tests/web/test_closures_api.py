"""The closures JSON API: /api/v1/kitas/{id}/closures (+ /import) and /api/v1/closures/{id}.

Imports run against a real HTTP server on 127.0.0.1 (tests/ics_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from programmes.app import create_app
from programmes.clock import FrozenClock
from programmes.domain.access import Staff
from programmes.domain.accounts import staff_accounts
from programmes.settings import load_settings
from programmes.tables import AuditEvent, ClosureDay, Kita
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW, app_client, running
from tests.conftest import environment_for_tests as environment_for
from tests.factories import make_cohort, make_kita, make_programme, make_staff
from tests.ics_server import (
    HTML_PAGE,
    OVERSIZED,
    SCHOOL_YEAR,
    IcsServer,
    closed_port,
    running_ics_server,
)


@pytest.fixture
def server() -> Iterator[IcsServer]:
    with running_ics_server() as ics:
        yield ics


async def bearer(staff: Staff) -> dict[str, str]:
    token = await staff_accounts.create_api_token(account_id=staff.id, name="test", now=FROZEN_NOW)
    return {"authorization": f"Bearer {token}"}


async def snapshot() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    closure_rows = await ClosureDay.select().order_by(ClosureDay.id)
    kitas = await Kita.select(Kita.id, Kita.closures_ical_url).order_by(Kita.id)
    return closure_rows, kitas, await AuditEvent.count()


@pytest.fixture
async def coordinator() -> dict[str, str]:
    return await bearer(await make_staff(Role.coordinator))


async def test_coordinator_adds_lists_and_deletes_closures(
    client: httpx.AsyncClient, coordinator: dict[str, str]
) -> None:
    kita_id = await make_kita()
    base = f"/api/v1/kitas/{kita_id}/closures"

    day = await client.post(
        base, json={"first_day": "2027-02-12", "reason": "Fasching"}, headers=coordinator
    )
    span = await client.post(
        base,
        json={"first_day": "2027-03-22", "last_day": "2027-03-26", "reason": "Umbau"},
        headers=coordinator,
    )

    assert day.status_code == 201, day.text
    assert day.json() == {
        "id": day.json()["id"],
        "kita_id": kita_id,
        "first_day": "2027-02-12",
        "last_day": "2027-02-12",
        "reason": "Fasching",
        "source": "manual",
    }
    assert span.status_code == 201
    listed = await client.get(base, headers=coordinator)
    assert [(c["first_day"], c["last_day"]) for c in listed.json()] == [
        ("2027-02-12", "2027-02-12"),
        ("2027-03-22", "2027-03-26"),
    ]
    later = await client.get(base, params={"from_day": "2027-03-01"}, headers=coordinator)
    assert [c["reason"] for c in later.json()] == ["Umbau"]

    deleted = await client.delete(f"/api/v1/closures/{day.json()['id']}", headers=coordinator)
    assert deleted.status_code == 204
    assert [c["reason"] for c in (await client.get(base, headers=coordinator)).json()] == ["Umbau"]
    again = await client.delete(f"/api/v1/closures/{day.json()['id']}", headers=coordinator)
    assert again.status_code == 404
    assert again.json()["field"] == "closure"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"first_day": "2027-03-05", "last_day": "2027-03-01", "reason": "Umbau"}, 422, "last_day"),
        ({"first_day": "1999-03-05", "reason": "Umbau"}, 422, "first_day"),
        ({"first_day": "2027-01-01", "last_day": "2028-06-01", "reason": "Umbau"}, 422, "last_day"),
        ({"first_day": "2027-03-05", "reason": ""}, 422, "reason"),
        ({"first_day": "2027-03-05", "reason": "Um\u0000bau"}, 422, "reason"),
        ({"first_day": "2027-03-05", "reason": "x" * 10_000}, 422, "reason"),
        ({"first_day": "2027-02-30", "reason": "Umbau"}, 400, "first_day"),
        ({"first_day": "05.03.2027", "reason": "Umbau"}, 400, "first_day"),
        ({"first_day": "2027-03-05T10:00:00", "reason": "Umbau"}, 400, "first_day"),
        ({"first_day": 20270305, "reason": "Umbau"}, 400, "first_day"),
        ({"reason": "Umbau"}, 400, "first_day"),
        ({"first_day": "2027-03-05", "reason": ["Umbau"]}, 400, "reason"),
    ],
    ids=[
        "ends before it starts",
        "too early",
        "longer than a year",
        "blank reason",
        "NUL in reason",
        "huge reason",
        "no such date",
        "German date format",
        "a time, not a day",
        "a number",
        "missing first_day",
        "reason not text",
    ],
)
async def test_bad_closures_name_the_field_and_store_nothing(
    client: httpx.AsyncClient,
    coordinator: dict[str, str],
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    kita_id = await make_kita()
    before = await snapshot()
    response = await client.post(
        f"/api/v1/kitas/{kita_id}/closures", json=body, headers=coordinator
    )
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert await snapshot() == before


@pytest.mark.parametrize("kita_id", ["4711", "0", "-1", "99999999999", "abc"])
async def test_a_missing_or_malformed_kita_stores_nothing(
    client: httpx.AsyncClient, coordinator: dict[str, str], kita_id: str
) -> None:
    before = await snapshot()
    body = {"first_day": "2027-03-05", "reason": "Umbau"}
    response = await client.post(
        f"/api/v1/kitas/{kita_id}/closures", json=body, headers=coordinator
    )
    listed = await client.get(f"/api/v1/kitas/{kita_id}/closures", headers=coordinator)
    assert response.status_code in (400, 404)
    assert listed.status_code == response.status_code
    if kita_id.isdigit() and response.status_code == 404:
        assert response.json()["field"] == "kita"
    assert await snapshot() == before


async def test_import_and_reimport(
    client: httpx.AsyncClient, coordinator: dict[str, str], server: IcsServer
) -> None:
    kita_id = await make_kita()
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR)

    first = await client.post(
        f"/api/v1/kitas/{kita_id}/closures/import", json={"url": url}, headers=coordinator
    )
    second = await client.post(
        f"/api/v1/kitas/{kita_id}/closures/import", json={"url": url}, headers=coordinator
    )

    assert first.status_code == 200, first.text
    assert first.json() == {
        "kita_id": kita_id,
        "window_start": "2026-10-26",
        "window_end": "2028-11-24",
        "added": 12,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
    }
    assert (second.json()["added"], second.json()["unchanged"]) == (0, 12)
    listed = (await client.get(f"/api/v1/kitas/{kita_id}/closures", headers=coordinator)).json()
    assert len(listed) == 12
    assert {c["source"] for c in listed} == {"ical"}
    assert listed[0] | {"id": 0} == {
        "id": 0,
        "kita_id": kita_id,
        "first_day": "2026-11-02",
        "last_day": "2026-11-02",
        "reason": "Teamtag",
        "source": "ical",
    }


@pytest.mark.parametrize(
    ("path_or_url", "status", "german"),
    [
        ("closed-port", 502, "refused the connection"),
        ("/fehlt.ics", 502, "HTTP 404"),
        ("/kalender.html", 422, "HTML"),
        ("/riesig.ics", 422, "1 MB"),
        ("file:///etc/passwd", 422, "file:"),
        ("ftp://127.0.0.1/schliesstage.ics", 422, "ftp:"),
        ("/umgezogen.ics", 422, "file:///etc/passwd"),
        ("", 422, "Enter the address"),
    ],
    ids=["unreachable", "404", "HTML", "oversized", "file:", "ftp:", "redirect to file:", "blank"],
)
async def test_a_failed_import_names_the_url_and_changes_nothing(
    client: httpx.AsyncClient,
    coordinator: dict[str, str],
    server: IcsServer,
    path_or_url: str,
    status: int,
    german: str,
) -> None:
    server.serve("/kalender.html", HTML_PAGE, "text/html; charset=utf-8")
    server.serve("/riesig.ics", OVERSIZED)
    server.redirect("/umgezogen.ics", "file:///etc/passwd")
    url = {
        "closed-port": f"http://127.0.0.1:{closed_port()}/schliesstage.ics",
    }.get(path_or_url, server.url(path_or_url) if path_or_url.startswith("/") else path_or_url)
    kita_id = await make_kita()
    await client.post(
        f"/api/v1/kitas/{kita_id}/closures/import",
        json={"url": server.serve("/schliesstage.ics", SCHOOL_YEAR)},
        headers=coordinator,
    )
    before = await snapshot()

    response = await client.post(
        f"/api/v1/kitas/{kita_id}/closures/import", json={"url": url}, headers=coordinator
    )

    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == "url"
    # German by default: a German lead sentence, then the import module's (English) detail.
    assert body["detail"].startswith("Der Kalender konnte nicht importiert werden: ")
    assert german in body["detail"]
    assert await snapshot() == before


async def test_import_body_must_be_json_with_a_url(
    client: httpx.AsyncClient, coordinator: dict[str, str]
) -> None:
    kita_id = await make_kita()
    path = f"/api/v1/kitas/{kita_id}/closures/import"
    missing = await client.post(path, json={}, headers=coordinator)
    wrong_type = await client.post(path, json={"url": 42}, headers=coordinator)
    form = await client.post(path, data={"url": "https://x.example/a.ics"}, headers=coordinator)
    assert (missing.status_code, missing.json()["field"]) == (400, "url")
    assert (wrong_type.status_code, wrong_type.json()["field"]) == (400, "url")
    # A form is not JSON: refused for its media type, like any JSON endpoint's (415).
    assert (form.status_code, form.json()["field"]) == (415, "Content-Type")
    assert await ClosureDay.count() == 0


# --------------------------------------------------------------------------- roles


async def test_who_may_read_and_who_may_write(
    client: httpx.AsyncClient, coordinator: dict[str, str], server: IcsServer
) -> None:
    kita_id = await make_kita()
    other_kita = await make_kita()
    closure = (
        await client.post(
            f"/api/v1/kitas/{kita_id}/closures",
            json={"first_day": "2027-02-12", "reason": "Fasching"},
            headers=coordinator,
        )
    ).json()
    partner = await bearer(await make_staff(Role.partner, kita_id=kita_id))
    foreign_partner = await bearer(await make_staff(Role.partner, kita_id=other_kita))
    trainer_staff = await make_staff(Role.trainer)
    trainer = await bearer(trainer_staff)
    idle_trainer = await bearer(await make_staff(Role.trainer))
    programme_id = await make_programme(ProgrammeKind.rucksack, is_public=False)
    await make_cohort(programme_id, kita_id=kita_id, trainer_ids=(trainer_staff.id,))
    list_path = f"/api/v1/kitas/{kita_id}/closures"
    before = await snapshot()

    for reader in (partner, trainer):
        response = await client.get(list_path, headers=reader)
        assert response.status_code == 200
        assert [c["reason"] for c in response.json()] == ["Fasching"]
    for stranger in (foreign_partner, idle_trainer):
        response = await client.get(list_path, headers=stranger)
        assert response.status_code == 404  # like a KiTa that does not exist
        assert response.json()["field"] == "kita"
    url = server.serve("/schliesstage.ics", SCHOOL_YEAR)
    for writer in (partner, trainer, foreign_partner):
        add = await client.post(
            list_path, json={"first_day": "2027-02-13", "reason": "Umbau"}, headers=writer
        )
        imported = await client.post(f"{list_path}/import", json={"url": url}, headers=writer)
        deleted = await client.delete(f"/api/v1/closures/{closure['id']}", headers=writer)
        assert (add.status_code, imported.status_code, deleted.status_code) == (403, 403, 403)
    anonymous = await client.get(list_path)
    assert anonymous.status_code == 401
    assert (await client.post(f"{list_path}/import", json={"url": url})).status_code == 401
    assert server.requests == []
    assert await snapshot() == before


# --------------------------------------------------------------------------- the setting


@pytest.fixture
async def guarded_client(
    database_url: str, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    """An app as deployed: PROGRAMMES_ALLOW_PRIVATE_CALENDAR_HOSTS left at false."""
    environment = environment_for(database_url, PROGRAMMES_ALLOW_PRIVATE_CALENDAR_HOSTS="false")
    settings = load_settings(environment, workdir=tmp_path)
    assert not settings.allow_private_calendar_hosts
    async with (
        running(create_app(settings, clock=clock)) as application,
        app_client(application) as http,
    ):
        yield http


async def test_private_calendar_hosts_are_refused_by_default(
    guarded_client: httpx.AsyncClient, server: IcsServer
) -> None:
    headers = await bearer(await make_staff(Role.coordinator))
    kita_id = await make_kita()
    before = await snapshot()

    response = await guarded_client.post(
        f"/api/v1/kitas/{kita_id}/closures/import",
        json={"url": server.serve("/schliesstage.ics", SCHOOL_YEAR)},
        headers=headers,
    )

    assert response.status_code == 422
    assert response.json()["field"] == "url"
    assert "lokalen oder privaten Netz (127.0.0.1)" in response.json()["detail"]
    assert server.requests == []
    assert await snapshot() == before
