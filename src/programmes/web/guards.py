"""Role rules for every endpoint.

Every route handler either carries one of these guards (on itself, its controller or its
router) or declares itself public with `opt=PUBLIC`; `tests/web/test_access_rules.py`
walks the whole app and fails when a handler has neither.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from programmes.domain.access import Staff
from programmes.vocabulary import Role
from programmes.web.kept_forms import sign_in_again

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]

#: Marks a handler that anybody may call, on purpose.
PUBLIC: dict[str, Any] = {"access": "public"}


def current_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> Staff | None:
    user = connection.scope.get("user")
    return user if isinstance(user, Staff) else None


async def requires_staff(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Signed-in staff only. A staff form sent after the sign-in expired keeps its entries
    for after signing in again (`web.kept_forms`)."""
    if current_staff(connection) is None:
        raise await sign_in_again(connection)


def requires_role(*roles: Role) -> Guard:
    """A guard letting through signed-in staff with one of `roles` (403 for the others)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        staff = current_staff(connection)
        if staff is None:
            raise await sign_in_again(connection)
        if staff.role not in roles:
            raise PermissionDeniedException("Your role may not do this.")

    guard.__name__ = "requires_" + "_or_".join(r.value for r in roles)
    return guard


requires_coordinator = requires_role(Role.coordinator)
