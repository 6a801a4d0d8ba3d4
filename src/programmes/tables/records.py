"""What the service keeps about its own actions: audit trail, outgoing mail, throttles."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from programmes.tables.accounts import Account
from programmes.tables.people import Family, Person
from programmes.tables.places import Kita


class AuditEvent(Table, tablename="audit_event"):
    """Who did what to which object, and when. Never holds personal data: only ids,
    action names and non-personal details (e.g. an old and new session time)."""

    id: Serial

    at = Timestamptz(default=TimestamptzNow())
    actor = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)
    action = Varchar(length=100)
    object_type = Varchar(length=50)
    object_id = Integer(null=True, default=None)
    detail = JSON(default="{}")


class Outbox(Table, tablename="outbox"):
    """A mail to send, written in the same transaction as the change that causes it.

    The sender claims a message, sends it with `message_id` as its Message-ID, and marks
    it sent; a crash between sending and marking is resolved by the claim's lease (see
    `programmes.domain.mail.delivery`). `attachment` holds the attachment's bytes in
    base64 (attachments are small calendar files; text keeps both engines alike).
    `failed_at` is set when the sender gives up; the row stays for people to see.
    """

    id: Serial

    message_id = Varchar(length=200, unique=True)
    to_address = Varchar(length=254)
    language = Varchar(length=2, default="de")
    subject = Varchar(length=300)
    body_text = Text()
    attachment_name = Varchar(length=100, default="")
    attachment = Text(default="")
    attachment_type = Varchar(length=100, default="")
    related_type = Varchar(length=50, default="")
    related_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    attempts = Integer(default=0)
    last_error = Varchar(length=500, default="")
    claimed_until = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    failed_at = Timestamptz(null=True, default=None)


class ErasureRequest(Table, tablename="erasure_request"):
    """A request to erase a family's or person's data, filed by a KiTa partner or because
    consent was withdrawn; coordinators carry it out (and `done_at` records when)."""

    id: Serial
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, null=True, default=None)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=True, default=None)
    kita = ForeignKey(references=Kita, on_delete=OnDelete.set_null, null=True, default=None)
    reason = Varchar(length=30)
    requested_by = ForeignKey(
        references=Account, null=True, default=None, on_delete=OnDelete.set_null
    )
    requested_at = Timestamptz(default=TimestamptzNow())
    done_at = Timestamptz(null=True, default=None)
    done_by = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.set_null)


class RateCounter(Table, tablename="rate_counter"):
    """A fixed-window counter shared by all workers (login throttling, registration limits).

    `bucket` is a SHA-256 of the throttled key, so no address or e-mail is stored."""

    id: Serial

    bucket = Varchar(length=64, unique=True)
    window_start = Timestamptz()
    hits = Integer(default=0)
