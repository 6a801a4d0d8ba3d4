"""The contact list of a cohort or run for daily work: a page, a printable A4 list, and CSV
and XLSX downloads. Who may read it is the domain's rule (`enrolment.people_lists`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.access import Staff
from programmes.domain.enrolment import people_lists
from programmes.domain.enrolment.people_lists import PeopleList
from programmes.domain.reporting.spreadsheets import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    to_csv,
    to_xlsx,
)
from programmes.i18n import gettext
from programmes.web.deps import PathId
from programmes.web.guards import requires_staff
from programmes.web.pages import page, request_language
from programmes.web.staff.reports import _download


class PeopleListPages(Controller):
    path = "/staff/cohorts/{cohort_id:int}"
    guards = [requires_staff]
    include_in_schema = False

    @get("/people")
    async def people_page(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        cohort_id: PathId,
    ) -> Template:
        """Coordinators, the cohort's trainers (not substitutes) and its KiTa's partner."""
        people = await _list(request, staff, now, cohort_id)
        return page(request, "staff/people.html", people=people)

    @get("/people/print")
    async def people_print(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        cohort_id: PathId,
    ) -> Template:
        people = await _list(request, staff, now, cohort_id)
        return page(request, "print/people.html", people=people)

    @get("/people.csv")
    async def people_csv(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        cohort_id: PathId,
    ) -> Response[bytes]:
        people = await _list(request, staff, now, cohort_id)
        rows = people_lists.table_rows(people, request_language(request))
        await people_lists.record_download(staff=staff, people=people, extension="csv")
        return _download(to_csv(rows), CSV_MEDIA_TYPE, people_lists.file_name(people, "csv"))

    @get("/people.xlsx")
    async def people_xlsx(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        cohort_id: PathId,
    ) -> Response[bytes]:
        people = await _list(request, staff, now, cohort_id)
        language = request_language(request)
        await people_lists.record_download(staff=staff, people=people, extension="xlsx")
        body = to_xlsx(
            people_lists.table_rows(people, language),
            title=gettext(language, "Contact list"),
            bold_rows=(0,),
        )
        return _download(body, XLSX_MEDIA_TYPE, people_lists.file_name(people, "xlsx"))


async def _list(
    request: Request[Any, Any, Any], staff: Staff, now: datetime, cohort_id: int
) -> PeopleList:
    return await people_lists.people_list(
        staff=staff, cohort_id=cohort_id, language=request_language(request), now=now
    )
