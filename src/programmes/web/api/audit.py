"""JSON API of the audit trail, for coordinators."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from programmes.domain.access import Staff
from programmes.domain.privacy.audit_trail import AuditPage, read_audit_trail
from programmes.web.guards import requires_coordinator

Text = Annotated[str | None, QueryParameter(max_length=100)]


class AuditController(Controller):
    path = "/audit"
    tags = ["privacy"]
    guards = [requires_coordinator]

    @get("/", summary="Audit events, newest first, 50 a page")
    async def trail(
        self,
        staff: NamedDependency[Staff],
        object_type: Text = None,
        object_id: Text = None,
        date_from: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
        date_to: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
        page: Annotated[str | None, QueryParameter(max_length=10)] = None,
    ) -> AuditPage:
        """Filter by object type and id and by Berlin days (`from`, `to`: YYYY-MM-DD)."""
        return await read_audit_trail(
            staff=staff,
            object_type=object_type,
            object_id=object_id,
            date_from=date_from,
            date_to=date_to,
            page=page,
        )
