"""JSON API for a KiTa's closure days. Reads: staff who may see the KiTa. Writes and the
import from the KiTa's iCal address: coordinators."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Struct

from programmes.domain.access import Staff
from programmes.domain.planning import closures
from programmes.domain.planning.closures import ClosureView, ImportResult
from programmes.web.deps import PathId, allow_private_calendar_hosts
from programmes.web.guards import requires_coordinator, requires_staff


class ClosureInput(Struct, frozen=True):
    first_day: date
    reason: str
    last_day: date | None = None  # None: a single day


class ImportInput(Struct, frozen=True):
    url: str


class KitaClosureController(Controller):
    path = "/kitas/{kita_id:int}/closures"
    tags = ["closures"]

    @get("/", guards=[requires_staff], summary="A KiTa's closure days")
    async def list_closures(
        self,
        staff: NamedDependency[Staff],
        kita_id: PathId,
        from_day: FromQuery[date | None] = None,
    ) -> list[ClosureView]:
        """In date order; with `from_day`, only closures ending on or after that day."""
        return await closures.list_closures(staff=staff, kita_id=kita_id, from_day=from_day)

    @post("/", guards=[requires_coordinator], status_code=HTTP_201_CREATED)
    async def add_closure(
        self,
        staff: NamedDependency[Staff],
        kita_id: PathId,
        data: JSONBody[ClosureInput],
        now: NamedDependency[datetime],
    ) -> ClosureView:
        """A single day (without `last_day`) or an inclusive range, with its reason."""
        return await closures.add_closure(
            staff=staff,
            kita_id=kita_id,
            first_day=data.first_day,
            last_day=data.last_day,
            reason=data.reason,
            now=now,
        )

    @post("/import", guards=[requires_coordinator], status_code=200)
    async def import_closures(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        kita_id: PathId,
        data: JSONBody[ImportInput],
        now: NamedDependency[datetime],
    ) -> ImportResult:
        """Replace the KiTa's imported closures with those of its iCal calendar at `url`
        (from 30 days ago to two years ahead); closures entered by hand stay. On any error
        nothing changes."""
        return await closures.import_closures(
            staff=staff,
            kita_id=kita_id,
            url=data.url,
            now=now,
            allow_private_hosts=allow_private_calendar_hosts(request),
        )


class ClosureController(Controller):
    path = "/closures"
    tags = ["closures"]
    guards = [requires_coordinator]

    @delete("/{closure_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def delete_closure(
        self, staff: NamedDependency[Staff], closure_id: PathId, now: NamedDependency[datetime]
    ) -> None:
        await closures.delete_closure(staff=staff, closure_id=closure_id, now=now)
