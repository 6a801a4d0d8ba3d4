"""Set-password links leave no usable token at rest: the outbox holds a slot, the sender
fills in the token when it builds the message (the same on every retry), a name typed
into an invitation cannot smuggle in a slot, and a link redeemed twice at once works once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import anyio.to_thread
import pytest

from programmes.domain.access import Staff
from programmes.domain.accounts import management, passwords
from programmes.domain.errors import Conflict
from programmes.domain.mail import links
from programmes.domain.mail.delivery import deliver_due
from programmes.domain.mail.wire import build_message
from programmes.domain.tokens import hash_token
from programmes.settings import Settings
from programmes.tables import AccountLink, AuditEvent, Outbox
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW, TEST_SECRET
from tests.factories import make_staff
from tests.integration.conftest import MAIL_FROM
from tests.smtp_server import SmtpServer

SITE = passwords.MailSite(base_url="http://testserver", language="en")


@pytest.fixture(autouse=True)
def link_key() -> Iterator[None]:
    links.set_key(TEST_SECRET)
    yield
    links.set_key(TEST_SECRET)  # a test may have changed it


async def _invite() -> Staff:
    coordinator = await make_staff(Role.coordinator)
    await management.invite_account(
        staff=coordinator,
        email="new@staff.example",
        name="New Person",
        role="trainer",
        kita_id=None,
        site=SITE,
        now=FROZEN_NOW,
    )
    return coordinator


async def test_the_sent_invitation_carries_the_token_the_outbox_does_not(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    await _invite()
    row = await Outbox.select(*Outbox.all_columns()).first()
    assert row is not None
    assert "{secret:account-link:" in row["body_text"]
    assert row["subject"] == "Your staff account at the Haus der Kulturen"
    assert mail_settings.smtp is not None
    report = await deliver_due(mail_settings.smtp, now=FROZEN_NOW)
    assert len(report.sent) == 1, report
    received = (await anyio.to_thread.run_sync(smtp_server.handler.wait_for, 1))[0]
    body = received.message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    match = re.search(r"http://testserver/staff/password/set\?token=([A-Za-z0-9_-]{43})\s", text)
    assert match, text
    token = match.group(1)
    assert "{secret:" not in text
    assert token not in row["body_text"]
    assert await AccountLink.exists().where(AccountLink.token_hash == hash_token(token))
    # a retry is the same bytes
    again = build_message(row, sender=MAIL_FROM)
    assert again.as_bytes() == build_message(row, sender=MAIL_FROM).as_bytes()
    again_body = again.get_body(preferencelist=("plain",))
    assert again_body is not None
    assert again_body.get_content().splitlines() == text.splitlines()


async def test_another_secret_key_renders_a_token_that_opens_nothing() -> None:
    await _invite()
    row = await Outbox.select(*Outbox.all_columns()).first()
    assert row is not None
    links.set_key("another-secret-" + "y" * 40)
    text = build_message(row, sender=MAIL_FROM).as_string()
    token = re.search(r"token=([A-Za-z0-9_-]+)", text)
    assert token
    assert not await AccountLink.exists().where(
        AccountLink.token_hash == hash_token(token.group(1))
    )


async def test_a_name_that_looks_like_a_slot_stays_text() -> None:
    coordinator = await make_staff(Role.coordinator)
    forged = "{secret:account-link:AAAAAAAAAAAAAAAAAAAAAA}"
    await management.invite_account(
        staff=coordinator,
        email="forger@staff.example",
        name=forged,
        role="trainer",
        kita_id=None,
        site=SITE,
        now=FROZEN_NOW,
    )
    row = await Outbox.select(*Outbox.all_columns()).first()
    assert row is not None
    text = build_message(row, sender=MAIL_FROM).get_body(preferencelist=("plain",))
    assert text is not None
    sent = text.get_content()
    assert "(secret:account-link:AAAAAAAAAAAAAAAAAAAAAA)" in sent
    assert links.token("account-link", "AAAAAAAAAAAAAAAAAAAAAA") not in sent
    assert len(re.findall(r"[A-Za-z0-9_-]{43}", sent)) == 1  # the one real link


async def test_a_link_sent_twice_at_the_same_moment_sets_the_password_once() -> None:
    await _invite()
    row = await Outbox.select(*Outbox.all_columns()).first()
    assert row is not None
    text = build_message(row, sender=MAIL_FROM).get_body(preferencelist=("plain",))
    assert text is not None
    match = re.search(r"token=([A-Za-z0-9_-]{43})", text.get_content())
    assert match
    token = match.group(1)

    async def redeem(password: str) -> str:
        try:
            await passwords.set_password_with_link(
                token=token, password=password, repeat=password, now=FROZEN_NOW
            )
        except Conflict as error:
            return error.template
        return "set"

    outcomes = await asyncio.gather(redeem("erstes Passwort"), redeem("zweites Passwort"))
    assert sorted(outcomes) == sorted(["set", passwords.LINK_USED])
    assert await AuditEvent.count().where(AuditEvent.action == "account.invitation_accepted") == 1
