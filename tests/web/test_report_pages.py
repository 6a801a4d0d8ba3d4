"""The reports page, its CSV and XLSX downloads and the JSON API: they agree with each other
and with a hand count; roles; bad input; names in Arabic, Turkish and Cyrillic script."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
import openpyxl
import pytest

from programmes.domain.reporting.report_sheet import TOTAL_FIGURES
from programmes.i18n import gettext
from programmes.tables import Family, Guardian
from tests.report_world import (
    HAND_COUNT_HOURS,
    HAND_COUNT_LANGUAGES,
    HAND_COUNT_TOTALS,
    YEAR_2026,
    ReportWorld,
    build_report_world,
)
from tests.web.helpers import sign_in

NAMES = ["Kita Gökkuşağı", "روضة النور", "Leyla Şahin", "Ольга Смирнова"]


@pytest.fixture
async def world(app: Any) -> ReportWorld:
    return await build_report_world()


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(body: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


HEADINGS = {
    "Kennzahl": "Wert",
    "Gruppe": "Angebot",
    "Sprache": "Familien",
    "Fachkraft": "Durchgeführte Termine",
}


def section(rows: list[list[Any]], heading: str) -> list[list[Any]]:
    """The rows under a heading row, up to the next empty row."""
    start = next(i for i, row in enumerate(rows) if row[:2] == [heading, HEADINGS[heading]]) + 1
    out = []
    for row in rows[start:]:
        if not any(cell not in (None, "") for cell in row):
            break
        out.append(row)
    return out


def page_totals(html: str) -> dict[str, str]:
    table = html.split('class="report-totals"')[1].split("</table>")[0]
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', table))


def german(value: Any) -> str:
    return str(value).replace(".", ",") if isinstance(value, int | float) else str(value)


async def test_page_csv_xlsx_and_json_agree_with_the_hand_count(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await sign_in(client, world.coordinator.email)
    page = await client.get("/staff/reports", params=YEAR_2026)
    assert page.status_code == 200, page.text[:2000]
    csv_response = await client.get("/staff/reports/report.csv", params=YEAR_2026)
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_response.headers["content-disposition"]
    xlsx_response = await client.get("/staff/reports/report.xlsx", params=YEAR_2026)
    api = await client.get("/api/v1/reports", params=YEAR_2026)
    assert api.status_code == 200, api.text

    from_csv = csv_rows(csv_response.content)
    from_xlsx = xlsx_rows(xlsx_response.content)
    labels = {gettext("de", label): name for name, label in TOTAL_FIGURES}
    csv_totals = {labels[row[0]]: row[1] for row in section(from_csv, "Kennzahl")}
    xlsx_totals = {labels[row[0]]: row[1] for row in section(from_xlsx, "Kennzahl")}
    shown = page_totals(page.text)
    for name, expected in HAND_COUNT_TOTALS.items():
        if name == "attendance_rate":
            assert xlsx_totals[name] == round(expected * 100, 1) == 68.8
            assert csv_totals[name] == shown[name] == "68,8"
        else:
            assert xlsx_totals[name] == expected, name
            assert csv_totals[name] == shown[name] == str(expected), name
        assert api.json()["totals"][name] == expected

    # every row of the CSV is the same in the XLSX
    assert len(from_csv) == len(from_xlsx)
    for csv_row, xlsx_row in zip(from_csv, from_xlsx, strict=True):
        cells = [german(cell) if cell is not None else "" for cell in xlsx_row]
        assert csv_row == cells[: len(csv_row)] and not any(cells[len(csv_row) :])

    languages = [(row[0], int(row[1])) for row in section(from_csv, "Sprache")]
    assert languages == HAND_COUNT_LANGUAGES
    hours = [
        (r[0], int(r[1]), float(r[2].replace(",", "."))) for r in section(from_csv, "Fachkraft")
    ]
    assert hours == HAND_COUNT_HOURS
    assert [(row[0], row[1], row[2]) for row in section(from_xlsx, "Fachkraft")] == HAND_COUNT_HOURS
    for name in NAMES:
        assert name in page.text and name in csv_response.content.decode("utf-8-sig")
        assert any(name in str(cell) for row in from_xlsx for cell in row)


async def test_formula_like_titles_are_neutralised_in_csv_and_xlsx(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await sign_in(client, world.coordinator.email)
    from_csv = csv_rows((await client.get("/staff/reports/report.csv", params=YEAR_2026)).content)
    from_xlsx = xlsx_rows(
        (await client.get("/staff/reports/report.xlsx", params=YEAR_2026)).content
    )
    for rows in (from_csv, from_xlsx):
        cohorts = section(rows, "Gruppe")
        assert ["'=2+3 Workshop", "'+Sensibilisierung"] in [row[:2] for row in cohorts]
        assert not any(
            isinstance(cell, str) and cell.startswith(("=", "+", "-", "@"))
            for row in rows
            for cell in row
        )
    sheet = openpyxl.load_workbook(
        io.BytesIO((await client.get("/staff/reports/report.xlsx", params=YEAR_2026)).content)
    ).active
    assert sheet is not None
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


async def test_a_partner_gets_their_kita_only_with_small_counts_hidden(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await sign_in(client, world.partner_b.email)
    page = await client.get("/staff/reports", params=YEAR_2026)
    assert page.status_code == 200
    assert "روضة النور" in page.text and "Gökkuşağı 2026" not in page.text
    assert set(page_totals(page.text).values()) == {"&lt; 5", "100"}  # 1 of 1 present: 100 %
    from_csv = csv_rows((await client.get("/staff/reports/report.csv", params=YEAR_2026)).content)
    assert [row[0] for row in section(from_csv, "Gruppe")] == ["Rucksack النور 2025/26"]
    assert {row[1] for row in section(from_csv, "Kennzahl")} == {"< 5", "100"}
    from_xlsx = xlsx_rows(
        (await client.get("/staff/reports/report.xlsx", params=YEAR_2026)).content
    )
    assert {row[1] for row in section(from_xlsx, "Kennzahl")} == {"< 5", 100}
    api = (await client.get("/api/v1/reports", params=YEAR_2026)).json()
    assert api["totals"]["families"] == "< 5" and api["kita_id"] == world.kita_b
    # another KiTa's figures, by KiTa, cohort or a programme not run there, look like
    # unknown filters
    for name, value in (
        ("kita", world.kita_a),
        ("cohort", world.a1),
        ("programme", world.training),
    ):
        response = await client.get("/api/v1/reports", params={**YEAR_2026, name: value})
        assert response.status_code == 400 and response.json()["field"] == name


async def test_trainers_and_the_public_get_no_report(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    assert (await client.get("/api/v1/reports")).status_code == 401
    assert (await client.get("/staff/reports/report.csv")).status_code == 303  # to sign-in
    await sign_in(client, world.trainer.email)
    for path in ("/staff/reports", "/staff/reports/report.csv", "/staff/reports/report.xlsx"):
        assert (await client.get(path)).status_code == 403
    assert (await client.get("/api/v1/reports")).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-12-31", "to": "2026-01-01"}, "to"),
        ({"from": "2020-01-01", "to": "2025-01-01"}, "to"),
        ({"from": "31.12.2026"}, "from"),
        ({"programme": "99999"}, "programme"),
        ({"cohort": "99999"}, "cohort"),
        ({"kita": "99999"}, "kita"),
        ({"kita": "abc"}, "kita"),
    ],
)
async def test_bad_input_is_a_clear_error_naming_the_field(
    client: httpx.AsyncClient, world: ReportWorld, params: dict[str, str], field: str
) -> None:
    await sign_in(client, world.coordinator.email)
    families = await Family.count()
    response = await client.get("/api/v1/reports", params=params)
    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["detail"]
    page = await client.get("/staff/reports", params=params)
    assert page.status_code == 400 and field in page.text
    assert (await client.get("/staff/reports/report.csv", params=params)).status_code == 400
    assert await Family.count() == families  # nothing changed


async def test_five_years_is_the_longest_period(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    await sign_in(client, world.coordinator.email)
    ok = await client.get("/api/v1/reports", params={"from": "2022-01-01", "to": "2026-12-31"})
    assert ok.status_code == 200
    assert ok.json()["totals"]["sessions_planned"] == 10  # B1's December 2025 session too


async def test_erasure_leaves_the_downloads_unchanged(
    client: httpx.AsyncClient, world: ReportWorld
) -> None:
    from tests.report_world import anonymise_family

    await sign_in(client, world.coordinator.email)
    before = (await client.get("/staff/reports/report.csv", params=YEAR_2026)).content
    for family in world.families.values():
        await anonymise_family(family)
    assert await Guardian.count().where(Guardian.name != "") == 0
    assert (await client.get("/staff/reports/report.csv", params=YEAR_2026)).content == before
