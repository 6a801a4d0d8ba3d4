"""A session cannot be moved further than a schedule could put it: a cohort's sessions lie
within `recurrence.MAX_SPAN_YEARS` years, and a lone session at most that far beyond today.
Over the API and the staff page: a clear message naming the field, nothing stored, no mail."""

from __future__ import annotations

from datetime import timedelta

import httpx

from programmes.clock import BERLIN
from programmes.domain.accounts import staff_accounts
from programmes.tables import AuditEvent, Outbox, Session
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_person_registration, make_public_run, make_staff
from tests.web.helpers import post_form, sign_in


async def coordinator_token() -> dict[str, str]:
    staff = await make_staff(Role.coordinator)
    token = await staff_accounts.create_api_token(account_id=staff.id, name="t", now=FROZEN_NOW)
    return {"authorization": f"Bearer {token}"}


async def sessions_of(cohort: int) -> list[dict[str, object]]:
    return list(await Session.select().where(Session.cohort == cohort).order_by(Session.id))


async def test_the_api_refuses_a_move_beyond_the_cohorts_span(client: httpx.AsyncClient) -> None:
    # two sessions, 2026-12-09 and 2026-12-16 (Berlin): the span reaches to 2028-12-16
    cohort = await make_public_run(capacity=5, dates=2)
    await make_person_registration(cohort)
    auth = await coordinator_token()
    first, second = (s["id"] for s in await sessions_of(cohort))
    before = await sessions_of(cohort)
    for starts_at in ("2028-12-17T10:00:00+01:00", "2031-06-01T10:00:00+02:00"):
        refused = await client.post(
            f"/api/v1/sessions/{first}/move",
            json={"starts_at": starts_at, "ends_at": starts_at.replace("T10", "T12")},
            headers=auth,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "starts_at"
        assert "spätestens auf den 2028-12-16" in refused.json()["detail"]
        assert "2 Jahren" in refused.json()["detail"]
    english = await client.post(
        f"/api/v1/sessions/{second}/move?lang=en",
        json={"starts_at": "2029-01-01T10:00:00+01:00", "ends_at": "2029-01-01T12:00:00+01:00"},
        headers=auth,
    )
    assert english.status_code == 422
    assert "moved to 2028-12-09 at the latest" in english.json()["detail"]
    assert await sessions_of(cohort) == before
    assert await Outbox.count() == 0
    assert not await AuditEvent.exists().where(AuditEvent.action == "session.moved")
    # at the edge of the span the move is made, and the registered person is told
    moved = await client.post(
        f"/api/v1/sessions/{first}/move",
        json={"starts_at": "2028-12-16T10:00:00+01:00", "ends_at": "2028-12-16T12:00:00+01:00"},
        headers=auth,
    )
    assert moved.status_code == 200, moved.text
    assert await Outbox.count() == 1


async def test_a_lone_session_goes_at_most_two_years_beyond_today(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=5, dates=1)
    await make_person_registration(cohort)
    auth = await coordinator_token()
    [session] = await sessions_of(cohort)
    before = await sessions_of(cohort)
    refused = await client.post(
        f"/api/v1/sessions/{session['id']}/move",
        json={"starts_at": "2028-11-26T10:00:00+01:00", "ends_at": "2028-11-26T12:00:00+01:00"},
        headers=auth,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "starts_at"
    assert "spätestens auf den 2028-11-25" in refused.json()["detail"]
    assert await sessions_of(cohort) == before and await Outbox.count() == 0
    allowed = await client.post(
        f"/api/v1/sessions/{session['id']}/move",
        json={"starts_at": "2028-11-25T10:00:00+01:00", "ends_at": "2028-11-25T12:00:00+01:00"},
        headers=auth,
    )
    assert allowed.status_code == 200, allowed.text


async def test_the_staff_page_refuses_a_move_beyond_the_span(client: httpx.AsyncClient) -> None:
    start = FROZEN_NOW + timedelta(days=14)
    cohort = await make_public_run(capacity=5, dates=3, start=start)
    await make_person_registration(cohort)
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    sessions = await sessions_of(cohort)
    last = sessions[-1]["id"]
    page = f"/staff/sessions/{last}"
    before = await sessions_of(cohort)
    refused = await post_form(
        client,
        page,
        page + "/move",
        {"day": "2029-01-15", "start_time": "16:00", "end_time": "17:30", "location": ""},
    )
    assert refused.status_code == 422
    latest = (start.astimezone(BERLIN).date().replace(year=2028)).isoformat()
    assert f"spätestens auf den {latest} verschoben" in refused.text
    assert "2029-01-15" in refused.text  # the entered day is kept
    english = await post_form(
        client,
        page + "?lang=en",
        page + "/move",
        {"day": "2029-01-15", "start_time": "16:00", "end_time": "17:30", "location": ""},
    )
    assert english.status_code == 422
    assert f"moved to {latest} at the latest" in english.text
    assert await sessions_of(cohort) == before
    assert await Outbox.count() == 0
