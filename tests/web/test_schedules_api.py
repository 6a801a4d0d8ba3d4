"""The schedules capability over HTTP: a coordinator plans a Rucksack year through the API;
partners and trainers are refused; bad input names the field and stores nothing."""

from __future__ import annotations

import httpx
import pytest

from programmes.domain.accounts import staff_accounts
from programmes.tables import Cohort, Kita, Programme, Session
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_kita, make_staff


async def bearer(role: Role, **kwargs: object) -> dict[str, str]:
    staff = await make_staff(role, **kwargs)  # type: ignore[arg-type]
    token = await staff_accounts.create_api_token(account_id=staff.id, name="test", now=FROZEN_NOW)
    return {"authorization": f"Bearer {token}"}


RULE = {
    "weekdays": [0],
    "start_time": "09:00",
    "duration_minutes": 120,
    "first_day": "2027-01-04",
    "count": 24,
}


async def plan_cohort(client: httpx.AsyncClient, auth: dict[str, str]) -> int:
    kita = await client.post("/api/v1/kitas", json={"name": "KiTa Sonnenblume"}, headers=auth)
    assert kita.status_code == 201, kita.text
    trainer = await make_staff(Role.trainer)
    programme = await client.post(
        "/api/v1/programmes",
        json={"kind": "rucksack", "title": "Rucksack KiTa", "min_age_years": 4, "max_age_years": 6},
        headers=auth,
    )
    assert programme.status_code == 201, programme.text
    cohort = await client.post(
        "/api/v1/cohorts",
        json={
            "programme_id": programme.json()["id"],
            "kita_id": kita.json()["id"],
            "title": "Rucksack Sonnenblume",
            "capacity": 12,
            "trainer_ids": [trainer.id],
        },
        headers=auth,
    )
    assert cohort.status_code == 201, cohort.text
    return int(cohort.json()["id"])


async def test_coordinator_plans_previews_saves_moves_and_cancels(
    client: httpx.AsyncClient,
) -> None:
    auth = await bearer(Role.coordinator)
    cohort_id = await plan_cohort(client, auth)
    preview = await client.post(
        f"/api/v1/cohorts/{cohort_id}/schedule/preview", json=RULE, headers=auth
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert len(body["sessions"]) == 24 and not body["saved"]
    assert {s["reason"] for s in body["skipped"]} >= {
        "Feiertag: Ostermontag",
        "Feiertag: Pfingstmontag",
    }
    assert await Session.count() == 0

    saved = await client.put(f"/api/v1/cohorts/{cohort_id}/schedule", json=RULE, headers=auth)
    assert saved.status_code == 200 and saved.json()["saved"]
    listed = (await client.get(f"/api/v1/cohorts/{cohort_id}/sessions", headers=auth)).json()
    assert len(listed) == 24 and listed[0]["starts_at"].startswith("2027-01-04T09:00:00+01:00")
    assert listed[0]["theme"] == "Der Körper"

    first, second = listed[0]["id"], listed[1]["id"]
    moved = await client.post(
        f"/api/v1/sessions/{first}/move",
        json={"starts_at": "2027-01-07T15:00:00+01:00", "ends_at": "2027-01-07T17:00:00+01:00"},
        headers=auth,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["id"], moved.json()["sequence"]) == (first, 1)
    for note in ("Bitte\r\nnicht kommen", "x" * 2000):
        refused = await client.post(
            f"/api/v1/sessions/{second}/cancel",
            json={"reason": "Fortbildung", "public_note": note},
            headers=auth,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "public_note"
    still = (await client.get(f"/api/v1/sessions/{second}", headers=auth)).json()
    assert (still["status"], still["public_cancel_note"]) == ("scheduled", "")
    cancelled = await client.post(
        f"/api/v1/sessions/{second}/cancel",
        json={"reason": "Fortbildung", "public_note": "Fällt aus, ein Ersatz folgt."},
        headers=auth,
    )
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "Fortbildung"
    assert cancelled.json()["public_cancel_note"] == "Fällt aus, ein Ersatz folgt."
    # a client that knows only the reason still cancels (no public note)
    third = listed[2]["id"]
    plain = await client.post(
        f"/api/v1/sessions/{third}/cancel", json={"reason": "Fortbildung"}, headers=auth
    )
    assert (plain.status_code, plain.json()["public_cancel_note"]) == (200, "")
    published = await client.post(f"/api/v1/cohorts/{cohort_id}/publish", headers=auth)
    assert published.json()["status"] == "published"


@pytest.mark.parametrize("role", [Role.partner, Role.trainer])
async def test_partners_and_trainers_cannot_change_schedules(
    client: httpx.AsyncClient, role: Role
) -> None:
    coordinator = await bearer(Role.coordinator)
    cohort_id = await plan_cohort(client, coordinator)
    await client.put(f"/api/v1/cohorts/{cohort_id}/schedule", json=RULE, headers=coordinator)
    session_id = (
        await client.get(f"/api/v1/cohorts/{cohort_id}/sessions", headers=coordinator)
    ).json()[0]["id"]
    before = await Session.select().order_by(Session.id)
    other = await bearer(role)
    for method, path, body in [
        ("PUT", f"/api/v1/cohorts/{cohort_id}/schedule", RULE),
        ("POST", f"/api/v1/cohorts/{cohort_id}/schedule/preview", RULE),
        (
            "POST",
            f"/api/v1/sessions/{session_id}/move",
            {"starts_at": "2027-01-07T15:00:00+01:00", "ends_at": "2027-01-07T16:00:00+01:00"},
        ),
        ("POST", f"/api/v1/sessions/{session_id}/cancel", {"reason": "x"}),
        ("POST", "/api/v1/kitas", {"name": "Neu"}),
        ("POST", f"/api/v1/cohorts/{cohort_id}/archive", None),
    ]:
        response = await client.request(method, path, json=body, headers=other)
        assert response.status_code == 403, (method, path, response.text)
    assert await Session.select().order_by(Session.id) == before
    assert not await Kita.exists().where(Kita.name == "Neu")


async def test_foreign_ids_answer_like_missing_ones(client: httpx.AsyncClient) -> None:
    coordinator = await bearer(Role.coordinator)
    cohort_id = await plan_cohort(client, coordinator)
    partner = await bearer(Role.partner, kita_id=await make_kita("Andere KiTa"))
    foreign = await client.get(f"/api/v1/cohorts/{cohort_id}", headers=partner)
    missing = await client.get("/api/v1/cohorts/999999", headers=partner)
    assert foreign.status_code == missing.status_code == 404
    assert (await client.get("/api/v1/cohorts", headers=partner)).json() == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/cohorts/{id}/schedule", {**RULE, "weekdays": [0, 1, 2, 3]}, "weekdays"),
        ("/api/v1/cohorts/{id}/schedule", {**RULE, "count": 61}, "count"),
        ("/api/v1/cohorts/{id}/schedule", {**RULE, "duration_minutes": 800}, "duration_minutes"),
        ("/api/v1/cohorts/{id}/schedule", {**RULE, "every_weeks": 0}, "every_weeks"),
        ("/api/v1/cohorts/{id}/schedule", {**RULE, "first_day": "2027-02-30"}, "first_day"),
        ("/api/v1/cohorts/{id}/schedule", {**RULE, "weekdays": "monday"}, "weekdays"),
        ("/api/v1/cohorts/{id}/schedule", {**RULE, "count": "many"}, "count"),
    ],
)
async def test_bad_schedule_input_names_the_field_and_stores_nothing(
    client: httpx.AsyncClient, path: str, body: dict[str, object], field: str
) -> None:
    auth = await bearer(Role.coordinator)
    cohort_id = await plan_cohort(client, auth)
    response = await client.put(path.format(id=cohort_id), json=body, headers=auth)
    assert response.status_code in (400, 422), response.text
    payload = response.json()
    assert any(error["field"] and field in error["field"] for error in payload["errors"]), payload
    assert await Session.count() == 0


async def test_overflowing_negative_and_malformed_ids_are_client_errors(
    client: httpx.AsyncClient,
) -> None:
    auth = await bearer(Role.coordinator)
    for path in ("/api/v1/cohorts/99999999999999999999", "/api/v1/cohorts/-1", "/api/v1/cohorts/0"):
        response = await client.get(path, headers=auth)
        assert 400 <= response.status_code < 500, (path, response.status_code)
    huge = await client.post(
        "/api/v1/cohorts", json={"programme_id": 2**63, "title": "x"}, headers=auth
    )
    assert huge.status_code == 400 and huge.json()["errors"][0]["field"] == "programme_id"
    assert await Cohort.count() == 0


async def test_fields_the_caller_may_not_set_are_ignored(client: httpx.AsyncClient) -> None:
    auth = await bearer(Role.coordinator)
    programme = await client.post(
        "/api/v1/programmes",
        json={"kind": "training", "title": "Training", "status": "published", "id": 77},
        headers=auth,
    )
    assert programme.status_code == 201
    row = await Programme.select(Programme.id, Programme.status).first()
    assert row is not None and row["status"] == "draft" and row["id"] != 77
