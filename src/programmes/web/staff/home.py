"""The staff start page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from programmes.web.guards import requires_staff
from programmes.web.pages import page


class StaffHomeController(Controller):
    path = "/staff"
    guards = [requires_staff]
    tags = ["staff"]
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "staff/home.html")
