"""JSON API for places (where cohorts and sessions meet). Reads: any staff member (a
place holds no personal data). Writes: coordinators."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from programmes.domain.access import Staff
from programmes.domain.catalogue import places
from programmes.domain.catalogue.places import PlaceInput, PlaceView
from programmes.web.deps import PathId
from programmes.web.guards import requires_coordinator, requires_staff


class PlaceController(Controller):
    path = "/places"
    tags = ["places"]
    guards = [requires_staff]

    @get("/", summary="Every place")
    async def list_places(self, staff: NamedDependency[Staff]) -> list[PlaceView]:
        return await places.list_places(staff=staff)

    @post("/", guards=[requires_coordinator], status_code=HTTP_201_CREATED)
    async def create_place(
        self,
        staff: NamedDependency[Staff],
        data: JSONBody[PlaceInput],
        now: NamedDependency[datetime],
    ) -> PlaceView:
        return await places.create_place(staff=staff, data=data, now=now)

    @get("/{place_id:int}")
    async def get_place(self, place_id: PathId) -> PlaceView:
        return await places.get_place(place_id=place_id)

    @put("/{place_id:int}", guards=[requires_coordinator])
    async def update_place(
        self,
        staff: NamedDependency[Staff],
        place_id: PathId,
        data: JSONBody[PlaceInput],
        now: NamedDependency[datetime],
    ) -> PlaceView:
        return await places.update_place(staff=staff, place_id=place_id, data=data, now=now)
