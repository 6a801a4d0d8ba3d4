"""Every endpoint states who may call it, and the back office is for coordinators only."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from programmes.vocabulary import Role
from tests.factories import make_staff
from tests.web.helpers import sign_in


def test_every_route_has_an_explicit_role_rule(app: Litestar) -> None:
    unguarded = []
    for route in app.routes:
        handlers = route.route_handlers if isinstance(route, HTTPRoute) else [route.route_handler]
        for handler in handlers:
            if handler.resolve_guards() or handler.opt.get("access") == "public":
                continue
            if handler.handler_name == "options_handler":
                continue  # Litestar's automatic OPTIONS answers: no data, no effect
            if route.path.startswith("/schema"):
                continue  # Litestar's own documentation routes: public by design
            unguarded.append(f"{route.path} {handler.handler_name}")
    assert unguarded == []


async def test_admin_sends_anonymous_visitors_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login?next=/admin/")


@pytest.mark.parametrize("role", [Role.partner, Role.trainer])
async def test_admin_refuses_partners_and_trainers(client: httpx.AsyncClient, role: Role) -> None:
    staff = await make_staff(role)
    await sign_in(client, staff.email)
    page = await client.get("/admin/")
    api = await client.get("/admin/api/tables/", headers={"accept": "application/json"})
    assert page.status_code == 403
    assert api.status_code == 403


async def test_admin_opens_for_coordinators_with_the_same_sign_in(
    client: httpx.AsyncClient,
) -> None:
    staff = await make_staff(Role.coordinator)
    await sign_in(client, staff.email)
    page = await client.get("/admin/")
    assert page.status_code == 200
    # the back office's own (looser) content policy, not the pages' strict one
    assert "'unsafe-eval'" in page.headers["content-security-policy"]
    tables = await client.get("/admin/api/tables/")
    assert tables.status_code == 200
    assert "cohort" in tables.text
    assert "kita" in tables.text


async def test_deactivated_staff_lose_access_on_the_next_request(
    client: httpx.AsyncClient,
) -> None:
    from programmes.domain.accounts import management
    from tests.conftest import FROZEN_NOW

    staff = await make_staff(Role.coordinator)
    await sign_in(client, staff.email)
    assert (await client.get("/staff/")).status_code == 200
    await management.set_active(account_id=staff.id, active=False, actor_id=None, now=FROZEN_NOW)
    assert (await client.get("/staff/")).status_code == 303
    assert (await client.get("/admin/")).status_code == 303
