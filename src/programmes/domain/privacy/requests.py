"""Erasure requests: a KiTa partner asks for one of their KiTa's families to be erased (or
consent was withdrawn), and coordinators see the open requests and carry them out.

Partners may not erase themselves: erasure cannot be undone, so it stays with the
coordinators, who see every request in one list. Filing twice gives the open request.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

from programmes.clock import as_utc
from programmes.db import fetch, write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff, require_coordinator
from programmes.domain.enrolment import families
from programmes.domain.privacy.subjects import Subject, SubjectKind
from programmes.tables import ErasureRequest


class ErasureReason(StrEnum):
    requested = "requested"
    consent_withdrawn = "consent_withdrawn"


class ErasureRequestView(msgspec.Struct, frozen=True):
    id: int
    kind: str
    subject_id: int
    kita: str
    reason: str
    requested_at: datetime
    requested_by: str


async def request_family_erasure(
    *, staff: Staff, family_id: int, now: datetime, reason: ErasureReason = ErasureReason.requested
) -> int:
    """File (or find) the open erasure request of a family the caller may see."""
    family = await families.get_family(staff=staff, family_id=family_id)  # 404 for others
    async with write_transaction():
        open_request = await fetch(
            "SELECT id FROM erasure_request WHERE family = {} AND done_at IS NULL", family_id
        )
        if open_request:
            return int(open_request[0]["id"])
        rows = await ErasureRequest.insert(
            ErasureRequest(
                family=family_id,
                kita=family.kita_id,
                reason=reason.value,
                requested_by=staff.id,
                requested_at=now,
            )
        )
        await audit.record(
            actor_id=staff.id,
            action="family.erasure_requested",
            object_type="family",
            object_id=family_id,
            now=now,
            detail={"reason": reason.value},
        )
        return int(rows[0]["id"])


async def open_requests(*, staff: Staff) -> list[ErasureRequestView]:
    """The requests coordinators still have to carry out, oldest first."""
    require_coordinator(staff)
    rows = await fetch(
        "SELECT r.id, r.family, r.person, r.reason, r.requested_at, k.name AS kita, "
        "a.email AS requested_by FROM erasure_request r "
        "LEFT JOIN kita k ON k.id = r.kita LEFT JOIN account a ON a.id = r.requested_by "
        "WHERE r.done_at IS NULL ORDER BY r.requested_at, r.id"
    )
    views = []
    for row in rows:
        requested_at = as_utc(row["requested_at"])
        assert requested_at is not None
        family = row["family"]
        views.append(
            ErasureRequestView(
                id=int(row["id"]),
                kind=SubjectKind.family.value if family is not None else SubjectKind.person.value,
                subject_id=int(family if family is not None else row["person"]),
                kita=str(row["kita"] or ""),
                reason=str(row["reason"]),
                requested_at=requested_at,
                requested_by=str(row["requested_by"] or ""),
            )
        )
    return views


async def close_requests(subject: Subject, *, staff_id: int | None, now: datetime) -> None:
    """Mark the subject's open requests done (inside the erasure's transaction)."""
    await fetch(
        f"UPDATE erasure_request SET done_at = {{}}, done_by = {{}} "  # noqa: S608 (enum value)
        f"WHERE {subject.kind.value} = {{}} AND done_at IS NULL",
        now,
        staff_id,
        subject.id,
    )
