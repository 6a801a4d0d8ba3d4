"""Role rules for every endpoint.

Every route handler either carries one of these guards (on itself, its controller or its
router) or declares itself public with `opt=PUBLIC`; `tests/web/test_access_rules.py`
walks the whole app and fails when a handler has neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from programmes.domain.access import Staff
from programmes.vocabulary import Role

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]

#: Marks a handler that anybody may call, on purpose.
PUBLIC: dict[str, Any] = {"access": "public"}


def current_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> Staff | None:
    user = connection.scope.get("user")
    return user if isinstance(user, Staff) else None


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if current_staff(connection) is None:
        raise NotAuthorizedException("Please sign in.")


def requires_role(*roles: Role) -> Guard:
    """A guard letting through signed-in staff with one of `roles` (403 for the others)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        staff = current_staff(connection)
        if staff is None:
            raise NotAuthorizedException("Please sign in.")
        if staff.role not in roles:
            raise PermissionDeniedException("Your role may not do this.")

    guard.__name__ = "requires_" + "_or_".join(r.value for r in roles)
    return guard


requires_coordinator = requires_role(Role.coordinator)
