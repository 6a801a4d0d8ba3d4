"""The JSON API under /api/v1/. Scripts authenticate with `Authorization: Bearer <token>`;
one module per area, collected in `CONTROLLERS`."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.router import Router
from litestar.types import ControllerRouterHandler

from programmes.web.api import (
    attendance,
    audit,
    catalogue,
    closures,
    places,
    privacy,
    registrations,
    reports,
    schedules,
    search,
)
from programmes.web.guards import current_staff, requires_staff
from programmes.web.schemas import StaffOut

CONTROLLERS: list[ControllerRouterHandler] = [
    catalogue.KitaController,
    catalogue.ProgrammeController,
    catalogue.CohortController,
    places.PlaceController,
    closures.KitaClosureController,
    closures.ClosureController,
    schedules.ScheduleController,
    schedules.SessionController,
    attendance.AttendanceController,
    registrations.PublicRegistrationController,
    registrations.CoordinatorRegistrationController,
    registrations.FamilyController,
    reports.ReportController,
    privacy.PrivacyController,
    audit.AuditController,
    search.SearchController,
]


@get("/me", guards=[requires_staff], summary="The signed-in staff member", tags=["staff"])
async def me(request: Request[Any, Any, Any]) -> StaffOut:
    staff = current_staff(request)
    assert staff is not None  # the guard let only staff through
    return StaffOut(
        id=staff.id,
        email=staff.email,
        name=staff.name,
        role=staff.role.value,
        kita_id=staff.kita_id,
    )


def api_router() -> Router:
    return Router(path="/api/v1", route_handlers=[me, *CONTROLLERS])
