"""The language of our mails, wherever it is stored (a public registration, a registration on
someone's behalf, a family), is one of the offered codes: anything else is refused naming
the field, in the page's language, and nothing is stored. A page's `?lang=` only picks how
the page is shown and still falls back to German."""

from __future__ import annotations

import httpx
import pytest

from programmes.domain.accounts import staff_accounts
from programmes.domain.errors import InvalidInput
from programmes.domain.text import clean_language
from programmes.i18n import LANGUAGES
from programmes.tables import Family, Outbox, Person, Registration
from programmes.vocabulary import Language, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_public_run, make_rucksack_group, make_staff
from tests.web.helpers import post_form, sign_in

UNKNOWN = ["xx", "fr", "english", "deutsch", "d", "de\x00", "en\x1b[0m", "de\nBcc: x", " ", ""]


def test_the_offered_languages_have_one_definition() -> None:
    assert LANGUAGES == tuple(language.value for language in Language) == ("de", "en", "tr", "ar")


@pytest.mark.parametrize(("typed", "stored"), [("de", "de"), ("EN", "en"), (" en ", "en")])
def test_an_offered_code_is_stored_in_lower_case(typed: str, stored: str) -> None:
    assert clean_language(typed, field="language") == stored


@pytest.mark.parametrize("typed", UNKNOWN)
def test_anything_else_is_refused_not_read_as_german(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_language(typed, field="language")
    assert refused.value.field == "language"


async def nothing_stored() -> bool:
    return (
        await Person.count() == 0
        and await Family.count() == 0
        and await Registration.count() == 0
        and await Outbox.count() == 0
    )


async def test_the_public_api_refuses_an_unknown_language(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run(capacity=5)
    body = {"name": "Sam Taylor", "email": "sam@example.org", "consent": True}
    for typed in ("xx", "english", "en\x00", "fa"):
        refused = await client.post(
            f"/api/v1/events/{cohort}/registrations", json={**body, "language": typed}
        )
        assert refused.status_code == 422, (typed, refused.text)
        assert refused.json()["field"] == "language"
    german = await client.post(
        f"/api/v1/events/{cohort}/registrations", json={**body, "language": "fr"}
    )
    assert "Unbekannte Sprache für unsere E-Mails" in german.json()["detail"]
    assert "de (Deutsch), en (English)" in german.json()["detail"]
    english = await client.post(
        f"/api/v1/events/{cohort}/registrations?lang=en", json={**body, "language": "fr"}
    )
    assert "Unknown language for our e-mails" in english.json()["detail"]
    assert await nothing_stored()
    saved = await client.post(
        f"/api/v1/events/{cohort}/registrations", json={**body, "language": "EN"}
    )
    assert saved.status_code == 201, saved.text
    assert [p["language"] for p in await Person.select(Person.language)] == ["en"]
    assert [r["language"] for r in await Registration.select(Registration.language)] == ["en"]


async def test_the_public_form_refuses_an_unknown_language(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run(capacity=5)
    form = {"name": "Sam Taylor", "email": "sam@example.org", "consent": "on", "language": "xx"}
    refused = await post_form(client, f"/events/{cohort}", f"/events/{cohort}/register", form)
    assert refused.status_code == 422
    assert "Unbekannte Sprache für unsere E-Mails" in refused.text
    assert await nothing_stored()
    # the page's own ?lang= is another thing: an unknown one shows the page in German
    page = await client.get(f"/events/{cohort}?lang=xx")
    assert page.status_code == 200 and 'lang="de"' in page.text


async def test_families_refuse_an_unknown_language_over_the_api_and_the_page(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    token = await staff_accounts.create_api_token(account_id=partner.id, name="t", now=FROZEN_NOW)
    family = {
        "guardians": [{"name": "Dilan Aydın", "reach_via_kita": True}],
        "children": [{"first_name": "Rojin", "date_of_birth": "2021-05-05"}],
        "consent_method": "verbal",
        "consent_given_on": "2026-11-20",
        "language": "fa",
    }
    refused = await client.post(
        f"/api/v1/cohorts/{cohort}/families",
        json={"family": family, "form_key": "1"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "language"
    await sign_in(client, partner.email)
    page = f"/staff/cohorts/{cohort}/families"
    form = {
        "g0_name": "Dilan Aydın",
        "g0_via_kita": "on",
        "c0_first_name": "Rojin",
        "c0_date_of_birth": "2021-05-05",
        "consent_method": "verbal",
        "consent_given_on": "2026-11-20",
        "language": "en\x07",
        "form_key": "2",
    }
    shown = await post_form(client, page + "?lang=en", page, form)
    assert shown.status_code == 422
    assert "Contains characters that are not allowed" in shown.text
    shown = await post_form(client, page + "?lang=de", page, {**form, "language": "fa"})
    assert shown.status_code == 422
    assert "Unbekannte Sprache für unsere E-Mails" in shown.text
    assert await nothing_stored()


async def test_a_registration_on_someones_behalf_refuses_an_unknown_language(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=5)
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{cohort}/registrations"
    person = {"name": "Jana Becker", "email": "jana@example.org", "consent": "on"}
    refused = await post_form(
        client, page, page, {**person, "language": "pl", "consent_method": "paper"}
    )
    assert refused.status_code == 422
    assert "Unbekannte Sprache" in refused.text
    assert await nothing_stored()


async def test_a_familys_page_keeps_its_chosen_language(client: httpx.AsyncClient) -> None:
    kita, cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/cohorts/{cohort}/families"
    form = {
        "g0_name": "Sam Taylor",
        "g0_email": "sam@example.org",
        "c0_first_name": "Rojin",
        "c0_date_of_birth": "2021-05-05",
        "consent_method": "verbal",
        "consent_given_on": "2026-11-20",
        "language": "en",
        "form_key": "1",
    }
    saved = await post_form(client, page, page, form)
    assert saved.status_code == 303, saved.text[:2000]
    shown = await client.get(saved.headers["location"])
    assert '<option value="en" lang="en" selected>' in shown.text
    assert [r["language"] for r in await Registration.select(Registration.language)] == ["en"]
