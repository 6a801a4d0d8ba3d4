"""Sending the outbox over SMTP, each message once.

How a message travels
    1. `enqueue()` (see `programmes.domain.outbox`) stores it in the transaction of the
       change that causes it, with its Message-ID fixed there.
    2. A sender (the background task of every web worker, or `programmes mail send`)
       claims it with a conditional UPDATE: `claimed_until` is set to now + `LEASE` only if
       the message is unsent, due, and not claimed by a live lease. One row updated means
       the message is ours; any number of senders in any number of processes can run,
       and a message is in the hands of at most one of them at a time.
    3. It is sent on an SMTP connection (stdlib `smtplib` in a worker thread).
    4. Right after the server's "250 accepted", `sent_at` is committed in a transaction
       of its own, before the next message is touched.

The guarantee
    A committed mail is delivered to the mail server at least once and, apart from the
    one window below, exactly once, also across crashes and restarts. A rolled-back
    mail is never sent.

    The unavoidable window: if the process dies (or the database cannot be written)
    after the server accepted the message but before `sent_at` is committed, nobody can
    know whether the server has it. When the lease expires the message is claimed and
    sent again. The same holds if the connection drops while waiting for the server's
    answer to the message data. To make this harmless the retry is byte-for-byte the same
    mail: same Message-ID, same Date (the enqueue time), so the recipients' servers and
    mail clients can recognise the duplicate. The window is kept as small as it can be:
    one short UPDATE, committed immediately after acceptance, with a few quick retries if
    the database hiccups. A graceful shutdown never opens it: a message in flight is
    finished and marked before the sender stops. A sender never holds a message longer
    than `LEASE` (10 minutes); every SMTP operation times out after `SMTP_TIMEOUT`
    (30 seconds), far below the lease, and a long batch takes a fresh lease per message.
    Several hosts must have clocks within a small part of the lease of each other.

Failures
    A failed attempt (server refuses the recipient or the data, connection lost while
    sending) is retried after 1, 2, 4, ... minutes (at most 4 hours apart). After
    `MAX_ATTEMPTS` (10) attempts, about eight hours, the sender gives up: `failed_at` is
    set and the message stays in the outbox, visible in the back office, with the reason
    in `last_error`. An attempt that was interrupted by a crash counts too, so a message
    that crashes the sender cannot loop forever. A mail server that cannot be reached at
    all costs no message an attempt: the round ends and the messages wait.

No mail server
    Without `PROGRAMMES_SMTP_URL` nothing is sent and nothing is lost: each message stays
    in the outbox, marked "not sent: no mail server configured", and is logged once
    (outbox id, language and subject, never the address or the text). Once a server is
    configured, such messages go out normally.

Privacy: logs and `last_error` carry outbox ids, attempt counts and the server's reply
with every address in it masked; never the recipient, the text or the attachment.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import Any, TypeVar

import anyio.to_thread

from programmes.clock import Clock
from programmes.db import write_transaction
from programmes.domain import outbox
from programmes.settings import SmtpConfig
from programmes.tables import Outbox

log = logging.getLogger(__name__)

#: How long a claim keeps other senders away from a message.
LEASE = timedelta(minutes=10)
#: Seconds any one SMTP operation (connect, command, data) may take.
SMTP_TIMEOUT = 30.0
#: After this many attempts the sender gives up on a message.
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=4)
DEFAULT_BATCH = 50
#: Seconds between rounds of the background sender when nobody wakes it.
POLL_SECONDS = 5.0
#: `last_error` of a message held because no mail server is configured.
HELD_NOTE = "not sent: no mail server configured (PROGRAMMES_SMTP_URL is unset)"
#: Pauses before retrying to mark an accepted message sent (database hiccups).
_MARK_RETRY_PAUSES = (0.0, 0.2, 1.0, 3.0)

_ADDRESS_LIKE = re.compile(r"[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:@]+")
_BLANKS = re.compile(r"\s+")

T = TypeVar("T")


@dataclass(frozen=True)
class DeliveryReport:
    """What one round did, by outbox id."""

    sent: tuple[int, ...] = ()
    #: Failed this time; will be retried later.
    retrying: tuple[int, ...] = ()
    gave_up: tuple[int, ...] = ()
    #: Not sent because no mail server is configured (logged in this round).
    held: tuple[int, ...] = ()
    #: Accepted by the server, but `sent_at` could not be written (the ambiguous window).
    unconfirmed: tuple[int, ...] = ()
    #: Due, but claimed by another sender first.
    skipped: int = 0
    #: Why the mail server could not be used, when it could not ("" otherwise).
    unreachable: str = ""

    @property
    def attempted(self) -> int:
        """Messages this round sent, failed or gave up on."""
        return len(self.sent) + len(self.retrying) + len(self.gave_up) + len(self.unconfirmed)

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            sent=self.sent + other.sent,
            retrying=self.retrying + other.retrying,
            gave_up=self.gave_up + other.gave_up,
            held=self.held + other.held,
            unconfirmed=self.unconfirmed + other.unconfirmed,
            skipped=self.skipped + other.skipped,
            unreachable=other.unreachable or self.unreachable,
        )

    def summary(self) -> str:
        return (
            f"Sent {len(self.sent)}, will retry {len(self.retrying)}, gave up {len(self.gave_up)}."
        )


@dataclass
class _Round:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    gave_up: list[int] = field(default_factory=list)
    unconfirmed: list[int] = field(default_factory=list)
    skipped: int = 0

    def report(self, *, held: list[int] | None = None, unreachable: str = "") -> DeliveryReport:
        return DeliveryReport(
            sent=tuple(self.sent),
            retrying=tuple(self.retrying),
            gave_up=tuple(self.gave_up),
            held=tuple(held or ()),
            unconfirmed=tuple(self.unconfirmed),
            skipped=self.skipped,
            unreachable=unreachable,
        )


def retry_delay(attempts: int) -> timedelta:
    """The pause after the `attempts`-th failed attempt: 1, 2, 4 … minutes, at most 4 h."""
    doublings = min(max(attempts - 1, 0), 20)
    return min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)


async def deliver_due(
    smtp: SmtpConfig | None,
    *,
    now: datetime,
    limit: int = DEFAULT_BATCH,
    keep_going: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """One round: send up to `limit` due messages over one SMTP connection.

    `keep_going` is asked before each message; a sender that is shutting down returns
    after the message in flight instead of being cancelled in the middle of it. Errors of
    the mail server end up in the report and the outbox, never as exceptions; database
    errors are raised.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    started = time.monotonic()
    now = now.astimezone(UTC)

    def current() -> datetime:
        """`now` plus the time this round has taken, so a late claim's lease is honest."""
        return now + timedelta(seconds=time.monotonic() - started)

    result = _Round(gave_up=await _give_up_interrupted(now))
    if smtp is None:
        return result.report(held=await _hold(now, limit))
    due = await _due(now, limit)
    if not due:
        return result.report()
    try:
        connection = await anyio.to_thread.run_sync(_connect, smtp)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        reason = describe_error(exc)
        log.warning(
            "mail server %s:%d cannot be used (%s); %d due message(s) wait",
            smtp.host,
            smtp.port,
            reason,
            len(due),
        )
        return result.report(unreachable=reason)
    try:
        for outbox_id, interrupted in due:
            if keep_going is not None and not keep_going():
                break
            row = await _claim(outbox_id, current())
            if row is None:
                result.skipped += 1
                continue
            if interrupted:
                log.warning(
                    "outbox %d: an earlier attempt ended without a result (sender stopped); "
                    "sending again with the same Message-ID",
                    outbox_id,
                )
            usable = await _uninterrupted(_attempt(connection, smtp, row, current, result))
            if not usable:
                break
    finally:
        await anyio.to_thread.run_sync(_close, connection)
    return result.report()


async def deliver_all(
    smtp: SmtpConfig | None, *, clock: Clock, limit: int = DEFAULT_BATCH
) -> DeliveryReport:
    """Rounds until nothing due is left that this sender can take (for the CLI)."""
    total = DeliveryReport()
    while True:
        report = await deliver_due(smtp, now=clock(), limit=limit)
        total += report
        if smtp is None and report.held:
            continue
        if report.unreachable or report.attempted == 0:
            return total


async def waiting_count() -> int:
    """Messages not sent yet and not given up."""
    return int(await Outbox.count().where(Outbox.sent_at.is_null() & Outbox.failed_at.is_null()))


# --- the steps of a round -------------------------------------------------------------


def _unsent() -> Any:
    return Outbox.sent_at.is_null() & Outbox.failed_at.is_null()


def _free(at: datetime) -> Any:
    return Outbox.claimed_until.is_null() | (Outbox.claimed_until <= at)


async def _due(now: datetime, limit: int) -> list[tuple[int, bool]]:
    """Ids of due messages, oldest first, each with whether an earlier claim of it was
    interrupted (a claim that ended normally is cleared)."""
    rows = (
        await Outbox.select(Outbox.id, Outbox.claimed_until)
        .where(
            _unsent()
            & (Outbox.attempts < MAX_ATTEMPTS)
            & (Outbox.next_attempt_at <= now)
            & _free(now)
        )
        .order_by(Outbox.id)
        .limit(limit)
    )
    return [(int(row["id"]), row["claimed_until"] is not None) for row in rows]


async def _claim(outbox_id: int, at: datetime) -> dict[str, Any] | None:
    """Take the message for one attempt, or return None if another sender has it."""
    async with write_transaction():
        rows = (
            await Outbox.update(
                {Outbox.claimed_until: at + LEASE, Outbox.attempts: Outbox.attempts + 1}
            )
            .where(
                (Outbox.id == outbox_id)
                & _unsent()
                & (Outbox.attempts < MAX_ATTEMPTS)
                & (Outbox.next_attempt_at <= at)
                & _free(at)
            )
            .returning(*Outbox.all_columns())
        )
    return rows[0] if rows else None


async def _attempt(
    connection: smtplib.SMTP,
    smtp: SmtpConfig,
    row: dict[str, Any],
    current: Callable[[], datetime],
    result: _Round,
) -> bool:
    """Send one claimed message and record the outcome. Returns whether the connection
    can be used for the next message."""
    outbox_id = int(row["id"])
    try:
        message = build_message(row, sender=smtp.sender)
        await anyio.to_thread.run_sync(
            _send, connection, message, smtp.sender, str(row["to_address"])
        )
    except (smtplib.SMTPException, OSError, ValueError, LookupError) as exc:
        await _record_failure(row, exc, current(), result)
        return not _connection_broken(exc)
    if await _mark_sent(outbox_id, current()):
        result.sent.append(outbox_id)
        log.info("outbox %d sent (attempt %d)", outbox_id, row["attempts"])
        return True
    result.unconfirmed.append(outbox_id)
    return False


def _connection_broken(exc: BaseException) -> bool:
    """Whether the SMTP connection is unusable after `exc`. A refusal (a 4xx/5xx reply)
    leaves it usable (smtplib resets the transaction); a disconnect or a socket error
    does not. Note `SMTPException` is itself an `OSError`."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


async def _mark_sent(outbox_id: int, at: datetime) -> bool:
    """Commit `sent_at` at once, in its own small transaction: this is the whole of the
    ambiguous window. A database hiccup is retried a few times; if it lasts, the claim
    stays, and the message is sent again with the same Message-ID after the lease."""
    for pause in _MARK_RETRY_PAUSES:
        if pause:
            await asyncio.sleep(pause)
        try:
            async with write_transaction():
                await Outbox.update(
                    {Outbox.sent_at: at, Outbox.claimed_until: None, Outbox.last_error: ""}
                ).where((Outbox.id == outbox_id) & Outbox.sent_at.is_null())
        except Exception as exc:
            log.error(
                "outbox %d: accepted by the mail server but not yet marked sent (%s)",
                outbox_id,
                type(exc).__name__,
            )
            continue
        return True
    log.error(
        "outbox %d: could not be marked sent; it will be sent again with the same "
        "Message-ID after the lease (%s)",
        outbox_id,
        LEASE,
    )
    return False


async def _record_failure(
    row: dict[str, Any], exc: BaseException, at: datetime, result: _Round
) -> None:
    outbox_id, attempts = int(row["id"]), int(row["attempts"])
    reason = describe_error(exc, recipient=str(row["to_address"]))
    if attempts >= MAX_ATTEMPTS:
        values: dict[Any, Any] = {
            Outbox.failed_at: at,
            Outbox.last_error: _clip(f"gave up after {attempts} attempts: {reason}"),
        }
        log.error("outbox %d: gave up after %d attempts (%s)", outbox_id, attempts, reason)
        result.gave_up.append(outbox_id)
    else:
        retry_at = at + retry_delay(attempts)
        values = {Outbox.next_attempt_at: retry_at, Outbox.last_error: _clip(reason)}
        log.warning(
            "outbox %d: attempt %d failed (%s); next attempt at %s",
            outbox_id,
            attempts,
            reason,
            retry_at.isoformat(timespec="seconds"),
        )
        result.retrying.append(outbox_id)
    async with write_transaction():
        await Outbox.update({**values, Outbox.claimed_until: None}).where(
            (Outbox.id == outbox_id) & Outbox.sent_at.is_null()
        )


async def _give_up_interrupted(now: datetime) -> list[int]:
    """A message whose last allowed attempt was interrupted (its lease ran out without a
    result) is given up rather than left pending forever. Looked for with a read first,
    so an idle round takes no write lock."""
    abandoned = (
        _unsent()
        & (Outbox.attempts >= MAX_ATTEMPTS)
        & Outbox.claimed_until.is_not_null()
        & (Outbox.claimed_until <= now)
    )
    if not await Outbox.exists().where(abandoned):
        return []
    async with write_transaction():
        rows = (
            await Outbox.update(
                {
                    Outbox.failed_at: now,
                    Outbox.claimed_until: None,
                    Outbox.last_error: (
                        f"gave up after {MAX_ATTEMPTS} attempts: the last one was "
                        "interrupted, its outcome is unknown"
                    ),
                }
            )
            .where(abandoned)
            .returning(Outbox.id)
        )
    ids = [int(row["id"]) for row in rows]
    for outbox_id in ids:
        log.error("outbox %d: gave up after an interrupted last attempt", outbox_id)
    return ids


async def _hold(now: datetime, limit: int) -> list[int]:
    """No mail server: mark waiting messages as held and log each one once."""
    candidates = (
        await Outbox.select(Outbox.id)
        .where(_unsent() & (Outbox.last_error != HELD_NOTE) & _free(now))
        .order_by(Outbox.id)
        .limit(limit)
    )
    if not candidates:
        return []
    async with write_transaction():
        rows = (
            await Outbox.update({Outbox.last_error: HELD_NOTE})
            .where(
                Outbox.id.is_in([row["id"] for row in candidates])
                & _unsent()
                & (Outbox.last_error != HELD_NOTE)
                & _free(now)
            )
            .returning(Outbox.id, Outbox.language, Outbox.subject)
        )
    for row in sorted(rows, key=lambda r: int(r["id"])):
        log.warning(
            "outbox %d not sent: no mail server configured (PROGRAMMES_SMTP_URL is unset); "
            "language %s, subject %r",
            row["id"],
            row["language"],
            row["subject"],
        )
    return sorted(int(row["id"]) for row in rows)


async def _uninterrupted(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end even if the caller is cancelled meanwhile, then pass the
    cancellation on. Sending and marking sent belong together: cancelling between the
    server's acceptance and the commit of `sent_at` would open the ambiguous window."""
    task = asyncio.ensure_future(coroutine)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(task)
            break
        except asyncio.CancelledError:
            if task.done():
                raise
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return result


# --- SMTP -------------------------------------------------------------------------------


def build_message(row: dict[str, Any], *, sender: str) -> EmailMessage:
    """The mail as it goes on the wire. Everything comes from the stored row, so a retry
    is the same mail: same Message-ID and same Date (the time it was enqueued)."""
    message = EmailMessage(policy=SMTP_POLICY.clone(cte_type="7bit"))
    message["From"] = sender
    message["To"] = str(row["to_address"])
    message["Subject"] = str(row["subject"])
    created_at: datetime = row["created_at"]
    message["Date"] = format_datetime(created_at.astimezone(UTC))
    message["Message-ID"] = str(row["message_id"])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(str(row["body_text"]), charset="utf-8")
    attachment = base64.b64decode(str(row["attachment"] or ""), validate=True)
    if attachment:
        maintype, subtype, params = _content_type(str(row["attachment_type"]))
        message.add_attachment(
            attachment,
            maintype=maintype,
            subtype=subtype,
            filename=str(row["attachment_name"]),
            params=params,
        )
        # A boundary derived from the Message-ID instead of a random one: a retry is then
        # the same bytes. "=_" cannot occur in base64 or quoted-printable text.
        digest = hashlib.sha256(str(row["message_id"]).encode()).hexdigest()[:40]
        message.set_boundary(f"=_{digest}")
    # Set last: turning the message into multipart/mixed moves Content-* headers into the
    # text part.
    message["Content-Language"] = str(row["language"])
    return message


def _content_type(value: str) -> tuple[str, str, dict[str, str]]:
    """'text/calendar' -> ('text', 'calendar', {'method': 'PUBLISH', 'charset': 'utf-8'})."""
    kind, *raw_params = (part.strip() for part in (value or "application/octet-stream").split(";"))
    maintype, _, subtype = kind.lower().partition("/")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, _, val = raw.partition("=")
        if key:
            params[key.strip().lower()] = val.strip().strip('"')
    if (maintype, subtype) == ("text", "calendar"):
        params.setdefault("method", "PUBLISH")
        params.setdefault("charset", "utf-8")
    return maintype, subtype, params


def _connect(smtp: SmtpConfig) -> smtplib.SMTP:
    """Open, greet, secure and log in (blocking; runs in a worker thread)."""
    context = ssl.create_default_context()
    host = outbox.message_id_host()
    connection: smtplib.SMTP
    if smtp.use_tls:
        connection = smtplib.SMTP_SSL(
            smtp.host, smtp.port, local_hostname=host, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        connection = smtplib.SMTP(smtp.host, smtp.port, local_hostname=host, timeout=SMTP_TIMEOUT)
    try:
        connection.ehlo()
        if smtp.starttls and not smtp.use_tls:
            connection.starttls(context=context)
            connection.ehlo()
        if smtp.username:
            connection.login(smtp.username, smtp.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def _send(connection: smtplib.SMTP, message: EmailMessage, sender: str, recipient: str) -> None:
    """One SMTP transaction; returns once the server has accepted the message."""
    connection.send_message(message, from_addr=sender, to_addrs=[recipient])


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def describe_error(exc: BaseException, *, recipient: str = "") -> str:
    """A one-line reason without personal data: the SMTP code and the server's text with
    the recipient and anything that looks like an address masked."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (0, b""))
        text = f"recipient refused: {code} {_decode(reply)}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{type(exc).__name__}: {exc.smtp_code} {_decode(exc.smtp_error)}"
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if recipient:
        text = re.sub(re.escape(recipient), "<recipient>", text, flags=re.IGNORECASE)
    text = _ADDRESS_LIKE.sub("<address>", text)
    return _clip(_BLANKS.sub(" ", text).strip())


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _clip(text: str) -> str:
    return text if len(text) <= 500 else text[:497] + "..."
