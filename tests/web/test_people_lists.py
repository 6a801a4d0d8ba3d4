"""The contact lists of a group or run for daily work: the page, the printable list, CSV and
XLSX; who may read them, what they hold, and that no cell can run as a formula."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from programmes.domain.privacy import erasure
from programmes.domain.privacy.subjects import SubjectKind
from programmes.tables import AuditEvent, Family, Guardian, Person, Registration
from tests.conftest import FROZEN_NOW
from tests.report_world import ReportWorld, anonymise_family, build_report_world
from tests.web.helpers import sign_in

FORMATS = ("/people", "/people/print", "/people.csv", "/people.xlsx")


@pytest.fixture
async def world(app: Any) -> ReportWorld:
    world = await build_report_world()
    # contacts as families give them: an e-mail, and a family that is reached via the KiTa
    await Guardian.update({Guardian.email: "ayse@example.org"}).where(
        Guardian.name == "Ayşe Yılmaz"
    )
    await Guardian.update({Guardian.phone: "", Guardian.reach_via_kita: True}).where(
        Guardian.family == world.families["petrova"]
    )
    await Person.update({Person.phone: "+49 170 5555"}).where(Person.name == "Zeynep Kaya")
    # a family that withdrew: not on the list
    family = int((await Family.insert(Family(kita=world.kita_a)))[0]["id"])
    await Guardian.insert(
        Guardian(family=family, name="Zurückgezogen Weg", languages=["Polnisch"], phone="0157 9")
    )
    await Registration.insert(
        Registration(
            cohort=world.a1,
            family=family,
            status="cancelled",
            consent_notice_version="2026-01",
            consent_method="paper",
            consent_given_on=date(2026, 9, 1),
        )
    )
    return world


async def as_staff(client: httpx.AsyncClient, staff: Any) -> None:
    client.cookies.clear()
    await sign_in(client, staff.email)


def row_of(html: str, registration: int) -> str:
    match = re.search(rf'<tr data-registration="{registration}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, registration
    return match.group(1)


def section(html: str, heading: str) -> str:
    """The part of the page from the heading `heading` to the next h2 (or the end)."""
    start = html.index(f"<h2>{heading}")
    end = html.find("<h2>", start + 1)
    return html[start : end if end > 0 else len(html)]


async def test_the_page_lists_confirmed_families_and_the_waiting_list_with_contacts(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await as_staff(client, world.coordinator)
    response = await client.get(f"/staff/cohorts/{world.a1}/people")
    assert response.status_code == 200
    html = response.text
    assert "<h1>Kontaktliste: <bdi>Rucksack Gökkuşağı 2026/27</bdi></h1>" in html
    confirmed = section(html, "Bestätigt")
    assert "Bestätigt (3)" in confirmed
    yilmaz = row_of(confirmed, world.registrations["yilmaz"])
    assert "Ayşe Yılmaz, Mehmet Yılmaz" in yilmaz
    assert '<a href="tel:0157123"><bdi>0157 123</bdi></a>' in yilmaz
    assert '<a href="mailto:ayse@example.org"><bdi>ayse@example.org</bdi></a>' in yilmaz
    assert 'data-label="Sprache(n)"><bdi>Türkisch, Deutsch</bdi>' in yilmaz  # each once
    petrova = row_of(confirmed, world.registrations["petrova"])
    assert "Über die KiTa erreichbar" in petrova and "tel:" not in petrova
    assert "Über die KiTa erreichbar" not in yilmaz

    waiting = section(html, "Warteliste")
    assert "Warteliste (1)" in waiting
    row = row_of(waiting, world.registrations["waiting"])
    assert 'data-label="Platz auf der Warteliste">1</td>' in row
    assert "=HYPERLINK(&#34;http://x.example&#34;)" in row or "=HYPERLINK(&quot;" in row
    assert world.registrations["yilmaz"] != world.registrations["waiting"]
    assert f'data-registration="{world.registrations["waiting"]}"' not in confirmed

    assert "Zurückgezogen Weg" not in html  # a withdrawn family is not listed
    assert "Jana Müller" not in html  # another group's family


async def test_a_run_lists_people_with_language_and_seats(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await as_staff(client, world.coordinator)
    html = (await client.get(f"/staff/cohorts/{world.t1}/people")).text
    kaya = row_of(html, world.registrations["kaya"])
    assert "Zeynep Kaya" in kaya and "2-confirmed@example.org" in kaya
    assert 'href="tel:+491705555"' in kaya
    assert 'data-label="Sprache(n)"><bdi>Deutsch</bdi>' in kaya
    assert 'data-label="Plätze">2</td>' in kaya
    assert "Warte Person" in section(html, "Warteliste")
    assert "via-kita" not in html


async def test_erased_families_show_no_personal_data(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await anonymise_family(world.families["ali"])
    await as_staff(client, world.coordinator)
    base = f"/staff/cohorts/{world.a1}"
    page = (await client.get(base + "/people")).text
    assert "فاطمة" not in page and "Arabisch" not in page
    assert "<bdi>—</bdi>" in row_of(page, world.registrations["ali"])
    printed = (await client.get(base + "/people/print")).text
    assert "فاطمة" not in printed and "<bdi>—</bdi>" in printed
    csv = (await client.get(base + "/people.csv")).content.decode("utf-8-sig")
    assert "فاطمة" not in csv and "Arabisch" not in csv
    assert "3;bestätigt;;—;;;;" in csv.split("\r\n")


async def test_the_printable_list_is_an_a4_page_with_landmarks(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await as_staff(client, world.trainer)
    response = await client.get(f"/staff/cohorts/{world.a1}/people/print")
    assert response.status_code == 200
    html = response.text
    assert '<link rel="stylesheet" href="/static/print-people.css">' in html
    assert "<nav " in html and "<main>" in html and "<h1>Kontaktliste" in html
    assert "Stand: " in html and "nicht weitergeben" in html
    # Yılmaz has two guardians: two rows, the number and status spanning both
    body = re.search(
        rf'<tbody data-registration="{world.registrations["yilmaz"]}">(.*?)</tbody>', html, re.S
    )
    assert body and body.group(1).count("<tr>") == 2 and 'rowspan="2"' in body.group(1)
    assert "Warteliste (1)" in html
    css = (await client.get("/static/print-people.css")).text
    assert "@page { size: A4;" in css and "@media print" in css


async def test_the_csv_file_has_german_headings_and_neutralises_formulas(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await as_staff(client, world.partner_a)
    response = await client.get(f"/staff/cohorts/{world.a1}/people.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="kontaktliste-{world.a1}-2026-11-25.csv"'
    )
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == (
        "Nr.;Status;Platz auf der Warteliste;Name;E-Mail;Telefon;Sprache(n);"
        "Über die KiTa erreichbar"
    )
    assert "1;bestätigt;;Ayşe Yılmaz;ayse@example.org;0157 123;Türkisch, Deutsch;" in lines
    assert "1;bestätigt;;Mehmet Yılmaz;;0157 123;Türkisch;" in lines
    assert "2;bestätigt;;Ольга Петрова;;;Russisch, Ukrainisch;ja" in lines
    assert '4;Warteliste;1;"\'=HYPERLINK(""http://x.example"")";;0157 123;Deutsch;' in lines
    assert not any(line.startswith(("=", "+", "-", "@")) for line in lines)
    assert not any(";=" in line or ";+" in line or ";@" in line for line in lines)
    assert "Zurückgezogen" not in response.text

    english = await client.get(f"/staff/cohorts/{world.a1}/people.csv?lang=en")
    first = english.content.decode("utf-8-sig").split("\r\n")[0]
    assert first == "No.;Status;Place on the waiting list;Name;E-mail;Phone;Language(s);" + (
        "Reach via the KiTa"
    )


async def test_a_run_csv_has_seats_and_neutralises_phone_numbers_and_names(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await as_staff(client, world.coordinator)
    await Person.update({Person.name: "@SUM(1+1)"}).where(Person.name == "Иван Петров")
    text = (await client.get(f"/staff/cohorts/{world.t1}/people.csv")).content.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "Nr.;Status;Platz auf der Warteliste;Name;E-Mail;Telefon;Sprache(n);Plätze"
    assert "'@SUM(1+1);1-confirmed@example.org;;Deutsch;1" in text
    assert "Zeynep Kaya;2-confirmed@example.org;'+49 170 5555;Deutsch;2" in text


async def test_the_xlsx_file_holds_the_same_table_as_text(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await as_staff(client, world.trainer)
    response = await client.get(f"/staff/cohorts/{world.a1}/people.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert f"kontaktliste-{world.a1}-2026-11-25.xlsx" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None and sheet.title == "Kontaktliste"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["Nr.", "Status", "Platz auf der Warteliste", "Name"]
    assert sheet["A1"].font.bold and not sheet["A2"].font.bold
    assert rows[1][:5] == [1, "bestätigt", None, "Ayşe Yılmaz", "ayse@example.org"]
    waiting = next(row for row in rows if row[1] == "Warteliste")
    assert waiting[2] == 1 and waiting[3] == '\'=HYPERLINK("http://x.example")'
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == waiting[3])
    assert cell.data_type == "s"  # text, not a formula
    assert all("Zurückgezogen" not in str(value) for row in rows for value in row)


@pytest.mark.parametrize("suffix", FORMATS)
async def test_who_may_read_a_contact_list(
    client: httpx.AsyncClient, world: ReportWorld, suffix: str
) -> None:
    a1 = f"/staff/cohorts/{world.a1}{suffix}"
    response = await client.get(a1)
    assert response.status_code == 303 and "/staff/login" in response.headers["location"]
    for staff, path, status in (
        (world.coordinator, a1, 200),
        (world.coordinator, f"/staff/cohorts/{world.t1}{suffix}", 200),
        (world.coordinator, f"/staff/cohorts/2147483647{suffix}", 404),
        (world.trainer, a1, 200),  # leads A1
        (world.other_trainer, a1, 404),  # leads another group at the same KiTa
        (world.substitute, a1, 404),  # only stood in for one session of A1
        (world.substitute, f"/staff/cohorts/{world.t1}{suffix}", 200),  # leads T1
        (world.partner_a, a1, 200),  # A1 is at their KiTa
        (world.partner_a, f"/staff/cohorts/{world.t1}{suffix}", 404),  # a run of no KiTa
        (world.partner_b, a1, 404),  # another KiTa
        (world.partner_b, f"/staff/cohorts/{world.b1}{suffix}", 200),
    ):
        await as_staff(client, staff)
        response = await client.get(path)
        assert response.status_code == status, (staff.email, path)
        if status == 404:
            assert "Ayşe" not in response.text and "Zeynep" not in response.text


async def test_the_group_page_links_the_list_for_those_who_may_read_it(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    link = f'href="/staff/cohorts/{world.a1}/people"'
    for staff, shown in (
        (world.coordinator, True),
        (world.partner_a, True),
        (world.trainer, True),
        (world.substitute, False),  # sees the group page for the session they stand in for
    ):
        await as_staff(client, staff)
        html = (await client.get(f"/staff/cohorts/{world.a1}")).text
        assert (link in html) is shown, staff.email
    await as_staff(client, world.trainer)
    page = (await client.get(f"/staff/cohorts/{world.a1}/people")).text
    for target in ("/people/print", "/people.csv", "/people.xlsx"):
        assert f'href="/staff/cohorts/{world.a1}{target}"' in page


async def test_an_erased_person_shows_as_a_dash_without_contact(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    person = await Registration.select(Registration.person).where(
        Registration.id == world.registrations["kaya"]
    )
    await erasure.erase_subject(
        staff=world.coordinator,
        kind=SubjectKind.person,
        subject_id=person[0]["person"],
        now=FROZEN_NOW,
    )
    await as_staff(client, world.coordinator)
    base = f"/staff/cohorts/{world.t1}"
    row = row_of((await client.get(base + "/people")).text, world.registrations["kaya"])
    assert "<bdi>—</bdi>" in row and "tel:" not in row and "mailto:" not in row
    assert "Deutsch" not in row  # not even the language of an erased registration
    csv = (await client.get(base + "/people.csv")).content.decode("utf-8-sig")
    assert "Zeynep" not in csv and "2-confirmed@example.org" not in csv and "5555" not in csv
    assert "Иван Петров" in csv  # the others stay


async def test_the_families_and_registrations_pages_link_the_list(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await as_staff(client, world.partner_a)
    families = (await client.get(f"/staff/cohorts/{world.a1}/families")).text
    assert f'href="/staff/cohorts/{world.a1}/people"' in families
    await as_staff(client, world.coordinator)
    registrations = (await client.get(f"/staff/cohorts/{world.t1}/registrations")).text
    assert f'href="/staff/cohorts/{world.t1}/people"' in registrations


async def test_downloads_are_in_the_audit_trail_without_personal_data(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await as_staff(client, world.partner_a)
    base = f"/staff/cohorts/{world.a1}"
    for path in ("/people", "/people/print"):
        assert (await client.get(base + path)).status_code == 200
    downloaded = AuditEvent.action == "cohort.contact_list_downloaded"
    assert await AuditEvent.count().where(downloaded) == 0  # looking is not downloading
    await client.get(base + "/people.csv")
    await client.get(base + "/people.xlsx")
    await as_staff(client, world.partner_b)
    assert (await client.get(base + "/people.csv")).status_code == 404
    events = await AuditEvent.select().where(downloaded).order_by(AuditEvent.id)
    assert [(e["actor"], e["object_type"], e["object_id"]) for e in events] == [
        (world.partner_a.id, "cohort", world.a1)
    ] * 2
    details = [
        json.loads(e["detail"]) if isinstance(e["detail"], str) else e["detail"] for e in events
    ]
    assert details == [
        {"format": "csv", "registrations": 4},
        {"format": "xlsx", "registrations": 4},
    ]
