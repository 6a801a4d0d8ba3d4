"""Export and erasure over HTTP: coordinators only, password asked again, clear errors
naming the field, nothing erased on a refusal."""

from __future__ import annotations

import json

import httpx

from programmes.domain.accounts import staff_accounts
from programmes.tables import Cohort, ErasureRequest, Guardian, Outbox, Person, Registration
from programmes.vocabulary import RegistrationStatus, Role
from tests.conftest import FROZEN_NOW
from tests.factories import (
    PASSWORD,
    make_family_registration,
    make_person_registration,
    make_public_run,
    make_rucksack_group,
    make_staff,
)
from tests.web.helpers import post_form, sign_in


async def family_of(name: str) -> tuple[int, int]:
    kita, cohort = await make_rucksack_group()
    await make_family_registration(cohort, kita, (name,))
    row = await Guardian.select(Guardian.family).where(Guardian.name == name).first()
    assert row is not None
    return kita, int(row["family"])


async def test_coordinator_exports_a_family_as_a_page_and_as_json(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    _, family = await family_of("Zeynep Yılmaz")
    await sign_in(client, coordinator.email)
    page = f"/staff/privacy/families/{family}"
    shown = await post_form(client, page, page + "/export", {"password": PASSWORD})
    assert shown.status_code == 200
    assert "Zeynep Yılmaz" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    download = await post_form(
        client, page, page + "/export", {"password": PASSWORD, "format": "json"}
    )
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert json.loads(download.text)["guardians"][0]["name"] == "Zeynep Yılmaz"


async def test_a_wrong_password_or_no_tick_erases_nothing(client: httpx.AsyncClient) -> None:
    coordinator = await make_staff(Role.coordinator)
    _, family = await family_of("Zeynep Yılmaz")
    await sign_in(client, coordinator.email)
    page = f"/staff/privacy/families/{family}"
    wrong = await post_form(
        client, page, page + "/erase", {"password": "not the password", "confirm": "1"}
    )
    assert wrong.status_code == 422
    assert "Das Passwort ist nicht richtig." in wrong.text
    unticked = await post_form(client, page, page + "/erase", {"password": PASSWORD})
    assert unticked.status_code == 422
    assert 'id="confirm-error"' in unticked.text
    assert await Guardian.count().where(Guardian.name == "Zeynep Yılmaz") == 1

    erased = await post_form(client, page, page + "/erase", {"password": PASSWORD, "confirm": "1"})
    assert erased.status_code == 303
    assert await Guardian.count().where(Guardian.name == "Zeynep Yılmaz") == 0
    assert "Die personenbezogenen Daten wurden gelöscht" in (await client.get(page)).text


async def test_partners_trainers_and_the_public_cannot_reach_it(
    client: httpx.AsyncClient,
) -> None:
    kita, family = await family_of("Zeynep Yılmaz")
    page = f"/staff/privacy/families/{family}"
    assert (await client.get(page)).status_code in (302, 303, 401)
    for role, kita_id in ((Role.partner, kita), (Role.trainer, None)):
        staff = await make_staff(role, kita_id=kita_id)
        client.cookies.clear()
        await sign_in(client, staff.email)
        assert (await client.get(page)).status_code == 403
    api = await client.post(f"/api/v1/privacy/families/{family}/erase", json={"password": PASSWORD})
    assert api.status_code in (401, 403)
    assert await Guardian.count().where(Guardian.name == "Zeynep Yılmaz") == 1


async def test_the_api_erases_a_person_with_the_password_again(client: httpx.AsyncClient) -> None:
    coordinator = await make_staff(Role.coordinator)
    run = await make_public_run()
    await make_person_registration(run, "Dilan Aksoy")
    row = await Person.select(Person.id).where(Person.name == "Dilan Aksoy").first()
    assert row is not None
    token = await staff_accounts.create_api_token(
        account_id=coordinator.id, name="privacy", now=FROZEN_NOW
    )
    headers = {"authorization": f"Bearer {token}"}
    url = f"/api/v1/privacy/people/{row['id']}"
    refused = await client.post(url + "/erase", json={"password": "wrong"}, headers=headers)
    assert refused.status_code == 422
    assert "password" in refused.text
    unknown = await client.post(
        "/api/v1/privacy/people/999999/erase", json={"password": PASSWORD}, headers=headers
    )
    assert unknown.status_code == 404
    bad_kind = await client.post(
        f"/api/v1/privacy/kitas/{row['id']}/erase", json={"password": PASSWORD}, headers=headers
    )
    assert bad_kind.status_code in (400, 404)
    exported = await client.post(url + "/export", json={"password": PASSWORD}, headers=headers)
    assert exported.status_code == 200 and exported.json()["name"] == "Dilan Aksoy"
    assert await Person.count().where(Person.name == "Dilan Aksoy") == 1
    erased = await client.post(url + "/erase", json={"password": PASSWORD}, headers=headers)
    assert erased.status_code == 200
    assert erased.json() == {"kind": "person", "id": row["id"], "erased": True}
    assert await Person.count().where(Person.name == "Dilan Aksoy") == 0


async def test_a_partner_records_a_withdrawn_consent_in_one_step(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group(capacity=1)
    await make_family_registration(cohort, kita, ("Zeynep Yılmaz",))
    await Cohort.update({Cohort.seats_taken: 1}).where(Cohort.id == cohort)  # the factory's seat
    await make_family_registration(
        cohort, kita, ("Next Family",), status=RegistrationStatus.waiting
    )
    row = await Guardian.select(Guardian.family).where(Guardian.name == "Zeynep Yılmaz").first()
    assert row is not None
    family = int(row["family"])
    await Guardian.update({Guardian.email: "zeynep@example.org"}).where(Guardian.family == family)
    await Outbox.insert(
        Outbox(message_id="<unsent@x>", to_address="zeynep@example.org", subject="s", body_text="b")
    )
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/families/{family}"
    done = await post_form(client, page, page + "/consent/withdraw", {"confirmed": "yes"})
    assert done.status_code == 303
    assert "Einwilligung" in (await client.get(done.headers["location"])).text

    registrations = await Registration.select(
        Registration.family, Registration.status, Registration.consent_withdrawn_at
    ).order_by(Registration.id)
    assert registrations[0]["status"] == "cancelled"
    assert registrations[0]["consent_withdrawn_at"] is not None
    assert registrations[1]["status"] == "confirmed"  # the place went to the next family
    unsent = await Outbox.select(Outbox.to_address, Outbox.failed_at).where(
        Outbox.message_id == "<unsent@x>"
    )
    assert unsent[0]["to_address"] == "" and unsent[0]["failed_at"] is not None
    assert await ErasureRequest.count().where(ErasureRequest.done_at.is_null()) == 1

    # a partner of another KiTa cannot, and the partner cannot erase
    other = await make_staff(Role.partner, kita_id=(await make_rucksack_group())[0])
    client.cookies.clear()
    await sign_in(client, other.email)
    assert (await client.get(page)).status_code == 404
    client.cookies.clear()
    await sign_in(client, partner.email)
    assert (await client.get(f"/staff/privacy/families/{family}")).status_code == 403

    coordinator = await make_staff(Role.coordinator)
    client.cookies.clear()
    await sign_in(client, coordinator.email)
    listed = await client.get("/staff/privacy/requests")
    assert f"/staff/privacy/families/{family}" in listed.text
    erased = await post_form(
        client,
        f"/staff/privacy/families/{family}",
        f"/staff/privacy/families/{family}/erase",
        {"password": PASSWORD, "confirm": "1"},
    )
    assert erased.status_code == 303
    assert await ErasureRequest.count().where(ErasureRequest.done_at.is_null()) == 0
    assert "Keine offenen" in (await client.get("/staff/privacy/requests")).text


async def test_a_partner_files_an_erasure_request_once(client: httpx.AsyncClient) -> None:
    kita, family = await family_of("Zeynep Yılmaz")
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/families/{family}"
    for _ in range(2):
        filed = await post_form(client, page, page + "/erasure-request", {})
        assert filed.status_code == 303
    assert await ErasureRequest.count() == 1
    assert await Guardian.count().where(Guardian.name == "Zeynep Yılmaz") == 1
