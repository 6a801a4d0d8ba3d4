"""The audit trail: who did what to which object. Callers pass ids and non-personal
details only; this module refuses obvious personal data keys as a safety net."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from programmes.db import fetch

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
    await fetch(
        "INSERT INTO audit_event (at, actor, action, object_type, object_id, detail) "
        "VALUES ({}, {}, {}, {}, {}, {})",
        now,
        actor_id,
        action,
        object_type,
        object_id,
        json.dumps(detail, sort_keys=True),
    )
