"""A report laid out as one table: the rows that the CSV and XLSX files hold.

The page shows the same figures from the same labels (`TOTAL_FIGURES`, `COHORT_FIGURES`),
so page, CSV and XLSX cannot drift apart. Attendance rates are percentages with one
decimal; hours have up to two decimals.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from programmes.domain.errors import N_
from programmes.domain.reporting.reports import NO_FACILITATOR, NO_LANGUAGE, Count, Report
from programmes.domain.reporting.spreadsheets import Cell
from programmes.formatting import local_date
from programmes.i18n import gettext

#: (field of `Totals`, label) in the order the report shows them.
TOTAL_FIGURES: Final = (
    ("groups_run", N_("Groups run")),
    ("sessions_planned", N_("Sessions planned")),
    ("sessions_held", N_("Sessions held")),
    ("sessions_cancelled", N_("Sessions cancelled")),
    ("families", N_("Families enrolled")),
    ("guardians", N_("Guardians enrolled")),
    ("children", N_("Children enrolled")),
    ("people", N_("People enrolled (trainings, events)")),
    ("waiting", N_("On waiting lists")),
    ("marked", N_("Attendance marks")),
    ("present", N_("Marked present")),
    ("attendance_rate", N_("Attendance rate in percent")),
    ("at_threshold", N_("At the certificate threshold")),
)

#: (field of `CohortFigures`, column heading) after the cohort, programme and KiTa columns.
COHORT_FIGURES: Final = (
    ("sessions_planned", N_("Sessions planned")),
    ("sessions_held", N_("Sessions held")),
    ("sessions_cancelled", N_("Sessions cancelled")),
    ("families", N_("Families")),
    ("guardians", N_("Guardians")),
    ("children", N_("Children")),
    ("people", N_("People")),
    ("waiting", N_("Waiting list")),
    ("marked", N_("Marks")),
    ("present", N_("Present")),
    ("attendance_rate", N_("Attendance rate in percent")),
    ("threshold_percent", N_("Threshold in percent")),
    ("at_threshold", N_("At the threshold")),
)

_DATE_PATTERN: Final = {"de": "dd.MM.yyyy", "en": "yyyy-MM-dd"}


def percent(rate: float | None) -> float | None:
    """An attendance rate (0..1) as a percentage with one decimal."""
    return None if rate is None else round(rate * 100, 1)


def figure(value: Count | float | None, name: str) -> Cell:
    """A figure as a cell: rates become percentages, "< 5" stays text."""
    if name == "attendance_rate":
        return percent(value if isinstance(value, float) else None)
    return value


def _label(value: str, language: str) -> str:
    """Data as entered, except the report's own placeholders, which are translated."""
    return gettext(language, value) if value in (NO_LANGUAGE, NO_FACILITATOR) else value


def period_text(day: date, language: str) -> str:
    return local_date(day, language, _DATE_PATTERN.get(language, "dd.MM.yyyy"))


def report_rows(report: Report, language: str) -> tuple[list[list[Cell]], list[int]]:
    """The report as rows, and the indexes of heading rows (bold in XLSX)."""

    def _(message: str) -> str:
        return gettext(language, message)

    everything = _("all")
    rows: list[list[Cell]] = [
        [
            _("Report"),
            _("Period"),
            period_text(report.date_from, language),
            period_text(report.date_to, language),
        ],
        [_("Programme"), report.programme or everything],
        [_("Cohort"), report.cohort or everything],
        [_("KiTa"), report.kita or everything],
    ]
    if report.small_counts_hidden:
        rows.append([_("Counts below 5 are shown as “< 5”.")])
    headings: list[int] = [0]
    rows.append([])
    headings.append(len(rows))
    rows.append([_("Figure"), _("Value")])
    for name, label in TOTAL_FIGURES:
        rows.append([_(label), figure(getattr(report.totals, name), name)])
    rows.append([])
    headings.append(len(rows))
    rows.append(
        [_("Cohort"), _("Programme"), _("KiTa"), *(_(label) for _name, label in COHORT_FIGURES)]
    )
    for cohort in report.cohorts:
        rows.append(
            [
                cohort.cohort,
                cohort.programme,
                cohort.kita or "",
                *(figure(getattr(cohort, name), name) for name, _label in COHORT_FIGURES),
            ]
        )
    rows.append([])
    headings.append(len(rows))
    rows.append([_("Language"), _("Families")])
    for item in report.languages:
        rows.append([_label(item.language, language), item.families])
    rows.append([])
    headings.append(len(rows))
    rows.append([_("Facilitator"), _("Sessions held"), _("Hours")])
    for person in report.facilitators:
        rows.append([_label(person.facilitator, language), person.sessions, person.hours])
    return rows, headings
