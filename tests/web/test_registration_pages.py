"""The public registers on the event page (no JavaScript needed) or through the JSON API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from programmes.app import create_app
from programmes.clock import FrozenClock
from programmes.domain.accounts import staff_accounts
from programmes.domain.mail import links
from programmes.settings import load_settings
from programmes.tables import Cohort, Outbox, Person, Programme, Registration
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW, app_client, environment_for_tests, running
from tests.factories import make_public_run, make_rucksack_group, make_staff
from tests.web.helpers import _CSRF_INPUT, csrf_token, post_form

FORM = {"name": "Jana Becker", "email": "jana@example.org", "seats": "2", "consent": "on"}


async def test_register_on_the_event_page(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run(capacity=2)
    page = await client.get(f"/events/{cohort}")
    assert page.status_code == 200
    assert "2 Plätze sind frei." in page.text
    response = await post_form(client, f"/events/{cohort}", f"/events/{cohort}/register", FORM)
    assert response.status_code == 200
    assert "Sie sind angemeldet." in response.text
    assert "2 Plätze sind für Sie reserviert." in response.text
    assert await Registration.count() == 1
    full = await post_form(
        client,
        f"/events/{cohort}",
        f"/events/{cohort}/register",
        {**FORM, "email": "second@example.org", "seats": "1"},
    )
    assert "Warteliste, auf Platz 1" in full.text


async def test_the_form_without_a_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run()
    await client.get(f"/events/{cohort}")
    response = await client.post(f"/events/{cohort}/register", data=FORM)
    assert response.status_code == 403
    assert await Registration.count() == 0


async def test_a_bad_form_shows_the_error_and_keeps_the_input(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run(max_seats=2)
    response = await post_form(
        client,
        f"/events/{cohort}",
        f"/events/{cohort}/register",
        {**FORM, "seats": "3", "name": "Jana <script>alert(1)</script>"},
    )
    assert response.status_code == 422
    assert "Sie können 1 bis 2 Plätze buchen." in response.text
    assert "Jana &lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert(1)" not in response.text
    assert await Registration.count() == 0


async def test_the_corrected_form_goes_through_with_the_error_pages_own_token(
    client: httpx.AsyncClient,
) -> None:
    """A family fixes what the error page points out and sends the form again: it must not
    be told the form has expired (the page drawn after a POST carried an empty token)."""
    cohort = await make_public_run(max_seats=2)
    wrong = await post_form(
        client, f"/events/{cohort}", f"/events/{cohort}/register", {**FORM, "seats": "3"}
    )
    assert wrong.status_code == 422
    token = _CSRF_INPUT.search(wrong.text)
    assert token and token.group(1), "the error page's form has no token"
    fixed = await client.post(
        f"/events/{cohort}/register", data={"_csrf_token": token.group(1), **FORM}
    )
    assert fixed.status_code == 200, fixed.text
    assert "Dieses Formular ist abgelaufen" not in fixed.text
    assert "Sie sind angemeldet." in fixed.text
    assert await Registration.count() == 1


async def test_json_registration_ignores_fields_the_public_may_not_set(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=1)
    body = {
        "name": "Sam Taylor",
        "email": "sam@example.org",
        "seats": 1,
        "consent": True,
        "status": "confirmed",
        "waiting_position": 0,
        "kita": 3,
        "language": "en",
    }
    first = await client.post(f"/api/v1/events/{cohort}/registrations", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "confirmed"
    second = await client.post(
        f"/api/v1/events/{cohort}/registrations", json={**body, "email": "two@example.org"}
    )
    assert second.json()["status"] == "waiting" and second.json()["waiting_position"] == 1
    again = await client.post(f"/api/v1/events/{cohort}/registrations", json=body)
    assert again.json()["already_registered"] is True
    assert again.json()["registration_id"] == first.json()["registration_id"]
    mail = await Outbox.select().order_by(Outbox.id).first()
    assert mail is not None and mail["subject"].startswith("Registration confirmed")


async def test_bad_json_names_the_field(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run()
    for body, field in (
        ({"name": "A", "email": "a@example.org", "seats": "two", "consent": True}, "seats"),
        ({"name": "A", "email": "a@example.org", "seats": 1}, "consent"),
        ({"email": "a@example.org", "consent": True}, "name"),
    ):
        response = await client.post(f"/api/v1/events/{cohort}/registrations", json=body)
        assert response.status_code in (400, 422)
        assert response.json()["errors"][0]["field"] == field
    wrong_type = await client.post(
        f"/api/v1/events/{cohort}/registrations",
        content=b"name=A",
        headers={"content-type": "text/plain"},
    )
    assert 400 <= wrong_type.status_code < 500
    huge = await client.post(
        f"/api/v1/events/{cohort}/registrations",
        content=b"{" + b" " * 300_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert await Registration.count() == 0


async def test_cancel_link_shows_then_cancels_in_one_confirmed_step(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=1)
    await post_form(
        client, f"/events/{cohort}", f"/events/{cohort}/register", {**FORM, "seats": "1"}
    )
    body = (await Outbox.select(Outbox.body_text).first())["body_text"]  # type: ignore[index]
    link = links.fill(body).split("http://testserver")[1].split()[0]  # as the mail reads
    page = await client.get(link)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert await Registration.count().where(Registration.status == "confirmed") == 1
    done = await post_form(client, link, link, {})
    assert "Ihre Anmeldung ist storniert" in done.text
    # one notice, and no stray word from the staff pages' notice slot
    assert done.text.count('role="status"') == 1
    assert ">True<" not in done.text
    assert (await client.get(link)).status_code == 404
    assert await Registration.count().where(Registration.status == "cancelled") == 1


async def test_event_pages_carry_no_personal_data(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run(capacity=5)
    await client.post(
        f"/api/v1/events/{cohort}/registrations",
        json={
            "name": "Hatice Kaya",
            "email": "hatice@example.org",
            "phone": "0170 5550001",
            "consent": True,
        },
    )
    for path in (f"/events/{cohort}", "/", f"/api/v1/events/{cohort}", "/api/v1/events"):
        text = (await client.get(path)).text
        for secret in ("Hatice", "hatice@example.org", "5550001"):
            assert secret not in text, (path, secret)
    assert await Person.count() == 1


async def test_internal_rucksack_groups_are_not_public_events(client: httpx.AsyncClient) -> None:
    _, cohort = await make_rucksack_group()
    assert (await client.get(f"/events/{cohort}")).status_code == 404
    assert (await client.get(f"/api/v1/events/{cohort}")).status_code == 404
    response = await client.post(
        f"/api/v1/events/{cohort}/registrations",
        json={"name": "A", "email": "a@example.org", "consent": True},
    )
    assert response.status_code == 404


async def test_partner_api_answers_404_for_another_kitas_families(
    client: httpx.AsyncClient,
) -> None:
    from programmes.domain.accounts import staff_accounts
    from tests.conftest import FROZEN_NOW

    kita, cohort = await make_rucksack_group()
    other_kita, other_cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    token = await staff_accounts.create_api_token(account_id=partner.id, name="t", now=FROZEN_NOW)
    auth = {"authorization": f"Bearer {token}"}
    family = {
        "guardians": [
            {"name": "Dilan Aydın", "languages": ["Kurmandschi"], "reach_via_kita": True}
        ],
        "children": [{"first_name": "Rojin", "date_of_birth": "2021-05-05"}],
        "consent_method": "verbal",
        "consent_given_on": "2026-11-20",
    }
    own = await client.post(
        f"/api/v1/cohorts/{cohort}/families", json={"family": family, "form_key": "1"}, headers=auth
    )
    assert own.status_code == 201, own.text
    foreign = await client.post(
        f"/api/v1/cohorts/{other_cohort}/families",
        json={"family": family, "form_key": "2"},
        headers=auth,
    )
    assert foreign.status_code == 404
    assert (
        await client.get(f"/api/v1/families/{own.json()['id'] + 1000}", headers=auth)
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/cohorts/{other_cohort}/families", headers=auth)
    ).status_code == 404
    del other_kita


@pytest.fixture
async def limited_client(
    database: None, database_url: str, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a registration limit of 2 per 10 minutes per address."""
    settings = load_settings(
        environment_for_tests(database_url, PROGRAMMES_REGISTRATION_LIMIT="2/10"),
        workdir=tmp_path,
    )
    app = create_app(settings, clock=clock)
    async with running(app), app_client(app, address=("203.0.113.8", 50000)) as http:
        yield http


async def test_too_many_registrations_from_one_address_are_refused_with_the_entries_kept(
    limited_client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=10)
    page, action = f"/events/{cohort}", f"/events/{cohort}/register"
    for n in range(2):
        ok = await post_form(limited_client, page, action, {**FORM, "email": f"p{n}@example.org"})
        assert ok.status_code == 200
    refused = await post_form(
        limited_client, page, action, {**FORM, "name": "Aylin Demir", "email": "aylin@example.org"}
    )
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "600"
    assert (
        "Zu viele Anmeldungen von Ihrer Verbindung. "
        "Bitte versuchen Sie es in 10 Minuten noch einmal." in refused.text
    )
    assert 'value="Aylin Demir"' in refused.text
    assert 'value="aylin@example.org"' in refused.text
    api = await limited_client.post(
        f"/api/v1/events/{cohort}/registrations?lang=en",
        json={"name": "Ben", "email": "ben@example.org", "seats": 1, "consent": True},
    )
    assert api.status_code == 429
    assert api.headers["retry-after"] == "600"
    assert api.json()["detail"] == (
        "Too many registrations from your connection. Please try again in 10 minutes."
    )
    assert await Registration.count() == 2


async def test_the_api_withdraws_consent_with_the_mailed_token(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run(capacity=1)
    response = await client.post(
        f"/api/v1/events/{cohort}/registrations",
        json={"name": "Derya Koç", "email": "derya@example.org", "consent": True},
    )
    assert response.status_code == 201
    body = (await Outbox.select(Outbox.body_text).first())["body_text"]  # type: ignore[index]
    token = links.fill(body).split("/events/cancel/")[1].split()[0]
    url = "/api/v1/events/registrations/withdraw"
    for bad in ({"token": token[:-1] + "x"}, {"token": ""}, {}):
        refused = await client.post(url, json=bad)
        assert refused.status_code in (400, 404), bad
        assert "token" in refused.text
    assert await Registration.count().where(Registration.consent_withdrawn_at.is_null()) == 1

    done = await client.post(url, json={"token": token})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert "Derya" not in done.text
    assert await Person.count().where(Person.name == "Derya Koç") == 0
    assert await Registration.count().where(Registration.consent_withdrawn_at.is_null()) == 0
    again = await client.post(url, json={"token": token})
    assert again.status_code == 404


async def test_an_empty_form_reports_every_field_at_once_by_its_label(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(max_seats=2)
    response = await post_form(
        client,
        f"/events/{cohort}",
        f"/events/{cohort}/register",
        {"name": "", "email": "", "seats": "0", "phone": "abc", "needs": "Rollstuhl"},
    )
    assert response.status_code == 422
    html = response.text
    start = html.index('<div class="notice error error-summary"')
    summary = html[start : html.index("</div>", start)]
    # one summary at the top that takes the focus, each problem linked to its field by its label
    assert 'role="alert"' in summary and 'tabindex="-1" autofocus' in summary
    for field, label, message in (
        ("name", "Name", "Bitte füllen Sie dieses Feld aus."),
        ("email", "E-Mail-Adresse", "Bitte geben Sie eine gültige E-Mail-Adresse ein"),
        ("phone", "Telefon (freiwillig)", "Eine Telefonnummer besteht nur aus Ziffern"),
        ("seats", "Anzahl der Plätze", "Sie können 1 bis 2 Plätze buchen."),
        ("consent", "Einwilligung zur Datenschutzerklärung", "Bitte stimmen Sie"),
    ):
        assert f'<a href="#{field}">{label}</a>: {message}' in summary, field
        assert f'id="{field}"' in html  # the link's target
        assert f'aria-describedby="{field}-error"' in html  # the error next to its field
        assert f'<p class="error" id="{field}-error">{message}' in html
    assert "consent:" not in html
    assert "Rollstuhl</textarea>" in html  # entries kept
    assert 'value="abc"' in html
    assert await Registration.count() == 0


async def test_the_form_works_without_script_and_lands_on_the_answer(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run()
    page = (await client.get(f"/events/{cohort}")).text
    # the answer page opens at the registration section (no script needed) ...
    assert f'action="/events/{cohort}/register#register"' in page
    assert '<h2 id="register"' in page
    response = await post_form(client, f"/events/{cohort}", f"/events/{cohort}/register", FORM)
    # ... and its confirmation takes the focus (autofocus, and a small script as a fallback)
    assert 'id="confirmation" tabindex="-1" autofocus data-focus' in response.text
    assert '<script src="/static/focus.js" defer></script>' in response.text
    assert (await client.get("/static/focus.js")).status_code == 200


async def test_a_form_sent_twice_makes_one_registration(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run(capacity=5)
    page, action = f"/events/{cohort}", f"/events/{cohort}/register"
    token = await csrf_token(client, page)
    first = await client.post(action, data={"_csrf_token": token, **FORM})
    assert "Sie sind angemeldet." in first.text
    # a double click, the back button and "send again", a reload that posts once more
    for _ in range(2):
        again = await client.post(action, data={"_csrf_token": token, **FORM})
        assert again.status_code == 200
        assert "Sie hatten sich mit dieser E-Mail-Adresse schon angemeldet" in again.text
    assert await Registration.count() == 1
    assert (await Cohort.select(Cohort.seats_taken).where(Cohort.id == cohort))[0][
        "seats_taken"
    ] == 2
    assert await Outbox.count() == 1


async def test_the_event_page_says_what_one_needs_before_deciding(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=3)
    html = (await client.get(f"/events/{cohort}")).text
    assert "Für wen" not in html and "Kosten" not in html  # not said: not shown
    await Programme.update(
        {Programme.audience: "Eltern und Fachkräfte", Programme.cost: "kostenlos"}
    ).where(Programme.id.is_in(Cohort.select(Cohort.programme).where(Cohort.id == cohort)))
    html = (await client.get(f"/events/{cohort}")).text
    assert '<dt>Für wen</dt><dd class="prewrap">Eltern und Fachkräfte</dd>' in html
    assert "<dt>Kosten</dt><dd>kostenlos</dd>" in html
    assert "Wenige Plätze (3 Plätze sind frei.)" in html
    assert "https://www.openstreetmap.org/search?query=Haus%20der%20Kulturen" in html
    assert "Deutsch" in html
    assert "Mittwoch, 9. Dezember 2026, 10:00–12:00" in html
    assert f'href="/events/{cohort}.ics" download' in html
    # what happens to the data, with the retention the job applies, and the notice
    assert "löschen sie 30 Tage nach ihrem letzten Termin" in html
    assert '<a href="/datenschutz">Datenschutzerklärung</a>' in html
    assert 'href="/impressum"' in html


async def test_the_json_api_names_every_bad_field_at_once(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run()
    response = await client.post(
        f"/api/v1/events/{cohort}/registrations?lang=en",
        json={"name": " ", "email": "nope", "seats": 1, "consent": False},
    )
    assert response.status_code == 422
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["name", "email", "consent"]
    assert body["field"] == "name"
    assert body["errors"][2]["message"] == (
        "Please agree to the privacy notice; we need it to register you."
    )
    assert await Registration.count() == 0


async def test_a_coordinator_says_whom_a_programme_is_for_and_what_it_costs(
    client: httpx.AsyncClient,
) -> None:
    staff = await make_staff(Role.coordinator)
    token = await staff_accounts.create_api_token(account_id=staff.id, name="t", now=FROZEN_NOW)
    auth = {"authorization": f"Bearer {token}"}
    body = {"kind": "training", "title": "T", "audience": "Eltern", "cost": "5 €"}
    created = await client.post("/api/v1/programmes", json=body, headers=auth)
    assert created.status_code == 201, created.text
    assert (created.json()["audience"], created.json()["cost"]) == ("Eltern", "5 €")
    too_long = await client.post(
        "/api/v1/programmes?lang=en", json={**body, "cost": "x" * 201}, headers=auth
    )
    assert too_long.status_code == 422
    assert too_long.json()["field"] == "cost"
    assert await Programme.count() == 1
