"""Durability: SIGKILL the server in the middle of a registration burst, start it again,
and check that every registration it acknowledged is stored, whole and consistent."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from programmes import db
from programmes.tables import Cohort, Outbox, Registration
from tests.conftest import ENGINE
from tests.factories import make_public_run
from tests.live_server import live_server

pytestmark = pytest.mark.slow

CAPACITY = 40
BURST = 160
KILL_AFTER = 25  # acknowledged registrations before the power cut


async def burst_then_kill(url: str, cohort: int, kill: Any) -> list[dict[str, Any]]:
    """Post BURST registrations at once; SIGKILL the server once KILL_AFTER are answered."""
    acknowledged: list[dict[str, Any]] = []
    enough = asyncio.Event()
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def one(n: int) -> None:
            body = {"name": f"Person {n}", "email": f"k{n}@example.org", "consent": True}
            try:
                response = await client.post(f"/api/v1/events/{cohort}/registrations", json=body)
            except httpx.HTTPError:
                return  # the server died under this request: not acknowledged
            if response.status_code == 201:
                acknowledged.append(response.json())
                if len(acknowledged) >= KILL_AFTER:
                    enough.set()

        tasks = [asyncio.create_task(one(n)) for n in range(BURST)]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(enough.wait(), timeout=60)
        kill()
        await asyncio.gather(*tasks)
    return acknowledged


async def test_a_killed_server_keeps_every_acknowledged_registration(
    shared_database_url: str, shared_database: None, tmp_path: Path
) -> None:
    cohort = await make_public_run(capacity=CAPACITY, max_seats=1)
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()

    with live_server(shared_database_url, tmp_path / "first") as first:
        acknowledged = await burst_then_kill(first.url, cohort, first.kill)
    assert KILL_AFTER <= len(acknowledged) < BURST, "the kill did not land mid-burst"

    with live_server(shared_database_url, tmp_path / "second") as second:
        async with httpx.AsyncClient(base_url=second.url, timeout=30) as client:
            after = await client.post(
                f"/api/v1/events/{cohort}/registrations",
                json={"name": "After restart", "email": "after@example.org", "consent": True},
            )
        assert after.status_code == 201, after.text
        assert "Traceback" not in second.log()

    rows = {r["id"]: r for r in await Registration.select().where(Registration.cohort == cohort)}
    for body in acknowledged:  # nothing acknowledged was lost
        row = rows[body["registration_id"]]
        assert (row["status"], row["waiting_position"]) == (
            body["status"],
            body["waiting_position"],
        )
    confirmed = [r for r in rows.values() if r["status"] == "confirmed"]
    waiting = sorted(r["waiting_position"] for r in rows.values() if r["status"] == "waiting")
    seats = await Cohort.select(Cohort.seats_taken).where(Cohort.id == cohort).first()
    assert seats is not None
    assert seats["seats_taken"] == sum(r["seats"] for r in confirmed) <= CAPACITY
    assert len(waiting) == len(set(waiting))  # no position given twice
    for registration_id in rows:  # nothing half-written: every registration has its mail
        mails = Outbox.count().where(
            Outbox.related_type == "registration", Outbox.related_id == registration_id
        )
        assert await mails == 1
    if ENGINE == "sqlite":
        [check] = await db.fetch("PRAGMA integrity_check")
        assert list(check.values()) == ["ok"]
