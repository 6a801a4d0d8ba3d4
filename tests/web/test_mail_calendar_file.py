"""One run, one calendar file: the file a confirmation mail carries is, byte for byte, what
`/events/{id}.ics` serves in the registrant's language; a Rucksack family's file has its
group's dates and no link (the group has no public page)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from litestar import Litestar

from programmes.db import write_transaction
from programmes.domain.enrolment import families
from programmes.domain.enrolment.families import ChildInput, FamilyInput, GuardianInput
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.feeds.calendars import Calendars, run_calendar_file
from programmes.domain.mail import links
from programmes.domain.mail.wire import build_message
from programmes.tables import Outbox, Programme, Session
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_public_run, make_rucksack_group, make_staff
from tests.web.feed_helpers import events, fetch, parse, unfolded


async def attachments() -> dict[str, bytes]:
    """The calendar file of each queued mail, by recipient, as it goes on the wire."""
    found = {}
    for row in await Outbox.select():
        message = build_message(row, sender="programme@hdk.example")
        parts = list(message.iter_attachments())
        if parts:
            (part,) = parts
            assert part.get_content_type() == "text/calendar"
            assert part.get_filename() == "termine.ics"
            payload: Any = part.get_payload(decode=True)
            found[row["to_address"]] = payload
    return found


async def test_confirmation_mails_carry_the_event_file_byte_for_byte(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=5, dates=3)
    for language in ("de", "en"):
        response = await client.post(
            f"/api/v1/events/{cohort}/registrations",
            json={
                "name": f"Person {language}",
                "email": f"{language}@example.org",
                "consent": True,
                "language": language,
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "confirmed"

    files = await attachments()
    assert set(files) == {"de@example.org", "en@example.org"}
    for language in ("de", "en"):
        served = await fetch(client, f"/events/{cohort}.ics?lang={language}")
        assert served.status_code == 200
        assert files[f"{language}@example.org"] == served.content, language
    assert files["de@example.org"] != files["en@example.org"]  # each in its language
    sessions = {row["id"] for row in await Session.select(Session.id)}
    assert set(events(files["de@example.org"])) == sessions


async def test_a_person_moving_up_gets_the_file_in_their_language(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=1, dates=2)
    for address, language in (("first@example.org", "de"), ("second@example.org", "en")):
        response = await client.post(
            f"/api/v1/events/{cohort}/registrations",
            json={"name": "P", "email": address, "consent": True, "language": language},
        )
        assert response.status_code == 201
    assert set(await attachments()) == {"first@example.org"}  # the second one waits
    (mail,) = await Outbox.select(Outbox.body_text).where(Outbox.to_address == "first@example.org")
    link = next(word for word in links.fill(mail["body_text"]).split() if "/events/cancel/" in word)
    cancelled = await client.post(
        "/api/v1/events/registrations/cancel", json={"token": link.rsplit("/", 1)[1]}
    )
    assert cancelled.status_code == 200

    promoted = (await attachments())["second@example.org"]
    assert promoted == (await fetch(client, f"/events/{cohort}.ics?lang=en")).content


async def test_a_rucksack_familys_file_has_the_groups_dates_and_no_link(app: Litestar) -> None:
    kita, cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    state = app.state
    mail = MailContext(
        base_url="http://testserver",
        now=FROZEN_NOW,
        calendars=Calendars(site=state.feed_site, cache=state.feed_cache),
    )
    await families.enrol_family(
        staff=partner,
        cohort_id=cohort,
        data=FamilyInput(
            guardians=[GuardianInput(name="Amina Haddad", email="amina@example.org")],
            children=[ChildInput(first_name="Yasmin", date_of_birth=date(2021, 6, 1))],
            consent_method="paper",
            consent_given_on=date(2026, 11, 20),
            language="en",
        ),
        form_key="k1",
        notice_version="2026-09",
        mail=mail,
    )
    file = (await attachments())["amina@example.org"]
    group = {row["id"] for row in await Session.select(Session.id)}
    assert set(events(file)) == group
    assert "\r\nURL" not in unfolded(file)
    programme = await Programme.select(Programme.title).first()
    assert programme is not None
    assert str(parse(file)["X-WR-CALNAME"]) == programme["title"]
    assert "Language: Deutsch" in unfolded(file)  # in the family's language


async def test_a_file_made_inside_a_transaction_is_not_served_to_others(app: Litestar) -> None:
    """Reads inside a write transaction may yet be rolled back: such a build stays private."""
    cohort = await make_public_run()
    calendars = Calendars(site=app.state.feed_site, cache=app.state.feed_cache)
    async with write_transaction():
        inside = await run_calendar_file(cohort, language="de", calendars=calendars, now=FROZEN_NOW)
    assert len(calendars.cache.feeds) == 0
    outside = await run_calendar_file(cohort, language="de", calendars=calendars, now=FROZEN_NOW)
    assert inside == outside and len(calendars.cache.feeds) == 1
