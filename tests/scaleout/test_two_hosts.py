"""Scale-out: two server processes (two hosts behind a load balancer) on one database
behave as one service: seats are never overbooked with the race split across both, a
change made through one host is in the other's calendar feed at once, a sign-in on one is
valid on the other, and the registration limit counts across both."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest

from programmes.domain.accounts import staff_accounts
from programmes.tables import Cohort, Registration, Session
from programmes.vocabulary import Role
from tests.factories import PASSWORD, make_public_run, make_staff
from tests.live_server import LiveServer
from tests.scaleout.conftest import REGISTRATION_LIMIT

pytestmark = pytest.mark.slow

CAPACITY = 10
BURST = 100


def body(cohort: int, n: int) -> dict[str, Any]:
    return {
        "name": f"Person {n}",
        "email": f"h{cohort}p{n}@example.org",
        "seats": 1,
        "consent": True,
    }


async def fire(
    hosts: tuple[LiveServer, LiveServer], cohort: int, numbers: range
) -> list[httpx.Response]:
    """One request per number, alternating between the hosts, all released at once."""
    limits = httpx.Limits(max_connections=len(numbers), max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        start = asyncio.Event()

        async def one(n: int) -> httpx.Response:
            await start.wait()
            host = hosts[n % 2]
            return await client.post(
                f"{host.url}/api/v1/events/{cohort}/registrations", json=body(cohort, n)
            )

        tasks = [asyncio.create_task(one(n)) for n in numbers]
        start.set()
        return list(await asyncio.gather(*tasks))


async def test_the_seat_race_split_across_two_hosts_never_overbooks_and_limits_are_shared(
    hosts_database: None, hosts: tuple[LiveServer, LiveServer]
) -> None:
    cohort = await make_public_run(capacity=CAPACITY, max_seats=1)
    responses = await fire(hosts, cohort, range(BURST))
    assert [r.status_code for r in responses if r.status_code != 201] == []
    rows = await Registration.select().where(Registration.cohort == cohort)
    assert len(rows) == BURST
    assert sum(r["status"] == "confirmed" for r in rows) == CAPACITY
    assert sorted(r["waiting_position"] for r in rows if r["status"] == "waiting") == list(
        range(1, BURST - CAPACITY + 1)
    )
    assert await Cohort.select(Cohort.seats_taken).where(Cohort.id == cohort).first() == {
        "seats_taken": CAPACITY
    }

    # both hosts count this address's registrations in one limit
    more = await fire(hosts, cohort, range(BURST, BURST + 60))
    statuses = sorted(r.status_code for r in more)
    assert statuses.count(201) == REGISTRATION_LIMIT - BURST
    assert statuses.count(429) == 60 - (REGISTRATION_LIMIT - BURST)
    assert {r.status_code for r in more} <= {201, 429}
    assert await Registration.count().where(Registration.cohort == cohort) == REGISTRATION_LIMIT
    for host in hosts:
        assert "Traceback" not in host.log()


async def test_a_change_through_one_host_is_in_the_other_hosts_feed_at_once(
    hosts_database: None, hosts: tuple[LiveServer, LiveServer]
) -> None:
    a, b = hosts
    cohort = await make_public_run()
    coordinator = await make_staff(Role.coordinator)
    token = await staff_accounts.create_api_token(
        account_id=coordinator.id, name="scale-out", now=datetime.now(UTC)
    )
    session = await Session.select(Session.id).where(Session.cohort == cohort).first()
    assert session is not None
    async with httpx.AsyncClient(timeout=30) as client:
        before = await client.get(f"{b.url}/feeds/public.ics")  # b caches the feed
        assert before.status_code == 200
        starts = (datetime.now(UTC) + timedelta(days=30)).replace(
            hour=15, minute=0, second=0, microsecond=0
        )
        moved = await client.post(
            f"{a.url}/api/v1/sessions/{session['id']}/move",
            json={
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
            },
            headers={"authorization": f"Bearer {token}"},
        )
        assert moved.status_code == 200, moved.text
        after = await client.get(f"{b.url}/feeds/public.ics")
    assert after.headers["etag"] != before.headers["etag"]
    events = {
        str(event["UID"]): event
        for event in icalendar.Calendar.from_ical(after.content).walk("VEVENT")
    }
    entry = next(e for uid, e in events.items() if uid.startswith(f"session-{session['id']}@"))
    assert entry.decoded("DTSTART").astimezone(UTC) == starts
    assert int(str(entry["SEQUENCE"])) >= 1


async def test_a_sign_in_on_one_host_is_valid_on_the_other(
    hosts_database: None, hosts: tuple[LiveServer, LiveServer]
) -> None:
    a, b = hosts
    trainer = await make_staff(Role.trainer)
    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as client:
        login = await client.get(f"{a.url}/staff/login")
        csrf = login.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        signed_in = await client.post(
            f"{a.url}/staff/login",
            data={"_csrf_token": csrf, "email": trainer.email, "password": PASSWORD},
        )
        assert signed_in.status_code == 303, signed_in.text
        me = await client.get(f"{b.url}/api/v1/me")
        assert me.status_code == 200
        assert me.json()["email"] == trainer.email
        await client.post(f"{a.url}/staff/logout", data={"_csrf_token": csrf})
        assert (await client.get(f"{b.url}/api/v1/me")).status_code in (401, 403)
