"""The staff start page; for trainers it starts with their sessions (the trainer's day)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.access import Staff
from programmes.domain.attendance.trainer_day import trainer_day
from programmes.web.guards import requires_staff
from programmes.web.pages import page


class StaffHomeController(Controller):
    path = "/staff"
    guards = [requires_staff]
    tags = ["staff"]
    include_in_schema = False

    @get("/")
    async def home(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
    ) -> Template:
        return page(request, "staff/home.html", day=await trainer_day(staff=staff, now=now))
