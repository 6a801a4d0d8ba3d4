"""A family is enrolled once per KiTa: enrolling it again (a parent or guardian of the same
name, however spelt in case and spacing, with a child born on the same day) shows the
family that exists instead of making a second, on the staff page and over the API, also
when the enrolments come at once. Another KiTa's families are never searched or shown."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from programmes.domain.access import Staff
from programmes.domain.accounts import staff_accounts
from programmes.domain.enrolment.families import match_name
from programmes.domain.privacy.erasure import erase_subject
from programmes.domain.privacy.subjects import SubjectKind
from programmes.tables import Family, Outbox, Registration
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_rucksack_group, make_staff
from tests.web.helpers import post_form, sign_in

FORM = {
    "g0_name": "Amina Haddad",
    "g0_email": "amina@example.org",
    "c0_first_name": "Yasmin",
    "c0_date_of_birth": "2021-06-01",
    "consent_method": "paper",
    "consent_given_on": "2026-11-20",
    "language": "de",
}


def family(name: str = "Amina Haddad", born: str = "2021-06-01") -> dict[str, Any]:
    return {
        "guardians": [{"name": name, "email": "amina@example.org"}],
        "children": [{"first_name": "Yasmin", "date_of_birth": born}],
        "consent_method": "paper",
        "consent_given_on": "2026-11-20",
    }


async def token_for(staff: Staff) -> dict[str, str]:
    token = await staff_accounts.create_api_token(account_id=staff.id, name="t", now=FROZEN_NOW)
    return {"authorization": f"Bearer {token}"}


def test_names_are_compared_as_people_mean_them() -> None:
    same = ["Amina Haddad", "  amina   HADDAD ", "Ａｍｉｎａ Haddad", "Amina\u00a0Haddad"]
    assert {match_name(name) for name in same} == {"amina haddad"}
    turkish = {"Ayşe Yılmaz", "AYŞE YILMAZ", "ayşe yilmaz", "Ays\u0327e Yılmaz"}
    assert {match_name(name) for name in turkish} == {"ayşe yilmaz"}
    assert match_name("İlkay Şahin") == match_name("ilkay şahin")
    assert match_name("Amina Haddad") != match_name("Amina Hadad")


async def test_three_enrolments_in_a_row_make_one_family(client: httpx.AsyncClient) -> None:
    kita, cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/cohorts/{cohort}/families"
    first = await post_form(client, page, page, {**FORM, "form_key": "a"})
    assert first.status_code == 303, first.text[:2000]
    family_url = first.headers["location"].split("?")[0]  # without the "saved" notice
    mails = await Outbox.count()
    for key, name in (("b", "  amina   HADDAD "), ("c", "Ａｍｉｎａ Haddad")):
        again = await post_form(client, page, page, {**FORM, "g0_name": name, "form_key": key})
        assert again.status_code == 409
        assert "Diese Familie ist in dieser KiTa schon angemeldet" in again.text
        assert f'href="{family_url}"' in again.text  # a link to the family that exists
        assert re.search(r'name="g0_name"[^>]*value="' + re.escape(name) + '"', again.text)
        assert 'value="Yasmin"' in again.text  # the entered values are kept
    english = await post_form(client, page + "?lang=en", page, {**FORM, "form_key": "d"})
    assert "This family is enrolled at this KiTa already" in english.text
    assert "Open the family that is enrolled already" in english.text
    assert await Family.count() == 1 and await Registration.count() == 1
    assert await Outbox.count() == mails  # nobody was told of a second enrolment


async def test_the_api_answers_409_with_the_existing_familys_id(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group()
    auth = await token_for(await make_staff(Role.partner, kita_id=kita))
    path = f"/api/v1/cohorts/{cohort}/families"
    created = await client.post(path, json={"family": family(), "form_key": "1"}, headers=auth)
    assert created.status_code == 201, created.text
    again = await client.post(
        path, json={"family": family(" AMINA haddad"), "form_key": "2"}, headers=auth
    )
    assert again.status_code == 409, again.text
    assert again.json()["family_id"] == created.json()["id"]
    assert again.json()["field"] == "guardians[0].name"
    assert "schon angemeldet" in again.json()["detail"]
    # the same form sent again is still the first enrolment, not a refusal
    retried = await client.post(path, json={"family": family(), "form_key": "1"}, headers=auth)
    assert retried.status_code == 201 and retried.json()["id"] == created.json()["id"]
    # another child's birthday or another guardian is another family
    for n, other in enumerate((family(born="2021-06-02"), family(name="Amina Haddad-Saleh"))):
        made = await client.post(path, json={"family": other, "form_key": f"o{n}"}, headers=auth)
        assert made.status_code == 201, made.text
    assert await Family.count() == 3


async def test_another_kitas_family_is_neither_found_nor_shown(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group()
    other_kita, other_cohort = await make_rucksack_group()
    own = await token_for(await make_staff(Role.partner, kita_id=kita))
    other = await token_for(await make_staff(Role.partner, kita_id=other_kita))
    created = await client.post(
        f"/api/v1/cohorts/{cohort}/families",
        json={"family": family(), "form_key": "1"},
        headers=own,
    )
    assert created.status_code == 201
    there = await client.post(
        f"/api/v1/cohorts/{other_cohort}/families",
        json={"family": family(), "form_key": "1"},
        headers=other,
    )
    assert there.status_code == 201, there.text
    assert there.json()["id"] != created.json()["id"]
    assert there.json()["kita_id"] == other_kita
    # a coordinator enrolling at the second KiTa again is sent to that KiTa's family only
    coordinator = await token_for(await make_staff(Role.coordinator))
    again = await client.post(
        f"/api/v1/cohorts/{other_cohort}/families",
        json={"family": family(), "form_key": "2"},
        headers=coordinator,
    )
    assert again.status_code == 409 and again.json()["family_id"] == there.json()["id"]
    assert await Family.count() == 2


async def test_an_erased_family_is_not_found_again(client: httpx.AsyncClient) -> None:
    kita, cohort = await make_rucksack_group()
    auth = await token_for(await make_staff(Role.partner, kita_id=kita))
    path = f"/api/v1/cohorts/{cohort}/families"
    created = await client.post(path, json={"family": family(), "form_key": "1"}, headers=auth)
    await erase_subject(
        staff=await make_staff(Role.coordinator),
        kind=SubjectKind.family,
        subject_id=created.json()["id"],
        now=FROZEN_NOW,
    )
    made = await client.post(path, json={"family": family(), "form_key": "2"}, headers=auth)
    assert made.status_code == 201, made.text


async def test_enrolments_of_one_family_at_once_make_one_family(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group()
    auth = await token_for(await make_staff(Role.partner, kita_id=kita))
    path = f"/api/v1/cohorts/{cohort}/families"
    responses = await asyncio.gather(
        *(
            client.post(path, json={"family": family(), "form_key": f"k{n}"}, headers=auth)
            for n in range(6)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
    [made] = [r.json()["id"] for r in responses if r.status_code == 201]
    assert {r.json()["family_id"] for r in responses if r.status_code == 409} == {made}
    assert await Family.count() == 1 and await Registration.count() == 1
