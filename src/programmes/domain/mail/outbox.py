"""The outbox: mails are written to the database in the same transaction as the change
that causes them, and sent later by `programmes.domain.mail.delivery`.

So a rolled-back registration sends no mail, and a committed one always gets its mail,
even if the process dies right after the commit. `enqueue()` refuses to run outside a
`write_transaction()` for that reason.

Everything that ends up in a mail header is checked here, before anything is stored:
the recipient must be exactly one plain address (no display name, no list, no line break:
header injection), and the subject one line without control characters. A subject with a
line break is refused rather than repaired: subjects are composed by code from
validated data, so a line break means a bug or an attack, and silently joining lines
would hide it. Attachments are kept as base64 in a text column (they are small calendar
files; text keeps SQLite and PostgreSQL alike).

The subject appears in the log when no mail server is configured, so composers must not
put names or other personal data into subjects.

Secret links (the cancel link) are stored as slots that the sender fills in
(`programmes.domain.mail.links`), never as tokens. Only a mail marked `secret_links` keeps
its slots; in any other mail anything that looks like one is made inert here, so no text
a person typed (a run's title in a session mail) can make the sender produce a token.

After the transaction commits, subscribers (the background sender) are woken so the mail
leaves at once instead of at the next poll; see `subscribe()`.
"""

from __future__ import annotations

import base64
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from programmes import db
from programmes.domain.errors import N_, InvalidInput
from programmes.domain.mail import links

log = logging.getLogger(__name__)

MAX_ADDRESS_LENGTH = 254
MAX_SUBJECT_LENGTH = 300
MAX_BODY_LENGTH = 100_000
MAX_ATTACHMENT_NAME_LENGTH = 100
MAX_ATTACHMENT_TYPE_LENGTH = 100
MAX_RELATED_TYPE_LENGTH = 50
#: Attachments are calendar files of a few kilobytes; this is far above any of them.
MAX_ATTACHMENT_BYTES = 512 * 1024
DEFAULT_ATTACHMENT_TYPE = "text/calendar"

#: A dot-atom local part (RFC 5322 atext, no quoting) and a host name of ASCII labels.
#: Stricter than what SMTP allows, on purpose: no commas, angle brackets, quotes or spaces
#: can reach the To header or the RCPT command.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})*")
_LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_MIME_WORD = r"[A-Za-z0-9!#$&^_.+-]+"
_MIME_TYPE = re.compile(
    rf"{_MIME_WORD}/{_MIME_WORD}(?: *; *{_MIME_WORD}=(?:{_MIME_WORD}|\"[^\"\\\x00-\x1f\x7f]*\"))*"
)
_LANGUAGE = re.compile(r"[a-z]{2}")

Unsubscribe = Callable[[], None]

_message_id_host = "localhost"
_subscribers: list[Callable[[], None]] = []


@dataclass(frozen=True)
class OutgoingMail:
    """One mail to one recipient, as a use case composes it.

    `language` is the recipient's language (the Content-Language header). `attachment`
    holds raw bytes (e.g. an .ics invitation, `attachment_name="invite.ics"`).
    `related_type`/`related_id` name what the mail is about (e.g. "registration", 17), so
    mails can be found and erased with the data they concern. `secret_links` is for a
    composer that put slots into the text with `links.slot()` and made the rest inert with
    `links.neutralise()`; in every other mail slots are made inert."""

    to_address: str
    subject: str
    body_text: str
    language: str = "de"
    attachment_name: str = ""
    attachment: bytes = b""
    attachment_type: str = DEFAULT_ATTACHMENT_TYPE
    related_type: str = ""
    related_id: int | None = None
    secret_links: bool = False


def set_message_id_host(host: str) -> None:
    """Use `host` (the public base URL's host) on the right of every new Message-ID.

    Called once by `create_app()` and the CLI; tests and tools that never call it get
    `localhost`, and so does a host that is no plain name (an IPv6 address)."""
    global _message_id_host
    _message_id_host = host if re.fullmatch(rf"{_LABEL}(?:\.{_LABEL})*", host) else "localhost"


def message_id_host() -> str:
    return _message_id_host


def new_message_id() -> str:
    """A globally unique Message-ID, fixed when the mail is enqueued so that every retry
    carries the same one (recipients' servers and mail clients can drop duplicates)."""
    return f"<{uuid.uuid4().hex}@{_message_id_host}>"


def subscribe(listener: Callable[[], None]) -> Unsubscribe:
    """Call `listener()` after each commit of a transaction that enqueued mail; returns the
    function that unsubscribes it. Listeners run on the committing task and must be quick
    and thread-safe (e.g. `loop.call_soon_threadsafe(event.set)`); the domain wakes the
    sender through this without knowing who it is."""
    _subscribers.append(listener)

    def unsubscribe() -> None:
        if listener in _subscribers:
            _subscribers.remove(listener)

    return unsubscribe


def _mail_committed() -> None:
    for listener in list(_subscribers):
        try:
            listener()
        except Exception:
            log.exception("outbox subscriber failed")


async def enqueue(mail: OutgoingMail, *, now: datetime) -> int:
    """Store `mail` for sending and return its outbox id.

    Must run inside the caller's `write_transaction()`, so that the mail exists if and only
    if the change that causes it is committed. Raises `InvalidInput` naming the field for
    anything that could break or inject into the mail's headers; nothing is stored then.
    """
    if not db.in_write_transaction():
        raise RuntimeError(
            "outbox.enqueue() must run inside write_transaction(), together with the change "
            "that causes the mail"
        )
    to_address = check_recipient(mail.to_address)
    subject = check_subject(mail.subject)
    _check_body(mail.body_text)
    body = mail.body_text if mail.secret_links else links.neutralise(mail.body_text)
    language = mail.language.strip().lower()
    if not _LANGUAGE.fullmatch(language):
        raise InvalidInput(N_("The language must be a two-letter code."), field="language")
    attachment_type = _check_attachment(mail)
    if len(mail.related_type) > MAX_RELATED_TYPE_LENGTH:
        raise InvalidInput(
            N_("The related type may have at most %(n)s characters."),
            field="related_type",
            n=MAX_RELATED_TYPE_LENGTH,
        )
    at = now.astimezone(UTC)
    rows = await db.fetch(
        "INSERT INTO outbox (message_id, to_address, language, subject, body_text, "
        "attachment_name, attachment, attachment_type, related_type, related_id, created_at, "
        "next_attempt_at, attempts, last_error) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 0, '') RETURNING id",
        new_message_id(),
        to_address,
        language,
        subject,
        body,
        mail.attachment_name,
        base64.b64encode(mail.attachment).decode("ascii"),
        attachment_type,
        mail.related_type,
        mail.related_id,
        at,
        at,
    )
    db.after_commit(_mail_committed)
    return int(rows[0]["id"])


def check_recipient(address: str) -> str:
    """Return `address` if it is exactly one plain e-mail address (an internationalised
    domain becomes its ASCII form); raise `InvalidInput` for `to_address` otherwise."""
    if any(char in _LINE_BREAKS for char in address):
        raise InvalidInput(
            N_("The recipient must be a single e-mail address without line breaks."),
            field="to_address",
        )
    if len(address) > MAX_ADDRESS_LENGTH:
        raise InvalidInput(
            N_("The recipient's address may have at most %(n)s characters."),
            field="to_address",
            n=MAX_ADDRESS_LENGTH,
        )
    local, _, domain = address.rpartition("@")
    if domain and not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            domain = ""
    address = f"{local}@{domain}"
    if len(address) > MAX_ADDRESS_LENGTH or not _ADDRESS.fullmatch(address) or len(local) > 64:
        raise InvalidInput(
            N_("The recipient must be exactly one e-mail address such as name@example.org."),
            field="to_address",
        )
    return address


def check_subject(subject: str) -> str:
    """Return `subject` if it is one line of sendable text; raise `InvalidInput` otherwise."""
    if any(char in _LINE_BREAKS for char in subject):
        raise InvalidInput(
            N_("The subject must be a single line without line breaks."), field="subject"
        )
    if not subject.strip():
        raise InvalidInput(N_("The subject must not be empty."), field="subject")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise InvalidInput(
            N_("The subject may have at most %(n)s characters."),
            field="subject",
            n=MAX_SUBJECT_LENGTH,
        )
    if not _sendable(subject) or any(
        ord(char) < 32 or 0x7F <= ord(char) < 0xA0 for char in subject
    ):
        raise InvalidInput(
            N_("The subject contains characters that cannot be sent."), field="subject"
        )
    return subject


def _check_body(body: str) -> None:
    if not body.strip():
        raise InvalidInput(N_("The mail text must not be empty."), field="body_text")
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidInput(
            N_("The mail text may have at most %(n)s characters."),
            field="body_text",
            n=MAX_BODY_LENGTH,
        )
    if not _sendable(body):
        raise InvalidInput(
            N_("The mail text contains characters that cannot be sent."), field="body_text"
        )


def _sendable(text: str) -> bool:
    """No NUL and no lone surrogate: both would make every delivery attempt fail."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_attachment(mail: OutgoingMail) -> str:
    """Check the attachment fields; return the MIME type to store ("" without one)."""
    if not mail.attachment:
        if mail.attachment_name:
            raise InvalidInput(
                N_("An attachment name needs an attachment."), field="attachment_name"
            )
        return ""
    if len(mail.attachment) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(
            N_("The attachment may have at most %(n)s bytes."),
            field="attachment",
            n=MAX_ATTACHMENT_BYTES,
        )
    name = mail.attachment_name
    if (
        not name.strip()
        or len(name) > MAX_ATTACHMENT_NAME_LENGTH
        or any(ord(char) < 32 or char in '/\\"' or 0x7F <= ord(char) < 0xA0 for char in name)
        or any(char in _LINE_BREAKS for char in name)
        or not _sendable(name)
    ):
        raise InvalidInput(
            N_(
                "The attachment needs a file name of 1 to %(n)s characters, without line "
                "breaks, slashes or quotes."
            ),
            field="attachment_name",
            n=MAX_ATTACHMENT_NAME_LENGTH,
        )
    content_type = mail.attachment_type.strip()
    if len(content_type) > MAX_ATTACHMENT_TYPE_LENGTH or not _MIME_TYPE.fullmatch(content_type):
        raise InvalidInput(
            N_("The attachment type must be a MIME type such as text/calendar."),
            field="attachment_type",
        )
    return content_type
