"""Edits in the back office (piccolo-admin) reach calendar feeds like the service's own
changes: they set `updated_at`, and a changed session's `SEQUENCE` grows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from programmes.clock import FrozenClock
from programmes.tables import AuditEvent, Programme, Session
from programmes.web.admin import ADMIN_TABLES, column_label
from tests.feed_world import World, build_world
from tests.web.feed_helpers import events, fetch
from tests.web.helpers import sign_in

FEED = "/feeds/public.ics"
#: piccolo-admin's own CSRF check: a cookie and the same value in a header.
ADMIN_CSRF = {"x-csrftoken": "admin-test-token", "origin": "http://testserver"}


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    world = await build_world()
    await sign_in(client, world.coordinator.email)
    client.cookies.set("csrftoken", "admin-test-token", domain="testserver.local")
    return world


async def admin_patch(
    client: httpx.AsyncClient, table: str, row_id: int, values: dict[str, Any]
) -> httpx.Response:
    return await client.patch(
        f"/admin/api/tables/{table}/{row_id}/", json=values, headers=ADMIN_CSRF
    )


async def test_a_session_moved_in_the_back_office_moves_in_every_calendar(
    client: httpx.AsyncClient, world: World, clock: FrozenClock
) -> None:
    session_id = world.sessions["training"][0]
    before = events((await fetch(client, FEED)).content)[session_id]
    clock.advance(timedelta(hours=2))
    starts = datetime(2027, 3, 2, 17, 0, tzinfo=UTC)

    response = await admin_patch(
        client,
        "cohort_session",
        session_id,
        {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()},
    )

    assert response.status_code == 200, response.text
    after = events((await fetch(client, FEED)).content)[session_id]
    assert after.decoded("DTSTART").astimezone(UTC) == starts
    assert after.sequence == before.sequence + 1
    assert after.decoded("LAST-MODIFIED") == clock().replace(microsecond=0)


async def test_an_edit_calendars_do_not_show_keeps_the_sequence_but_is_stamped(
    client: httpx.AsyncClient, world: World, clock: FrozenClock
) -> None:
    session_id = world.sessions["training"][0]
    stored = await Session.select().where(Session.id == session_id).first()
    assert stored is not None
    clock.advance(timedelta(hours=1))

    # the admin form sends the whole row back, with its old stamp and the same times
    response = await admin_patch(
        client,
        "cohort_session",
        session_id,
        {
            "note": "Raum 2 ist reserviert",
            "starts_at": stored["starts_at"].isoformat(),
            "updated_at": stored["updated_at"].isoformat(),
            "sequence": stored["sequence"],
        },
    )

    assert response.status_code == 200, response.text
    now = await Session.select().where(Session.id == session_id).first()
    assert now is not None
    assert now["sequence"] == stored["sequence"]
    assert now["updated_at"] == clock()
    assert now["note"] == "Raum 2 ist reserviert"


async def test_a_lower_sequence_sent_from_the_back_office_is_not_taken(
    client: httpx.AsyncClient, world: World
) -> None:
    session_id = world.sessions["training"][0]
    await Session.update({Session.sequence: 4}).where(Session.id == session_id)

    response = await admin_patch(
        client, "cohort_session", session_id, {"location": "Aula", "sequence": 0}
    )

    assert response.status_code == 200, response.text
    row = await Session.select(Session.sequence).where(Session.id == session_id).first()
    assert row == {"sequence": 5}


async def test_a_programme_renamed_in_the_back_office_is_renamed_in_the_feed(
    client: httpx.AsyncClient, world: World, clock: FrozenClock
) -> None:
    session_id = world.sessions["training"][0]
    await fetch(client, FEED)  # cached now
    clock.advance(timedelta(minutes=5))

    response = await admin_patch(
        client, "programme", world.training, {"title": "Vielfalt im Team (neu)"}
    )

    assert response.status_code == 200, response.text
    entry = events((await fetch(client, FEED)).content)[session_id]
    assert str(entry["SUMMARY"]).startswith("Vielfalt im Team (neu)")
    assert entry.decoded("LAST-MODIFIED") == clock().replace(microsecond=0)
    stamp = await Programme.select(Programme.updated_at).where(Programme.id == world.training)
    assert stamp[0]["updated_at"] == clock()


async def test_a_session_added_in_the_back_office_is_stamped_now(
    client: httpx.AsyncClient, world: World, clock: FrozenClock
) -> None:
    clock.advance(timedelta(days=1))
    starts = datetime(2027, 4, 6, 16, 0, tzinfo=UTC)
    # as the back office's form does: start from the defaults it is given, fill in, send
    form = (await client.get("/admin/api/tables/cohort_session/new/")).json()
    form.update(
        cohort=world.training_run,
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=2)).isoformat(),
        updated_at="2020-01-01T00:00:00+00:00",
    )
    response = await client.post("/admin/api/tables/cohort_session/", json=form, headers=ADMIN_CSRF)

    assert response.status_code == 201, response.text
    row = await Session.select().where(Session.starts_at == starts).first()
    assert row is not None
    assert row["updated_at"] == clock()
    assert row["id"] in events((await fetch(client, FEED)).content)


async def test_back_office_edits_are_audited_by_field_name_never_value(
    client: httpx.AsyncClient, world: World
) -> None:
    session_id = world.sessions["training"][0]
    response = await admin_patch(
        client, "cohort_session", session_id, {"note": "Frau Beispiel ruft an"}
    )
    assert response.status_code == 200, response.text
    rows = await AuditEvent.select().where(AuditEvent.action == "back_office.edited")
    assert len(rows) == 1
    event = rows[0]
    assert (event["object_type"], event["object_id"]) == ("cohort_session", session_id)
    assert event["actor"] == world.coordinator.id
    detail = event["detail"] if isinstance(event["detail"], dict) else json.loads(event["detail"])
    assert detail == {"fields": ["note"]}
    assert "Beispiel" not in str(rows)

    deleted = await client.delete(
        f"/admin/api/tables/cohort_session/{session_id}/", headers=ADMIN_CSRF
    )
    assert deleted.status_code in (200, 204), deleted.text
    assert await AuditEvent.count().where(AuditEvent.action == "back_office.deleted") == 1


async def test_the_back_office_speaks_german_names_rows_and_links_back(
    client: httpx.AsyncClient, world: World
) -> None:
    schema = (await client.get("/admin/api/tables/cohort/schema/")).json()
    titles = {name: field["title"] for name, field in schema["properties"].items()}
    assert titles["programme"] == "Angebot"
    assert titles["kita"] == "KiTa"
    assert titles["title"] == "Gruppe"
    assert titles["registration_opens_at"] == "Anmeldung ab"
    session_schema = (await client.get("/admin/api/tables/cohort_session/schema/")).json()
    assert session_schema["properties"]["starts_at"]["title"] == "Beginn"
    # every column of every table has a German heading
    for table in ADMIN_TABLES:
        name = table._meta.tablename
        missing = [
            c._meta.name for c in table._meta.columns if not column_label(name, c._meta.name)
        ]
        assert missing == [], (name, missing)
    properties = (await client.get("/admin/api/tables/registration/schema/")).json()["properties"]
    assert properties["consent_given_on"]["title"] == "Einwilligung am"

    # a cohort's programme shows by its title, not only its id
    rows = (await client.get("/admin/api/tables/cohort/", params={"__readable": "true"})).json()
    titles_by_id = {
        row["id"]: row["title"] for row in await Programme.select(Programme.id, Programme.title)
    }
    assert rows["rows"]
    for row in rows["rows"]:
        assert row["programme_readable"] == titles_by_id[row["programme"]]

    for path in ("attendance", "registration", "cohort_trainer", "cohort_session", "account"):
        listed = await client.get(f"/admin/api/tables/{path}/", params={"__readable": "true"})
        assert listed.status_code == 200, (path, listed.text)
    trainers = await client.get("/admin/api/tables/cohort_trainer/", params={"__readable": "true"})
    for row in trainers.json()["rows"]:
        assert "@" in row["trainer_readable"]
    groups = (await client.get("/admin/api/tables/grouped/")).json()
    assert "Angebote" in groups["grouped"]

    assert (await client.get("/admin/api/links/")).json() == {
        "← Zurück zum Mitarbeiterbereich": "/staff/"
    }
    meta = (await client.get("/admin/public/meta/")).json()
    assert meta["site_name"] == "Programme – Backoffice"
    languages = (await client.get("/admin/public/translations/")).json()
    assert languages["default_language_code"] == "de"
