"""Writing tables as CSV and XLSX files that open safely in Excel and LibreOffice.

CSV for German settings: UTF-8 with a byte order mark (so Excel reads it as UTF-8), `;`
between cells, CRLF line ends, decimal commas. No cell can run as a formula: text starting
with `=`, `+`, `-`, `@`, a tab or a carriage return gets an apostrophe in front
(`neutralise`), in CSV and in XLSX alike. XLSX cells are written as typed values (numbers as
numbers, text as text, never a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Final

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

#: A cell of a table: text, a number or nothing.
Cell = str | int | float | None
Row = Sequence[Cell]

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: an apostrophe goes before a leading `=`, `+`, `-`,
    `@`, tab or carriage return, so the cell cannot be read as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def german_number(value: int | float) -> str:
    """A number as German spreadsheets read it: 12, 1,5, 83,3 (no thousands separator)."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").replace(".", ",")


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return german_number(value)
    return neutralise(value)


def to_csv(rows: Sequence[Row]) -> bytes:
    """The rows as CSV for German spreadsheet settings (UTF-8 with BOM, `;`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[Row], *, title: str, bold_rows: Sequence[int] = ()) -> bytes:
    """The rows as one XLSX sheet; text is stored as text (never a formula)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = neutralise(title)[:31]
    bold = set(bold_rows)
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(row=index, column=column)
            if isinstance(value, str):
                cell.value = neutralise(value)
                cell.data_type = TYPE_STRING  # openpyxl would read "=..." as a formula
            else:
                cell.value = value
            if index - 1 in bold:
                cell.font = Font(bold=True)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
