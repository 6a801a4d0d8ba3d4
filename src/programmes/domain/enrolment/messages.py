"""A message from staff to everybody in a run or a Rucksack group, by mail.

Who may write: coordinators to every run and group; a KiTa's partner to the groups at their
own KiTa; a trainer to the groups they lead (not those where they only stand in for one
session: a substitute sees that session, not the group's people). Anybody else gets
`NotFound`, exactly as for a run that does not exist.

Who gets it: the confirmed registrations (the waiting list too when asked), a family's
guardians and a public registrant, each with an e-mail address. Never a cancelled
registration, an anonymised (erased) family or person, or anybody who withdrew their consent
(for any registration: consent is the person's or the family's, not one group's).
Registrations nobody in which has an address are listed by name, so staff can phone them or
ask the KiTa to pass the message on; nobody is mailed then.

Languages: the message is written in German, with optional translations (English, Turkish,
Arabic), each a subject and a text together. Every recipient gets it in their registration's
language when there is a translation for it, else in German.

Sending puts one mail per recipient into the outbox in one transaction with the audit event
(counts only, never the text or an address); nothing is sent inline. A message that would
reach nobody is refused and queues nothing. The form carries a random key: posting the same
form again (the back button, a resent confirmation) finds the key already used and queues
nothing (`throttle` counter; a key is remembered for `FORM_KEY_DAYS`).

The subject appears in the log when no mail server is configured (`mail.outbox`): the form
asks staff to keep names out of it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from programmes.db import fetch, write_transaction
from programmes.domain import audit, throttle
from programmes.domain.access import Staff
from programmes.domain.catalogue.translations import pick, run_titles
from programmes.domain.errors import N_, Conflict, ErrorList, InvalidInput, NotFound
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.domain.mail.texts import render_mail
from programmes.domain.text import clean_text
from programmes.tables import Cohort, CohortTrainer, Guardian
from programmes.vocabulary import Language, RegistrationStatus, Role

MAX_SUBJECT_LENGTH = 200
MAX_TEXT_LENGTH = 10_000
MAX_FORM_KEY_LENGTH = 100
#: Languages a message may be translated into (German is the message itself).
TRANSLATIONS: tuple[str, ...] = tuple(code.value for code in Language if code is not Language.de)
#: How long a sent form's key is remembered against sending it twice.
FORM_KEY_DAYS = 30
MAIL_TEMPLATE = "staff_message.txt"
#: Each language's name for staff pages ("in Turkish 3"), translated into the page's language.
LANGUAGE_NAMES: dict[str, str] = {
    Language.de.value: N_("German"),
    Language.en.value: N_("English"),
    Language.tr.value: N_("Turkish"),
    Language.ar.value: N_("Arabic"),
}


@dataclass(frozen=True)
class MessageInput:
    """A message as typed: German subject and text, and `translations` by language code
    (subject, text); blank translations are ignored."""

    subject: str
    text: str
    translations: dict[str, tuple[str, str]] = field(default_factory=dict)
    include_waiting: bool = False
    form_key: str = ""


@dataclass(frozen=True)
class Message:
    """A checked message: (subject, text) per language, German always there."""

    texts: dict[str, tuple[str, str]]
    include_waiting: bool
    form_key: str

    def language_for(self, language: str) -> str:
        """The language a recipient who reads `language` gets the message in."""
        return language if language in self.texts else Language.de.value


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str  #: the language the mail is written in
    registration_id: int


@dataclass(frozen=True)
class Unreachable:
    """A registration nobody in which has an e-mail address (names for staff to call)."""

    registration_id: int
    names: tuple[str, ...]
    family_id: int | None
    reach_via_kita: bool
    phones: tuple[str, ...]  #: empty for trainers, who see no contact details


@dataclass(frozen=True)
class Audience:
    recipients: tuple[Recipient, ...]
    unreachable: tuple[Unreachable, ...]

    @property
    def mails(self) -> int:
        return len(self.recipients)

    def by_language(self) -> list[tuple[str, int]]:
        """(language, mails) for each language with mails, German first."""
        counts = Counter(recipient.language for recipient in self.recipients)
        return [(code.value, counts[code.value]) for code in Language if counts[code.value]]


@dataclass(frozen=True)
class Sent:
    mails: int
    #: The same form was sent before: nothing was queued this time.
    repeated: bool = False


def clean_message(data: MessageInput) -> Message:
    """The checked message, or every problem at once (`InvalidInputs`), each naming its
    field. Subjects are one line: a line break (header injection) is refused."""
    errors = ErrorList()
    texts: dict[str, tuple[str, str]] = {}
    subject = errors.check(lambda: _subject(data.subject, "subject", required=True), "")
    text = errors.check(lambda: _text(data.text, "text", required=True), "")
    texts[Language.de.value] = (subject, text)
    for code in TRANSLATIONS:
        raw_subject, raw_text = data.translations.get(code, ("", ""))
        sub = errors.check(partial(_subject, raw_subject, f"subject_{code}", required=False), "")
        body = errors.check(partial(_text, raw_text, f"text_{code}", required=False), "")
        if sub and not body:
            errors.add(
                InvalidInput(N_("Please give the text in this language too."), field=f"text_{code}")
            )
        elif body and not sub:
            errors.add(
                InvalidInput(
                    N_("Please give the subject in this language too."), field=f"subject_{code}"
                )
            )
        elif sub and body:
            texts[code] = (sub, body)
    key = errors.check(
        lambda: clean_text(
            data.form_key, field="form_key", max_length=MAX_FORM_KEY_LENGTH, required=False
        ),
        "",
    )
    errors.raise_any()
    return Message(texts=texts, include_waiting=data.include_waiting, form_key=key)


def _subject(value: str, field: str, *, required: bool) -> str:
    return clean_text(value, field=field, max_length=MAX_SUBJECT_LENGTH, required=required)


def _text(value: str, field: str, *, required: bool) -> str:
    return clean_text(
        value, field=field, max_length=MAX_TEXT_LENGTH, required=required, multiline=True
    )


async def check_may_write(staff: Staff, cohort_id: int) -> None:
    """NotFound unless the run exists and `staff` may write to its people (see above)."""
    if staff.role is Role.coordinator:
        allowed = await Cohort.exists().where(Cohort.id == cohort_id)
    elif staff.role is Role.partner:
        allowed = await Cohort.exists().where(
            (Cohort.id == cohort_id) & (Cohort.kita == staff.kita_id)
        )
    else:
        allowed = await CohortTrainer.exists().where(
            (CohortTrainer.cohort == cohort_id) & (CohortTrainer.trainer == staff.id)
        )
    if not allowed:
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)


_REGISTRATIONS = (
    "SELECT r.id, r.language, r.family, p.name AS person_name, p.email AS person_email, "
    "p.phone AS person_phone "
    "FROM registration r "
    "LEFT JOIN person p ON p.id = r.person "
    "LEFT JOIN family f ON f.id = r.family "
    "WHERE r.cohort = {} AND r.status IN ({}, {}) AND r.consent_withdrawn_at IS NULL "
    "AND p.anonymised_at IS NULL AND f.anonymised_at IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM registration w WHERE w.consent_withdrawn_at IS NOT NULL "
    "AND ((r.family IS NOT NULL AND w.family = r.family) "
    "OR (r.person IS NOT NULL AND w.person = r.person))) "
    "ORDER BY r.id"
)


async def _audience(staff: Staff, cohort_id: int, message: Message) -> Audience:
    statuses = [RegistrationStatus.confirmed.value]
    statuses.append(RegistrationStatus.waiting.value if message.include_waiting else statuses[0])
    rows = await fetch(_REGISTRATIONS, cohort_id, *statuses)
    families = [int(row["family"]) for row in rows if row["family"] is not None]
    guardians: dict[int, list[dict[str, object]]] = {}
    if families:
        for guardian in (
            await Guardian.select(
                Guardian.family,
                Guardian.name,
                Guardian.email,
                Guardian.phone,
                Guardian.reach_via_kita,
            )
            .where(Guardian.family.is_in(families))
            .order_by(Guardian.id)
        ):
            guardians.setdefault(int(guardian["family"]), []).append(guardian)
    contacts = staff.role is not Role.trainer
    recipients: list[Recipient] = []
    unreachable: list[Unreachable] = []
    for row in rows:
        language = message.language_for(str(row["language"]))
        if row["family"] is None:
            members = [
                {
                    "name": row["person_name"],
                    "email": row["person_email"],
                    "phone": row["person_phone"],
                    "reach_via_kita": False,
                }
            ]
        else:
            members = guardians.get(int(row["family"]), [])
        addresses = [str(m["email"]) for m in members if m["email"]]
        recipients += [Recipient(address, language, int(row["id"])) for address in addresses]
        if not addresses:
            unreachable.append(
                Unreachable(
                    registration_id=int(row["id"]),
                    names=tuple(str(m["name"]) for m in members if m["name"]),
                    family_id=None if row["family"] is None else int(row["family"]),
                    reach_via_kita=any(bool(m["reach_via_kita"]) for m in members),
                    phones=tuple(str(m["phone"]) for m in members if m["phone"] and contacts),
                )
            )
    return Audience(recipients=tuple(recipients), unreachable=tuple(unreachable))


def _nobody() -> Conflict:
    return Conflict(
        N_(
            "Nobody in this group can get the message: nobody registered has an e-mail "
            "address. Nothing was sent."
        )
    )


async def preview_message(*, staff: Staff, cohort_id: int, data: MessageInput) -> Audience:
    """Who would get the message (the same checks as sending; nothing is written)."""
    await check_may_write(staff, cohort_id)
    message = clean_message(data)
    audience = await _audience(staff, cohort_id, message)
    if not audience.recipients:
        raise _nobody()
    return audience


async def recipients_overview(*, staff: Staff, cohort_id: int, include_waiting: bool) -> Audience:
    """Who would get a message now (for the form page, before anything is typed)."""
    await check_may_write(staff, cohort_id)
    message = Message(texts={}, include_waiting=include_waiting, form_key="")
    return await _audience(staff, cohort_id, message)


async def send_message(*, staff: Staff, cohort_id: int, data: MessageInput, now: datetime) -> Sent:
    """Queue one mail per recipient in their language, and the audit event, together."""
    await check_may_write(staff, cohort_id)
    message = clean_message(data)
    async with write_transaction():
        if message.form_key:
            bucket = throttle.bucket_for("cohort-message", str(cohort_id), message.form_key)
            hits = await throttle.count_hit(bucket, window=timedelta(days=FORM_KEY_DAYS), now=now)
            if hits > 1:
                return Sent(mails=0, repeated=True)
        audience = await _audience(staff, cohort_id, message)
        if not audience.recipients:
            raise _nobody()  # rolls the form key back too
        titles = await run_titles(cohort_id)
        title = str(
            (await Cohort.select(Cohort.title).where(Cohort.id == cohort_id).first() or {}).get(
                "title", ""
            )
        )
        for recipient in audience.recipients:
            subject, text = message.texts[recipient.language]
            mail_subject, body = render_mail(
                MAIL_TEMPLATE,
                recipient.language,
                subject=subject,
                text=text,
                title=pick(title, titles, recipient.language).text,
            )
            await enqueue(
                OutgoingMail(
                    to_address=recipient.address,
                    subject=mail_subject,
                    body_text=body,
                    language=recipient.language,
                    related_type="registration",
                    related_id=recipient.registration_id,
                ),
                now=now,
            )
        await audit.record(
            actor_id=staff.id,
            action="cohort.message_sent",
            object_type="cohort",
            object_id=cohort_id,
            now=now,
            detail={
                "mails": audience.mails,
                "languages": dict(audience.by_language()),
                "without_address": len(audience.unreachable),
                "waiting_list": message.include_waiting,
            },
        )
    return Sent(mails=audience.mails)


__all__ = [
    "LANGUAGE_NAMES",
    "MAX_SUBJECT_LENGTH",
    "MAX_TEXT_LENGTH",
    "TRANSLATIONS",
    "Audience",
    "MessageInput",
    "Sent",
    "Unreachable",
    "check_may_write",
    "clean_message",
    "preview_message",
    "recipients_overview",
    "send_message",
]
