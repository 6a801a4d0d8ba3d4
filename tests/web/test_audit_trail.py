"""The audit trail, as coordinators read it: filtered by object and days, paged, bad
filters refused naming the field; nobody else can read it."""

from __future__ import annotations

import httpx

from programmes.domain import audit
from programmes.domain.accounts import staff_accounts
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_staff
from tests.web.helpers import sign_in


async def test_coordinators_filter_the_trail_and_page_through_it(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    token = await staff_accounts.create_api_token(
        account_id=coordinator.id, name="audit", now=FROZEN_NOW
    )
    for number in range(60):
        await audit.record(
            actor_id=coordinator.id,
            action="family.updated",
            object_type="family",
            object_id=number % 3 + 1,
            now=FROZEN_NOW,
        )
    await audit.record(
        actor_id=None, action="session.moved", object_type="session", object_id=7, now=FROZEN_NOW
    )
    headers = {"authorization": f"Bearer {token}"}

    first = (await client.get("/api/v1/audit", headers=headers)).json()
    assert len(first["entries"]) == 50 and first["has_next"]
    assert first["entries"][0]["action"] == "session.moved"  # newest first
    second = (await client.get("/api/v1/audit?page=2", headers=headers)).json()
    assert (
        len(second["entries"]) == 13
    )  # and the account and token created and not second["has_next"]
    one = (await client.get("/api/v1/audit?object_type=family&object_id=2", headers=headers)).json()
    assert {(e["object_type"], e["object_id"]) for e in one["entries"]} == {("family", 2)}
    assert len(one["entries"]) == 20
    none = await client.get("/api/v1/audit?from=2026-11-26&to=2026-12-31", headers=headers)
    assert none.json()["entries"] == []

    for query, field in (
        ("object_id=99999999999999999999", "object_id"),
        ("from=2026-13-01", "from"),
        ("to=9999-01-01", "to"),
        ("page=0", "page"),
    ):
        bad = await client.get(f"/api/v1/audit?{query}", headers=headers)
        assert bad.status_code == 400, query
        assert field in bad.text

    await sign_in(client, coordinator.email)
    shown = await client.get("/staff/audit?object_type=session")
    assert shown.status_code == 200
    assert "session.moved" in shown.text and "family.updated" not in shown.text
    refused = await client.get("/staff/audit?from=gestern")
    assert refused.status_code == 400
    assert "JJJJ-MM-TT" in refused.text or "YYYY-MM-DD" in refused.text


async def test_partners_and_trainers_cannot_read_the_trail(client: httpx.AsyncClient) -> None:
    for role in (Role.partner, Role.trainer):
        staff = await make_staff(role, kita_id=None)
        client.cookies.clear()
        await sign_in(client, staff.email)
        assert (await client.get("/staff/audit")).status_code == 403
        assert (await client.get("/api/v1/audit")).status_code == 403
