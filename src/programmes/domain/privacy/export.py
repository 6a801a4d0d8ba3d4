"""Export one family's or person's data (GDPR Art. 15 and 20): every stored field, their
registrations with the consent each records, attendance, the mails sent to them, and the
audit events about them. The same structure is served as JSON and shown as a page."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from programmes.db import fetch as fetch_records
from programmes.domain import audit
from programmes.domain.access import Staff, require_coordinator
from programmes.domain.privacy.subjects import Subject, SubjectKind, find_subject, placeholders


async def export_subject(
    *, staff: Staff, kind: SubjectKind, subject_id: int, now: datetime
) -> dict[str, Any]:
    """All data held about one family or person, as plain JSON-ready values. Audited."""
    require_coordinator(staff)
    subject = await find_subject(kind, subject_id)
    data: dict[str, Any] = {"kind": kind.value, "id": subject.id, "exported_at": now}
    if kind is SubjectKind.family:
        data.update(await _family(subject.id))
    else:
        data.update(await _person(subject.id))
    data["registrations"] = await _registrations(subject)
    data["attendance"] = await _attendance(subject)
    data["mails"] = await _mails(subject)
    data["audit"] = await _audit(subject)
    await audit.record(
        actor_id=staff.id,
        action=f"{kind.value}.exported",
        object_type=kind.value,
        object_id=subject.id,
        now=now,
    )
    plain: dict[str, Any] = _plain(data)
    return plain


async def _family(family_id: int) -> dict[str, Any]:
    family = (
        await fetch(
            "SELECT f.created_at, f.updated_at, f.anonymised_at, k.id AS kita_id, "
            "k.name AS kita_name FROM family f JOIN kita k ON k.id = f.kita WHERE f.id = {}",
            family_id,
        )
    )[0]
    guardians = await fetch(
        "SELECT id, name, languages, phone, email, reach_via_kita FROM guardian "
        "WHERE family = {} ORDER BY id",
        family_id,
    )
    children = await fetch(
        "SELECT id, first_name, date_of_birth FROM child WHERE family = {} ORDER BY id",
        family_id,
    )
    for guardian in guardians:
        guardian["languages"] = _languages(guardian["languages"])
        guardian["reach_via_kita"] = bool(guardian["reach_via_kita"])
    return {
        "kita": {"id": family["kita_id"], "name": family["kita_name"]},
        "created_at": family["created_at"],
        "updated_at": family["updated_at"],
        "anonymised_at": family["anonymised_at"],
        "guardians": guardians,
        "children": children,
    }


async def _person(person_id: int) -> dict[str, Any]:
    rows = await fetch(
        "SELECT name, email, phone, language, created_at, anonymised_at FROM person WHERE id = {}",
        person_id,
    )
    return dict(rows[0])


async def _registrations(subject: Subject) -> list[dict[str, Any]]:
    if not subject.registration_ids:
        return []
    ids = subject.registration_ids
    rows = await fetch(
        "SELECT r.id, r.cohort AS cohort_id, c.title AS cohort_title, "  # noqa: S608 (placeholders only)
        "p.title AS programme_title, r.status, r.seats, r.waiting_position, r.needs, "
        "r.language, r.consent_notice_version, r.consent_method, r.consent_given_on, "
        "r.consent_recorded_by, r.created_at, r.updated_at, r.cancelled_at "
        "FROM registration r JOIN cohort c ON c.id = r.cohort "
        f"JOIN programme p ON p.id = c.programme WHERE r.id IN ({placeholders(ids)}) "
        "ORDER BY r.id",
        *ids,
    )
    for row in rows:
        row["consent"] = {
            "notice_version": row.pop("consent_notice_version"),
            "method": row.pop("consent_method"),
            "given_on": row.pop("consent_given_on"),
            "recorded_by_account": row.pop("consent_recorded_by"),
        }
    return rows


async def _attendance(subject: Subject) -> list[dict[str, Any]]:
    if not subject.registration_ids:
        return []
    ids = subject.registration_ids
    return await fetch(
        "SELECT a.registration AS registration_id, a.session AS session_id, "  # noqa: S608 (placeholders only)
        "s.starts_at, a.mark, a.recorded_at FROM attendance a "
        "JOIN cohort_session s ON s.id = a.session "
        f"WHERE a.registration IN ({placeholders(ids)}) ORDER BY s.starts_at, a.id",
        *ids,
    )


async def _mails(subject: Subject) -> list[dict[str, Any]]:
    mails = subject.mails()
    if mails is None:
        return []
    condition, values = mails
    return await fetch(
        "SELECT id, to_address, language, subject, body_text, attachment_name, created_at, "  # noqa: S608 (placeholders only)
        f"sent_at, failed_at FROM outbox WHERE {condition} ORDER BY id",
        *values,
    )


async def _audit(subject: Subject) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for object_type, ids in subject.audit_objects:
        if not ids:
            continue
        rows = await fetch(
            "SELECT id, at, actor, action, object_type, object_id, detail FROM audit_event "  # noqa: S608 (placeholders only)
            f"WHERE object_type = {{}} AND object_id IN ({placeholders(ids)})",
            object_type,
            *ids,
        )
        events.extend(rows)
    for event in events:
        detail = event["detail"]
        event["detail"] = json.loads(detail) if isinstance(detail, str) else detail
    return sorted(events, key=lambda e: e["id"])


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows as plain dicts on both engines (asyncpg's records cannot be changed)."""
    return [dict(row) for row in await fetch_records(sql, *args)]


def _languages(value: Any) -> list[str]:
    """Piccolo's arrays come back as lists on PostgreSQL and as JSON text on SQLite."""
    if isinstance(value, str):
        return [str(v) for v in json.loads(value)]
    return [str(v) for v in value or []]


def _plain(value: Any) -> Any:
    """Datetimes and dates as ISO strings, so the export is JSON as it stands."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
