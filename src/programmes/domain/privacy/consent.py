"""Withdrawing consent, in one step.

A public registrant withdraws their own consent through the cancel link in their mail
(`withdraw_by_link`): they asked for their data to be deleted, so it happens at once, in
one transaction: the registration is cancelled without a mail to them (their place goes to
the waiting list), `consent_withdrawn_at` is recorded, every mail to them or about the
registration that is not sent yet is dropped (given up as erased), and their data is
erased as a coordinator would (`erasure.erase`; counts in reports stay the same). The link
stops working with it.

A family's consent (recorded on paper or verbally by the KiTa) is withdrawn through the
KiTa's partner or a coordinator: the family leaves its group (its place goes to the
waiting list), no further mail goes to it (mails not yet sent are dropped, and cohort
mails skip registrations whose consent was withdrawn), and an erasure request is filed
for the coordinators, who erase the data (partners cannot erase).
"""

from __future__ import annotations

import msgspec

from programmes.db import fetch, write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff
from programmes.domain.enrolment import families, registration_mail, registrations
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.enrolment.registrations import CancelView
from programmes.domain.errors import N_, NotFound
from programmes.domain.privacy.erasure import erase, forget_mails
from programmes.domain.privacy.requests import (
    ErasureReason,
    close_requests,
    request_family_erasure,
)
from programmes.domain.privacy.subjects import SubjectKind, find_subject
from programmes.vocabulary import RegistrationStatus


async def withdraw_by_link(*, token: str, mail: MailContext) -> CancelView:
    """A public registrant withdraws their consent with their cancel link: cancelled, no
    more mail, data erased. NotFound (the cancel page's message) for a link that is not
    valid, or no longer."""
    view = await registrations.registration_for_token(token)
    registration_id = await registrations.registration_id_for_token(token)
    run = await registration_mail.run_info(view.cohort_id, mail)
    async with write_transaction():
        rows = await fetch(
            "SELECT person FROM registration WHERE id = {} AND person IS NOT NULL "
            "AND cancel_token_hash IS NOT NULL",
            registration_id,
        )
        if not rows:  # cancelled or erased meanwhile
            raise NotFound(
                N_(
                    "This cancel link is not valid (any more). Perhaps the registration was "
                    "cancelled already."
                ),
                field="token",
            )
        person_id = int(rows[0]["person"])
        await registrations.cancel_without_mail(registration_id, run, mail)
        await fetch(
            "UPDATE registration SET consent_withdrawn_at = {}, updated_at = {} "
            "WHERE id = {} AND consent_withdrawn_at IS NULL",
            mail.now,
            mail.now,
            registration_id,
        )
        subject = await find_subject(SubjectKind.person, person_id)
        await erase(subject, now=mail.now)  # drops the unsent mails too
        await close_requests(subject, staff_id=None, now=mail.now)
        for action in ("person.consent_withdrawn", "person.erased"):
            await audit.record(
                actor_id=None,
                action=action,
                object_type="person",
                object_id=person_id,
                now=mail.now,
                detail={"by": "link"},
            )
    return msgspec.structs.replace(view, status=RegistrationStatus.cancelled.value)


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
        mails = subject.mails()
        if mails is not None:
            condition, values = mails
            await forget_mails(
                f"sent_at IS NULL AND failed_at IS NULL AND {condition}", *values, now=mail.now
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
