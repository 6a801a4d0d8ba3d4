"""The reports page for coordinators and KiTa partners, and its CSV and XLSX downloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.access import Staff
from programmes.domain.catalogue import entries
from programmes.domain.reporting import reports
from programmes.domain.reporting.report_sheet import (
    COHORT_FIGURES,
    TOTAL_FIGURES,
    percent,
    report_rows,
)
from programmes.domain.reporting.reports import NO_FACILITATOR, NO_LANGUAGE, Report
from programmes.domain.reporting.spreadsheets import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    to_csv,
    to_xlsx,
)
from programmes.i18n import gettext
from programmes.vocabulary import Role
from programmes.web.api.reports import DateFrom, DateTo, FilterId
from programmes.web.guards import requires_role
from programmes.web.pages import page, request_language


class ReportPages(Controller):
    path = "/staff/reports"
    guards = [requires_role(Role.coordinator, Role.partner)]
    include_in_schema = False

    @get("/")
    async def report_page(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        date_from: DateFrom = None,
        date_to: DateTo = None,
        programme: FilterId = None,
        cohort: FilterId = None,
        kita: FilterId = None,
    ) -> Template:
        report = await _report(staff, now, date_from, date_to, programme, cohort, kita)
        return page(
            request,
            "staff/reports.html",
            report=report,
            total_figures=TOTAL_FIGURES,
            cohort_figures=COHORT_FIGURES,
            percent=percent,
            placeholders=(NO_LANGUAGE, NO_FACILITATOR),
            query=request.url.query,
            programmes=await entries.list_programmes(staff=staff, include_archived=True)
            if staff.role is Role.coordinator
            else [],
            kitas=await entries.list_kitas(staff=staff, include_archived=True)
            if staff.role is Role.coordinator
            else [],
            cohorts=await entries.list_cohorts(staff=staff, include_archived=True),
        )

    @get("/report.csv")
    async def report_csv(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        date_from: DateFrom = None,
        date_to: DateTo = None,
        programme: FilterId = None,
        cohort: FilterId = None,
        kita: FilterId = None,
    ) -> Response[bytes]:
        report = await _report(staff, now, date_from, date_to, programme, cohort, kita)
        rows, _headings = report_rows(report, request_language(request))
        return _download(to_csv(rows), CSV_MEDIA_TYPE, _filename(report, "csv"))

    @get("/report.xlsx")
    async def report_xlsx(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        date_from: DateFrom = None,
        date_to: DateTo = None,
        programme: FilterId = None,
        cohort: FilterId = None,
        kita: FilterId = None,
    ) -> Response[bytes]:
        report = await _report(staff, now, date_from, date_to, programme, cohort, kita)
        language = request_language(request)
        rows, headings = report_rows(report, language)
        body = to_xlsx(rows, title=gettext(language, "Report"), bold_rows=headings)
        return _download(body, XLSX_MEDIA_TYPE, _filename(report, "xlsx"))


async def _report(
    staff: Staff,
    now: datetime,
    date_from: str | None,
    date_to: str | None,
    programme: str | None,
    cohort: str | None,
    kita: str | None,
) -> Report:
    return await reports.report_from_query(
        staff=staff,
        now=now,
        date_from=date_from,
        date_to=date_to,
        programme=programme,
        cohort=cohort,
        kita=kita,
    )


def _filename(report: Report, extension: str) -> str:
    return f"bericht-{report.date_from.isoformat()}-{report.date_to.isoformat()}.{extension}"


def _download(body: bytes, media_type: str, filename: str) -> Response[bytes]:
    """The file as an attachment. Its Content-Type is sent as given: Litestar would add a
    second `charset` to a `text/` type that names one already."""
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Type": media_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
