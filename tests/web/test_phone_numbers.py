"""Phone numbers over HTTP: the public API, the families API and the staff pages all store
one international form (E.164, German numbers by default) and refuse numbers that cannot
exist, naming the field in the page's language and storing nothing."""

from __future__ import annotations

import httpx
import pytest

from programmes.domain.accounts import staff_accounts
from programmes.tables import Family, Guardian, Outbox, Person, Registration
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_public_run, make_rucksack_group, make_staff
from tests.web.helpers import post_form, sign_in

GOOD = [
    ("0151 23456789", "+4915123456789"),
    ("+49 (0)151 2345-6789", "+4915123456789"),
    ("٠١٥١ ٢٣٤٥٦٧٨٩", "+4915123456789"),
    ("02366 / 12 34", "+4923661234"),
]
BAD = ["1" * 40, "0151 ABC", "0157 111", "+49 0"]


async def partner_token(kita: int) -> dict[str, str]:
    partner = await make_staff(Role.partner, kita_id=kita)
    token = await staff_accounts.create_api_token(account_id=partner.id, name="t", now=FROZEN_NOW)
    return {"authorization": f"Bearer {token}"}


def family(phone: str, name: str = "Dilan Aydın") -> dict[str, object]:
    return {
        "guardians": [{"name": name, "phone": phone}],
        "children": [{"first_name": "Rojin", "date_of_birth": "2021-05-05"}],
        "consent_method": "verbal",
        "consent_given_on": "2026-11-20",
    }


async def nothing_stored() -> bool:
    return (
        await Person.count() == 0
        and await Family.count() == 0
        and await Registration.count() == 0
        and await Outbox.count() == 0
    )


@pytest.mark.parametrize(("typed", "stored"), GOOD)
async def test_the_public_api_stores_one_international_form(
    client: httpx.AsyncClient, typed: str, stored: str
) -> None:
    cohort = await make_public_run(capacity=5)
    response = await client.post(
        f"/api/v1/events/{cohort}/registrations",
        json={"name": "Hatice Kaya", "email": "h@example.org", "phone": typed, "consent": True},
    )
    assert response.status_code == 201, response.text
    assert [p["phone"] for p in await Person.select(Person.phone)] == [stored]


@pytest.mark.parametrize("typed", BAD)
async def test_the_public_api_refuses_a_number_that_cannot_exist(
    client: httpx.AsyncClient, typed: str
) -> None:
    cohort = await make_public_run(capacity=5)
    body = {"name": "Hatice Kaya", "email": "h@example.org", "phone": typed, "consent": True}
    german = await client.post(f"/api/v1/events/{cohort}/registrations", json=body)
    assert german.status_code == 422, german.text
    assert german.json()["field"] == "phone"
    assert "Telefonnummer" in german.json()["detail"]
    english = await client.post(f"/api/v1/events/{cohort}/registrations?lang=en", json=body)
    assert english.status_code == 422
    assert "phone number" in english.json()["detail"]
    assert await nothing_stored()


async def test_the_families_api_stores_and_refuses_alike(client: httpx.AsyncClient) -> None:
    kita, cohort = await make_rucksack_group()
    auth = await partner_token(kita)
    for n, typed in enumerate(BAD):
        refused = await client.post(
            f"/api/v1/cohorts/{cohort}/families",
            json={"family": family(typed), "form_key": f"bad{n}"},
            headers=auth,
        )
        assert refused.status_code == 422, (typed, refused.text)
        assert refused.json()["field"] == "guardians[0].phone"
    assert await nothing_stored()
    enrolled = await client.post(
        f"/api/v1/cohorts/{cohort}/families",
        json={"family": family("+49 (0)157 1234 5678"), "form_key": "good"},
        headers=auth,
    )
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["guardians"][0]["phone"] == "+4915712345678"
    corrected = await client.put(
        f"/api/v1/families/{enrolled.json()['id']}", json=family("0157 ABC"), headers=auth
    )
    assert corrected.status_code == 422
    assert corrected.json()["field"] == "guardians[0].phone"
    assert [g["phone"] for g in await Guardian.select(Guardian.phone)] == ["+4915712345678"]


async def test_the_staff_family_form_refuses_in_the_pages_language(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/cohorts/{cohort}/families"
    form = {
        "g0_name": "Dilan Aydın",
        "g0_phone": "1" * 40,
        "c0_first_name": "Rojin",
        "c0_date_of_birth": "2021-05-05",
        "consent_method": "verbal",
        "consent_given_on": "2026-11-20",
        "language": "de",
        "form_key": "k",
    }
    german = await post_form(client, page, page, form)
    assert german.status_code == 422
    assert "Das ist keine gültige Telefonnummer" in german.text
    assert "1" * 40 in german.text  # the entered values are kept
    english = await post_form(client, page + "?lang=en", page, form)
    assert english.status_code == 422
    assert "This is not a valid phone number" in english.text
    assert await nothing_stored()
    saved = await post_form(client, page, page, {**form, "g0_phone": "۰۱۵۷ ۱۲۳۴ ۵۶۷۸"})
    assert saved.status_code == 303, saved.text[:2000]
    assert [g["phone"] for g in await Guardian.select(Guardian.phone)] == ["+4915712345678"]


async def test_the_coordinators_registration_form_refuses_and_stores_alike(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=5)
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{cohort}/registrations"
    person = {"name": "Jana Becker", "email": "jana@example.org", "consent": "on"}
    refused = await post_form(
        client, page, page, {**person, "phone": "0170 555", "consent_method": "paper"}
    )
    assert refused.status_code == 422
    assert "keine gültige Telefonnummer" in refused.text
    assert await nothing_stored()
    saved = await post_form(
        client, page, page, {**person, "phone": "0170 5550001", "consent_method": "paper"}
    )
    assert saved.status_code == 303
    assert [p["phone"] for p in await Person.select(Person.phone)] == ["+491705550001"]


async def test_the_public_form_refuses_and_stores_alike(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run(capacity=5)
    page, action = f"/events/{cohort}", f"/events/{cohort}/register"
    form = {"name": "Hatice Kaya", "email": "h@example.org", "consent": "on"}
    refused = await post_form(client, page, action, {**form, "phone": "1" * 40})
    assert refused.status_code == 422
    assert "keine gültige Telefonnummer" in refused.text
    assert await nothing_stored()
    saved = await post_form(client, page, action, {**form, "phone": "+49 (0)2366 1234"})
    assert saved.status_code == 200, saved.text[:2000]
    assert [p["phone"] for p in await Person.select(Person.phone)] == ["+4923661234"]
