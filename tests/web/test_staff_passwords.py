"""Passwords staff set themselves: changing one's own (other sessions end), and a
forgotten one through a mailed single-use link that expires in an hour, with the same
answer for known and unknown addresses and a limit per address and per account."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar

from programmes.clock import FrozenClock
from programmes.domain.accounts import management, passwords
from programmes.domain.tokens import hash_token
from programmes.tables import Account, AccountLink, AuditEvent
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW, app_client
from tests.factories import PASSWORD, make_staff
from tests.web.account_helpers import account_mails, link_in, sent_text
from tests.web.helpers import post_form, sign_in

NEW = "ein ganz neues Passwort"


@pytest.fixture(autouse=True)
def quick_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The floor of the forgotten-password answer, shorter (one test checks the real one)."""
    monkeypatch.setattr(passwords, "RESET_MIN_SECONDS", 0.05)


async def _password_of(account_id: int) -> str:
    row = await Account.select(Account.password).where(Account.id == account_id).first()
    assert row is not None
    return str(row["password"])


async def _forgot(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(
        client, "/staff/password/forgot", "/staff/password/forgot", {"email": email}
    )


async def test_changing_ones_password_signs_out_the_other_sessions(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    staff = await make_staff(Role.trainer)
    await sign_in(client, staff.email)
    async with app_client(app) as other_device:
        await sign_in(other_device, staff.email)
        page = await client.get("/staff/password")
        assert page.status_code == 200
        assert 'autocomplete="current-password"' in page.text
        done = await post_form(
            client,
            "/staff/password",
            "/staff/password",
            {"current_password": PASSWORD, "new_password": NEW, "new_password_repeat": NEW},
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/staff/password?done=password-changed"
        shown = await client.get(done.headers["location"])
        assert "Gespeichert. Ihr neues Passwort gilt ab jetzt" in shown.text
        assert (await client.get("/staff/")).status_code == 200  # this session stays
        gone = await other_device.get("/staff/")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/staff/login")
        other_device.cookies.clear()
        old = await post_form(
            other_device,
            "/staff/login",
            "/staff/login",
            {"email": staff.email, "password": PASSWORD},
        )
        assert old.status_code == 401
        await sign_in(other_device, staff.email, NEW)
    assert await AuditEvent.count().where(AuditEvent.action == "account.password_changed") == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {
                "current_password": "not my password",
                "new_password": NEW,
                "new_password_repeat": NEW,
            },
            "current_password",
            "Das aktuelle Passwort ist nicht richtig.",
        ),
        (
            {"current_password": PASSWORD, "new_password": NEW, "new_password_repeat": NEW + "x"},
            "new_password_repeat",
            "Die beiden Passwörter sind nicht gleich.",
        ),
        (
            {"current_password": PASSWORD, "new_password": "kurz", "new_password_repeat": "kurz"},
            "new_password",
            "mindestens 10 Zeichen",
        ),
        (
            {
                "current_password": PASSWORD,
                "new_password": "x" * 129,
                "new_password_repeat": "x" * 129,
            },
            "new_password",
            "höchstens 128 Zeichen",
        ),
        (
            {
                "current_password": PASSWORD,
                "new_password": PASSWORD,
                "new_password_repeat": PASSWORD,
            },
            "new_password",
            "muss sich vom aktuellen unterscheiden",
        ),
    ],
)
async def test_a_bad_password_change_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient, data: dict[str, str], field: str, message: str
) -> None:
    staff = await make_staff(Role.partner)
    before = await _password_of(staff.id)
    await sign_in(client, staff.email)
    response = await post_form(client, "/staff/password", "/staff/password", data)
    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field}-error"' in response.text
    assert f'<a href="#{field}">' in response.text  # in the summary, with the label
    assert 'aria-invalid="true"' in response.text
    assert PASSWORD not in response.text and NEW not in response.text  # never echoed
    assert await _password_of(staff.id) == before


async def test_password_page_needs_a_sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/staff/password")
    assert page.status_code == 303 and page.headers["location"].startswith("/staff/login")


async def test_a_forgotten_password_is_reset_once_through_the_mailed_link(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    staff = await make_staff(Role.coordinator, email="anna@staff.example", name="Anna")
    async with app_client(app) as elsewhere:  # a session left open somewhere
        await sign_in(elsewhere, staff.email)
        login = await client.get("/staff/login")
        assert 'href="/staff/password/forgot"' in login.text
        asked = await _forgot(client, "  Anna@Staff.example ")
        assert asked.status_code == 303
        assert asked.headers["location"] == "/staff/password/forgot?sent=1"
        [mail] = await account_mails()
        assert mail["to_address"] == "anna@staff.example"
        assert mail["subject"] == "Ein neues Passwort für Ihren Zugang"
        path, token = link_in(mail)
        assert "eine Stunde" in sent_text(mail)
        # neither the outbox nor the link table holds a usable token
        assert token not in str(mail["body_text"])
        stored = await AccountLink.select().first()
        assert stored is not None and stored["token_hash"] == hash_token(token)
        assert stored["expires_at"] - FROZEN_NOW == timedelta(hours=1)

        form = await client.get(path)
        assert form.status_code == 200
        assert form.headers["referrer-policy"] == "no-referrer"
        mismatch = await post_form(
            client,
            path,
            "/staff/password/set",
            {"token": token, "new_password": NEW, "new_password_repeat": "anders"},
        )
        assert mismatch.status_code == 422
        assert 'id="new_password_repeat-error"' in mismatch.text
        assert token in mismatch.text  # the form keeps its link
        done = await post_form(
            client,
            path,
            "/staff/password/set",
            {"token": token, "new_password": NEW, "new_password_repeat": NEW},
        )
        assert done.status_code == 303
        # every session of the account ends with the reset
        assert (await elsewhere.get("/staff/")).status_code == 303
        await sign_in(client, staff.email, NEW)
        used = await client.get(path)
        assert used.status_code == 409
        assert "Dieser Link wurde schon benutzt." in used.text
        assert "Es wurde nichts geändert." in used.text
    assert await AuditEvent.count().where(AuditEvent.action == "account.password_reset") == 1


async def test_unknown_and_known_addresses_get_the_same_answer_and_only_known_ones_mail(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(passwords, "RESET_MIN_SECONDS", 0.4)
    staff = await make_staff(Role.trainer)
    retired = await make_staff(Role.trainer)
    await management.set_active(account_id=retired.id, active=False, actor_id=None, now=FROZEN_NOW)
    answers = []
    for email in (staff.email, "nobody@staff.example", retired.email):
        started = time.monotonic()
        response = await _forgot(client, email)
        answers.append((response.status_code, response.headers["location"]))
        assert time.monotonic() - started >= 0.4  # no quicker answer for unknown addresses
    assert len(set(answers)) == 1
    shown = await client.get(answers[0][1])
    assert "Wenn ein Zugang diese Adresse hat" in shown.text
    mails = await account_mails()
    assert [mail["to_address"] for mail in mails] == [staff.email]
    assert await AccountLink.count() == 1
    english = await client.get("/staff/password/forgot?sent=1&lang=en")
    assert "If a staff account has this address" in english.text


async def test_forgotten_password_requests_are_limited_per_account_and_per_address(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    staff = await make_staff(Role.trainer)
    for _ in range(passwords.RESET_LIMIT_PER_ACCOUNT):
        assert (await _forgot(client, staff.email)).status_code == 303
    refused = await _forgot(client, staff.email)
    assert refused.status_code == 429
    assert "Zu viele Anfragen nach einem neuen Passwort" in refused.text
    assert refused.headers["retry-after"] == "900"
    # only the newest link works: each request ends the earlier one
    assert len(await account_mails()) == passwords.RESET_LIMIT_PER_ACCOUNT
    assert await AccountLink.count() == 1
    # an unknown address is counted exactly the same (the limit tells nothing either)
    for _ in range(passwords.RESET_LIMIT_PER_ACCOUNT):
        assert (await _forgot(client, "ghost@staff.example")).status_code == 303
    assert (await _forgot(client, "ghost@staff.example")).status_code == 429
    async with app_client(app, address=("198.51.100.4", 50000)) as one_place:
        for n in range(passwords.RESET_LIMIT_PER_ADDRESS):
            assert (await _forgot(one_place, f"guess{n}@staff.example")).status_code == 303
        assert (await _forgot(one_place, "guess-more@staff.example")).status_code == 429


async def test_expired_link_and_link_of_a_deactivated_account_change_nothing(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    staff = await make_staff(Role.trainer)
    before = await _password_of(staff.id)
    await _forgot(client, staff.email)
    path, token = link_in((await account_mails())[0])
    clock.advance(timedelta(minutes=61))
    expired = await client.get(path)
    assert expired.status_code == 409
    assert "Dieser Link ist abgelaufen." in expired.text
    posted = await post_form(
        client,
        "/staff/password/forgot",
        "/staff/password/set",
        {"token": token, "new_password": NEW, "new_password_repeat": NEW},
    )
    assert posted.status_code == 409
    assert "Es wurde nichts geändert." in posted.text
    assert await _password_of(staff.id) == before

    await _forgot(client, staff.email)
    path, token = link_in((await account_mails())[-1])
    await Account.update({Account.active: False}).where(Account.id == staff.id)
    closed = await client.get(path)
    assert closed.status_code == 409
    assert "Dieses Konto ist deaktiviert." in closed.text
    posted = await post_form(
        client,
        "/staff/password/forgot",
        "/staff/password/set",
        {"token": token, "new_password": NEW, "new_password_repeat": NEW},
    )
    assert posted.status_code == 409
    assert await _password_of(staff.id) == before


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "a/b" * 20, "ä" * 43])
async def test_unknown_or_malformed_link_gets_a_clear_page(
    client: httpx.AsyncClient, token: str
) -> None:
    page = await client.get("/staff/password/set", params={"token": token})
    assert page.status_code == 404
    assert "Dieser Link ist nicht gültig." in page.text
    assert 'href="/staff/password/forgot"' in page.text
    english = await client.get("/staff/password/set", params={"token": token, "lang": "en"})
    assert "This link is not valid." in english.text


async def test_forgot_form_with_control_characters_names_the_field(
    client: httpx.AsyncClient,
) -> None:
    response = await _forgot(client, "a\x00b@staff.example")
    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    assert await AccountLink.count() == 0
