"""The staff search: families and registrations by name or e-mail address, paged."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.access import Staff
from programmes.domain.enrolment import search
from programmes.domain.errors import DomainError
from programmes.web.errors import status_for
from programmes.web.guards import requires_staff
from programmes.web.pages import page, request_language


class SearchPages(Controller):
    path = "/staff/search"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def search_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff]
    ) -> Template:
        query = request.query_params.get("q", "")
        # the text as typed: the domain refuses one that is too long (and says so)
        shown = query.strip()[: search.MAX_QUERY]

        def query_for(number: int) -> str:
            return urlencode({"q": shown, "page": number})

        try:
            found = await search.search(
                staff=staff, query=query, page=request.query_params.get("page", "")[:30]
            )
        except DomainError as error:
            message = error.translated(request_language(request))
            return page(
                request,
                "staff/search.html",
                status_code=status_for(error),
                found=None,
                query=shown,
                max_query=search.MAX_QUERY,
                # only the search box is on the page to jump to; a bad page number is no field
                errors=[{"field": "q" if error.field == "q" else None, "message": message}],
                query_for=query_for,
            )
        return page(
            request,
            "staff/search.html",
            found=found,
            query=found.query,
            max_query=search.MAX_QUERY,
            query_for=query_for,
        )
