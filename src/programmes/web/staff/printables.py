"""Printable pages of a cohort: the attendance list and the participation certificates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from programmes import i18n
from programmes.domain.access import Staff
from programmes.domain.reporting import attendance_list, certificates
from programmes.settings import Settings
from programmes.web.deps import PathId
from programmes.web.guards import requires_coordinator, requires_staff
from programmes.web.pages import page

Blank = Annotated[bool, QueryParameter(description="1: an empty list for use on paper")]


class PrintablePages(Controller):
    path = "/staff/cohorts/{cohort_id:int}"
    include_in_schema = False

    @get("/attendance-list", guards=[requires_staff])
    async def attendance_list_page(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        cohort_id: PathId,
        blank: Blank = False,
    ) -> Template:
        """Coordinators, the cohort's trainers and substitutes, and its KiTa's partner."""
        sheet = await attendance_list.attendance_list(
            staff=staff, cohort_id=cohort_id, now=now, blank=blank
        )
        return page(request, "print/attendance_list.html", sheet=sheet)

    @get("/certificates", guards=[requires_coordinator])
    async def certificates_page(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        settings: NamedDependency[Settings],
        cohort_id: PathId,
    ) -> Template:
        """In German, or in the public language of `?language=` (links on the page; the
        staff pages keep their own language)."""
        language = i18n.normalise_language(request.query_params.get("language")) or "de"
        issued = await certificates.certificates(
            staff=staff,
            cohort_id=cohort_id,
            organisation=settings.organisation_name,
            now=now,
            language=language,
        )
        return page(
            request,
            "print/certificates.html",
            issued=issued,
            lang=language,
            certificate_languages=i18n.LANGUAGE_NAMES,
        )
