"""Printable attendance lists and participation certificates: content, roles, scripts."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import app_client
from tests.report_world import ReportWorld, anonymise_family, build_report_world
from tests.web.helpers import sign_in


@pytest.fixture
async def world(app: Any) -> ReportWorld:
    return await build_report_world()


def row_of(html: str, registration: int) -> str:
    match = re.search(rf'<tr data-registration="{registration}">(.*?)</tr>', html, re.S)
    assert match, registration
    return match.group(1)


async def test_the_attendance_list_has_sessions_as_columns_and_marks_filled_in(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await sign_in(client, world.coordinator.email)
    response = await client.get(f"/staff/cohorts/{world.a1}/attendance-list")
    assert response.status_code == 200
    html = response.text
    assert '<link rel="stylesheet" href="/static/print-list.css">' in html
    css = (await client.get("/static/print-list.css")).text
    assert "@page { size: A4 landscape" in css and "@media print" in css
    assert html.count('class="date"') == 5  # six sessions, one cancelled
    for name in ("Ayşe Yılmaz, Mehmet Yılmaz", "فاطمة العلي", "Ольга Петрова", "Leyla Şahin"):
        assert name in html
    yilmaz = row_of(html, world.registrations["yilmaz"])
    assert yilmaz.count("✓") == 3 and yilmaz.count("✗") == 1 and '<td class="sum">3</td>' in yilmaz
    ali = row_of(html, world.registrations["ali"])
    assert ali.count("✓") == 3 and ali.count(">e<") == 1
    assert f'data-registration="{world.registrations["waiting"]}"' not in html  # waiting list

    blank = (await client.get(f"/staff/cohorts/{world.a1}/attendance-list?blank=1")).text
    assert "Ayşe Yılmaz" in blank
    assert not re.search(r'<td class="mark">[^<]', blank)
    assert "✓" not in row_of(blank, world.registrations["yilmaz"])


async def test_who_may_read_an_attendance_list(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    path = f"/staff/cohorts/{world.a1}/attendance-list"
    assert (await client.get(path)).status_code == 303  # sign in first
    for staff, status in (
        (world.trainer, 200),  # leads A1
        (world.substitute, 200),  # stood in once
        (world.other_trainer, 404),  # another trainer's cohort
        (world.partner_a, 200),  # A1 is at their KiTa
        (world.partner_b, 404),  # another KiTa
    ):
        client.cookies.clear()
        await sign_in(client, staff.email)
        assert (await client.get(path)).status_code == status, staff.email
    client.cookies.clear()
    await sign_in(client, world.partner_b.email)
    assert (await client.get(f"/staff/cohorts/{world.b1}/attendance-list")).status_code == 200


async def test_certificates_only_for_those_at_or_above_the_threshold(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await sign_in(client, world.coordinator.email)
    html = (await client.get(f"/staff/cohorts/{world.a1}/certificates")).text
    assert html.count('class="certificate"') == 2
    assert "Ayşe Yılmaz, Mehmet Yılmaz" in html and "فاطمة العلي" in html
    assert "Ольга Петрова" not in html  # 1 of 4
    assert "Teilnahmebescheinigung" in html and "Haus der Kulturen Herten" in html
    assert "<strong>3</strong> von <strong>4</strong>" in html and "Rucksack KiTa" in html
    assert "7. Oktober 2026" in html and "4. November 2026" in html
    assert '<link rel="stylesheet" href="/static/print-certificates.css">' in html
    css = (await client.get("/static/print-certificates.css")).text
    assert "size: A4" in css and "break-after: page" in css

    training = (await client.get(f"/staff/cohorts/{world.t1}/certificates")).text
    assert training.count('class="certificate"') == 1  # threshold 100 %: Иван has 1 of 2
    assert "Zeynep Kaya" in training and "Иван" not in training
    assert "<strong>2</strong> von <strong>2</strong>" in training

    # an erased family gets no certificate (and shows as "—" on the list)
    await anonymise_family(world.families["ali"])
    again = (await client.get(f"/staff/cohorts/{world.a1}/certificates")).text
    assert again.count('class="certificate"') == 1 and "فاطمة" not in again


async def test_certificates_are_for_coordinators(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    path = f"/staff/cohorts/{world.a1}/certificates"
    for staff in (world.trainer, world.partner_a):
        client.cookies.clear()
        await sign_in(client, staff.email)
        assert (await client.get(path)).status_code == 403


async def test_the_organisation_name_comes_from_settings(
    settings: Any, clock: Any, world: ReportWorld
) -> None:
    from dataclasses import replace

    from programmes.app import create_app
    from tests.conftest import running

    named = replace(settings, organisation_name="Культурный центр · Kültür Evi")
    async with (
        running(create_app(named, clock=clock)) as application,
        app_client(application) as http,
    ):
        await sign_in(http, world.coordinator.email)
        html = (await http.get(f"/staff/cohorts/{world.a1}/certificates")).text
    assert "Культурный центр · Kültür Evi" in html


@pytest.mark.parametrize(
    "printable", ["attendance-list", "attendance-list?blank=1", "certificates"]
)
async def test_print_pages_have_landmarks_for_screen_readers(
    client: httpx.AsyncClient, world: ReportWorld, printable: str
) -> None:
    """The links above a printable are its navigation, the list or certificates its main
    content: a screen reader can jump between them."""
    await sign_in(client, world.coordinator.email)
    html = (await client.get(f"/staff/cohorts/{world.a1}/{printable}")).text
    nav, main = html.index("<nav aria-label="), html.index("<main>")
    assert nav < html.index("Back to the group" if "lang=en" in printable else "Zurück") < main
    content = html.index('class="certificate"' if printable == "certificates" else 'class="list"')
    assert html.count("<main>") == 1 and main < content < html.index("</main>")
