"""The background sender of one process: delivers due mail every few seconds, and at once
when a transaction that enqueued mail commits (`outbox.subscribe`).

Every web worker runs one (see `programmes.app`); claims keep them from sending the same
message twice. It never raises into the server: a failing round is logged (without
personal data) and the next one waits longer, up to a few minutes. `stop()` lets the
message in flight finish and be marked sent, so a graceful shutdown never leaves a
message in the ambiguous state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from programmes.clock import Clock
from programmes.domain.mail import delivery, outbox
from programmes.domain.mail.delivery import DEFAULT_BATCH, deliver_due
from programmes.domain.mail.wire import SMTP_TIMEOUT, describe_error
from programmes.settings import SmtpConfig

log = logging.getLogger(__name__)

#: Rounds that fail in a row stretch the pause up to this many poll intervals.
MAX_BACKOFF_FACTOR = 60
#: How long a woken sender waits for further mail before it starts a round.
COALESCE_SECONDS = 0.2
#: How long `stop()` waits for the message in flight before cancelling the loop.
STOP_TIMEOUT = 4 * SMTP_TIMEOUT


class MailSender:
    """A loop that calls `deliver_due()` until stopped. Start and stop it on one loop."""

    def __init__(
        self,
        smtp: SmtpConfig | None,
        *,
        clock: Clock,
        interval: float | None = None,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        self.smtp = smtp
        self.clock = clock
        self.interval = delivery.POLL_SECONDS if interval is None else interval
        self.batch = batch
        #: Rounds finished so far (with or without errors).
        self.rounds = 0
        self._round_finished = asyncio.Condition()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: outbox.Unsubscribe | None = None

    def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the mail sender is already running")
        self._loop = asyncio.get_running_loop()
        self._unsubscribe = outbox.subscribe(self.wake)
        self._task = self._loop.create_task(self._run(), name="mail sender")

    def wake(self) -> None:
        """Start a round now (safe to call from any thread or loop)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        """Finish the message in flight, then end the loop."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=STOP_TIMEOUT)
        except TimeoutError:
            log.error("mail sender did not stop within %.0f s; cancelling it", STOP_TIMEOUT)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            full_batch = False
            try:
                report = await deliver_due(
                    self.smtp,
                    now=self.clock(),
                    limit=self.batch,
                    keep_going=lambda: not self._stopping,
                )
            except Exception as exc:  # never let a round take the server down
                failures += 1
                log.error("mail sender: a round failed (%s)", describe_error(exc))
            else:
                failures = failures + 1 if report.unreachable else 0
                full_batch = report.attempted >= self.batch
            async with self._round_finished:
                self.rounds += 1
                self._round_finished.notify_all()
            if self._stopping:
                break
            if full_batch:
                continue
            await self._sleep(self.interval * min(2**failures, MAX_BACKOFF_FACTOR))

    async def wait_for_rounds(self, count: int) -> None:
        """Wait until `count` rounds have finished (for tests and diagnostics)."""
        async with self._round_finished:
            await self._round_finished.wait_for(lambda: self.rounds >= count)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
            if not self._stopping:
                # a burst of registrations wakes the sender once per commit: let the burst
                # settle so that one round delivers them together instead of one round
                # (and one claim transaction) per mail competing with the registrations
                await asyncio.sleep(COALESCE_SECONDS)
