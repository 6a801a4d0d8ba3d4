"""A partner enrols, corrects and withdraws a family through the staff pages; a
coordinator manages a run's lists and capacity."""

from __future__ import annotations

import re

import httpx

from programmes.tables import Family, Registration
from programmes.vocabulary import Role
from tests.factories import make_public_run, make_rucksack_group, make_staff
from tests.web.helpers import post_form, sign_in

FAMILY = {
    "g0_name": "Олена Коваленко",
    "g0_languages": "Ukrainisch, Russisch",
    "g0_phone": "0157 12345678",
    "c0_first_name": "Sofiia",
    "c0_date_of_birth": "2021-08-01",
    "consent_method": "verbal",
    "consent_given_on": "2026-11-20",
    "language": "de",
}


async def test_partner_enrols_and_withdraws_a_family(client: httpx.AsyncClient) -> None:
    kita, cohort = await make_rucksack_group(capacity=5)
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/cohorts/{cohort}/families"
    key = re.search(r'name="form_key" value="([^"]+)"', (await client.get(page)).text)
    assert key
    response = await post_form(client, page, page, {**FAMILY, "form_key": key.group(1)})
    assert response.status_code == 303, response.text[:3000]
    again = await post_form(client, page, page, {**FAMILY, "form_key": key.group(1)})
    assert again.headers["location"] == response.headers["location"]  # double submit: one family
    assert await Family.count() == 1
    family_page = await client.get(response.headers["location"])
    assert "Олена Коваленко" in family_page.text and "Sofiia" in family_page.text
    assert "Die Familie ist angemeldet." in family_page.text
    family_url = response.headers["location"].partition("?")[0]
    withdrawn = await post_form(client, family_url, family_url + "/withdraw", {"confirmed": "yes"})
    assert withdrawn.status_code == 303
    assert await Registration.count().where(Registration.status == "cancelled") == 1


async def test_a_child_too_young_is_refused_with_its_name(client: httpx.AsyncClient) -> None:
    kita, cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/cohorts/{cohort}/families"
    response = await post_form(
        client, page, page, {**FAMILY, "c0_date_of_birth": "2023-05-01", "form_key": "k"}
    )
    assert response.status_code == 422
    assert "Sofiia wäre beim ersten Termin" in response.text
    assert "3 Jahre alt" in response.text
    assert await Family.count() == 0


async def test_another_kitas_partner_cannot_open_the_family(client: httpx.AsyncClient) -> None:
    kita, cohort = await make_rucksack_group()
    other_kita, _ = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    stranger = await make_staff(Role.partner, kita_id=other_kita)
    await sign_in(client, partner.email)
    page = f"/staff/cohorts/{cohort}/families"
    created = await post_form(client, page, page, {**FAMILY, "form_key": "z"})
    family_url = created.headers["location"].partition("?")[0]
    client.cookies.clear()
    await sign_in(client, stranger.email)
    assert (await client.get(family_url)).status_code == 404
    assert (await client.get(page)).status_code == 404
    trainer = await make_staff(Role.trainer)
    client.cookies.clear()
    await sign_in(client, trainer.email)
    assert (await client.get(family_url)).status_code == 403


async def test_coordinator_sees_and_changes_the_lists(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run(capacity=1)
    for n in (1, 2):
        await client.post(
            f"/api/v1/events/{cohort}/registrations",
            json={"name": f"Person {n}", "email": f"p{n}@example.org", "consent": True},
        )
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{cohort}/registrations"
    listing = await client.get(page)
    assert "Person 1" in listing.text and "Person 2" in listing.text
    asked = await post_form(client, page, page + "/capacity", {"capacity": "2"})
    assert asked.status_code == 200  # somebody would be mailed: asked first
    assert "1 Anmeldung von der Warteliste bekommt die Plätze und eine Mail." in asked.text
    assert await Registration.count().where(Registration.status == "confirmed") == 1
    raised = await post_form(
        client, page, page + "/capacity", {"capacity": "2", "confirmed": "yes"}
    )
    assert (raised.status_code, raised.headers["location"]) == (303, page + "?done=capacity-saved")
    assert await Registration.count().where(Registration.status == "confirmed") == 2
    unchanged = await post_form(client, page, page + "/capacity", {"capacity": "3"})
    assert unchanged.status_code == 303  # nobody is mailed: no question
    lowered = await post_form(client, page, page + "/capacity", {"capacity": "1"})
    assert lowered.status_code == 409
    assert "Warteliste" in lowered.text


async def test_a_coordinator_registering_zero_seats_is_told_not_given_one(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=5, max_seats=3)
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{cohort}/registrations"
    person = {"name": "Jana Becker", "email": "jana@example.org", "consent": "on"}
    for seats in ("0", "4"):
        refused = await post_form(
            client, page, page, {**person, "seats": seats, "consent_method": "paper"}
        )
        assert refused.status_code == 422
        assert "1 bis 3 Plätze" in refused.text
    assert await Registration.count() == 0


async def test_cancelling_and_moving_a_registration_ask_first(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run(capacity=1)
    for n in (1, 2):
        await client.post(
            f"/api/v1/events/{cohort}/registrations",
            json={"name": f"Person {n}", "email": f"p{n}@example.org", "consent": True},
        )
    first, second = [
        r["id"] for r in await Registration.select(Registration.id).order_by(Registration.id)
    ]
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{cohort}/registrations"
    await client.get(page + "?lang=en")
    asked = await post_form(client, page, f"{page}/{first}/move", {"to": "waiting", "reason": "x"})
    assert asked.status_code == 200
    assert "Move this registration to the waiting list?" in asked.text
    assert "1 registration on the waiting list gets the seats and a mail." in asked.text
    statuses = {
        r["id"]: r["status"]
        for r in await Registration.select(Registration.id, Registration.status)
    }
    assert statuses == {first: "confirmed", second: "waiting"}
    asked = await post_form(client, page, f"{page}/{first}/cancel", {"reason": "x"})
    assert "Cancel this registration?" in asked.text and "cannot be undone" in asked.text
    done = await post_form(
        client, page, f"{page}/{first}/cancel", {"reason": "x", "confirmed": "yes"}
    )
    assert done.headers["location"] == page + "?done=registration-cancelled"
    shown = await client.get(done.headers["location"])
    assert "The registration is cancelled; the person is told by mail." in shown.text
    statuses = {
        r["id"]: r["status"]
        for r in await Registration.select(Registration.id, Registration.status)
    }
    assert statuses == {first: "cancelled", second: "confirmed"}
