"""The audit trail page for coordinators: filter by object and days, newest first."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.access import Staff
from programmes.domain.errors import DomainError
from programmes.domain.privacy.audit_trail import read_audit_trail
from programmes.web.errors import status_for
from programmes.web.guards import requires_coordinator
from programmes.web.pages import page, request_language

FILTERS = ("object_type", "object_id", "from", "to")


class AuditPages(Controller):
    path = "/staff/audit"
    guards = [requires_coordinator]
    include_in_schema = False

    @get("/")
    async def trail(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff]
    ) -> Template:
        query = {name: request.query_params.get(name, "")[:100] for name in FILTERS}
        filters = {
            "object_type": query["object_type"],
            "object_id": query["object_id"],
            "date_from": query["from"],
            "date_to": query["to"],
        }

        def query_for(number: int) -> str:
            return urlencode({**{k: v for k, v in query.items() if v}, "page": number})

        try:
            trail = await read_audit_trail(
                staff=staff, page=request.query_params.get("page", "")[:10], **filters
            )
        except DomainError as error:
            message = error.translated(request_language(request))
            return page(
                request,
                "staff/audit.html",
                status_code=status_for(error),
                trail=None,
                filters=filters,
                errors=[{"field": error.field, "message": message}],
                query_for=query_for,
            )
        return page(request, "staff/audit.html", trail=trail, filters=filters, query_for=query_for)
