"""The CSRF cookie comes only with a page that holds a form (web/csrf.py): a visitor who
only reads the start page, the privacy notice or the imprint is given no cookie, and every
form still works."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.feed_world import World, build_world
from tests.web.helpers import sign_in

CSRF_COOKIE = "programmes_csrf"
_FORM_TOKEN = re.compile(r'name="_csrf_token" value="([^"]*)"')


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    return await build_world()


def _set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def _form_tokens(response: httpx.Response) -> set[str]:
    return set(_FORM_TOKEN.findall(response.text))


@pytest.mark.parametrize("path", ["/", "/?kind=training", "/datenschutz", "/impressum"])
async def test_pages_without_a_form_give_a_reader_no_cookie_at_all(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    client.cookies.clear()
    for _ in range(2):  # the second answer is the kept body of the start page
        response = await client.get(path)
        assert response.status_code == 200, path
        assert _set_cookies(response) == [], path
        assert "_csrf_token" not in response.text, path
    assert not client.cookies


async def test_a_page_with_a_form_sets_the_cookie_its_form_token_matches(
    client: httpx.AsyncClient, world: World
) -> None:
    client.cookies.clear()
    page = await client.get(f"/events/{world.training_run}")
    assert page.status_code == 200
    assert any(CSRF_COOKIE in cookie for cookie in _set_cookies(page))
    assert _form_tokens(page) == {client.cookies[CSRF_COOKIE]}

    again = await client.get(f"/events/{world.training_run}")
    assert not any(CSRF_COOKIE in cookie for cookie in _set_cookies(again))
    assert _form_tokens(again) == {client.cookies[CSRF_COOKIE]}


async def test_signed_in_staff_without_the_cookie_get_it_with_the_sign_out_form(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    client.cookies.delete(CSRF_COOKIE)

    start = await client.get("/")
    assert start.status_code == 200
    tokens = _form_tokens(start)
    assert tokens == {client.cookies[CSRF_COOKIE]}, "the sign-out form carries the new token"

    signed_out = await client.post("/staff/logout", data={"_csrf_token": tokens.pop()})
    assert signed_out.status_code == 303
    assert (await client.get("/staff/")).status_code in {302, 303, 401}


async def test_a_form_sent_without_the_cookie_is_still_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    client.cookies.clear()
    login = await client.get("/staff/login")
    token = _form_tokens(login).pop()
    client.cookies.clear()
    refused = await client.post(
        "/staff/login",
        data={"_csrf_token": token, "email": world.trainer.email, "password": "x" * 12},
    )
    assert refused.status_code == 403
    assert "id" not in client.cookies, "no session was started"
