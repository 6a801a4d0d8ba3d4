"""What a registrant finds in their mailbox: mails delivered by the running app to a real
SMTP server on 127.0.0.1, in their language, with the dates as .ics and a cancel link
that works."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio.to_thread
import httpx
import icalendar
import pytest
from litestar import Litestar

from programmes.app import create_app
from programmes.clock import FrozenClock
from programmes.db import fetch as fetch_rows
from programmes.db import write_transaction
from programmes.domain.accounts import staff_accounts
from programmes.domain.mail import delivery, links
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.settings import Settings, load_settings
from programmes.tables import Outbox, Person, Registration
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW, app_client, environment_for_tests, running
from tests.factories import PASSWORD, make_public_run, make_staff
from tests.smtp_server import SmtpServer, running_smtp_server
from tests.web.helpers import csrf_token, post_form, sign_in


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
async def mail_client(
    database_url: str, smtp_server: SmtpServer, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        environment_for_tests(
            database_url,
            PROGRAMMES_SMTP_URL=smtp_server.url,
            PROGRAMMES_MAIL_FROM="programme@hdk.example",
        ),
        workdir=tmp_path,
    )
    app: Litestar = create_app(settings, clock=clock)
    async with running(app), app_client(app, address=("203.0.113.9", 50000)) as client:
        yield client


async def test_confirmation_arrives_in_german_with_dates_and_a_working_cancel_link(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    cohort = await make_public_run(capacity=3, dates=2)
    response = await post_form(
        mail_client,
        f"/events/{cohort}",
        f"/events/{cohort}/register",
        {
            "name": "Jürgen Öztürk",
            "email": "juergen@example.org",
            "seats": "2",
            "consent": "on",
            "language": "de",
        },
    )
    assert response.status_code == 200
    received = (await anyio.to_thread.run_sync(smtp_server.handler.wait_for, 1))[0]
    message = received.message
    assert received.rcpt_tos == ("juergen@example.org",)
    assert message["To"] == "juergen@example.org"
    assert message["From"] == "programme@hdk.example"
    assert str(message["Subject"]).startswith("Anmeldung bestätigt:")
    assert message["Content-Language"] == "de"
    assert message["Message-ID"].endswith("@testserver>")
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "2 Plätze sind für Sie reserviert." in text
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(attachments[0].get_content())
    assert len(calendar.walk("VEVENT")) == 2

    link = re.search(r"http://testserver(/events/cancel/\S+)", text)
    assert link, text
    page = await mail_client.get(link.group(1))
    assert page.status_code == 200
    done = await post_form(mail_client, link.group(1), link.group(1), {})
    assert "Ihre Anmeldung ist storniert" in done.text
    row = await Registration.select(Registration.status).first()
    assert row == {"status": "cancelled"}
    cancelled_mail = (await anyio.to_thread.run_sync(smtp_server.handler.wait_for, 2))[1]
    assert str(cancelled_mail.message["Subject"]).startswith("Anmeldung storniert")


async def test_english_registrants_get_english_mail_and_waiting_mail_has_no_attachment(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    cohort = await make_public_run(capacity=1)
    for n, language in ((1, "de"), (2, "en")):
        response = await mail_client.post(
            f"/api/v1/events/{cohort}/registrations",
            json={
                "name": f"P{n}",
                "email": f"p{n}@example.org",
                "consent": True,
                "language": language,
            },
        )
        assert response.status_code == 201
    received = await anyio.to_thread.run_sync(smtp_server.handler.wait_for, 2)
    english = next(r.message for r in received if r.rcpt_tos == ("p2@example.org",))
    assert str(english["Subject"]).startswith("Waiting list:")
    assert english["Content-Language"] == "en"
    assert list(english.iter_attachments()) == []
    body = english.get_body(preferencelist=("plain",))
    assert body is not None and "in place 1" in body.get_content()


#: A token's shape (`domain/tokens.looks_like_token`): anything like it could cancel.
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{20,100}")


async def outbox_text() -> str:
    """Every column of every outbox row, as text: what the back office, a database copy or
    a backup shows."""
    return repr(await fetch_rows("SELECT * FROM outbox"))


async def test_the_outbox_never_holds_a_working_cancel_link_but_the_delivered_mail_does(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    cohort = await make_public_run(capacity=1)
    for email in ("first@example.org", "second@example.org"):  # confirmed, then waiting
        response = await post_form(
            mail_client,
            f"/events/{cohort}",
            f"/events/{cohort}/register",
            {"name": "Aylin Demir", "email": email, "consent": "on", "language": "de"},
        )
        assert response.status_code == 200
    received = await anyio.to_thread.run_sync(smtp_server.handler.wait_for, 2)
    tokens = {}
    for arrived in received:
        body = arrived.message.get_body(preferencelist=("plain",))
        assert body is not None
        found = re.search(r"http://testserver/events/cancel/(\S+)", body.get_content())
        assert found, body.get_content()
        tokens[arrived.rcpt_tos[0]] = found.group(1)

    stored = await outbox_text()
    assert await Outbox.count() == 2
    for token in tokens.values():
        assert token not in stored
    # nothing in any column of the outbox cancels anything: every token-shaped string in it
    # (the stored link's slot among them) is refused by the page and the API
    candidates = set(TOKEN_LIKE.findall(stored)) | set(
        re.findall(r"/events/cancel/(\S+?)['\s\\]", stored)
    )
    assert len(candidates) >= 2
    for candidate in candidates:
        page = await mail_client.get(f"/events/cancel/{candidate}")
        assert page.status_code == 404, candidate
        api = await mail_client.post(
            "/api/v1/events/registrations/cancel", json={"token": candidate}
        )
        assert api.status_code == 404, candidate
    assert await Registration.count().where(Registration.status == "cancelled") == 0

    # the links as delivered work, each for its own registration
    first = tokens["first@example.org"]
    page = await mail_client.get(f"/events/cancel/{first}")
    assert page.status_code == 200 and "1 Platz ist für Sie reserviert." in page.text
    waiting = await mail_client.get(f"/events/cancel/{tokens['second@example.org']}")
    assert "Sie stehen auf der Warteliste." in waiting.text

    # an altered link is refused with a clear page, and changes nothing
    altered = first[:-1] + ("A" if first[-1] != "A" else "B")
    for forged in (altered, first[:-1], first + "x", first.upper()):
        refused = await mail_client.get(f"/events/cancel/{forged}")
        assert refused.status_code == 404
        assert "Dieser Abmelde-Link ist nicht (mehr) gültig." in refused.text
        token = await csrf_token(mail_client, f"/events/cancel/{first}")
        posted = await mail_client.post(f"/events/cancel/{forged}", data={"_csrf_token": token})
        assert posted.status_code == 404
        assert "Dieser Abmelde-Link ist nicht (mehr) gültig." in posted.text
    assert await Registration.count().where(Registration.status == "confirmed") == 1
    assert await Outbox.count() == 2

    done = await post_form(mail_client, f"/events/cancel/{first}", f"/events/cancel/{first}", {})
    assert "Ihre Anmeldung ist storniert" in done.text


async def test_staff_views_of_the_outbox_show_no_working_link(
    mail_client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    cohort = await make_public_run(capacity=3)
    response = await mail_client.post(
        f"/api/v1/events/{cohort}/registrations",
        json={"name": "Dilan Aksoy", "email": "dilan@example.org", "consent": True},
    )
    assert response.status_code == 201
    (arrived,) = await anyio.to_thread.run_sync(smtp_server.handler.wait_for, 1)
    body = arrived.message.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"/events/cancel/(\S+)", body.get_content())
    assert found
    token = found.group(1)

    coordinator = await make_staff(Role.coordinator)
    await sign_in(mail_client, coordinator.email)
    back_office = await mail_client.get("/admin/api/tables/outbox/?__readable=true")
    assert back_office.status_code == 200
    assert "/events/cancel/" in back_office.text and token not in back_office.text
    person = await Person.select(Person.id).first()
    assert person is not None
    api_token = await staff_accounts.create_api_token(
        account_id=coordinator.id, name="privacy", now=FROZEN_NOW
    )
    exported = await mail_client.post(
        f"/api/v1/privacy/people/{person['id']}/export",
        json={"password": PASSWORD},
        headers={"authorization": f"Bearer {api_token}"},
    )
    assert exported.status_code == 200
    assert "/events/cancel/" in exported.text and token not in exported.text
    assert await Registration.count().where(Registration.status == "confirmed") == 1


@pytest.fixture
async def quiet_app(
    database_url: str, smtp_server: SmtpServer, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The app without its background sender: mail waits in the outbox until the test
    delivers it (as `programmes mail send` would)."""
    settings = load_settings(
        environment_for_tests(
            database_url,
            PROGRAMMES_SMTP_URL=smtp_server.url,
            PROGRAMMES_MAIL_FROM="programme@hdk.example",
        ),
        workdir=tmp_path,
    )
    app: Litestar = create_app(settings, clock=clock, send_mail=False)
    async with running(app), app_client(app, address=("203.0.113.9", 50000)) as client:
        yield client, settings


WITHDRAWAL = {
    "de": (
        "Einwilligung widerrufen und meine Daten löschen",
        "Ihre Einwilligung ist widerrufen: Ihre Anmeldung ist storniert",
    ),
    "en": (
        "Withdraw consent and delete my data",
        "Your consent is withdrawn: your registration is cancelled",
    ),
}


@pytest.mark.parametrize("language", ["de", "en"])
async def test_withdrawing_consent_by_the_link_stops_queued_mail_and_erases_the_registrant(
    quiet_app: tuple[httpx.AsyncClient, Settings],
    smtp_server: SmtpServer,
    clock: FrozenClock,
    language: str,
) -> None:
    client, settings = quiet_app
    offer, confirmation = WITHDRAWAL[language]
    cohort = await make_public_run(capacity=1)
    for name, email in (("Leyla Arslan", "leyla@example.org"), ("Next One", "next@example.org")):
        response = await client.post(
            f"/api/v1/events/{cohort}/registrations",
            json={"name": name, "email": email, "consent": True, "language": language},
        )
        assert response.status_code == 201
    async with write_transaction():  # another mail for her, queued before she withdraws
        await enqueue(
            OutgoingMail(
                to_address="leyla@example.org",
                subject="Termin verschoben",
                body_text="Der Termin ist verschoben.",
                related_type="session",
                related_id=1,
            ),
            now=clock(),
        )
    (queued,) = await Outbox.select(Outbox.body_text).where(
        (Outbox.to_address == "leyla@example.org") & Outbox.body_text.like("%/events/cancel/%")
    )
    link = links.fill(queued["body_text"]).split("http://testserver")[1].split()[0]
    assert await Outbox.count().where(Outbox.to_address == "leyla@example.org") == 2

    shown = await client.get(f"{link}?lang={language}")
    assert shown.status_code == 200 and offer in shown.text
    # a forged link is refused with a clear page and changes nothing
    token = await csrf_token(client, link)
    forged = await client.post(f"{link[:-2]}xy/withdraw", data={"_csrf_token": token})
    assert forged.status_code == 404
    assert await Registration.count().where(Registration.consent_withdrawn_at.is_null()) == 2

    done = await post_form(client, link, f"{link}/withdraw", {})
    assert done.status_code == 200 and confirmation in done.text

    rows = await Registration.select(
        Registration.status, Registration.consent_withdrawn_at, Registration.person.name
    ).order_by(Registration.id)
    assert rows[0]["status"] == "cancelled" and rows[0]["consent_withdrawn_at"] is not None
    assert rows[0]["person.name"] == ""  # erased
    assert rows[1]["status"] == "confirmed"  # her place went to the next person
    assert "leyla" not in repr(await fetch_rows("SELECT * FROM outbox")).lower()
    assert (await client.get(link)).status_code == 404  # the link is spent

    assert settings.smtp is not None
    report = await delivery.deliver_all(settings.smtp, clock=clock)
    assert report.sent  # the next person's mails go out ...
    received = smtp_server.handler.received
    assert received and all(r.rcpt_tos == ("next@example.org",) for r in received)
    # ... and nothing she was sent before withdrawing, nor after
    assert await delivery.waiting_count() == 0
