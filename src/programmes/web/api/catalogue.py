"""JSON API for KiTas, programmes and cohorts. Reads: any staff member, scoped to what they
may see. Writes: coordinators."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Struct

from programmes.domain.access import Staff
from programmes.domain.catalogue import entries
from programmes.domain.catalogue.entries import (
    CohortInput,
    CohortView,
    KitaView,
    ProgrammeInput,
    ProgrammeView,
)
from programmes.web.deps import OptionalQueryId, PathId
from programmes.web.guards import requires_coordinator, requires_staff

StatusAction = Literal["publish", "unpublish", "archive"]


class KitaInput(Struct, frozen=True):
    name: str
    address: str = ""


class KitaController(Controller):
    path = "/kitas"
    tags = ["kitas"]
    guards = [requires_staff]

    @get("/", summary="KiTas the caller may see")
    async def list_kitas(
        self, staff: NamedDependency[Staff], include_archived: FromQuery[bool] = False
    ) -> list[KitaView]:
        return await entries.list_kitas(staff=staff, include_archived=include_archived)

    @post("/", guards=[requires_coordinator], status_code=HTTP_201_CREATED)
    async def create_kita(
        self,
        staff: NamedDependency[Staff],
        data: JSONBody[KitaInput],
        now: NamedDependency[datetime],
    ) -> KitaView:
        return await entries.create_kita(staff=staff, name=data.name, address=data.address, now=now)

    @get("/{kita_id:int}")
    async def get_kita(self, staff: NamedDependency[Staff], kita_id: PathId) -> KitaView:
        return await entries.get_kita(staff=staff, kita_id=kita_id)

    @put("/{kita_id:int}", guards=[requires_coordinator])
    async def update_kita(
        self,
        staff: NamedDependency[Staff],
        kita_id: PathId,
        data: JSONBody[KitaInput],
        now: NamedDependency[datetime],
    ) -> KitaView:
        return await entries.update_kita(
            staff=staff, kita_id=kita_id, name=data.name, address=data.address, now=now
        )

    @post("/{kita_id:int}/archive", guards=[requires_coordinator], status_code=200)
    async def archive_kita(
        self, staff: NamedDependency[Staff], kita_id: PathId, now: NamedDependency[datetime]
    ) -> KitaView:
        return await entries.archive_kita(staff=staff, kita_id=kita_id, now=now)


class ProgrammeController(Controller):
    path = "/programmes"
    tags = ["programmes"]
    guards = [requires_staff]

    @get("/", summary="Programmes the caller may see")
    async def list_programmes(
        self, staff: NamedDependency[Staff], include_archived: FromQuery[bool] = False
    ) -> list[ProgrammeView]:
        return await entries.list_programmes(staff=staff, include_archived=include_archived)

    @post("/", guards=[requires_coordinator], status_code=HTTP_201_CREATED)
    async def create_programme(
        self,
        staff: NamedDependency[Staff],
        data: JSONBody[ProgrammeInput],
        now: NamedDependency[datetime],
    ) -> ProgrammeView:
        return await entries.create_programme(staff=staff, data=data, now=now)

    @get("/{programme_id:int}")
    async def get_programme(
        self, staff: NamedDependency[Staff], programme_id: PathId
    ) -> ProgrammeView:
        return await entries.get_programme(staff=staff, programme_id=programme_id)

    @put("/{programme_id:int}", guards=[requires_coordinator])
    async def update_programme(
        self,
        staff: NamedDependency[Staff],
        programme_id: PathId,
        data: JSONBody[ProgrammeInput],
        now: NamedDependency[datetime],
    ) -> ProgrammeView:
        return await entries.update_programme(
            staff=staff, programme_id=programme_id, data=data, now=now
        )

    @post("/{programme_id:int}/{action:str}", guards=[requires_coordinator], status_code=200)
    async def change_status(
        self,
        staff: NamedDependency[Staff],
        programme_id: PathId,
        action: FromPath[StatusAction],
        now: NamedDependency[datetime],
    ) -> ProgrammeView:
        """Publish, unpublish or archive."""
        return await entries.change_programme_status(
            staff=staff, programme_id=programme_id, action=action, now=now
        )


class CohortController(Controller):
    path = "/cohorts"
    tags = ["cohorts"]
    guards = [requires_staff]

    @get("/", summary="Cohorts the caller may see")
    async def list_cohorts(
        self,
        staff: NamedDependency[Staff],
        programme_id: OptionalQueryId = None,
        kita_id: OptionalQueryId = None,
        include_archived: FromQuery[bool] = False,
    ) -> list[CohortView]:
        return await entries.list_cohorts(
            staff=staff,
            programme_id=programme_id,
            kita_id=kita_id,
            include_archived=include_archived,
        )

    @post("/", guards=[requires_coordinator], status_code=HTTP_201_CREATED)
    async def create_cohort(
        self,
        staff: NamedDependency[Staff],
        data: JSONBody[CohortInput],
        now: NamedDependency[datetime],
    ) -> CohortView:
        return await entries.create_cohort(staff=staff, data=data, now=now)

    @get("/{cohort_id:int}")
    async def get_cohort(self, staff: NamedDependency[Staff], cohort_id: PathId) -> CohortView:
        return await entries.get_cohort(staff=staff, cohort_id=cohort_id)

    @put("/{cohort_id:int}", guards=[requires_coordinator])
    async def update_cohort(
        self,
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        data: JSONBody[CohortInput],
        now: NamedDependency[datetime],
    ) -> CohortView:
        return await entries.update_cohort(staff=staff, cohort_id=cohort_id, data=data, now=now)

    @post("/{cohort_id:int}/{action:str}", guards=[requires_coordinator], status_code=200)
    async def change_status(
        self,
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        action: FromPath[StatusAction],
        now: NamedDependency[datetime],
    ) -> CohortView:
        """Publish, unpublish or archive. A published run of a programme that is still a
        draft (`programme_status` "draft" in the answer) is seen by staff only: publish the
        programme too with `POST /api/v1/programmes/{programme_id}/publish`."""
        return await entries.change_cohort_status(
            staff=staff, cohort_id=cohort_id, action=action, now=now
        )
