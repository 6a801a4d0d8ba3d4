"""A coordinator plans a Rucksack year through the staff pages; others only read."""

from __future__ import annotations

import re
from datetime import date

import httpx

from programmes.tables import Cohort, Kita, Programme, Session
from programmes.vocabulary import ProgrammeKind, Role
from tests.factories import make_cohort, make_kita, make_programme, make_staff
from tests.web.helpers import post_form, sign_in


def location_id(response: httpx.Response, prefix: str) -> int:
    assert response.status_code == 303, response.text[:2000]
    match = re.match(rf"{prefix}(\d+)(\?done=[a-z-]+)?$", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


async def test_coordinator_plans_a_year_through_the_pages(client: httpx.AsyncClient) -> None:
    coordinator = await make_staff(Role.coordinator)
    trainer = await make_staff(Role.trainer, name="Tara Trainerin")
    await sign_in(client, coordinator.email)

    kita_id = location_id(
        await post_form(
            client,
            "/staff/kitas",
            "/staff/kitas",
            {"name": "KiTa Pusteblume", "address": "Am Bach 2"},
        ),
        "/staff/kitas/",
    )
    programme_id = location_id(
        await post_form(
            client,
            "/staff/programmes",
            "/staff/programmes",
            {
                "kind": "rucksack",
                "title": "Rucksack KiTa",
                "min_age_years": "4",
                "max_age_years": "6",
                "certificate_threshold_percent": "75",
                "themes": "",
            },
        ),
        "/staff/programmes/",
    )
    cohort_id = location_id(
        await post_form(
            client,
            f"/staff/cohorts/new?programme_id={programme_id}",
            f"/staff/cohorts/new?programme_id={programme_id}",
            {
                "title": "Rucksack Pusteblume",
                "kita_id": str(kita_id),
                "language": "Arabisch",
                "location": "Elterncafé",
                "capacity": "12",
                "max_seats_per_registration": "1",
                "trainer_ids": str(trainer.id),
            },
        ),
        "/staff/cohorts/",
    )
    page = await client.get(f"/staff/cohorts/{cohort_id}")
    assert "Tara Trainerin" in page.text and "Pusteblume" in page.text

    rule = {
        "weekdays": "3",
        "start_time": "17:00",
        "duration_minutes": "90",
        "first_day": "2027-04-29",
        "count": "8",
        "every_weeks": "1",
    }
    preview = await post_form(
        client,
        f"/staff/cohorts/{cohort_id}",
        f"/staff/cohorts/{cohort_id}/schedule",
        {**rule, "step": "preview"},
    )
    assert preview.status_code == 200, preview.text
    assert "Christi Himmelfahrt" in preview.text and "Fronleichnam" in preview.text
    assert "Vorschau: noch nichts gespeichert" in preview.text
    assert await Session.count() == 0
    saved = await post_form(
        client,
        f"/staff/cohorts/{cohort_id}",
        f"/staff/cohorts/{cohort_id}/schedule",
        {**rule, "step": "save"},
    )
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        f"/staff/cohorts/{cohort_id}?done=schedule-saved",
    )
    assert await Session.count() == 8
    shown = await client.get(saved.headers["location"])
    assert "Die Termine sind gespeichert" in shown.text

    session = await Session.select(Session.id).order_by(Session.starts_at).first()
    assert session is not None
    moved = await post_form(
        client,
        f"/staff/sessions/{session['id']}",
        f"/staff/sessions/{session['id']}/move",
        {
            "day": "2027-04-30",
            "start_time": "16:00",
            "end_time": "17:30",
            "location": "Turnhalle",
            "confirmed": "yes",
        },
    )
    assert moved.status_code == 303
    detail = await client.get(f"/staff/sessions/{session['id']}")
    assert "16:00" in detail.text and "Turnhalle" in detail.text
    page = await client.get(f"/staff/sessions/{session['id']}")
    assert 'name="public_note"' in page.text
    refused = await post_form(
        client,
        f"/staff/sessions/{session['id']}",
        f"/staff/sessions/{session['id']}/cancel",
        {"reason": "Krankheit", "public_note": "y" * 2000},
    )
    assert refused.status_code == 422
    assert "Bitte höchstens 300 Zeichen." in refused.text
    assert 'href="#public_note"' in refused.text or 'id="public_note"' in refused.text
    cancelled = await post_form(
        client,
        f"/staff/sessions/{session['id']}",
        f"/staff/sessions/{session['id']}/cancel",
        {"reason": "Krankheit", "public_note": "Ein Ersatztermin folgt.", "confirmed": "yes"},
    )
    assert cancelled.status_code == 303
    row = (
        await Session.select(Session.status, Session.sequence, Session.public_cancel_note)
        .where(Session.id == session["id"])
        .first()
    )
    assert row == {
        "status": "cancelled",
        "sequence": 2,
        "public_cancel_note": "Ein Ersatztermin folgt.",
    }
    detail = await client.get(f"/staff/sessions/{session['id']}")
    assert "Krankheit" in detail.text and "Ein Ersatztermin folgt." in detail.text


async def test_a_bad_rule_on_the_page_shows_the_error_and_keeps_the_input(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    kita = await make_kita()
    cohort_id = await make_cohort(
        await make_programme(ProgrammeKind.rucksack, is_public=False), kita_id=kita
    )
    await sign_in(client, coordinator.email)
    response = await post_form(
        client,
        f"/staff/cohorts/{cohort_id}",
        f"/staff/cohorts/{cohort_id}/schedule",
        {
            "weekdays": "6",
            "start_time": "02:30",
            "duration_minutes": "60",
            "first_day": "2027-03-28",
            "count": "2",
            "step": "save",
        },
    )
    assert response.status_code == 422
    assert "gibt es am 2027-03-28" in response.text  # the German message names the day
    assert 'value="02:30"' in response.text
    assert await Session.count() == 0


async def test_partner_reads_own_cohort_without_forms_and_not_others(
    client: httpx.AsyncClient,
) -> None:
    kita = await make_kita("Eigene KiTa")
    other = await make_kita("Fremde KiTa")
    programme = await make_programme(ProgrammeKind.rucksack, is_public=False)
    own = await make_cohort(programme, kita_id=kita)
    foreign = await make_cohort(programme, kita_id=other)
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    mine = await client.get(f"/staff/cohorts/{own}")
    assert mine.status_code == 200
    assert "/schedule" not in mine.text and "Archivieren" not in mine.text
    assert (await client.get(f"/staff/cohorts/{foreign}")).status_code == 404
    assert (await client.get(f"/staff/kitas/{other}")).status_code == 404
    refused = await post_form(
        client,
        f"/staff/cohorts/{own}",
        f"/staff/cohorts/{own}/schedule",
        {
            "weekdays": "1",
            "start_time": "09:00",
            "duration_minutes": "60",
            "first_day": date(2027, 1, 5).isoformat(),
            "count": "2",
            "step": "save",
        },
    )
    assert refused.status_code == 403
    assert await Session.count() == 0
    listing = await client.get("/staff/cohorts")
    assert "Fremde" not in listing.text


async def test_every_staff_page_renders_for_every_role(client: httpx.AsyncClient) -> None:
    kita = await make_kita()
    programme = await make_programme(ProgrammeKind.rucksack, is_public=False)
    trainer = await make_staff(Role.trainer)
    cohort = await make_cohort(programme, kita_id=kita, trainer_ids=(trainer.id,))
    partner = await make_staff(Role.partner, kita_id=kita)
    coordinator = await make_staff(Role.coordinator)
    for staff in (coordinator, partner, trainer):
        client.cookies.clear()
        await sign_in(client, staff.email)
        for path in (
            "/staff/",
            "/staff/kitas",
            f"/staff/kitas/{kita}",
            "/staff/programmes",
            f"/staff/programmes/{programme}",
            "/staff/cohorts",
            f"/staff/cohorts/{cohort}",
        ):
            response = await client.get(path)
            assert response.status_code == 200, (staff.role, path, response.text[:500])
    assert await Kita.count() == 1 and await Programme.count() == 1 and await Cohort.count() == 1


async def test_a_rule_without_weekdays_shows_the_error_on_the_page(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    cohort_id = await make_cohort(await make_programme(ProgrammeKind.rucksack, is_public=False))
    await sign_in(client, coordinator.email)
    response = await post_form(
        client,
        f"/staff/cohorts/{cohort_id}",
        f"/staff/cohorts/{cohort_id}/schedule",
        {"start_time": "09:00", "duration_minutes": "60", "first_day": "2027-01-05", "count": "2"},
    )
    assert response.status_code == 422
    assert "mindestens einen Wochentag" in response.text
    assert 'value="09:00"' in response.text
    assert await Session.count() == 0


async def test_coordinator_edits_a_cohort_on_its_form(client: httpx.AsyncClient) -> None:
    coordinator = await make_staff(Role.coordinator)
    trainer = await make_staff(Role.trainer, name="Tara Trainerin")
    kita = await make_kita("KiTa Regenbogen")
    cohort_id = await make_cohort(
        await make_programme(ProgrammeKind.rucksack, is_public=False),
        kita_id=kita,
        trainer_ids=(trainer.id,),
    )
    await sign_in(client, coordinator.email)
    edit = f"/staff/cohorts/{cohort_id}/edit"
    form = await client.get(edit)
    assert form.status_code == 200, form.text[:2000]
    assert "Gruppe bearbeiten" in form.text
    assert f'action="{edit}"' in form.text
    assert f'name="trainer_ids" value="{trainer.id}" checked' in form.text

    fields = {
        "title": "Rucksack Regenbogen",
        "kita_id": str(kita),
        "language": "Türkisch",
        "location": "Elterncafé",
        "capacity": "10",
        "max_seats_per_registration": "1",
        "trainer_ids": str(trainer.id),
    }
    refused = await post_form(client, edit, edit, {**fields, "capacity": "viele"})
    assert refused.status_code == 422
    assert "Bitte eine ganze Zahl eingeben." in refused.text
    assert f'action="{edit}"' in refused.text and 'value="Rucksack Regenbogen"' in refused.text
    unchanged = await Cohort.select(Cohort.title).where(Cohort.id == cohort_id).first()
    assert unchanged is not None and unchanged["title"] != "Rucksack Regenbogen"

    saved = await post_form(client, edit, edit, fields)
    assert saved.status_code == 303, saved.text[:2000]
    assert saved.headers["location"] == f"/staff/cohorts/{cohort_id}?done=cohort-saved"
    row = await Cohort.select(Cohort.title, Cohort.language).where(Cohort.id == cohort_id).first()
    assert row == {"title": "Rucksack Regenbogen", "language": "Türkisch"}
