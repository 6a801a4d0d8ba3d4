"""The audit trail: who did what to which object. Callers pass ids and non-personal
details only; this module refuses obvious personal data keys as a safety net."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
    _check(detail)
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


async def record_many(
    *,
    actor_id: int | None,
    action_details: Sequence[tuple[str, dict[str, Any]]],
    object_type: str,
    object_id: int | None,
    now: datetime,
) -> None:
    """Write several audit events about one object in one statement (e.g. every mark
    changed by one attendance list), each as (action, detail)."""
    if not action_details:
        return
    values: list[Any] = []
    for action, detail in action_details:
        _check(detail)
        values += [now, actor_id, action, object_type, object_id]
        values.append(json.dumps(detail, sort_keys=True))
    # Only placeholders are joined into the statement; every value is a parameter.
    rows = ", ".join(["({}, {}, {}, {}, {}, {})"] * len(action_details))
    await fetch(
        "INSERT INTO audit_event (at, actor, action, object_type, object_id, detail) "  # noqa: S608
        f"VALUES {rows}",
        *values,
    )


def _check(detail: dict[str, Any]) -> None:
    leaked = _PERSONAL_KEYS.intersection(detail)
    if leaked:
        raise ValueError(f"audit detail must not carry personal data: {sorted(leaked)}")
