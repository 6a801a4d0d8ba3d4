"""Whose data: a family (enrolled by a KiTa) or a person (a public registrant), and every
row that holds or points at their personal data.

Export and erasure both start here, so they cannot disagree about what belongs to whom:
the subject's own rows, their registrations, the attendance marks of those
registrations, the mails sent to their addresses or about their registrations, and the
audit events about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from programmes.db import fetch
from programmes.domain.access import Staff, require_coordinator
from programmes.domain.errors import N_, NotFound


class SubjectKind(StrEnum):
    family = "family"
    person = "person"


@dataclass(frozen=True)
class Subject:
    """One family or person, with the ids and addresses that lead to their data."""

    kind: SubjectKind
    id: int
    registration_ids: tuple[int, ...]
    emails: tuple[str, ...]
    anonymised: bool

    def mails(self) -> tuple[str, tuple[object, ...]] | None:
        """SQL condition (with `{}` placeholders) and its values for the subject's outbox
        rows: those sent to one of their addresses, and those about one of their
        registrations (an address changed since, a guardian erased before). None when
        there can be none."""
        parts: list[str] = []
        values: list[object] = []
        if self.emails:
            parts.append(f"LOWER(to_address) IN ({placeholders(self.emails)})")
            values.extend(self.emails)
        if self.registration_ids:
            parts.append(
                f"(related_type = 'registration' AND related_id IN "
                f"({placeholders(self.registration_ids)}))"
            )
            values.extend(self.registration_ids)
        if not parts:
            return None
        return "(" + " OR ".join(parts) + ")", tuple(values)

    @property
    def audit_objects(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """(object_type, ids) pairs of the audit events about this subject."""
        return ((self.kind.value, (self.id,)), ("registration", self.registration_ids))


def placeholders(values: tuple[object, ...]) -> str:
    """`{}, {}, …` for an IN list of `values` (never empty: callers check)."""
    return ", ".join("{}" for _ in values)


async def find_subject(kind: SubjectKind, subject_id: int) -> Subject:
    """The subject with its registrations and e-mail addresses, or NotFound."""
    if kind is SubjectKind.family:
        rows = await fetch("SELECT id, anonymised_at FROM family WHERE id = {}", subject_id)
        emails = await fetch(
            "SELECT email FROM guardian WHERE family = {} AND email <> ''", subject_id
        )
    else:
        rows = await fetch("SELECT id, anonymised_at FROM person WHERE id = {}", subject_id)
        emails = await fetch("SELECT email FROM person WHERE id = {} AND email <> ''", subject_id)
    if not rows:
        message = (
            N_("There is no family with id %(id)s.")
            if kind is SubjectKind.family
            else N_("There is no person with id %(id)s.")
        )
        raise NotFound(message, field=kind.value, id=subject_id)
    registrations = await fetch(
        f"SELECT id FROM registration WHERE {kind.value} = {{}} ORDER BY id",  # noqa: S608 (enum value)
        subject_id,
    )
    return Subject(
        kind=kind,
        id=subject_id,
        registration_ids=tuple(int(r["id"]) for r in registrations),
        emails=tuple(sorted({str(e["email"]).strip().lower() for e in emails})),
        anonymised=rows[0]["anonymised_at"] is not None,
    )


async def get_subject(*, staff: Staff, kind: SubjectKind, subject_id: int) -> Subject:
    """The subject as coordinators see it before exporting or erasing (no personal data)."""
    require_coordinator(staff)
    return await find_subject(kind, subject_id)
