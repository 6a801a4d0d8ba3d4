"""Seats under concurrency, against a real `programmes serve --workers 2` over HTTP.

The burst has a control: the same server with the test-only racy seat step of
tests/racy_control (read-then-write, no lock) must overbook under the same load; otherwise
this harness could not see an overbooking and would prove nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from programmes.domain.mail import links
from programmes.tables import Cohort, Outbox, Registration
from tests.conftest import TEST_SECRET
from tests.factories import make_public_run
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

CAPACITY = 10
BURST = 200


async def fire(url: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        start = asyncio.Event()

        async def one(body: dict[str, Any]) -> httpx.Response:
            await start.wait()
            path = body.pop("_path")
            return await client.post(path, json=body)

        tasks = [asyncio.create_task(one(dict(b))) for b in bodies]
        start.set()
        return list(await asyncio.gather(*tasks))


def registration(cohort: int, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "_path": f"/api/v1/events/{cohort}/registrations",
        "name": f"Person {n}",
        "email": f"c{cohort}p{n}@example.org",
        "seats": 1,
        "consent": True,
        **extra,
    }


async def stored(cohort: int) -> list[dict[str, Any]]:
    return list(await Registration.select().where(Registration.cohort == cohort))


async def test_200_at_once_for_10_seats_never_overbook(
    shared_database: None, server: LiveServer
) -> None:
    cohort = await make_public_run(capacity=CAPACITY, max_seats=1)
    responses = await fire(server.url, [registration(cohort, n) for n in range(BURST)])
    log = server.log()
    assert [r.status_code for r in responses if r.status_code != 201] == []
    bodies = [r.json() for r in responses]
    assert sum(b["status"] == "confirmed" for b in bodies) == CAPACITY
    assert sorted(b["waiting_position"] for b in bodies if b["status"] == "waiting") == list(
        range(1, BURST - CAPACITY + 1)
    )
    rows = {r["id"]: r for r in await stored(cohort)}
    assert len(rows) == BURST
    assert sum(r["status"] == "confirmed" for r in rows.values()) == CAPACITY
    assert sorted(r["waiting_position"] for r in rows.values() if r["status"] == "waiting") == list(
        range(1, BURST - CAPACITY + 1)
    )
    for body in bodies:  # every answer matches exactly one stored row
        row = rows[body["registration_id"]]
        assert (row["status"], row["waiting_position"]) == (
            body["status"],
            body["waiting_position"],
        )
    seats = await Cohort.select(Cohort.seats_taken).where(Cohort.id == cohort).first()
    assert seats == {"seats_taken": CAPACITY}
    assert "database is locked" not in log and "Traceback" not in log


async def test_control_without_the_atomic_step_overbooks(
    shared_database: None, racy_server: LiveServer
) -> None:
    cohort = await make_public_run(capacity=CAPACITY, max_seats=1)
    responses = await fire(racy_server.url, [registration(cohort, n) for n in range(BURST)])
    confirmed = sum(
        r.json().get("status") == "confirmed" for r in responses if r.status_code == 201
    )
    stored_confirmed = sum(r["status"] == "confirmed" for r in await stored(cohort))
    assert stored_confirmed > CAPACITY, (
        "the control did not overbook: the harness cannot see races (was tests/racy_control "
        f"loaded?)\n{racy_server.log()}"
    )
    assert confirmed == stored_confirmed


async def test_the_same_person_twenty_times_at_once_is_one_registration(
    shared_database: None, server: LiveServer
) -> None:
    cohort = await make_public_run(capacity=CAPACITY, max_seats=1)
    responses = await fire(server.url, [registration(cohort, 7) for _ in range(20)])
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["registration_id"] for r in responses}) == 1
    rows = await stored(cohort)
    assert len(rows) == 1
    assert await Outbox.count().where(Outbox.related_id == rows[0]["id"]) == 1


async def test_cancellations_racing_new_registrations_promote_in_order(
    shared_database: None, server: LiveServer
) -> None:
    cohort = await make_public_run(capacity=CAPACITY, max_seats=1)
    first = await fire(
        server.url, [registration(cohort, n, email=f"race{n}@example.org") for n in range(30)]
    )
    assert {r.status_code for r in first} == {201}
    by_email = {}
    for mail in await Outbox.select(Outbox.to_address, Outbox.body_text):
        if "/events/cancel/" in mail["body_text"]:
            body = links.fill(mail["body_text"], key=TEST_SECRET)  # as the server sends it
            by_email[mail["to_address"]] = body.split("/events/cancel/")[1].split()[0]
    confirmed = [r.json() for r in first if r.json()["status"] == "confirmed"]
    confirmed_emails = [
        f"race{n}@example.org" for n in range(30) if first[n].json()["status"] == "confirmed"
    ][:5]
    waiting_before = sorted(
        (r["waiting_position"], r["id"]) for r in await stored(cohort) if r["status"] == "waiting"
    )
    await Outbox.delete().where(Outbox.related_id.is_in([r["id"] for r in await stored(cohort)]))
    race = [
        {"_path": "/api/v1/events/registrations/cancel", "token": by_email[e]}
        for e in confirmed_emails
    ]
    race += [registration(cohort, n, email=f"late{n}@example.org") for n in range(100, 120)]
    responses = await fire(server.url, race)
    assert [r.status_code for r in responses if r.status_code >= 500] == []
    assert len(confirmed) == CAPACITY
    rows = {r["id"]: r for r in await stored(cohort)}
    promoted = [rid for _, rid in waiting_before[:5]]
    assert all(rows[rid]["status"] == "confirmed" for rid in promoted)
    assert all(rows[rid]["status"] == "waiting" for _, rid in waiting_before[5:])
    newcomers = [r.json()["registration_id"] for r in responses[5:]]
    assert all(rows[rid]["status"] == "waiting" for rid in newcomers)  # nobody jumps the queue
    assert sum(r["status"] == "confirmed" for r in rows.values()) == CAPACITY
    promoted_mails = [
        m
        for m in await Outbox.select().where(Outbox.related_id.is_in(list(rows)))
        if m["subject"].startswith("Sie haben einen Platz")
    ]
    assert sorted(m["related_id"] for m in promoted_mails) == sorted(promoted)
