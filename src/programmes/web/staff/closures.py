"""The closure days page of a KiTa: /staff/kitas/{kita_id}/closures.

Everyone who may see the KiTa reads the list; coordinators also get the forms to add a day
or a range, to delete, and to import the KiTa's iCal calendar. Plain HTML forms (no
JavaScript); after adding or deleting, the browser is redirected back (a reload never posts
twice); an import redirects too, with its counts (numbers only) in the query.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Struct

from programmes.clock import BERLIN
from programmes.domain.access import Staff
from programmes.domain.errors import Conflict, DomainError, InvalidInput, Unavailable
from programmes.domain.planning import closures
from programmes.domain.planning.closures import ImportResult
from programmes.web.confirm import confirmation, confirmed
from programmes.web.deps import PathId, allow_private_calendar_hosts
from programmes.web.errors import status_for
from programmes.web.forms import read_form
from programmes.web.guards import requires_coordinator, requires_staff
from programmes.web.pages import page, request_language

NOTICES = ("added", "deleted", "imported")
IMPORT_COUNTS = ("added", "updated", "removed", "unchanged")


class ClosureForm(Struct):
    first_day: str = ""
    last_day: str = ""
    reason: str = ""


class ImportForm(Struct):
    url: str = ""


def closures_path(kita_id: int) -> str:
    return f"/staff/kitas/{kita_id}/closures"


class StaffClosureController(Controller):
    path = "/staff/kitas/{kita_id:int}/closures"
    tags = ["staff"]
    include_in_schema = False

    @get("/", guards=[requires_staff])
    async def show(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        kita_id: PathId,
        now: NamedDependency[datetime],
        past: FromQuery[bool] = False,
        notice: FromQuery[str] = "",
    ) -> Template:
        return await _page(
            request,
            staff,
            kita_id,
            now,
            past=past,
            notice=notice if notice in NOTICES else "",
            result=_import_result(request, kita_id) if notice == "imported" else None,
        )

    @post("/", guards=[requires_coordinator], status_code=303)
    async def add(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        kita_id: PathId,
        data: URLEncodedBody[ClosureForm],
        now: NamedDependency[datetime],
    ) -> Redirect | Template:
        try:
            first_day = closures.parse_day(data.first_day, field="first_day", required=True)
            assert first_day is not None  # required
            await closures.add_closure(
                staff=staff,
                kita_id=kita_id,
                first_day=first_day,
                last_day=closures.parse_day(data.last_day, field="last_day"),
                reason=data.reason,
                now=now,
            )
        except (InvalidInput, Conflict) as error:
            return await _page(request, staff, kita_id, now, error=error, closure_form=data)
        return Redirect(f"{closures_path(kita_id)}?notice=added", status_code=303)

    @post("/{closure_id:int}/delete", guards=[requires_coordinator], status_code=303)
    async def delete(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        kita_id: PathId,
        closure_id: PathId,
        now: NamedDependency[datetime],
    ) -> Redirect | Template:
        """Asks once (a deleted closure is gone), then deletes."""
        form = await read_form(request)
        if not confirmed(form):
            await closures.closure_calendar(staff=staff, kita_id=kita_id)  # 404 if unknown
            return confirmation(
                request,
                form,
                what="closure-delete",
                action=f"{closures_path(kita_id)}/{closure_id}/delete",
                back=closures_path(kita_id),
            )
        await closures.delete_closure(staff=staff, closure_id=closure_id, kita_id=kita_id, now=now)
        return Redirect(f"{closures_path(kita_id)}?notice=deleted", status_code=303)

    @post("/import", guards=[requires_coordinator], status_code=303)
    async def import_calendar(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        kita_id: PathId,
        data: URLEncodedBody[ImportForm],
        now: NamedDependency[datetime],
    ) -> Redirect | Template:
        """Imports, then redirects to the page with the counts in the query (numbers and
        dates only), so that a reload does not fetch the calendar again."""
        try:
            result = await closures.import_closures(
                staff=staff,
                kita_id=kita_id,
                url=data.url,
                now=now,
                allow_private_hosts=allow_private_calendar_hosts(request),
            )
        except (InvalidInput, Unavailable) as error:
            return await _page(request, staff, kita_id, now, error=error, import_url=data.url)
        counts = {
            "notice": "imported",
            **{name: str(getattr(result, name)) for name in IMPORT_COUNTS},
            "from": result.window_start.isoformat(),
            "to": result.window_end.isoformat(),
        }
        return Redirect(f"{closures_path(kita_id)}?{urlencode(counts)}", status_code=303)


def _kept_closure(kept: Any) -> ClosureForm | None:
    """The closure form's entries kept while the person signed in again (`web.kept_forms`)."""
    if not kept or "first_day" not in kept:
        return None
    return ClosureForm(
        first_day=str(kept.get("first_day", "")),
        last_day=str(kept.get("last_day", "")),
        reason=str(kept.get("reason", "")),
    )


def _import_result(request: Request[Any, Any, Any], kita_id: int) -> ImportResult | None:
    """An import's counts from the page's query (None when they do not read as counts)."""
    query = request.query_params
    try:
        counts = {name: int(query.get(name, "")[:6]) for name in IMPORT_COUNTS}
        start = date.fromisoformat(query.get("from", "")[:10])
        end = date.fromisoformat(query.get("to", "")[:10])
    except ValueError:
        return None
    return ImportResult(kita_id=kita_id, window_start=start, window_end=end, **counts)


async def _page(
    request: Request[Any, Any, Any],
    staff: Staff,
    kita_id: int,
    now: datetime,
    *,
    past: bool = False,
    notice: str = "",
    error: DomainError | None = None,
    closure_form: ClosureForm | None = None,
    import_url: str | None = None,
    result: ImportResult | None = None,
) -> Template:
    kept: Any = request.scope.get("kept_form")  # type: ignore[typeddict-item]  # web.kept_forms
    today = now.astimezone(BERLIN).date()
    from_day = None if past else today - timedelta(days=closures.IMPORT_PAST_DAYS)
    calendar = await closures.closure_calendar(staff=staff, kita_id=kita_id, from_day=from_day)
    errors = []
    if error is not None:
        message = error.translated(request_language(request))
        errors.append({"field": error.field, "message": message})
    return page(
        request,
        "staff/closures.html",
        status_code=status_for(error) if error is not None else 200,
        kita=calendar.kita,
        closures=calendar.closures,
        may_edit=staff.is_coordinator,
        past=past,
        from_day=from_day,
        notice=notice,
        errors=errors,
        import_failed=error is not None and error.field == "url",
        closure_form=closure_form or _kept_closure(kept) or ClosureForm(),
        import_url=import_url
        if import_url is not None
        else (kept.get("url") if kept and "url" in kept else calendar.ical_url or ""),
        result=result,
        action=closures_path(kita_id),
    )
