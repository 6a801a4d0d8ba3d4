"""The background sender in the app's lifespan: woken by commits, never fatal, clean stop."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from litestar import Litestar

from programmes.app import create_app
from programmes.clock import FrozenClock
from programmes.db import write_transaction
from programmes.domain.mail import delivery
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.domain.mail.sender import MailSender
from programmes.settings import Settings, load_settings
from programmes.tables import Outbox
from tests import conftest as shared
from tests.conftest import FROZEN_NOW, app_client, running
from tests.smtp_server import PATIENCE, SmtpServer


@pytest.fixture(autouse=True)
def _no_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """With an hour between polls, only a wake-up can explain a prompt delivery."""
    monkeypatch.setattr(delivery, "POLL_SECONDS", 3600.0)


async def add_mail(subject: str = "Anmeldung bestätigt") -> int:
    async with write_transaction():
        return await enqueue(
            OutgoingMail("eltern@familie.example", subject, "Guten Tag"), now=FROZEN_NOW
        )


def sender_of(app: Litestar) -> MailSender:
    sender = app.state.mail_sender
    assert isinstance(sender, MailSender)
    return sender


async def first_round_done(sender: MailSender) -> None:
    """The round at startup has run (so it cannot be what delivers the test's mail)."""
    async with asyncio.timeout(PATIENCE):
        await sender.wait_for_rounds(1)


async def test_a_commit_wakes_the_sender_at_once(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    async with running(create_app(mail_settings, clock=FrozenClock(FROZEN_NOW))) as app:
        await first_round_done(sender_of(app))
        outbox_id = await add_mail()
        [arrived] = await asyncio.to_thread(smtp_server.handler.wait_for, 1)
        stored = await Outbox.select().where(Outbox.id == outbox_id).first()
        assert stored is not None
        assert arrived.message_id == stored["message_id"]
        assert arrived.message_id.endswith("@testserver>")
    assert (await Outbox.select(Outbox.sent_at).first() or {}).get("sent_at") is not None


async def test_mail_server_errors_never_take_the_server_down(
    database_url: str, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # nobody listens here
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = load_settings(
        shared.environment_for_tests(database_url, PROGRAMMES_SMTP_URL=f"smtp://127.0.0.1:{port}"),
        workdir=tmp_path,
    )
    async with running(create_app(settings, clock=FrozenClock(FROZEN_NOW))) as app:
        sender = sender_of(app)
        await first_round_done(sender)
        await add_mail()
        async with asyncio.timeout(PATIENCE):  # the woken round met the dead server
            await sender.wait_for_rounds(2)
        async with app_client(app) as http:
            assert (await http.get("/health")).status_code == 200
    waiting = await Outbox.select(Outbox.attempts, Outbox.sent_at).first()
    assert waiting == {"attempts": 0, "sent_at": None}


async def test_shutdown_finishes_the_message_in_flight(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.hold_subject = "Erste"
    running_app = running(create_app(mail_settings, clock=FrozenClock(FROZEN_NOW)))
    app = await running_app.__aenter__()
    await first_round_done(sender_of(app))
    first = await add_mail("Erste")
    await add_mail("Zweite")
    assert await asyncio.to_thread(smtp_server.handler.holding.wait, PATIENCE)

    shutdown = asyncio.create_task(running_app.__aexit__(None, None, None))
    await asyncio.sleep(0)
    smtp_server.handler.release.set()
    await shutdown

    rows = await Outbox.select(Outbox.id, Outbox.sent_at, Outbox.attempts).order_by(Outbox.id)
    assert rows[0]["id"] == first
    assert rows[0]["sent_at"] is not None  # finished and marked, not left ambiguous
    assert rows[1]["attempts"] == 0  # not started once stopping
    assert sorted(smtp_server.handler.counts_by_message_id().values()) == [1]


async def test_an_app_without_the_sender_leaves_mail_in_the_outbox(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    async with running(
        create_app(mail_settings, clock=FrozenClock(FROZEN_NOW), send_mail=False)
    ) as app:
        assert getattr(app.state, "mail_sender", None) is None
        await add_mail()
    assert smtp_server.handler.received == []
    assert await delivery.waiting_count() == 1
