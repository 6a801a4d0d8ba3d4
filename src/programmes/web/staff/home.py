"""The staff start page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain import catalogue
from programmes.domain.accounts import Staff
from programmes.web.guards import requires_staff
from programmes.web.pages import page


class StaffHomeController(Controller):
    path = "/staff"
    guards = [requires_staff]
    tags = ["staff"]
    include_in_schema = False

    @get("/")
    async def home(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff]
    ) -> Template:
        """The start page, with the KiTas the staff member may see (and their closure days)."""
        return page(request, "staff/home.html", kitas=await catalogue.list_kitas(staff=staff))
