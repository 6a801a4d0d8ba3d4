"""Feeds cost a constant number of queries: one per request while the cache is current, a
few more for a rebuild, the same for 1 session as for 50 (no N+1)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from programmes.domain.feeds import feed_tokens
from programmes.tables import Session
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_public_run, make_staff
from tests.feed_world import add_cohort, add_programme, add_session, berlin
from tests.query_counter import counted_queries
from tests.web.feed_helpers import events, fetch


async def make_feed_data(sessions: int) -> dict[str, Any]:
    trainer = await make_staff(Role.trainer)
    programme = await add_programme(ProgrammeKind.training, "Training")
    cohort = await add_cohort(programme, "Gruppe", trainer_ids=(trainer.id,))
    ids = [
        await add_session(cohort, berlin(2026, 12, 1, 9) + timedelta(days=i))
        for i in range(sessions)
    ]
    token = await feed_tokens.create_feed_token(account_id=trainer.id, now=FROZEN_NOW)
    return {"programme": programme, "cohort": cohort, "sessions": ids, "token": token}


def urls(data: dict[str, Any]) -> dict[str, str]:
    return {
        "public": "/feeds/public.ics",
        "programme": f"/feeds/programmes/{data['programme']}.ics",
        "event": f"/events/{data['cohort']}.ics",
        "private": f"/feeds/private/{data['token']}.ics",
    }


#: Queries per request: (cold: check + rebuild, warm, 304).
EXPECTED = {
    # the rebuild's last query is the feed's own Last-Modified (`FeedScope.newest_change`)
    "public": (3, 1, 1),  # fingerprint; rows, newest change
    "programme": (4, 1, 1),  # fingerprint; rows, title, newest change
    "event": (4, 1, 1),  # fingerprint; rows, title, newest change
    "private": (4, 1, 1),  # fingerprint (with the token check); rows, counts, newest change
}


@pytest.mark.parametrize("sessions", [1, 50])
async def test_queries_per_request_do_not_grow_with_the_feed(
    client: httpx.AsyncClient, sessions: int
) -> None:
    data = await make_feed_data(sessions)
    for name, url in urls(data).items():
        with counted_queries() as cold:
            first = await fetch(client, url)
        assert len(events(first.content)) == sessions
        with counted_queries() as warm:
            await fetch(client, url)
        with counted_queries() as not_modified:
            response = await fetch(client, url, **{"if-none-match": first.headers["etag"]})
        assert response.status_code == 304
        assert (len(cold), len(warm), len(not_modified)) == EXPECTED[name], (name, cold)


async def test_a_change_costs_the_same_queries_as_a_cold_start(
    client: httpx.AsyncClient,
) -> None:
    data = await make_feed_data(50)
    await fetch(client, "/feeds/public.ics")
    await Session.update({Session.sequence: 1, Session.updated_at: FROZEN_NOW}).where(
        Session.id == data["sessions"][7]
    )
    with counted_queries() as queries:
        await fetch(client, "/feeds/public.ics")
    assert len(queries) == 3


async def test_a_burst_of_requests_shares_the_validation_query(
    client: httpx.AsyncClient,
) -> None:
    await make_feed_data(10)
    await fetch(client, "/feeds/public.ics")
    with counted_queries() as queries:
        responses = await asyncio.gather(*(fetch(client, "/feeds/public.ics") for _ in range(30)))
    assert {r.status_code for r in responses} == {200}
    # Each request waits for a check that started after it arrived; requests that arrive
    # together share one. In-process they arrive together, so a handful of checks suffice.
    assert 1 <= len(queries) <= 3, queries


async def test_malformed_tokens_cost_no_query(client: httpx.AsyncClient) -> None:
    with counted_queries() as queries:
        for name in ("x.ics", "cal_%00.ics", "cal_" + "A" * 300 + ".ics"):
            assert (await client.get(f"/feeds/private/{name}")).status_code == 404
    assert queries == []


async def test_registrations_leave_the_public_feeds_alone(client: httpx.AsyncClient) -> None:
    """A registration changes nothing a public feed shows (seat counts are not in it), so the
    feed is not rebuilt: after registrations, one query answers it, with the same bytes and
    validators (a calendar polling with If-None-Match keeps getting 304)."""
    cohort = await make_public_run(capacity=3, dates=3)
    feeds = ["/feeds/public.ics", f"/events/{cohort}.ics"]
    before = {url: await fetch(client, url) for url in feeds}
    for n in range(4):  # three seats, then the waiting list
        registered = await client.post(
            f"/api/v1/events/{cohort}/registrations",
            json={"name": f"Person {n}", "email": f"p{n}@example.org", "consent": True},
        )
        assert registered.status_code == 201, registered.text
    for url, first in before.items():
        with counted_queries() as queries:
            again = await fetch(client, url, **{"if-none-match": first.headers["etag"]})
        assert again.status_code == 304, url
        assert len(queries) == 1, (url, queries)
        assert again.headers["last-modified"] == first.headers["last-modified"], url
