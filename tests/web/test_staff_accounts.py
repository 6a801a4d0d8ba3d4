"""Coordinators run staff accounts at /staff/accounts: list, invite (a mail with a
set-password link), change role or KiTa, deactivate after one confirmation, reactivate.
A deactivated person is signed out at their next request, session and API token alike."""

from __future__ import annotations

import httpx
from litestar import Litestar

from programmes.domain.accounts import management, staff_accounts
from programmes.domain.tokens import hash_token
from programmes.tables import Account, AccountLink, ApiToken, AuditEvent, Outbox
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW, app_client
from tests.factories import PASSWORD, make_kita, make_staff
from tests.web.account_helpers import account_mails, link_in
from tests.web.helpers import post_form, sign_in


async def _coordinator(client: httpx.AsyncClient) -> int:
    staff = await make_staff(Role.coordinator, name="Cora Koordination")
    await sign_in(client, staff.email)
    return staff.id


async def _audit(action: str) -> list[dict[str, object]]:
    return list(
        await AuditEvent.select(AuditEvent.actor, AuditEvent.object_id).where(
            AuditEvent.action == action
        )
    )


async def test_coordinator_sees_every_account_with_role_kita_status_and_last_sign_in(
    client: httpx.AsyncClient,
) -> None:
    kita = await make_kita("KiTa Regenbogen")
    partner = await make_staff(Role.partner, kita_id=kita, name="Paula Partner")
    trainer = await make_staff(Role.trainer, name="Tara Trainerin")
    await management.set_active(account_id=trainer.id, active=False, actor_id=None, now=FROZEN_NOW)
    await _coordinator(client)
    page = await client.get("/staff/accounts")
    assert page.status_code == 200
    text = page.text
    for shown in ("Paula Partner", partner.email, "KiTa Regenbogen", "Tara Trainerin"):
        assert shown in text
    assert "deaktiviert" in text  # the trainer
    assert "letzte Anmeldung" in text and "nie" in text
    assert "25. Nov. 2026, 10:00" in text  # the coordinator's own sign-in, in Berlin time
    english = await client.get("/staff/accounts?lang=en")
    assert "Staff accounts" in english.text and "last sign-in" in english.text


async def test_only_coordinators_reach_the_account_pages(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/staff/accounts")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/staff/login")
    for role in (Role.partner, Role.trainer):
        staff = await make_staff(role)
        client.cookies.clear()
        await sign_in(client, staff.email)
        assert (await client.get("/staff/accounts")).status_code == 403
        assert (await client.get(f"/staff/accounts/{staff.id}")).status_code == 403
        refused = await post_form(
            client,
            "/staff/password",
            "/staff/accounts",
            {"email": "new@staff.example", "role": "trainer"},
        )
        assert refused.status_code == 403
    assert not await Account.exists().where(Account.email == "new@staff.example")


async def test_an_invitation_mails_a_link_that_sets_the_password_once(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    coordinator = await _coordinator(client)
    kita = await make_kita("KiTa Sonnenblume")
    response = await post_form(
        client,
        "/staff/accounts",
        "/staff/accounts",
        {"name": "Neo Neu", "email": "Neo@Staff.example", "role": "partner", "kita": str(kita)},
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.endswith("?done=account-invited")
    page = await client.get(location)
    assert "Gespeichert. Die Einladung ist verschickt." in page.text
    account = await Account.select().where(Account.email == "neo@staff.example").first()
    assert account is not None and account["role"] == "partner" and account["kita"] == kita
    assert await _audit("account.invited") == [{"actor": coordinator, "object_id": account["id"]}]

    [mail] = await account_mails()
    assert mail["to_address"] == "neo@staff.example"
    assert mail["subject"] == "Ihr Zugang zum Haus der Kulturen"
    path, token = link_in(mail)
    # at rest neither the outbox nor the link table holds the token
    assert token not in str(mail["body_text"])
    assert "{secret:account-link:" in str(mail["body_text"])
    stored = await AccountLink.select().first()
    assert stored is not None and stored["token_hash"] == hash_token(token)
    assert stored["purpose"] == "invitation"
    assert (stored["expires_at"] - FROZEN_NOW).days == 7

    async with app_client(app) as newcomer:
        form = await newcomer.get(path)
        assert form.status_code == 200
        assert form.headers["referrer-policy"] == "no-referrer"
        assert "Willkommen" in form.text
        done = await post_form(
            newcomer,
            path,
            "/staff/password/set",
            {
                "token": token,
                "new_password": "ein neues Passwort",
                "new_password_repeat": "ein neues Passwort",
            },
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/staff/login?notice=password-set"
        login = await newcomer.get(done.headers["location"])
        assert "Ihr Passwort ist gespeichert." in login.text
        await sign_in(newcomer, "neo@staff.example", "ein neues Passwort")
        assert (await newcomer.get("/staff/")).status_code == 200

        again = await newcomer.get(path)
        assert again.status_code == 409
        assert "Dieser Link wurde schon benutzt." in again.text
        before = (await Account.select(Account.password).where(Account.id == account["id"]))[0]
        reused = await post_form(
            newcomer,
            "/staff/password/forgot",
            "/staff/password/set",
            {
                "token": token,
                "new_password": "noch ein Passwort",
                "new_password_repeat": "noch ein Passwort",
            },
        )
        assert reused.status_code == 409
        assert "Es wurde nichts geändert." in reused.text
        after = (await Account.select(Account.password).where(Account.id == account["id"]))[0]
        assert after == before
    assert await _audit("account.invitation_accepted") == [
        {"actor": account["id"], "object_id": account["id"]}
    ]


async def test_invitation_with_bad_input_names_the_field_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    await _coordinator(client)
    existing = await make_staff(Role.trainer)
    kita = await make_kita()
    cases = [
        (
            {"email": "p@staff.example", "role": "partner"},
            422,
            "kita",
            "muss zu einer KiTa gehören",
        ),
        (
            {"email": "t@staff.example", "role": "trainer", "kita": str(kita)},
            422,
            "kita",
            "Nur Partner-Konten gehören zu einer KiTa.",
        ),
        ({"email": "no address", "role": "trainer"}, 422, "email", "gültige E-Mail-Adresse"),
        ({"email": existing.email, "role": "trainer"}, 409, "email", "Es gibt schon ein Konto"),
        ({"email": "r@staff.example", "role": "boss"}, 422, "role", "Rolle"),
        ({"email": "k@staff.example", "role": "partner", "kita": "999999"}, 404, "kita", "999999"),
    ]
    for data, status, field, message in cases:
        response = await post_form(client, "/staff/accounts", "/staff/accounts", data)
        assert response.status_code == status, (data, response.text)
        assert message in response.text, data
        assert f'id="{field}-error"' in response.text, data
        assert f'<a href="#{field}">' in response.text, data  # the summary links to the field
    assert await Account.count() == 2
    assert await Outbox.count() == 0
    assert await AccountLink.count() == 0


async def test_role_and_kita_change_is_saved_and_audited(client: httpx.AsyncClient) -> None:
    coordinator = await _coordinator(client)
    trainer = await make_staff(Role.trainer)
    kita = await make_kita("KiTa Wiese")
    page = f"/staff/accounts/{trainer.id}"
    missing = await post_form(client, page, page, {"role": "partner", "kita": ""})
    assert missing.status_code == 422
    assert 'id="kita-error"' in missing.text
    assert (await staff_accounts.staff_by_id(trainer.id)).role is Role.trainer  # type: ignore[union-attr]
    saved = await post_form(client, page, page, {"role": "partner", "kita": str(kita)})
    assert saved.status_code == 303 and saved.headers["location"] == f"{page}?done=account-role"
    shown = await client.get(saved.headers["location"])
    assert "Gespeichert." in shown.text and "KiTa Wiese" in shown.text
    after = await staff_accounts.staff_by_id(trainer.id)
    assert after is not None and after.role is Role.partner and after.kita_id == kita
    assert await _audit("account.role_changed") == [{"actor": coordinator, "object_id": trainer.id}]
    # a coordinator made of the partner reaches the back office, and loses its KiTa
    await post_form(client, page, page, {"role": "coordinator", "kita": ""})
    row = await Account.select(Account.admin, Account.kita).where(Account.id == trainer.id).first()
    assert row == {"admin": True, "kita": None}


async def test_coordinator_cannot_give_up_their_own_role_or_deactivate_themselves(
    client: httpx.AsyncClient,
) -> None:
    me = await _coordinator(client)
    page = f"/staff/accounts/{me}"
    demoted = await post_form(client, page, page, {"role": "trainer", "kita": ""})
    assert demoted.status_code == 409
    assert "Ihre eigene Rolle als Koordination" in demoted.text
    assert 'id="role-error"' in demoted.text
    english = await post_form(client, page, f"{page}?lang=en", {"role": "trainer", "kita": ""})
    assert "You cannot give up your own coordinator role." in english.text
    # refused already at the question, and when confirmed anyway
    for data in ({}, {"confirmed": "yes"}):
        deactivated = await post_form(client, page, f"{page}/deactivate?lang=de", data)
        assert deactivated.status_code == 409
        assert "Ihr eigenes Konto" in deactivated.text
        assert "Bitte bestätigen" not in deactivated.text
    staff = await staff_accounts.staff_by_id(me)
    assert staff is not None and staff.role is Role.coordinator
    assert await AuditEvent.count().where(AuditEvent.object_type == "account") == 1  # created


async def test_deactivation_asks_once_then_signs_the_person_out_everywhere(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    coordinator = await _coordinator(client)
    trainer = await make_staff(Role.trainer, name="Tom Trainer")
    token = await staff_accounts.create_api_token(
        account_id=trainer.id, name="script", now=FROZEN_NOW
    )
    async with app_client(app) as theirs:
        await sign_in(theirs, trainer.email)
        assert (await theirs.get("/staff/")).status_code == 200
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await theirs.get("/api/v1/kitas", headers=bearer)).status_code == 200

        detail = await client.get(f"/staff/accounts/{trainer.id}")
        assert f'action="/staff/accounts/{trainer.id}/deactivate"' in detail.text
        # the button only asks: what will happen, nothing done yet
        ask = await post_form(
            client, f"/staff/accounts/{trainer.id}", f"/staff/accounts/{trainer.id}/deactivate", {}
        )
        assert ask.status_code == 200
        assert "Bitte bestätigen" in ask.text
        assert "Das Konto von Tom Trainer deaktivieren?" in ask.text
        assert "sofort abgemeldet" in ask.text and "API-Tokens" in ask.text
        assert 'name="confirmed" value="yes"' in ask.text
        assert f'href="/staff/accounts/{trainer.id}"' in ask.text  # the way back
        assert (await theirs.get("/staff/")).status_code == 200
        assert await _audit("account.deactivated") == []

        done = await post_form(
            client,
            f"/staff/accounts/{trainer.id}",
            f"/staff/accounts/{trainer.id}/deactivate",
            {"confirmed": "yes"},
        )
        assert done.headers["location"] == f"/staff/accounts/{trainer.id}?done=account-deactivated"
        assert "ist deaktiviert und abgemeldet" in (await client.get(done.headers["location"])).text
        assert await _audit("account.deactivated") == [
            {"actor": coordinator, "object_id": trainer.id}
        ]

        # the next request of the deactivated person: no session, no token
        home = await theirs.get("/staff/")
        assert home.status_code == 303 and home.headers["location"].startswith("/staff/login")
        assert (await theirs.get("/api/v1/kitas", headers=bearer)).status_code == 401
        theirs.cookies.clear()
        wrong = await post_form(
            theirs, "/staff/login", "/staff/login", {"email": trainer.email, "password": PASSWORD}
        )
        assert wrong.status_code == 401

        back = await post_form(
            client,
            f"/staff/accounts/{trainer.id}",
            f"/staff/accounts/{trainer.id}/reactivate",
            {},
        )
        assert back.headers["location"] == f"/staff/accounts/{trainer.id}?done=account-reactivated"
        await sign_in(theirs, trainer.email)
        assert (await theirs.get("/staff/")).status_code == 200
        # the API token stays revoked: a script of a reactivated person needs a new one
        assert (await theirs.get("/api/v1/kitas", headers=bearer)).status_code == 401
    revoked = await ApiToken.select(ApiToken.revoked_at).first()
    assert revoked is not None and revoked["revoked_at"] is not None


async def test_unknown_account_is_a_clear_404(client: httpx.AsyncClient) -> None:
    await _coordinator(client)
    missing = await client.get("/staff/accounts/999999")
    assert missing.status_code == 404
    assert "Es gibt kein Konto mit der Nummer 999999." in missing.text or "999999" in missing.text


def test_the_account_routes_have_their_role_rules(app: Litestar) -> None:
    rules: dict[str, set[str]] = {}
    for route in app.routes:
        if not route.path.startswith(("/staff/accounts", "/staff/password")):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.handler_name == "options_handler":
                continue
            guards = {
                guard.__name__ for layer in handler.ownership_layers for guard in layer.guards or []
            }
            if handler.opt.get("access") == "public":
                guards.add("public")
            rules.setdefault(route.path, set()).update(guards)
    assert rules == {
        "/staff/accounts": {"requires_coordinator"},
        "/staff/accounts/{account_id:int}": {"requires_coordinator"},
        "/staff/accounts/{account_id:int}/deactivate": {"requires_coordinator"},
        "/staff/accounts/{account_id:int}/reactivate": {"requires_coordinator"},
        "/staff/accounts/{account_id:int}/invitation": {"requires_coordinator"},
        "/staff/password": {"requires_staff"},
        "/staff/password/forgot": {"public"},
        "/staff/password/set": {"public"},
    }


async def test_every_account_page_speaks_german_and_english(client: httpx.AsyncClient) -> None:
    me = await _coordinator(client)
    other = await make_staff(Role.trainer)
    pages = {
        "/staff/accounts": ("Zugänge der Mitarbeitenden", "Staff accounts"),
        f"/staff/accounts/{other.id}": ("Rolle und KiTa", "Role and KiTa"),
        "/staff/password": ("Aktuelles Passwort", "Current password"),
        "/staff/password/forgot": ("Passwort vergessen?", "Forgot your password?"),
        "/staff/password/set?token=" + "x" * 43: (
            "Dieser Link funktioniert nicht",
            "This link does not work",
        ),
    }
    for path, (german, english) in pages.items():
        separator = "&" if "?" in path else "?"
        de = await client.get(f"{path}{separator}lang=de")
        assert '<html lang="de" dir="ltr">' in de.text and german in de.text, path
        en = await client.get(f"{path}{separator}lang=en")
        assert '<html lang="en" dir="ltr">' in en.text and english in en.text, path
    own = await client.get(f"/staff/accounts/{me}?lang=en")
    assert "This is your own account" in own.text
    assert f"/staff/accounts/{me}/deactivate" not in own.text
