"""A real SMTP server on 127.0.0.1 for the mail tests (aiosmtpd in a thread of its own).

The handler records every message it accepts and can be told to refuse recipients, to
hold one message (the sender then waits for the server's answer) until the test releases
it, or to keep the first messages waiting until several connections deliver at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

#: Upper bound for waiting on something the test has caused (never a timing assertion).
PATIENCE = 60.0


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    #: Replies to RCPT TO per address, used up one per attempt; then accepted.
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    #: Hold the first message with this subject until `release` is set ...
    hold_subject: str | None = None
    #: ... then answer with this. With a 250 the message counts as accepted the moment it
    #: arrives (stored before the answer), even if the sender never sees the answer.
    hold_reply: str = "250 OK: queued"
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    #: Keep each message waiting until this many connections have sent one (0: off).
    rendezvous: int = 0
    _sessions: set[int] = field(default_factory=set)
    _together: asyncio.Event | None = None
    _lock: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        replies = self.rcpt_replies.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        assert isinstance(data, bytes)
        self._sessions.add(id(session))
        if self.rendezvous:
            if self._together is None:  # created on the server's own loop
                self._together = asyncio.Event()
            if len(self._sessions) >= self.rendezvous:
                self._together.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._together.wait(), PATIENCE)
        received = Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), bytes(data))
        subject = received.message["Subject"]
        if self.hold_subject is not None and subject == self.hold_subject:
            self.hold_subject = None
            accept = self.hold_reply.startswith("250")
            if accept:  # stored before answering, like a real server: the reply may get lost
                self._record(received)
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, PATIENCE)
            return self.hold_reply
        self._record(received)
        return "250 OK: queued"

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)
            self._lock.notify_all()

    def wait_for(self, count: int) -> list[Received]:
        """Wait until `count` messages have arrived (or PATIENCE runs out)."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.received) >= count, timeout=PATIENCE)
            return list(self.received)

    def counts_by_message_id(self) -> Counter[str]:
        with self._lock:
            return Counter(item.message_id for item in self.received)


class _AnyPortController(Controller):
    """aiosmtpd's controller, bound to a free port chosen by the kernel."""

    def _trigger_server(self) -> Any:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        return super()._trigger_server()


@dataclass(frozen=True)
class SmtpServer:
    handler: RecordingHandler
    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@contextmanager
def running_smtp_server(**smtp_options: Any) -> Iterator[SmtpServer]:
    """Start the server; `smtp_options` go to aiosmtpd's SMTP (e.g. an authenticator)."""
    handler = RecordingHandler()
    controller = _AnyPortController(handler, hostname="127.0.0.1", port=0, **smtp_options)
    controller.start()
    try:
        yield SmtpServer(handler, controller.port)
    finally:
        handler.release.set()
        controller.stop()
