"""Withdrawing consent, in one step.

A family's consent (recorded on paper or verbally by the KiTa) is withdrawn through the
KiTa's partner or a coordinator: the family leaves its group (its place goes to the
waiting list), no further mail goes to it (mails not yet sent are dropped, and cohort
mails skip registrations whose consent was withdrawn), and an erasure request is filed
for the coordinators, who erase the data (partners cannot erase).
"""

from __future__ import annotations

from programmes.db import fetch, write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff
from programmes.domain.enrolment import families
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.privacy.erasure import forget_mails
from programmes.domain.privacy.requests import ErasureReason, request_family_erasure
from programmes.domain.privacy.subjects import SubjectKind, find_subject, placeholders
from programmes.vocabulary import RegistrationStatus


async def withdraw_family_consent(*, staff: Staff, family_id: int, mail: MailContext) -> None:
    """The family's consent is withdrawn: out of its group, no more mail, erasure requested."""
    current = await families.get_family(staff=staff, family_id=family_id)  # 404 for others
    async with write_transaction():
        if current.registration_id is not None and current.status != (
            RegistrationStatus.cancelled.value
        ):
            await families.withdraw_family(staff=staff, family_id=family_id, mail=mail)
        await fetch(
            "UPDATE registration SET consent_withdrawn_at = {}, updated_at = {} "
            "WHERE family = {} AND consent_withdrawn_at IS NULL",
            mail.now,
            mail.now,
            family_id,
        )
        subject = await find_subject(SubjectKind.family, family_id)
        if subject.emails:
            await forget_mails(
                f"sent_at IS NULL AND failed_at IS NULL "
                f"AND LOWER(to_address) IN ({placeholders(subject.emails)})",
                *subject.emails,
                now=mail.now,
            )
        await audit.record(
            actor_id=staff.id,
            action="family.consent_withdrawn",
            object_type="family",
            object_id=family_id,
            now=mail.now,
        )
        await request_family_erasure(
            staff=staff,
            family_id=family_id,
            now=mail.now,
            reason=ErasureReason.consent_withdrawn,
        )
