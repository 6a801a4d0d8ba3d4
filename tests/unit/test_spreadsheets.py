"""CSV and XLSX cells: no formula can run, German numbers, UTF-8 with BOM."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from programmes.domain.reporting.spreadsheets import (
    Row,
    german_number,
    neutralise,
    to_csv,
    to_xlsx,
)

DANGEROUS = ["=1+2", "+49 157", "-5", "@SUM(A1)", "\tx", "\r=1", '=HYPERLINK("http://x")']


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_cell_that_could_run_as_a_formula_is_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Ayşe", "فاطمة", "Ольга", "< 5", "a=b", " =1", "'=1", "5"])
def test_other_text_stays_as_it_is(text: str) -> None:
    assert neutralise(text) == text


@pytest.mark.parametrize(
    ("value", "text"), [(12, "12"), (12.0, "12"), (1.5, "1,5"), (83.33, "83,33"), (0.25, "0,25")]
)
def test_numbers_are_written_with_a_decimal_comma(value: float, text: str) -> None:
    assert german_number(value) == text


def test_csv_has_a_bom_semicolons_and_no_formula() -> None:
    body = to_csv([["Name", "Quote"], ["=1+2", 83.5], ["Ayşe; Yılmaz", 7], ["Ольга", None]])
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["Name", "Quote"], ["'=1+2", "83,5"], ["Ayşe; Yılmaz", "7"], ["Ольга", ""]]
    assert b"\r\n" in body


def test_xlsx_keeps_text_as_text_and_numbers_as_numbers() -> None:
    rows: list[Row] = [["Name", "Wert"]]
    rows += [[text, 1.5] for text in DANGEROUS]
    body = to_xlsx(rows, title="Bericht")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    # XML reads a carriage return back as a line feed; the apostrophe stays in front
    assert values[1:] == [["'" + text.replace("\r", "\n"), 1.5] for text in DANGEROUS]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
