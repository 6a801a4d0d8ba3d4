"""Dependencies shared by controllers: the signed-in staff member, typed path ids and
settings the domain needs as arguments."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException
from litestar.params import PathParameter, QueryParameter

from programmes.domain.access import Staff
from programmes.domain.types import MAX_ID
from programmes.settings import Settings
from programmes.web.guards import current_staff

#: An id in a path or query: positive and within the database's range (larger ones are a
#: 400 naming the parameter, not a database overflow); the OpenAPI schema shows the range.
#: Every integer path or query parameter uses one of these (a test walks the routes).
PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
QueryId = Annotated[int, QueryParameter(ge=1, le=MAX_ID)]
OptionalQueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]


def provide_staff(request: Request[Any, Any, Any]) -> Staff:
    staff = current_staff(request)
    if staff is None:
        raise NotAuthorizedException("Please sign in.")
    return staff


def allow_private_calendar_hosts(request: Request[Any, Any, Any]) -> bool:
    """PROGRAMMES_ALLOW_PRIVATE_CALENDAR_HOSTS, passed to the closure import."""
    settings: Settings = request.app.state.settings
    return settings.allow_private_calendar_hosts
