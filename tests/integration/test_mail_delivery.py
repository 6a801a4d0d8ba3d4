"""Sending the outbox to a real SMTP server on 127.0.0.1: what arrives, once."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import smtplib
import socket
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from programmes.clock import FrozenClock
from programmes.db import write_transaction
from programmes.domain.mail import delivery
from programmes.domain.mail.delivery import (
    HELD_NOTE,
    LEASE,
    MAX_ATTEMPTS,
    DeliveryReport,
    deliver_due,
    retry_delay,
)
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.domain.mail.wire import build_message, describe_error
from programmes.settings import Settings, SmtpConfig, load_settings
from programmes.tables import Outbox
from tests import conftest as shared
from tests.conftest import FROZEN_NOW
from tests.integration.conftest import MAIL_FROM
from tests.smtp_server import SmtpServer, running_smtp_server

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//programmes//DE\r\nMETHOD:PUBLISH\r\n"
    "BEGIN:VEVENT\r\nUID:session-1@testserver\r\nSUMMARY:Elterncafé – кафе – مقهى\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()


def smtp_of(settings: Settings) -> SmtpConfig:
    assert settings.smtp is not None
    return settings.smtp


async def add_mail(to: str = "eltern@familie.example", **fields: object) -> int:
    values: dict[str, object] = {
        "to_address": to,
        "subject": "Anmeldung bestätigt",
        "body_text": "Guten Tag,\nIhre Anmeldung ist bestätigt.",
    }
    values.update(fields)
    async with write_transaction():
        return await enqueue(OutgoingMail(**values), now=FROZEN_NOW)  # type: ignore[arg-type]


async def row(outbox_id: int) -> dict[str, object]:
    found = await Outbox.select().where(Outbox.id == outbox_id).first()
    assert found is not None
    return found


async def test_what_arrives_is_the_stored_mail_in_utf8_with_its_attachment(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    subject = "Bestätigung: Elterncafé · Кафе для родителей · مقهى الآباء"
    body = (
        "Liebe Eltern, wir freuen uns über Ihre Anmeldung (Größe: ÄÖÜß).\n"
        "Дорогие родители, спасибо!\nأهلاً وسهلاً بكم\n" + "lange Zeile " * 200 + "\n"
    )
    outbox_id = await add_mail(
        subject=subject,
        body_text=body,
        language="ar",
        attachment_name="invite.ics",
        attachment=ICS,
    )
    stored = await row(outbox_id)

    report = await deliver_due(smtp_of(mail_settings), now=FROZEN_NOW)

    assert report == DeliveryReport(sent=(outbox_id,))
    [arrived] = smtp_server.handler.received
    assert arrived.mail_from == MAIL_FROM
    assert arrived.rcpt_tos == ("eltern@familie.example",)
    message = arrived.message
    assert message["From"] == MAIL_FROM
    assert message["To"] == "eltern@familie.example"
    assert message["Subject"] == subject
    assert message["Message-ID"] == stored["message_id"]
    assert message["Content-Language"] == "ar"
    assert parsedate_to_datetime(message["Date"]) == FROZEN_NOW
    assert arrived.data.isascii()  # encoded for any server, not raw 8-bit
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert text.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n") == body  # MIME text is CRLF on the wire
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_param("charset") == "utf-8"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == ICS

    after = await row(outbox_id)
    assert after["sent_at"] == FROZEN_NOW or after["sent_at"] > FROZEN_NOW  # type: ignore[operator]
    assert (after["attempts"], after["claimed_until"], after["last_error"]) == (1, None, "")
    assert await deliver_due(smtp_of(mail_settings), now=FROZEN_NOW + LEASE * 2) == (
        DeliveryReport()
    )
    assert len(smtp_server.handler.received) == 1


async def test_a_mail_without_attachment_is_a_single_text_part(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    await add_mail(language="en")
    await deliver_due(smtp_of(mail_settings), now=FROZEN_NOW)
    [arrived] = smtp_server.handler.received
    assert arrived.message.get_content_type() == "text/plain"
    assert arrived.message["Content-Language"] == "en"
    assert arrived.message["Auto-Submitted"] == "auto-generated"


async def test_a_sender_with_a_name_keeps_the_bare_address_in_the_envelope(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    smtp = dataclasses.replace(
        smtp_of(mail_settings), sender=f"Haus der Kulturen Herten <{MAIL_FROM}>"
    )
    await add_mail()
    await deliver_due(smtp, now=FROZEN_NOW)
    [arrived] = smtp_server.handler.received
    assert arrived.mail_from == MAIL_FROM
    assert arrived.message["From"].addresses[0].display_name == "Haus der Kulturen Herten"


async def test_a_rolled_back_mail_is_never_sent(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    async def failing_registration() -> None:
        async with write_transaction():
            await enqueue(OutgoingMail("eltern@familie.example", "Betreff", "Text"), now=FROZEN_NOW)
            raise RuntimeError("the registration failed")

    with pytest.raises(RuntimeError):
        await failing_registration()
    report = await deliver_due(smtp_of(mail_settings), now=FROZEN_NOW)
    assert report == DeliveryReport()
    assert smtp_server.handler.received == []


async def test_two_senders_at_once_deliver_each_message_exactly_once(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    ids = [await add_mail(subject=f"Nachricht {n}") for n in range(20)]
    smtp_server.handler.rendezvous = 2  # the first messages wait until both are sending

    first, second = await asyncio.gather(
        deliver_due(smtp_of(mail_settings), now=FROZEN_NOW),
        deliver_due(smtp_of(mail_settings), now=FROZEN_NOW),
    )

    assert first.sent  # both really took part
    assert second.sent
    assert not set(first.sent) & set(second.sent)
    assert sorted(first.sent + second.sent) == ids
    counts = smtp_server.handler.counts_by_message_id()
    assert len(counts) == 20
    assert set(counts.values()) == {1}
    assert await Outbox.count().where(Outbox.sent_at.is_null()) == 0


async def test_a_refused_recipient_is_retried_with_backoff_and_delivered_once(
    mail_settings: Settings, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    refused = "anna.beispiel@familie.example"
    smtp_server.handler.rcpt_replies[refused] = [
        f"451 4.7.1 <{refused}>: greylisted, try again later",
        f"450 4.2.0 <{refused}>: mailbox busy",
    ]
    caplog.set_level(logging.INFO, logger="programmes")
    clock = FrozenClock(FROZEN_NOW)
    other = await add_mail(subject="An alle")
    outbox_id = await add_mail(refused, body_text="Vertraulicher Text für Anna")

    first = await deliver_due(smtp_of(mail_settings), now=clock())
    assert first.sent == (other,)
    assert first.retrying == (outbox_id,)
    after_first = await row(outbox_id)
    assert after_first["attempts"] == 1
    assert after_first["sent_at"] is None
    assert after_first["claimed_until"] is None
    assert str(after_first["last_error"]).startswith("recipient refused: 451 4.7.1")
    assert refused not in str(after_first["last_error"])
    retry_at = after_first["next_attempt_at"]
    assert clock() + retry_delay(1) <= retry_at < clock() + retry_delay(1) + timedelta(minutes=1)  # type: ignore[operator]

    assert (await deliver_due(smtp_of(mail_settings), now=clock())).attempted == 0
    clock.advance(timedelta(seconds=59))
    assert (await deliver_due(smtp_of(mail_settings), now=clock())).attempted == 0

    clock.advance(timedelta(minutes=1))
    second = await deliver_due(smtp_of(mail_settings), now=clock())
    assert second.retrying == (outbox_id,)
    after_second = await row(outbox_id)
    assert after_second["attempts"] == 2
    assert after_second["next_attempt_at"] >= clock() + retry_delay(2)  # type: ignore[operator]
    assert retry_delay(2) == 2 * retry_delay(1)

    clock.advance(retry_delay(2) + timedelta(seconds=1))
    third = await deliver_due(smtp_of(mail_settings), now=clock())
    assert third.sent == (outbox_id,)

    counts = smtp_server.handler.counts_by_message_id()
    assert counts[str(after_first["message_id"])] == 1
    assert sum(counts.values()) == 2
    assert (await row(outbox_id))["last_error"] == ""
    logged = ours(caplog)
    assert f"outbox {outbox_id}: attempt 1 failed" in logged
    assert refused not in logged
    assert "Vertraulicher" not in logged


async def test_a_permanently_refused_mail_is_given_up_and_stays_visible(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    refused = "niemand@familie.example"
    smtp_server.handler.rcpt_replies[refused] = [
        f"550 5.1.1 <{refused}>: no such user"
    ] * MAX_ATTEMPTS
    clock = FrozenClock(FROZEN_NOW)
    outbox_id = await add_mail(refused)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = await deliver_due(smtp_of(mail_settings), now=clock())
        assert report.attempted == 1
        clock.advance(retry_delay(attempt) + timedelta(seconds=1))
    assert report.gave_up == (outbox_id,)
    assert report.retrying == ()

    given_up = await row(outbox_id)
    assert given_up["attempts"] == MAX_ATTEMPTS
    assert given_up["failed_at"] is not None
    assert given_up["sent_at"] is None
    assert str(given_up["last_error"]).startswith(f"gave up after {MAX_ATTEMPTS} attempts: ")
    assert "550 5.1.1" in str(given_up["last_error"])
    assert refused not in str(given_up["last_error"])
    clock.advance(timedelta(days=30))
    assert await deliver_due(smtp_of(mail_settings), now=clock()) == DeliveryReport()
    assert smtp_server.handler.received == []
    assert await delivery.waiting_count() == 0


async def test_without_a_mail_server_mail_waits_and_is_logged_once_without_address(
    mail_settings: Settings, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="programmes")
    outbox_id = await add_mail(
        "anna.beispiel@familie.example", language="uk", body_text="Geheimer Text"
    )

    first = await deliver_due(None, now=FROZEN_NOW)
    second = await deliver_due(None, now=FROZEN_NOW + timedelta(hours=1))

    assert first.held == (outbox_id,)
    assert second == DeliveryReport()
    records = [r for r in caplog.records if f"outbox {outbox_id}" in r.getMessage()]
    assert len(records) == 1
    line = records[0].getMessage()
    assert "language uk" in line
    assert "Anmeldung bestätigt" in line
    assert "PROGRAMMES_SMTP_URL" in line
    assert "anna.beispiel" not in ours(caplog)
    assert "Geheimer" not in ours(caplog)
    held = await row(outbox_id)
    assert (held["sent_at"], held["failed_at"], held["attempts"]) == (None, None, 0)
    assert held["last_error"] == HELD_NOTE
    assert await delivery.waiting_count() == 1

    # once a server is configured, the held mail goes out
    report = await deliver_due(smtp_of(mail_settings), now=FROZEN_NOW + timedelta(hours=2))
    assert report.sent == (outbox_id,)
    assert len(smtp_server.handler.received) == 1
    assert (await row(outbox_id))["last_error"] == ""


async def test_an_unreachable_server_costs_no_attempt(mail_settings: Settings) -> None:
    with socket.socket() as probe:  # a port where nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = SmtpConfig("127.0.0.1", port, None, None, False, False, MAIL_FROM)
    outbox_id = await add_mail()

    report = await deliver_due(smtp, now=FROZEN_NOW)

    assert report.unreachable
    assert report.attempted == 0
    waiting = await row(outbox_id)
    assert (waiting["attempts"], waiting["sent_at"], waiting["claimed_until"]) == (0, None, None)


async def test_a_claim_keeps_other_senders_away_until_its_lease_ends(
    mail_settings: Settings, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A sender that died after claiming (maybe after the server accepted the mail):
    nobody touches the message during the lease; afterwards it is sent again with the
    same Message-ID, and the log says so."""
    outbox_id = await add_mail()
    await Outbox.update({Outbox.claimed_until: FROZEN_NOW + LEASE, Outbox.attempts: 1}).where(
        Outbox.id == outbox_id
    )

    during = await deliver_due(smtp_of(mail_settings), now=FROZEN_NOW + LEASE / 2)
    assert during == DeliveryReport()
    assert smtp_server.handler.received == []

    after = await deliver_due(smtp_of(mail_settings), now=FROZEN_NOW + LEASE)
    assert after.sent == (outbox_id,)
    [arrived] = smtp_server.handler.received
    assert arrived.message_id == (await row(outbox_id))["message_id"]
    assert f"outbox {outbox_id}: an earlier attempt ended without a result" in caplog.text
    assert (await row(outbox_id))["attempts"] == 2


async def test_an_interrupted_last_attempt_gives_the_message_up(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    outbox_id = await add_mail()
    await Outbox.update({Outbox.claimed_until: FROZEN_NOW, Outbox.attempts: MAX_ATTEMPTS}).where(
        Outbox.id == outbox_id
    )

    report = await deliver_due(smtp_of(mail_settings), now=FROZEN_NOW + LEASE)

    assert report.gave_up == (outbox_id,)
    given_up = await row(outbox_id)
    assert given_up["failed_at"] is not None
    assert "interrupted" in str(given_up["last_error"])
    assert smtp_server.handler.received == []


async def test_cancelling_a_sender_mid_message_still_marks_it_sent(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    """Shutdown cancels the sender while the server is still receiving: the message in
    flight is finished and marked, so it is not sent again."""
    first = await add_mail(subject="Erste")
    second = await add_mail(subject="Zweite")
    smtp_server.handler.hold_subject = "Erste"

    round_ = asyncio.create_task(deliver_due(smtp_of(mail_settings), now=FROZEN_NOW))
    held = await asyncio.to_thread(smtp_server.handler.holding.wait, 60)
    assert held
    round_.cancel()
    smtp_server.handler.release.set()
    with pytest.raises(asyncio.CancelledError):
        await round_

    assert (await row(first))["sent_at"] is not None
    assert (await row(second))["attempts"] == 0  # not started after the cancellation
    report = await deliver_due(smtp_of(mail_settings), now=FROZEN_NOW + 2 * LEASE)
    assert report.sent == (second,)
    assert sorted(smtp_server.handler.counts_by_message_id().values()) == [1, 1]


def test_errors_are_described_without_addresses() -> None:
    refused = smtplib.SMTPRecipientsRefused(
        {"Anna.Beispiel@familie.example": (550, b"5.1.1 <anna.beispiel@familie.example> unknown")}
    )
    text = describe_error(refused, recipient="anna.beispiel@familie.example")
    assert text == "recipient refused: 550 5.1.1 <<recipient>> unknown"
    data = smtplib.SMTPDataError(554, b"5.7.1 message from x@y.example rejected\r\nsee policy")
    assert (
        describe_error(data)
        == "SMTPDataError: 554 5.7.1 message from <address> rejected see policy"
    )
    assert describe_error(ConnectionRefusedError(111, "Connection refused")) == (
        "ConnectionRefusedError: [Errno 111] Connection refused"
    )
    assert len(describe_error(ValueError("x" * 2000))) == 500


def test_retry_delays_double_up_to_four_hours() -> None:
    delays = [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(delays) == timedelta(hours=4)
    assert sum(delays[:-1], timedelta()) < timedelta(hours=9)


def test_a_retry_is_the_same_mail_byte_for_byte() -> None:
    """Same Message-ID, same Date (the enqueue time), same MIME boundary: a duplicate from
    the ambiguous window is recognisable as one."""
    stored = {
        "to_address": "a@b.example",
        "subject": "Einladung: Elterncafé",
        "created_at": FROZEN_NOW,
        "message_id": "<x@testserver>",
        "language": "de",
        "body_text": "Text über Text",
        "attachment": base64.b64encode(ICS).decode(),
        "attachment_name": "invite.ics",
        "attachment_type": "text/calendar",
    }
    first = build_message(stored, sender=MAIL_FROM)
    second = build_message(dict(stored), sender=MAIL_FROM)
    assert first["Date"] == format_datetime(FROZEN_NOW)
    assert first.as_bytes() == second.as_bytes()


def _accept_only(login: bytes, password: bytes) -> Any:
    def authenticator(
        server: object, session: object, envelope: object, mechanism: str, auth_data: object
    ) -> AuthResult:
        given = (
            (auth_data.login, auth_data.password) if isinstance(auth_data, LoginPassword) else ()
        )
        return AuthResult(success=given == (login, password), handled=False)

    return authenticator


@pytest.mark.parametrize("password", ["p%40ss%3Aw%2Frd", "wrong"])
async def test_the_login_from_the_smtp_url_is_used(
    database_url: str, tmp_path: Path, password: str
) -> None:
    with running_smtp_server(
        authenticator=_accept_only(b"versand@hdk.example", b"p@ss:w/rd"), auth_require_tls=False
    ) as server:
        url = f"smtp://versand%40hdk.example:{password}@127.0.0.1:{server.port}"
        settings = load_settings(
            shared.environment_for_tests(database_url, PROGRAMMES_SMTP_URL=url), workdir=tmp_path
        )
        outbox_id = await add_mail()
        report = await deliver_due(smtp_of(settings), now=FROZEN_NOW)
        if password == "wrong":
            assert report.unreachable.startswith("SMTPAuthenticationError: 535")
            assert server.handler.received == []
            assert (await row(outbox_id))["attempts"] == 0
        else:
            assert report.sent == (outbox_id,)
            assert len(server.handler.received) == 1


def ours(caplog: pytest.LogCaptureFixture) -> str:
    """What the service logged (the test's SMTP server logs its own traffic, addresses
    included, under "mail.log")."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("programmes"))
