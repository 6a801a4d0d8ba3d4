"""The registration and sign-in limits under a burst, against a real
`programmes serve --workers 2 --proxy-headers` over HTTP.

The server trusts X-Forwarded-For from 127.0.0.1 (uvicorn's default for
`--proxy-headers`), so the tests speak for several client addresses from one machine.
200 requests start at once; exactly the limit may get through, every other one gets a 429
that says how long to wait, and none may fail with a 5xx.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from programmes.domain.accounts import staff_accounts
from programmes.tables import Registration
from programmes.vocabulary import Role
from tests.factories import PASSWORD, make_public_run, make_staff
from tests.live_server import LiveServer, live_server

pytestmark = pytest.mark.slow

BURST = 200
REGISTRATIONS_PER_ADDRESS = 30
_CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def limited_server(
    shared_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with live_server(
        shared_database_url,
        tmp_path_factory.mktemp("limited"),
        args=["--proxy-headers"],
        PROGRAMMES_REGISTRATION_LIMIT=f"{REGISTRATIONS_PER_ADDRESS}/10",
    ) as running:
        yield running


async def burst(client: httpx.AsyncClient, requests: list[dict[str, Any]]) -> list[httpx.Response]:
    """Send every request at the same moment (one connection each)."""
    start = asyncio.Event()

    async def one(request: dict[str, Any]) -> httpx.Response:
        await start.wait()
        return await client.post(**request)

    tasks = [asyncio.create_task(one(r)) for r in requests]
    start.set()
    return list(await asyncio.gather(*tasks))


def burst_client(url: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=0)
    return httpx.AsyncClient(base_url=url, timeout=120, limits=limits)


def statuses(responses: list[httpx.Response]) -> dict[int, int]:
    counted: dict[int, int] = {}
    for response in responses:
        counted[response.status_code] = counted.get(response.status_code, 0) + 1
    return counted


async def test_200_registrations_from_one_address_admit_exactly_the_limit(
    shared_database: None, limited_server: LiveServer
) -> None:
    cohort = await make_public_run(capacity=BURST, max_seats=1)
    address = {"x-forwarded-for": "198.51.100.10"}
    async with burst_client(limited_server.url) as client:
        responses = await burst(
            client,
            [
                {
                    "url": f"/api/v1/events/{cohort}/registrations?lang=en",
                    "json": {"name": f"P {n}", "email": f"p{n}@example.org", "consent": True},
                    "headers": address,
                }
                for n in range(BURST)
            ],
        )
        # another address is not affected by this one's limit
        elsewhere = await client.post(
            f"/api/v1/events/{cohort}/registrations",
            json={"name": "Other", "email": "other@example.org", "consent": True},
            headers={"x-forwarded-for": "198.51.100.11"},
        )
    assert statuses(responses) == {
        201: REGISTRATIONS_PER_ADDRESS,
        429: BURST - REGISTRATIONS_PER_ADDRESS,
    }
    for refused in (r for r in responses if r.status_code == 429):
        assert refused.headers["retry-after"] == "600"
        assert refused.json()["detail"] == (
            "Too many registrations from your connection. Please try again in 10 minutes."
        )
    assert elsewhere.status_code == 201
    assert await Registration.count().where(Registration.cohort == cohort) == (
        REGISTRATIONS_PER_ADDRESS + 1
    )
    assert "Traceback" not in limited_server.log()


async def sign_in_form(client: httpx.AsyncClient) -> str:
    """The CSRF token of the sign-in form (its cookie stays in the client)."""
    page = await client.get("/staff/login")
    match = _CSRF_INPUT.search(page.text)
    assert match
    return match.group(1)


async def test_200_wrong_passwords_at_once_are_checked_only_up_to_the_limit(
    shared_database: None, limited_server: LiveServer
) -> None:
    staff = await make_staff(Role.coordinator)
    attacker = {"x-forwarded-for": "203.0.113.66"}
    async with burst_client(limited_server.url) as client:
        token = await sign_in_form(client)

        def attempt(password: str, headers: dict[str, str]) -> dict[str, Any]:
            return {
                "url": "/staff/login?lang=en",
                "data": {"_csrf_token": token, "email": staff.email, "password": password},
                "headers": headers,
            }

        responses = await burst(client, [attempt(f"guess-{n:06}", attacker) for n in range(BURST)])
        # the right password from the attacker's address, after the burst: not even checked
        late = await client.post(**attempt(PASSWORD, attacker))
        # the owner, from another address, signs in
        owner = await client.post(**attempt(PASSWORD, {"x-forwarded-for": "192.0.2.44"}))
    limit = staff_accounts.SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS
    assert statuses(responses) == {401: limit, 429: BURST - limit}
    for refused in (r for r in responses if r.status_code == 429):
        assert refused.headers["retry-after"] == "900"
        assert "Too many sign-in attempts. Please wait 15 minutes and try again." in refused.text
    assert late.status_code == 429
    assert "id" not in late.cookies
    assert owner.status_code == 303, owner.text
    assert owner.cookies.get("id")
    assert "Traceback" not in limited_server.log()
