"""Edits in the back office (piccolo-admin) follow the rules the service's own changes follow.

Calendar feeds notice a change through `updated_at` (and counts and ids), and calendar apps
apply a changed entry only when its `SEQUENCE` grows (RFC 5545). The use cases in
`planning.sessions` and elsewhere set both; a coordinator correcting a row in the back office
bypasses them, so these rules run as piccolo-admin hooks:

* every new or edited row of a table that has `updated_at` gets `updated_at = now`;
* an edited session whose calendar-visible fields (times, place, theme, status, reason,
  substitute) really changed gets `sequence = current + 1` (never lower than what was
  sent, never lower than it was);
* every creation, edit and deletion is in the audit trail like the service's own writes:
  who, which table and row, and the names of the fields sent (never their values, which
  may be personal data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from piccolo.columns import Column
from piccolo.table import Table

from programmes.clock import as_utc
from programmes.domain import audit
from programmes.tables import Session

#: What a calendar entry of a session shows (besides the run's and programme's texts).
SESSION_CALENDAR_FIELDS: Final = (
    "starts_at",
    "ends_at",
    "location",
    "theme",
    "status",
    "cancel_reason",
    "public_cancel_note",
    "substitute",
)


def has_change_stamp(table: type[Table]) -> bool:
    return any(column._meta.name == "updated_at" for column in table._meta.columns)


def stamp_new_row(row: Table, *, now: datetime) -> Table:
    """A row created in the back office: `updated_at` is now, whatever the form sent."""
    row.updated_at = now  # type: ignore[attr-defined]
    return row


async def stamp_edit(
    table: type[Table], row_id: Any, values: Mapping[Any, Any], *, now: datetime
) -> dict[Any, Any]:
    """The values of a back-office edit, with `updated_at` (and a session's `sequence`)."""
    stamped = {key: value for key, value in values.items() if _name(key) != "updated_at"}
    stamped[table._meta.get_column_by_name("updated_at")] = now
    if table is Session:
        await _raise_sequence(row_id, stamped)
    return stamped


async def _raise_sequence(row_id: Any, values: dict[Any, Any]) -> None:
    shown = [Session._meta.get_column_by_name(name) for name in SESSION_CALENDAR_FIELDS]
    current = await Session.select(Session.sequence, *shown).where(Session.id == row_id).first()
    if current is None:  # gone meanwhile: the update will change nothing
        return
    sent = {_name(key): (key, value) for key, value in values.items()}
    changed = any(
        name in sent and _differs(current[name], sent[name][1]) for name in SESSION_CALENDAR_FIELDS
    )
    floor = int(current["sequence"]) + (1 if changed else 0)
    sent_sequence = sent.get("sequence")
    if sent_sequence is not None:
        del values[sent_sequence[0]]
        floor = max(floor, int(sent_sequence[1] or 0))
    values[Session.sequence] = floor


def _name(key: Any) -> str:
    return key._meta.name if isinstance(key, Column) else str(key)


def _differs(stored: Any, sent: Any) -> bool:
    """Whether a sent value changes the stored one (timestamps compared as instants; the
    form may send them in another zone or as text)."""
    if isinstance(stored, datetime) or isinstance(sent, datetime):
        try:
            return as_utc(stored) != as_utc(sent)
        except (TypeError, ValueError):
            return True
    if isinstance(sent, Table):  # a foreign key sent as a row
        sent = getattr(sent, "id", sent)
    return bool(stored != sent)


async def audit_edit(
    table: type[Table],
    row_id: Any,
    fields: Iterable[Any],
    *,
    action: str,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Record a back-office creation, edit or deletion (`action`: created, edited,
    deleted) with the names of the fields sent."""
    await audit.record(
        actor_id=actor_id,
        action=f"back_office.{action}",
        object_type=table._meta.tablename,
        object_id=_row_id(row_id),
        now=now,
        detail={"fields": sorted({_name(key) for key in fields})},
    )


def _row_id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
