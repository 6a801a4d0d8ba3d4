"""JSON API of the staff search: families and registrations by name or e-mail address."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from programmes.domain.access import Staff
from programmes.domain.enrolment import search
from programmes.domain.enrolment.search import SearchPage
from programmes.web.guards import requires_staff


class SearchController(Controller):
    path = "/search"
    tags = ["families"]
    guards = [requires_staff]

    @get("/", summary="Families and registrations by name or e-mail, 20 a page")
    async def search(
        self,
        staff: NamedDependency[Staff],
        # longer than the domain's limit, so that the domain's message says what is wrong
        q: Annotated[str | None, QueryParameter(max_length=1000)] = None,
        page: Annotated[str | None, QueryParameter(max_length=30)] = None,
    ) -> SearchPage:
        """`q`: a part of a name or an address (at most 100 characters; case and accents do
        not matter). Coordinators find every family and public registration, partners their
        KiTa's families, trainers the families of the groups they lead (by name only). A
        page past the last gives the last one (`past_the_end`)."""
        return await search.search(staff=staff, query=q, page=page)
