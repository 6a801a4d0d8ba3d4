"""The coordinators' back office: piccolo-admin, built once and mounted at /admin/.

It signs in against the same `Account` table and `SessionsBase` sessions as the staff
pages, so a coordinator who signed in at /staff/login is signed in here too. Our guard
lets only coordinators through (others get 403, anonymous visitors the sign-in page);
piccolo-admin's own check (`admin` flag) is a second line. Edits made here set
`updated_at` (and raise a changed session's `sequence`) like the service's own changes, so
calendar feeds and subscribed calendars pick them up, and are audited
(`domain/catalogue/back_office.py`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from litestar import asgi
from litestar.handlers.asgi_handlers import ASGIRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.crud.hooks import Hook, HookType
from piccolo_api.session_auth.tables import SessionsBase

from programmes.clock import Clock, system_clock
from programmes.domain.catalogue import back_office
from programmes.settings import Settings
from programmes.tables import (
    Account,
    ApiToken,
    Attendance,
    AuditEvent,
    Child,
    ClosureDay,
    Cohort,
    CohortTrainer,
    Family,
    FeedToken,
    Guardian,
    Kita,
    Outbox,
    Person,
    Place,
    Programme,
    Registration,
    Session,
)
from programmes.web.guards import requires_coordinator

ADMIN_TABLES: list[type[Table]] = [
    Kita,
    ClosureDay,
    Place,
    Programme,
    Cohort,
    CohortTrainer,
    Session,
    Family,
    Guardian,
    Child,
    Person,
    Registration,
    Attendance,
    Account,
    ApiToken,
    FeedToken,
    AuditEvent,
    Outbox,
]


def build_admin(settings: Settings) -> ASGIApp:
    return _admin(production=settings.secure_cookies, host=settings.host)


def _clock(request: Any) -> Clock:
    """The app's clock (tests freeze it): piccolo-admin runs inside our app, whose scope it
    keeps; the admin itself is built once per process, before any app exists."""
    app = request.scope.get("litestar_app")
    return app.state.clock if app is not None else system_clock  # type: ignore[no-any-return]


def _actor_id(request: Any) -> int | None:
    """The signed-in coordinator (piccolo-admin's session user wraps our Account row)."""
    user = getattr(request, "user", None)
    return getattr(user, "user_id", None)


def _table_config(table: type[Table]) -> TableConfig:
    stamped = back_office.has_change_stamp(table)

    async def on_create(row: Table, request: Any) -> Table:
        now = _clock(request)()
        if stamped:
            row = back_office.stamp_new_row(row, now=now)
        fields = [c._meta.name for c in table._meta.columns if c._meta.name != "id"]
        await back_office.audit_edit(
            table, None, fields, action="created", actor_id=_actor_id(request), now=now
        )
        return row

    async def on_edit(row_id: Any, values: dict[Any, Any], request: Any) -> dict[Any, Any]:
        now = _clock(request)()
        await back_office.audit_edit(
            table, row_id, values, action="edited", actor_id=_actor_id(request), now=now
        )
        return await back_office.stamp_edit(table, row_id, values, now=now) if stamped else values

    async def on_delete(row_id: Any, request: Any) -> None:
        await back_office.audit_edit(
            table, row_id, [], action="deleted", actor_id=_actor_id(request), now=_clock(request)()
        )

    return TableConfig(
        table,
        hooks=[
            Hook(HookType.pre_save, on_create),
            Hook(HookType.pre_patch, on_edit),
            Hook(HookType.pre_delete, on_delete),
        ],
    )


@lru_cache(maxsize=4)
def _admin(*, production: bool, host: str) -> ASGIApp:
    """Building piccolo-admin takes most of a second, so it is built once per process; it
    reaches the database through the tables, which follow the configured engine."""
    return create_admin(  # type: ignore[no-any-return]
        tables=[_table_config(table) for table in ADMIN_TABLES],
        auth_table=Account,
        session_table=SessionsBase,
        site_name="programmes – Back office",
        production=production,
        allowed_hosts=[host],
    )


def admin_route(admin: ASGIApp) -> ASGIRouteHandler:
    @asgi("/admin", is_mount=True, copy_scope=True, guards=[requires_coordinator])
    async def back_office(scope: Scope, receive: Receive, send: Send) -> None:
        await admin(scope, receive, send)

    return back_office
