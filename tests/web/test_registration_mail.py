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
from programmes.settings import load_settings
from programmes.tables import Registration
from tests.conftest import app_client, environment_for_tests, running
from tests.factories import make_public_run
from tests.smtp_server import SmtpServer, running_smtp_server
from tests.web.helpers import post_form


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
