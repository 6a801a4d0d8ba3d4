"""Reading the audit trail: coordinators look up who did what to which object, and when,
filtered by object and by Berlin calendar days, newest first, a page at a time."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any, Final

import msgspec

from programmes.clock import BERLIN, as_utc
from programmes.domain.access import Staff, require_coordinator
from programmes.domain.errors import N_, InvalidParameter
from programmes.domain.types import MAX_ID
from programmes.tables import AuditEvent

PAGE_SIZE: Final = 50
MAX_PAGE: Final = 10_000
EARLIEST: Final = date(2000, 1, 1)
LATEST: Final = date(2100, 12, 31)


class AuditEntry(msgspec.Struct, frozen=True):
    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    object_type: str
    object_id: int | None
    detail: dict[str, Any]


class AuditPage(msgspec.Struct, frozen=True):
    entries: list[AuditEntry]
    page: int
    has_next: bool
    object_types: list[str]


async def read_audit_trail(
    *,
    staff: Staff,
    object_type: str | None = None,
    object_id: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    page: str | None = None,
) -> AuditPage:
    """One page of audit events matching the filters (text as typed; each is checked and
    a bad one is refused naming it)."""
    require_coordinator(staff)
    query = AuditEvent.select(
        AuditEvent.id,
        AuditEvent.at,
        AuditEvent.actor,
        AuditEvent.actor.email.as_alias("actor_email"),
        AuditEvent.action,
        AuditEvent.object_type,
        AuditEvent.object_id,
        AuditEvent.detail,
    )
    if object_type:
        query = query.where(AuditEvent.object_type == object_type.strip()[:50])
    number = _whole(object_id, "object_id", high=MAX_ID)
    if number is not None:
        query = query.where(AuditEvent.object_id == number)
    first = _day(date_from, "from")
    last = _day(date_to, "to")
    if first is not None:
        query = query.where(AuditEvent.at >= datetime.combine(first, time(), BERLIN))
    if last is not None:
        query = query.where(
            AuditEvent.at < datetime.combine(last + timedelta(days=1), time(), BERLIN)
        )
    page_number = _whole(page, "page", high=MAX_PAGE) or 1
    rows = (
        await query.order_by(AuditEvent.id, ascending=False)
        .limit(PAGE_SIZE + 1)
        .offset((page_number - 1) * PAGE_SIZE)
    )
    types = await AuditEvent.select(AuditEvent.object_type).distinct()
    return AuditPage(
        entries=[_entry(row) for row in rows[:PAGE_SIZE]],
        page=page_number,
        has_next=len(rows) > PAGE_SIZE,
        object_types=sorted(str(t["object_type"]) for t in types),
    )


def _entry(row: dict[str, Any]) -> AuditEntry:
    detail = row["detail"]
    if isinstance(detail, str):
        detail = json.loads(detail or "{}")
    at = as_utc(row["at"])
    assert at is not None
    return AuditEntry(
        id=int(row["id"]),
        at=at,
        actor_id=row["actor"],
        actor=str(row["actor_email"] or ""),
        action=str(row["action"]),
        object_type=str(row["object_type"]),
        object_id=row["object_id"],
        detail=detail or {},
    )


def _whole(value: str | None, field: str, *, high: int) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= high:
        raise InvalidParameter(
            N_("Enter a whole number from 1 to %(high)s."), field=field, high=high
        )
    return int(text)


def _day(value: str | None, field: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not EARLIEST <= day <= LATEST or len(text) != 10:
        raise InvalidParameter(N_("Enter a day as YYYY-MM-DD between 2000 and 2100."), field=field)
    return day


__all__ = ["PAGE_SIZE", "AuditEntry", "AuditPage", "read_audit_trail"]
