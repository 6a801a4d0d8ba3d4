"""HTTP helpers for web tests: CSRF-aware form posts and signing in."""

from __future__ import annotations

import re

import httpx

from tests.factories import PASSWORD

_CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_token(client: httpx.AsyncClient, page: str) -> str:
    """Load a page with a form and return the CSRF token of its first form."""
    response = await client.get(page)
    match = _CSRF_INPUT.search(response.text)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    token = await csrf_token(client, page)
    return await client.post(action, data={"_csrf_token": token, **data})


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    response = await post_form(
        client, "/staff/login", "/staff/login", {"email": email, "password": password}
    )
    assert response.status_code == 303, response.text
    return response
