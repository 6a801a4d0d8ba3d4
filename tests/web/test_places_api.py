"""Places over the API: coordinators create and edit them, every cohort and session that
meets there follows (its label, its calendar entry with GEO and Apple's location); a place
without a town, coordinates out of range or swapped, and a lone coordinate are refused,
naming the field, with nothing stored. The migration turned free text into places."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from programmes.clock import FrozenClock
from programmes.db import write_transaction
from programmes.tables import Cohort, Place, Programme, Session
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_cohort, make_programme, make_public_run, make_session
from tests.libical import problems
from tests.web.feed_helpers import events, fetch
from tests.web.test_schedules_api import bearer

MIGRATIONS = Path(__file__).parents[2] / "migrations"
PLACE = {
    "name": "Haus der Kulturen, Saal",
    "street": "Vitustraße 20",
    "postcode": "45699",
    "town": "Herten",
    "latitude": 51.5958,
    "longitude": 7.1412,
}


async def test_a_coordinator_makes_a_place_and_the_calendar_shows_it(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    auth = await bearer(Role.coordinator)
    created = await client.post("/api/v1/places", json=PLACE, headers=auth)
    assert created.status_code == 201, created.text
    place = created.json()
    assert place["label"] == "Haus der Kulturen, Saal, Vitustraße 20, 45699 Herten"

    programme = await make_programme(ProgrammeKind.training)
    cohort = await client.post(
        "/api/v1/cohorts",
        json={"programme_id": programme, "title": "Frühjahr", "place_id": place["id"]},
        headers=auth,
    )
    assert cohort.status_code == 201, cohort.text
    assert (cohort.json()["place_id"], cohort.json()["location"]) == (place["id"], place["label"])
    cohort_id = cohort.json()["id"]
    session_id = await make_session(cohort_id, starts_at=FROZEN_NOW.replace(month=12, day=10))
    # it meets where its run does (as a schedule writes it)
    await Session.update({Session.location: place["label"]}).where(Session.id == session_id)
    await client.post(f"/api/v1/cohorts/{cohort_id}/publish", headers=auth)
    await Programme.update({Programme.status: "published"}).where(Programme.id == programme)

    body = (await fetch(client, f"/events/{cohort_id}.ics")).content
    assert problems(body) == []
    entry = events(body)[session_id]
    assert str(entry["LOCATION"]) == place["label"]
    geo: Any = entry["GEO"]
    assert (geo.latitude, geo.longitude) == (51.5958, 7.1412)
    assert entry["X-APPLE-STRUCTURED-LOCATION"].params["X-ADDRESS"] == "Vitustraße 20, 45699 Herten"

    moved = {**PLACE, "name": "Haus der Kulturen, Café", "latitude": 51.596}
    clock.advance(timedelta(minutes=5))  # edited a little later
    updated = await client.put(f"/api/v1/places/{place['id']}", json=moved, headers=auth)
    assert updated.status_code == 200, updated.text
    assert (await Cohort.select(Cohort.location).where(Cohort.id == cohort_id).first()) == {
        "location": "Haus der Kulturen, Café, Vitustraße 20, 45699 Herten"
    }
    after = events((await fetch(client, f"/events/{cohort_id}.ics")).content)[session_id]
    assert str(after["LOCATION"]).startswith("Haus der Kulturen, Café")
    after_geo: Any = after["GEO"]
    assert after_geo.latitude == 51.596
    listed = (await client.get("/api/v1/places", headers=auth)).json()
    assert [p["name"] for p in listed] == ["Haus der Kulturen, Café"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"town": ""}, "town", "Ein Ort braucht seine Stadt oder Gemeinde."),
        ({"town": "   "}, "town", "Ein Ort braucht seine Stadt oder Gemeinde."),
        ({"name": ""}, "name", "Bitte füllen Sie dieses Feld aus."),
        ({"latitude": 91.0}, "latitude", "Der Breitengrad liegt zwischen -90 und 90."),
        ({"longitude": -181.0}, "longitude", "Der Längengrad liegt zwischen -180 und 180."),
        ({"latitude": 7.1412, "longitude": 51.5958}, "latitude", "scheinen vertauscht"),
        ({"latitude": 120.0, "longitude": 51.0}, "latitude", "liegt zwischen -90 und 90"),
        ({"longitude": None}, "longitude", "Bitte Breiten- und Längengrad angeben"),
        ({"latitude": None}, "latitude", "Bitte Breiten- und Längengrad angeben"),
        ({"postcode": "4" * 11}, "postcode", "Bitte höchstens 10 Zeichen."),
        ({"street": "Vitus\nstraße"}, "street", "Enthält Zeichen, die nicht erlaubt sind."),
    ],
)
async def test_bad_places_are_refused_naming_the_field(
    client: httpx.AsyncClient, change: dict[str, Any], field: str, message: str
) -> None:
    auth = await bearer(Role.coordinator)
    response = await client.post("/api/v1/places", json={**PLACE, **change}, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert message in response.json()["detail"]
    assert await Place.count() == 0


async def test_a_place_without_coordinates_is_fine_and_writes_no_geo(
    client: httpx.AsyncClient,
) -> None:
    auth = await bearer(Role.coordinator)
    plain = {k: v for k, v in PLACE.items() if k not in ("latitude", "longitude")}
    created = await client.post("/api/v1/places", json=plain, headers=auth)
    assert created.status_code == 201
    assert (created.json()["latitude"], created.json()["longitude"]) == (None, None)


@pytest.mark.parametrize("role", [Role.trainer, Role.partner])
async def test_only_coordinators_manage_places(client: httpx.AsyncClient, role: Role) -> None:
    kwargs: dict[str, Any] = {}
    if role is Role.partner:
        from tests.factories import make_kita

        kwargs["kita_id"] = await make_kita()
    auth = await bearer(role, **kwargs)
    assert (await client.post("/api/v1/places", json=PLACE, headers=auth)).status_code == 403
    assert (await client.get("/api/v1/places", headers=auth)).status_code == 200
    assert await Place.count() == 0


async def test_an_unknown_place_is_refused_for_a_cohort(client: httpx.AsyncClient) -> None:
    auth = await bearer(Role.coordinator)
    programme = await make_programme(ProgrammeKind.training)
    response = await client.post(
        "/api/v1/cohorts",
        json={"programme_id": programme, "title": "Frühjahr", "place_id": 4711},
        headers=auth,
    )
    assert response.status_code == 404
    assert response.json()["field"] == "place_id"
    assert await Cohort.count() == 0


async def test_the_migration_made_places_of_the_free_text(client: httpx.AsyncClient) -> None:
    """Its data step, run again on rows written as before (free text, no place)."""
    run = await make_public_run()
    other = await make_cohort(await make_programme(ProgrammeKind.training))
    async with write_transaction():
        await Cohort.update({Cohort.location: "Bücherei, Raum 1"}).where(Cohort.id == run)
        await Cohort.update({Cohort.location: "Bücherei, Raum 1"}).where(Cohort.id == other)
        await Session.update({Session.location: "Turnhalle"}).where(Session.cohort == run)
    path = MIGRATIONS / "programmes_2026_12_06t10_51_00_000000.py"
    spec = importlib.util.spec_from_file_location("places_from_text", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    manager = await module.forwards()
    for step in manager.raw:
        await step()
    names = {row["name"]: row["id"] for row in await Place.select(Place.name, Place.id)}
    assert set(names) == {"Bücherei, Raum 1", "Turnhalle"}
    cohorts = await Cohort.select(Cohort.place, Cohort.location).where(
        Cohort.id.is_in([run, other])
    )
    assert {(c["place"], c["location"]) for c in cohorts} == {
        (names["Bücherei, Raum 1"], "Bücherei, Raum 1")
    }
    sessions = await Session.select(Session.place).where(Session.cohort == run)
    assert {s["place"] for s in sessions} == {names["Turnhalle"]}


async def test_a_session_moved_to_another_place_by_text_leaves_its_place(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    auth = await bearer(Role.coordinator)
    place = (await client.post("/api/v1/places", json=PLACE, headers=auth)).json()
    run = await make_public_run()
    session_id = (await Session.select(Session.id).where(Session.cohort == run).first() or {})["id"]
    await Session.update({Session.place: place["id"], Session.location: place["label"]}).where(
        Session.id == session_id
    )
    assert "GEO" in events((await fetch(client, f"/events/{run}.ics")).content)[session_id]
    clock.advance(timedelta(minutes=5))
    start = FROZEN_NOW + timedelta(days=30)
    moved = await client.post(
        f"/api/v1/sessions/{session_id}/move",
        json={
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "location": "Turnhalle der Grundschule",
        },
        headers=auth,
    )
    assert moved.status_code == 200, moved.text
    entry = events((await fetch(client, f"/events/{run}.ics")).content)[session_id]
    assert str(entry["LOCATION"]) == "Turnhalle der Grundschule"
    assert "GEO" not in entry and "X-APPLE-STRUCTURED-LOCATION" not in entry
