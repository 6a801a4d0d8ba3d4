"""Sensible defaults for the office: a new Rucksack programme starts with the 12 Rucksack
themes, publishing a run of a draft programme offers to publish the programme too, and the
report covers the current KiTa year (1 August to 31 July) unless told otherwise."""

from __future__ import annotations

import html
import re
from datetime import date

import httpx

from programmes.domain.accounts import staff_accounts
from programmes.domain.catalogue.entries import RUCKSACK_THEMES
from programmes.domain.reporting.reports import kita_year
from programmes.tables import Programme
from programmes.vocabulary import ProgrammeKind, PublicationStatus, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_cohort, make_programme, make_staff
from tests.web.helpers import post_form, sign_in


async def bearer(role: Role = Role.coordinator) -> dict[str, str]:
    staff = await make_staff(role)
    token = await staff_accounts.create_api_token(account_id=staff.id, name="t", now=FROZEN_NOW)
    return {"authorization": f"Bearer {token}"}


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


# --------------------------------------------------------------------------- themes


async def test_a_new_rucksack_programme_starts_with_the_twelve_themes(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    form = await client.get("/staff/programmes")
    assert "12 Rucksack-Themen" in text_of(form.text)

    response = await post_form(
        client,
        "/staff/programmes",
        "/staff/programmes",
        {"kind": "rucksack", "title": "Rucksack Nord", "certificate_threshold_percent": "75"},
    )
    assert response.status_code == 303, response.text[:2000]
    stored = await Programme.select(Programme.themes).where(Programme.title == "Rucksack Nord")
    assert stored[0]["themes"] == list(RUCKSACK_THEMES)
    assert len(RUCKSACK_THEMES) == 12
    detail = await client.get(response.headers["location"])
    assert "Medienerziehung" in detail.text


async def test_the_api_gives_a_new_rucksack_programme_the_themes_unless_it_names_its_own(
    client: httpx.AsyncClient,
) -> None:
    headers = await bearer()
    plain = await client.post(
        "/api/v1/programmes", json={"kind": "rucksack", "title": "R1"}, headers=headers
    )
    assert plain.status_code == 201, plain.text
    assert plain.json()["themes"] == list(RUCKSACK_THEMES)

    own = await client.post(
        "/api/v1/programmes",
        json={"kind": "rucksack", "title": "R2", "themes": ["Eigenes Thema"]},
        headers=headers,
    )
    assert own.json()["themes"] == ["Eigenes Thema"]
    training = await client.post(
        "/api/v1/programmes", json={"kind": "training", "title": "T1"}, headers=headers
    )
    assert training.json()["themes"] == []


# --------------------------------------------------------------------------- publishing


async def test_publishing_a_run_of_a_draft_programme_offers_to_publish_the_programme(
    client: httpx.AsyncClient,
) -> None:
    programme_id = await make_programme(status=PublicationStatus.draft)
    cohort_id = await make_cohort(programme_id, status=PublicationStatus.draft)
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{cohort_id}"
    assert 'id="programme-draft"' not in (await client.get(page)).text

    published = await post_form(client, page, f"{page}/status", {"action": "publish"})
    assert published.status_code == 303
    after = await client.get(page)
    assert 'id="programme-draft"' in after.text
    assert "Angebot ebenfalls veröffentlichen" in after.text
    assert f'action="{page}/publish-programme"' in after.text
    # the public does not see the run yet
    assert (await client.get(f"/events/{cohort_id}")).status_code == 404

    both = await post_form(client, page, f"{page}/publish-programme", {})
    assert both.status_code == 303
    assert both.headers["location"] == page
    status = await Programme.select(Programme.status).where(Programme.id == programme_id)
    assert status[0]["status"] == "published"
    assert 'id="programme-draft"' not in (await client.get(page)).text
    assert (await client.get(f"/events/{cohort_id}")).status_code == 200


async def test_only_coordinators_may_publish_the_programme_from_a_run(
    client: httpx.AsyncClient,
) -> None:
    programme_id = await make_programme(
        ProgrammeKind.rucksack, is_public=False, status=PublicationStatus.draft
    )
    kita_id = (await make_staff(Role.partner)).kita_id
    cohort_id = await make_cohort(programme_id, kita_id=kita_id)
    partner = await make_staff(Role.partner, kita_id=kita_id)
    await sign_in(client, partner.email)
    page = f"/staff/cohorts/{cohort_id}"
    shown = await client.get(page)
    assert shown.status_code == 200
    assert 'id="programme-draft"' not in shown.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', shown.text)
    csrf = token.group(1) if token else ""
    refused = await client.post(f"{page}/publish-programme", data={"_csrf_token": csrf})
    assert refused.status_code == 403
    status = await Programme.select(Programme.status).where(Programme.id == programme_id)
    assert status[0]["status"] == "draft"


async def test_publishing_the_programme_twice_is_a_clear_conflict(
    client: httpx.AsyncClient,
) -> None:
    programme_id = await make_programme(status=PublicationStatus.draft)
    cohort_id = await make_cohort(programme_id)
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{cohort_id}"
    assert (await post_form(client, page, f"{page}/publish-programme", {})).status_code == 303
    again = await post_form(client, page, f"{page}/publish-programme", {})
    assert again.status_code == 409
    assert "published" in text_of(again.text) or "veröffentlicht" in text_of(again.text)


async def test_the_api_flags_a_published_run_whose_programme_is_a_draft(
    client: httpx.AsyncClient,
) -> None:
    headers = await bearer()
    programme_id = await make_programme(status=PublicationStatus.draft)
    cohort_id = await make_cohort(programme_id, status=PublicationStatus.draft)
    run = await client.post(f"/api/v1/cohorts/{cohort_id}/publish", headers=headers)
    assert run.status_code == 200, run.text
    assert run.json()["status"] == "published"
    assert run.json()["programme_status"] == "draft"

    await client.post(f"/api/v1/programmes/{programme_id}/publish", headers=headers)
    again = await client.get(f"/api/v1/cohorts/{cohort_id}", headers=headers)
    assert again.json()["programme_status"] == "published"


# --------------------------------------------------------------------------- report period


async def test_the_report_covers_the_current_kita_year_by_default(
    client: httpx.AsyncClient,
) -> None:
    # the suite's "now" is 25 November 2026: the KiTa year 1 August 2026 – 31 July 2027
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = await client.get("/staff/reports")
    assert page.status_code == 200
    assert 'name="from" type="date" value="2026-08-01"' in page.text
    assert 'name="to" type="date" value="2027-07-31"' in page.text

    report = await client.get("/api/v1/reports", headers=await bearer())
    assert report.status_code == 200
    assert (report.json()["date_from"], report.json()["date_to"]) == ("2026-08-01", "2027-07-31")


def test_the_kita_year_turns_on_the_first_of_august() -> None:
    assert kita_year(date(2027, 7, 31)) == (date(2026, 8, 1), date(2027, 7, 31))
    assert kita_year(date(2027, 8, 1)) == (date(2027, 8, 1), date(2028, 7, 31))
    assert kita_year(date(2027, 1, 1)) == (date(2026, 8, 1), date(2027, 7, 31))
