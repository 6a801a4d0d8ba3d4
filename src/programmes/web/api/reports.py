"""JSON API for funders' reports: coordinators (everything) and KiTa partners (their KiTa,
small counts hidden). Trainers get 403."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from programmes.domain.access import Staff
from programmes.domain.reporting import reports
from programmes.domain.reporting.reports import Report
from programmes.vocabulary import Role
from programmes.web.guards import requires_role

#: The report's query parameters; `from` and `to` are ISO dates (default: this year).
DateFrom = Annotated[str | None, QueryParameter(name="from", description="first day, YYYY-MM-DD")]
DateTo = Annotated[str | None, QueryParameter(name="to", description="last day, YYYY-MM-DD")]
FilterId = Annotated[str | None, QueryParameter(description="an id, or empty for all")]


class ReportController(Controller):
    path = "/reports"
    tags = ["reports"]
    guards = [requires_role(Role.coordinator, Role.partner)]

    @get("/", summary="Figures for funders over a period")
    async def report(
        self,
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        date_from: DateFrom = None,
        date_to: DateTo = None,
        programme: FilterId = None,
        cohort: FilterId = None,
        kita: FilterId = None,
    ) -> Report:
        """Groups run, sessions, enrolment, waiting lists, attendance, certificates,
        languages and facilitator hours; definitions in the README. Partners get their own
        KiTa with every count below 5 as "< 5"."""
        return await reports.report_from_query(
            staff=staff,
            now=now,
            date_from=date_from,
            date_to=date_to,
            programme=programme,
            cohort=cohort,
            kita=kita,
        )
