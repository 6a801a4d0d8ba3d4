"""The audit trail: who did what to which object. Callers pass ids and non-personal
details only; this module refuses obvious personal data keys as a safety net."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from programmes.tables import AuditEvent

_PERSONAL_KEYS = frozenset({"name", "email", "phone", "first_name", "date_of_birth", "password"})


async def record(
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit event (inside the caller's transaction, if any)."""
    detail = detail or {}
    leaked = _PERSONAL_KEYS.intersection(detail)
    if leaked:
        raise ValueError(f"audit detail must not carry personal data: {sorted(leaked)}")
    await AuditEvent.insert(
        AuditEvent(
            at=now,
            actor=actor_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
        )
    )
