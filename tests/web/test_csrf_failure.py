"""A form sent without a valid CSRF token (the browser lost its CSRF cookie: a tab restored
after a restart, cookies cleared) is refused with a page that says, in the page's language,
that the form has expired and to send it again, and links back to the form."""

from __future__ import annotations

import re

import httpx

from programmes.tables import Registration
from tests.factories import PASSWORD, make_public_run, make_staff
from tests.web.helpers import csrf_token

FORM = {"name": "Jana Becker", "email": "jana@example.org", "seats": "1", "consent": "on"}


async def test_an_expired_registration_form_comes_back_with_the_entries_in_german(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run()
    page = f"/events/{cohort}"
    token = await csrf_token(client, page)
    client.cookies.clear()  # the browser lost its cookies; the open page kept its token
    response = await client.post(
        f"{page}/register",
        data={"_csrf_token": token, **FORM, "needs": "Dolmetschen auf Arabisch"},
        headers={"referer": f"http://testserver{page}"},
    )
    assert response.status_code == 403
    assert "Dieses Formular ist abgelaufen" in response.text
    assert "Ihre Eingaben sind noch da" in response.text
    assert "role may not" not in response.text
    # the entries are kept, and a fresh token with its cookie lets the next try through
    assert 'value="Jana Becker"' in response.text
    assert 'value="jana@example.org"' in response.text
    assert "Dolmetschen auf Arabisch</textarea>" in response.text
    assert await Registration.count() == 0
    fresh = re.search(r'name="_csrf_token" value="([^"]+)"', response.text)
    assert fresh and fresh.group(1) != token
    again = await client.post(f"{page}/register", data={"_csrf_token": fresh.group(1), **FORM})
    assert again.status_code == 200
    assert "Sie sind angemeldet." in again.text
    assert await Registration.count() == 1


async def test_an_expired_registration_form_speaks_the_pages_language(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run()
    await client.get(f"/events/{cohort}?lang=en")
    response = await client.post(
        f"/events/{cohort}/register", data={"_csrf_token": "forged", **FORM}
    )
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "Your entries are kept" in response.text
    assert 'value="Jana Becker"' in response.text
    assert await Registration.count() == 0


async def test_an_expired_form_says_so_in_english_on_an_english_page(
    client: httpx.AsyncClient,
) -> None:
    staff = await make_staff()
    await client.get("/staff/login?lang=en")  # the CSRF cookie, and English from now on
    response = await client.post(
        "/staff/login",
        data={"_csrf_token": "forged", "email": staff.email, "password": PASSWORD},
        headers={"referer": "http://testserver/staff/login?next=/staff/"},
    )
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "Please open the form again and send it once more." in response.text
    assert '<a href="/staff/login?next=/staff/">Back to the form</a>' in response.text
    assert "id" not in response.cookies


async def test_a_form_from_another_site_registers_nobody(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run()
    await client.get(f"/events/{cohort}")
    response = await client.post(
        f"/events/{cohort}/register",
        data=FORM,
        headers={"referer": "https://evil.example/events/1"},
    )
    assert response.status_code == 403
    assert "Dieses Formular ist abgelaufen" in response.text
    assert "evil.example" not in response.text
    assert await Registration.count() == 0


async def test_a_json_caller_gets_the_message_in_its_language(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run()
    await client.get(f"/events/{cohort}")
    response = await client.post(
        f"/events/{cohort}/register?lang=en", data=FORM, headers={"accept": "application/json"}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "This form has expired. Please open the form again and send it once more."
    )
