"""Sending the outbox over SMTP, each message once.

How a message travels
    1. `enqueue()` (see `programmes.domain.mail.outbox`) stores it in the transaction of the
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
    A rolled-back mail is never sent. A committed mail is handed to the mail server
    exactly once, with any number of senders and across crashes and restarts, with two
    exceptions: it is given up, visibly, if the server keeps refusing it (see Failures),
    and it may be handed over twice if it falls into the window below.

    The unavoidable window: if the sender dies (or the database cannot be written) after
    the server accepted the message but before `sent_at` is committed, nobody can know
    whether the server has it. When the lease runs out, the message is claimed and sent
    again: at most one extra copy per sender that died in the window. Likewise, if the
    connection breaks while waiting for the server's answer to the message data, the
    attempt counts as failed and is retried after the backoff. To make such a repeat
    harmless it is byte for byte the same mail: same Message-ID, same Date (the enqueue
    time), same MIME boundary, so the recipients' servers and mail clients can recognise
    the duplicate; the log says when a message is sent again after an interrupted
    attempt. The window is as small as it can be: one short UPDATE in its own
    transaction, committed immediately after acceptance (a few quick retries if the
    database hiccups). A graceful shutdown never opens it: the message in flight is
    finished and marked before the sender stops, even if the sender is cancelled.
    A claim lasts `LEASE` (10 minutes); every SMTP operation times out after
    `wire.SMTP_TIMEOUT` (30 seconds), far below the lease, and a long batch takes a fresh
    lease per message, so a live sender never loses its claim mid-message. Senders on
    several hosts need clocks that agree to well within the lease.

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
import logging
import smtplib
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio.to_thread

from programmes.clock import Clock
from programmes.db import write_transaction
from programmes.domain.mail import wire
from programmes.domain.mail.wire import build_message, clip, describe_error
from programmes.settings import SmtpConfig
from programmes.tables import Outbox

log = logging.getLogger(__name__)

#: How long a claim keeps other senders away from a message.
LEASE = timedelta(minutes=10)
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
        connection = await anyio.to_thread.run_sync(wire.connect, smtp)
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
        await anyio.to_thread.run_sync(wire.close, connection)
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
            wire.send, connection, message, smtp.sender, str(row["to_address"])
        )
    except (smtplib.SMTPException, OSError, ValueError, LookupError) as exc:
        await _record_failure(row, exc, current(), result)
        return not wire.connection_broken(exc)
    if await _mark_sent(outbox_id, current()):
        result.sent.append(outbox_id)
        log.info("outbox %d sent (attempt %d)", outbox_id, row["attempts"])
        return True
    result.unconfirmed.append(outbox_id)
    return False


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
            Outbox.last_error: clip(f"gave up after {attempts} attempts: {reason}"),
        }
        log.error("outbox %d: gave up after %d attempts (%s)", outbox_id, attempts, reason)
        result.gave_up.append(outbox_id)
    else:
        retry_at = at + retry_delay(attempts)
        values = {Outbox.next_attempt_at: retry_at, Outbox.last_error: clip(reason)}
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
