"""The server's app (`asgi.app_from_environment`) shares each worker's loop fairly
(web/fair_share.py): pages, calendar files and registrations go through it unchanged,
all at once, and PROGRAMMES_FAIR_SHARE=off leaves it out."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from litestar import Litestar

from programmes import asgi
from programmes.logging_config import RequestLog
from programmes.settings import Settings, load_settings
from programmes.tables import Registration
from programmes.web.fair_share import CALENDAR, CHANGE, PAGE, FairShare
from tests.conftest import app_client
from tests.factories import make_public_run


async def test_pages_feeds_and_registrations_at_once_are_all_answered(app: Litestar) -> None:
    run = await make_public_run(capacity=100, max_seats=1)
    shared = FairShare(app)
    async with app_client(shared) as client, app_client(app) as direct:  # type: ignore[arg-type]

        async def register(n: int) -> httpx.Response:
            body = {
                "name": f"Person {n}",
                "email": f"p{n}@example.org",
                "seats": 1,
                "consent": True,
            }
            return await client.post(f"/api/v1/events/{run}/registrations", json=body)

        answers = await asyncio.gather(
            *(client.get("/") for _ in range(10)),
            *(client.get("/feeds/public.ics") for _ in range(10)),
            *(register(n) for n in range(10)),
        )
        assert [a.status_code for a in answers] == [200] * 20 + [201] * 10
        assert await Registration.count() == 10
        assert answers[10].content == (await direct.get("/feeds/public.ics")).content
        assert "Person" not in answers[10].text
    assert all(shared.kinds[k].used > 0 for k in (CALENDAR, CHANGE, PAGE))
    assert all(not kind.running and not kind.waiting for kind in shared.kinds.values())


@pytest.mark.parametrize(("value", "shared"), [(None, True), ("on", True), ("off", False)])
def test_the_server_app_shares_the_loop_unless_turned_off(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, value: str | None, shared: bool
) -> None:
    monkeypatch.setattr(asgi, "load_settings", lambda: settings_with(settings, value))
    served = asgi.app_from_environment()
    if isinstance(served, RequestLog):  # the request log is outermost, when it is on
        served = served.app
    assert isinstance(served, FairShare) is shared


def settings_with(settings: Settings, value: str | None) -> Settings:
    flag = load_settings({} if value is None else {"PROGRAMMES_FAIR_SHARE": value}).fair_share
    return replace(settings, fair_share=flag)
