"""Erasing a family's or a person's personal data (GDPR Art. 17), keeping what funders'
reports count.

What goes: names, e-mail addresses, phone numbers, children's first names and dates of
birth (set to `ERASED_BIRTHDAY`), the free text of registrations (needs), their cancel
token and duplicate key, the mails sent to the subject's addresses or about their
registrations (every column that can hold personal data: recipient address, subject, text,
attachment and its name, last error; an unsent one is given up), and the details of audit
events about them.
What stays: the rows themselves with their ids, the KiTa, the guardians' languages, the
registrations' status, seats and consent record, and attendance marks: every count in a
report stays exactly the same. `anonymised_at` marks the erased family or person; lists
show them as "(name erased)" and certificates skip them.

Erasing does not withdraw: a family erased while its cohort runs keeps its place (withdraw
it first if it leaves). Erasing twice is harmless.
"""

from __future__ import annotations

from datetime import date, datetime

from programmes.db import fetch, write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff, require_coordinator
from programmes.domain.privacy.requests import close_requests
from programmes.domain.privacy.subjects import Subject, SubjectKind, find_subject, placeholders

#: Stands in for an erased child's date of birth (the column cannot be empty).
ERASED_BIRTHDAY = date(1900, 1, 1)


async def erase_subject(*, staff: Staff, kind: SubjectKind, subject_id: int, now: datetime) -> None:
    """Erase one family's or person's personal data, on a coordinator's request."""
    require_coordinator(staff)
    async with write_transaction():
        subject = await find_subject(kind, subject_id)
        await erase(subject, now=now)
        await close_requests(subject, staff_id=staff.id, now=now)
        await audit.record(
            actor_id=staff.id,
            action=f"{kind.value}.erased",
            object_type=kind.value,
            object_id=subject.id,
            now=now,
        )


async def erase(subject: Subject, *, now: datetime) -> None:
    """Erase inside the caller's transaction (also used by the retention job)."""
    if subject.kind is SubjectKind.family:
        await fetch(
            "UPDATE guardian SET name = '', phone = '', email = '' WHERE family = {}",
            subject.id,
        )
        await fetch(
            "UPDATE child SET first_name = '', date_of_birth = {} WHERE family = {}",
            ERASED_BIRTHDAY,
            subject.id,
        )
        await fetch(
            "UPDATE family SET anonymised_at = COALESCE(anonymised_at, {}), updated_at = {} "
            "WHERE id = {}",
            now,
            now,
            subject.id,
        )
    else:
        await fetch(
            "UPDATE person SET name = '', email = '', phone = '', "
            "anonymised_at = COALESCE(anonymised_at, {}) WHERE id = {}",
            now,
            subject.id,
        )
    if subject.registration_ids:
        ids = subject.registration_ids
        await fetch(
            "UPDATE registration SET needs = '', dedupe_key = NULL, cancel_token_hash = NULL, "  # noqa: S608 (placeholders only)
            f"updated_at = {{}} WHERE id IN ({placeholders(ids)})",
            now,
            *ids,
        )
    mails = subject.mails()
    if mails is not None:
        condition, values = mails
        await forget_mails(condition, *values, now=now)
    for object_type, ids in subject.audit_objects:
        if ids:
            await fetch(
                "UPDATE audit_event SET detail = {} "  # noqa: S608 (placeholders only)
                f"WHERE object_type = {{}} AND object_id IN ({placeholders(ids)})",
                "{}",
                object_type,
                *ids,
            )


async def forget_mails(condition: str, *args: object, now: datetime) -> None:
    """Clear recipient, subject, text, attachment (and its name) and last error of the
    outbox rows matching `condition` (SQL with `{}` placeholders): every column that can
    hold a name or an address (the Message-ID is random and the sender's host). An unsent
    one is given up, visibly, as erased."""
    await fetch(
        "UPDATE outbox SET to_address = '', subject = '', body_text = '', attachment = '', "  # noqa: S608 (placeholders only)
        "attachment_name = '', last_error = 'erased', "
        "failed_at = CASE WHEN sent_at IS NULL THEN COALESCE(failed_at, {}) ELSE failed_at END "
        f"WHERE {condition}",
        now,
        *args,
    )
