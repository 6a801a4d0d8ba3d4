"""Putting mail into the outbox: in the caller's transaction, checked before it is stored."""

from __future__ import annotations

import base64
import importlib
import re

import pytest

from programmes.db import write_transaction
from programmes.domain.errors import InvalidInput
from programmes.domain.mail import links, outbox
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.domain.mail.wire import build_message
from programmes.tables import Kita, Outbox
from tests.conftest import FROZEN_NOW

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def mail(**overrides: object) -> OutgoingMail:
    values: dict[str, object] = {
        "to_address": "eltern@familie.example",
        "subject": "Anmeldung bestätigt",
        "body_text": "Guten Tag,\nIhre Anmeldung ist bestätigt.",
    }
    values.update(overrides)
    return OutgoingMail(**values)  # type: ignore[arg-type]


async def test_a_mail_is_stored_with_a_unique_message_id() -> None:
    async with write_transaction():
        first = await enqueue(
            mail(
                language="ar",
                attachment_name="invite.ics",
                attachment=ICS,
                related_type="registration",
                related_id=7,
            ),
            now=FROZEN_NOW,
        )
        second = await enqueue(mail(), now=FROZEN_NOW)
    rows = await Outbox.select().order_by(Outbox.id)
    assert [row["id"] for row in rows] == [first, second]
    row = rows[0]
    assert re.fullmatch(r"<[0-9a-f]{32}@testserver>", row["message_id"])
    assert rows[1]["message_id"] != row["message_id"]
    assert row["to_address"] == "eltern@familie.example"
    assert row["subject"] == "Anmeldung bestätigt"
    assert row["language"] == "ar"
    assert base64.b64decode(row["attachment"]) == ICS
    assert row["attachment_type"] == "text/calendar"
    assert (row["related_type"], row["related_id"]) == ("registration", 7)
    assert row["created_at"] == row["next_attempt_at"] == FROZEN_NOW
    assert (row["attempts"], row["sent_at"], row["failed_at"]) == (0, None, None)
    assert rows[1]["attachment"] == rows[1]["attachment_type"] == ""


async def change_with_mail(outgoing: OutgoingMail, *, fail: bool = False) -> None:
    """A use case in miniature: some change and its mail in one write transaction."""
    async with write_transaction():
        await Kita.insert(Kita(name="KiTa Regenbogen", address=""))
        await enqueue(outgoing, now=FROZEN_NOW)
        if fail:
            raise RuntimeError("registration failed")


async def test_a_rolled_back_change_leaves_no_mail() -> None:
    with pytest.raises(RuntimeError, match="registration failed"):
        await change_with_mail(mail(), fail=True)
    assert await Outbox.count() == 0
    assert await Kita.count() == 0


async def test_enqueue_outside_a_write_transaction_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError, match="write_transaction"):
        await enqueue(mail(), now=FROZEN_NOW)
    assert await Outbox.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to_address", "eltern@familie.example\r\nBcc: alle@evil.example"),
        ("to_address", "eltern@familie.example\nBcc: alle@evil.example"),
        ("to_address", "eltern@familie.example\r"),
        ("to_address", "eltern@familie.example\u2028"),
        ("to_address", "eltern@familie.example, alle@evil.example"),
        ("to_address", "Eltern <eltern@familie.example>"),
        ("to_address", "eltern @familie.example"),
        ("to_address", "eltern@familie.example "),
        ("to_address", "elternfamilie.example"),
        ("to_address", ""),
        ("to_address", "e" * 64 + "@" + "d" * 60 + "." + "d" * 60 + "." + "d" * 60 + ".example"),
        ("to_address", "e" * 65 + "@familie.example"),
        ("subject", "Hallo\r\nBcc: alle@evil.example"),
        ("subject", "Hallo\nWelt"),
        ("subject", "Hallo\rWelt"),
        ("subject", "Hallo\u2028Welt"),
        ("subject", "Hallo\x00Welt"),
        ("subject", "Hallo\tWelt"),
        ("subject", "  "),
        ("subject", "x" * 301),
        ("subject", "Hallo \ud800"),
        ("body_text", "Text mit NUL \x00"),
        ("body_text", "Text mit \udfff"),
        ("body_text", ""),
        ("language", "deu"),
        ("language", "d\n"),
        ("attachment_name", "invite.ics\r\nContent-Type: text/html"),
        ("attachment_name", "../invite.ics"),
        ("attachment_type", "text/calendar\r\nX-Evil: 1"),
        ("attachment_type", "text/calendar;\nmethod=PUBLISH"),
        ("attachment_type", "kalender"),
    ],
)
async def test_header_injection_and_broken_fields_are_refused_naming_the_field(
    field: str, value: str
) -> None:
    overrides: dict[str, object] = {field: value}
    if field.startswith("attachment"):
        overrides = {"attachment_name": "invite.ics", "attachment": ICS, field: value}
    with pytest.raises(InvalidInput) as raised:
        await change_with_mail(mail(**overrides))
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")
    assert await Outbox.count() == 0
    assert await Kita.count() == 0  # the whole change is refused, not only the mail


async def test_an_attachment_name_without_an_attachment_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        async with write_transaction():
            await enqueue(mail(attachment_name="invite.ics"), now=FROZEN_NOW)
    assert raised.value.field == "attachment_name"


async def test_an_oversized_attachment_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        async with write_transaction():
            await enqueue(
                mail(attachment_name="big.ics", attachment=b"x" * (512 * 1024 + 1)),
                now=FROZEN_NOW,
            )
    assert raised.value.field == "attachment"


async def test_an_internationalised_domain_is_stored_in_its_ascii_form() -> None:
    async with write_transaction():
        await enqueue(mail(to_address="eltern@müller.example"), now=FROZEN_NOW)
    assert await Outbox.select(Outbox.to_address).output(as_list=True) == [
        "eltern@xn--mller-kva.example"
    ]


def test_refusals_are_catalogued_in_german() -> None:
    for bad in (
        {"to_address": "a@b.example\nBcc: c@d.example"},
        {"to_address": "a, b@c.example"},
        {"subject": "a\nb"},
        {"subject": "a\tb"},
        {"body_text": ""},
    ):
        field, value = next(iter(bad.items()))
        check = outbox.check_subject if field == "subject" else outbox.check_recipient
        if field == "body_text":
            check = outbox._check_body  # type: ignore[assignment]
        with pytest.raises(InvalidInput) as raised:
            check(value)
        german = raised.value.translated("de")
        assert german != raised.value.message, raised.value.message
        assert raised.value.translated("en") == raised.value.message


async def test_subscribers_are_woken_once_per_commit_and_never_on_rollback() -> None:
    calls: list[str] = []
    unsubscribe = outbox.subscribe(lambda: calls.append("woken"))
    try:
        async with write_transaction():
            await enqueue(mail(), now=FROZEN_NOW)
            await enqueue(mail(), now=FROZEN_NOW)
            assert calls == []  # not before the commit: the sender would find nothing
        assert calls == ["woken"]

        with pytest.raises(RuntimeError):
            await change_with_mail(mail(), fail=True)
        assert calls == ["woken"]

        async with write_transaction():  # nested transactions join the outer one
            async with write_transaction():
                await enqueue(mail(), now=FROZEN_NOW)
            assert calls == ["woken"]
        assert calls == ["woken", "woken"]
    finally:
        unsubscribe()
    async with write_transaction():
        await enqueue(mail(), now=FROZEN_NOW)
    assert calls == ["woken", "woken"]


async def test_a_failing_subscriber_does_not_undo_the_commit() -> None:
    def broken() -> None:
        raise ValueError("listener bug")

    unsubscribe = outbox.subscribe(broken)
    try:
        async with write_transaction():
            await enqueue(mail(), now=FROZEN_NOW)
    finally:
        unsubscribe()
    assert await Outbox.count() == 1


async def test_only_a_composer_marked_for_secret_links_keeps_slots_and_the_sender_fills_them() -> (
    None
):
    nonce = links.new_nonce()
    slot = links.slot("cancel", nonce)
    text = f"Abmelden: https://x.example/events/cancel/{slot}\n"
    async with write_transaction():
        typed = await enqueue(mail(body_text=text), now=FROZEN_NOW)
        composed = await enqueue(mail(body_text=text, secret_links=True), now=FROZEN_NOW)
    rows = {r["id"]: r for r in await Outbox.select().where(Outbox.id.is_in([typed, composed]))}
    # text that merely looks like a slot (a title, a reason) is made inert when stored
    assert slot not in rows[typed]["body_text"]
    assert not links.has_slot(rows[typed]["body_text"])
    inert = build_message(rows[typed], sender="a@b.example").get_content()
    assert links.token("cancel", nonce) not in inert
    # the composer's slot is stored as it is, never the token; the sender fills it in
    assert rows[composed]["body_text"] == text
    token = links.token("cancel", nonce)
    assert token not in repr(rows[composed])
    sent = build_message(rows[composed], sender="a@b.example")
    assert f"/events/cancel/{token}\n" in sent.get_content()
    assert bytes(sent) == bytes(build_message(rows[composed], sender="a@b.example"))
    assert links.fill(text, key="k" * 40) != links.fill(text, key="j" * 40)
    assert len(token) == 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)


async def test_the_migration_cuts_full_cancel_links_from_mails_already_sent() -> None:
    """Mails queued before links became slots: the stored copy of a sent (or given-up)
    mail loses its link, a mail still waiting keeps it (its recipient needs it)."""
    migration = importlib.import_module("migrations.programmes_2026_12_06t10_30_00_000000")
    token = "T" * 43
    text = f"Abmelden:\nhttps://x.example/events/cancel/{token}\nGruß"
    async with write_transaction():
        sent, failed, waiting, other = [
            await enqueue(mail(body_text=text if n < 3 else "kein Link"), now=FROZEN_NOW)
            for n in range(4)
        ]
    await Outbox.update({Outbox.sent_at: FROZEN_NOW}).where(Outbox.id.is_in([sent, other]))
    await Outbox.update({Outbox.failed_at: FROZEN_NOW}).where(Outbox.id == failed)

    await migration.cut_sent_cancel_links()

    rows = {r["id"]: r["body_text"] for r in await Outbox.select(Outbox.id, Outbox.body_text)}
    cut = "Abmelden:\nhttps://x.example/events/cancel/(removed)\nGruß"
    assert (rows[sent], rows[failed]) == (cut, cut)
    assert rows[waiting] == text and rows[other] == "kein Link"
