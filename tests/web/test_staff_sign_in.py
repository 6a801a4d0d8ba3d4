"""Staff sign-in and sign-out through the pages."""

from __future__ import annotations

import httpx

from programmes.domain.accounts import staff_accounts
from programmes.vocabulary import Role
from tests.factories import PASSWORD, make_staff
from tests.web.helpers import csrf_token, post_form, sign_in


async def test_sign_in_opens_a_session_and_shows_the_staff_area(client: httpx.AsyncClient) -> None:
    staff = await make_staff(Role.trainer, name="Tara Test")
    response = await sign_in(client, staff.email)
    assert response.headers["location"] == "/staff/"
    cookie = response.cookies.get("id")
    assert cookie
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    home = await client.get("/staff/")
    assert home.status_code == 200
    assert "Tara Test" in home.text
    assert home.headers["cache-control"] == "no-store"


async def test_session_id_is_renewed_at_sign_in(client: httpx.AsyncClient) -> None:
    staff = await make_staff(Role.trainer)
    client.cookies.set("id", "attacker-chosen-session-id")
    first = await sign_in(client, staff.email)
    first_id = first.cookies["id"]
    assert first_id != "attacker-chosen-session-id"
    client.cookies.clear()
    client.cookies.set("id", first_id)
    second = await sign_in(client, staff.email)
    assert second.cookies["id"] != first_id
    # the replaced session is over: its id no longer signs anybody in
    client.cookies.clear()
    client.cookies.set("id", first_id)
    assert (await client.get("/staff/")).status_code == 303


async def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: httpx.AsyncClient,
) -> None:
    staff = await make_staff(Role.coordinator)
    wrong = await post_form(
        client, "/staff/login", "/staff/login", {"email": staff.email, "password": "nope-nope-nope"}
    )
    unknown = await post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": "nobody@staff.example", "password": "nope-nope-nope"},
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "id" not in wrong.cookies
    assert "id" not in unknown.cookies
    message = "E-Mail-Adresse oder Passwort ist nicht richtig."
    assert message in wrong.text
    assert message in unknown.text


async def test_sign_out_ends_the_session_on_the_server(client: httpx.AsyncClient) -> None:
    staff = await make_staff(Role.partner)
    session_id = (await sign_in(client, staff.email)).cookies["id"]
    token = await csrf_token(client, "/staff/")
    out = await client.post("/staff/logout", data={"_csrf_token": token})
    assert out.status_code == 303
    assert out.headers["location"] == "/staff/login"
    client.cookies.clear()
    client.cookies.set("id", session_id)  # replaying the old cookie does not work
    again = await client.get("/staff/")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/staff/login")


async def test_sign_in_form_without_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    staff = await make_staff(Role.trainer)
    await client.get("/staff/login")
    response = await client.post("/staff/login", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "id" not in response.cookies


async def test_staff_pages_redirect_anonymous_visitors_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/staff/")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=/staff/"


async def test_sign_in_only_redirects_to_local_pages(client: httpx.AsyncClient) -> None:
    staff = await make_staff(Role.trainer)
    response = await post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": staff.email, "password": PASSWORD, "next": "//evil.example/"},
    )
    assert response.headers["location"] == "/staff/"


async def test_too_many_wrong_passwords_are_refused_with_a_time_to_wait(
    client: httpx.AsyncClient,
) -> None:
    staff = await make_staff(Role.trainer)
    form = {"email": staff.email, "password": "nope-nope-nope"}
    for _ in range(staff_accounts.SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS):
        assert (await post_form(client, "/staff/login", "/staff/login", form)).status_code == 401
    refused = await post_form(
        client, "/staff/login", "/staff/login", {"email": staff.email, "password": PASSWORD}
    )
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "900"
    assert "Zu viele Anmeldeversuche. Bitte warten Sie 15 Minuten" in refused.text
    assert "id" not in refused.cookies
