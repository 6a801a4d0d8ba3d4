"""Staff write one message to everybody in a run or a Rucksack group: the form, the
confirmation saying who gets it (and who has no address), and the mails in the outbox,
one per person in their language."""

from __future__ import annotations

import html as html_module
import json
import re
from datetime import timedelta

import httpx

from programmes.tables import (
    AuditEvent,
    CohortTrainer,
    Family,
    Guardian,
    Outbox,
    Person,
    Registration,
    Session,
)
from programmes.vocabulary import RegistrationStatus, Role
from tests.conftest import FROZEN_NOW
from tests.factories import (
    make_family_registration,
    make_person_registration,
    make_public_run,
    make_rucksack_group,
    make_staff,
)
from tests.web.helpers import csrf_token, sign_in

MESSAGE = {
    "subject": "Raumänderung am Dienstag",
    "text": "Liebe Teilnehmende,\nwir treffen uns im Saal 2.\nViele Grüße",
    "subject_tr": "Salı günü oda değişikliği",
    "text_tr": "Sevgili katılımcılar,\nSalon 2'de buluşuyoruz.",
}


async def _person(run: int, name: str, language: str, **changes: object) -> int:
    status = changes.pop("status", RegistrationStatus.confirmed)
    assert isinstance(status, RegistrationStatus)
    registration = await make_person_registration(run, name, status=status)
    await Registration.update({Registration.language: language, **changes}).where(  # type: ignore[dict-item]
        Registration.id == registration
    )
    return registration


async def _person_email(registration: int) -> str:
    row = await Registration.select(Registration.person.email.as_alias("email")).where(
        Registration.id == registration
    )
    return str(row[0]["email"])


async def _public_run_with_people() -> dict[str, int]:
    """A run with confirmed people in German, Turkish and Arabic, one on the waiting list,
    one cancelled, one who withdrew consent and one whose data were erased."""
    run = await make_public_run()
    people = {
        "run": run,
        "de": await _person(run, "Jana Deutsch", "de"),
        "tr": await _person(run, "Ayşe Türkçe", "tr"),
        "ar": await _person(run, "Layla Arabi", "ar"),
        "waiting": await _person(run, "Wanda Warteliste", "de", status=RegistrationStatus.waiting),
        "cancelled": await _person(
            run, "Carl Storniert", "de", status=RegistrationStatus.cancelled
        ),
        "withdrawn": await _person(
            run, "Willi Widerruf", "de", consent_withdrawn_at=FROZEN_NOW - timedelta(days=1)
        ),
        "erased": await _person(run, "Erna Gelöscht", "de"),
    }
    erased = await Registration.select(Registration.person).where(
        Registration.id == people["erased"]
    )
    await Person.update({Person.anonymised_at: FROZEN_NOW}).where(Person.id == erased[0]["person"])
    return people


async def _form(client: httpx.AsyncClient, page: str) -> dict[str, str]:
    """The message form's hidden fields (CSRF token and the form's key)."""
    response = await client.get(page)
    assert response.status_code == 200, response.text[:2000]
    key = re.search(r'name="form_key" value="([^"]+)"', response.text)
    assert key
    return {"_csrf_token": await csrf_token(client, page), "form_key": key.group(1)}


async def _hidden_fields(html: str) -> dict[str, str]:
    """The fields the confirmation page posts again."""
    return {
        html_module.unescape(name): html_module.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }


async def _mails() -> list[dict[str, object]]:
    return await Outbox.select().order_by(Outbox.id)


async def test_a_coordinator_sees_who_gets_it_then_sends_one_mail_each_in_their_language(
    client: httpx.AsyncClient,
) -> None:
    people = await _public_run_with_people()
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{people['run']}/message"
    fields = await _form(client, page)

    preview = await client.post(page, data={**fields, **MESSAGE})
    assert preview.status_code == 200, preview.text[:3000]
    assert "3 Personen bekommen diese Mail: auf Deutsch 2, auf Türkisch 1." in preview.text
    for absent in ("Wanda", "Carl", "Willi", "Erna"):
        assert absent not in preview.text
    assert await _mails() == []  # the confirmation step writes nothing

    hidden = await _hidden_fields(preview.text)
    assert hidden["text"] == MESSAGE["text"]  # the lines survive the confirmation step
    sent = await client.post(page, data=hidden)
    assert sent.status_code == 303, sent.text[:3000]
    assert sent.headers["location"] == f"{page}?done=message-queued&n=3"
    after = await client.get(sent.headers["location"])
    assert "Nachricht an 3 Personen in den Postausgang gelegt." in after.text

    mails = {str(m["to_address"]): m for m in await _mails()}
    assert set(mails) == {await _person_email(people[code]) for code in ("de", "tr", "ar")}
    turkish = mails[await _person_email(people["tr"])]
    assert (turkish["language"], turkish["subject"]) == ("tr", MESSAGE["subject_tr"])
    assert "Salon 2'de buluşuyoruz." in str(turkish["body_text"])
    assert "katıldığınız için" in str(turkish["body_text"])  # the footer in Turkish
    arabic = mails[await _person_email(people["ar"])]  # no Arabic translation: German
    assert (arabic["language"], arabic["subject"]) == ("de", MESSAGE["subject"])
    assert "wir treffen uns im Saal 2." in str(arabic["body_text"])
    assert {m["related_type"] for m in mails.values()} == {"registration"}

    (event,) = await AuditEvent.select().where(AuditEvent.action == "cohort.message_sent")
    detail = event["detail"] if isinstance(event["detail"], dict) else json.loads(event["detail"])
    assert (event["object_type"], event["object_id"], event["actor"]) == (
        "cohort",
        people["run"],
        coordinator.id,
    )
    assert detail == {
        "mails": 3,
        "languages": {"de": 2, "tr": 1},
        "without_address": 0,
        "waiting_list": False,
    }
    assert "Saal" not in json.dumps(detail) and "@" not in json.dumps(detail)


async def test_the_waiting_list_gets_it_only_when_asked(client: httpx.AsyncClient) -> None:
    people = await _public_run_with_people()
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{people['run']}/message"
    fields = await _form(client, page)
    data = {**fields, **MESSAGE, "include_waiting": "on"}
    preview = await client.post(page, data=data)
    assert "4 Personen bekommen diese Mail: auf Deutsch 3, auf Türkisch 1." in preview.text
    sent = await client.post(page, data={**data, "confirmed": "yes"})
    assert sent.headers["location"].endswith("n=4")
    addresses = {m["to_address"] for m in await _mails()}
    assert await _person_email(people["waiting"]) in addresses
    assert await _person_email(people["cancelled"]) not in addresses


async def test_sending_the_same_form_again_queues_nothing(client: httpx.AsyncClient) -> None:
    people = await _public_run_with_people()
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{people['run']}/message"
    data = {**await _form(client, page), **MESSAGE, "confirmed": "yes"}
    first = await client.post(page, data=data)
    assert first.headers["location"].endswith("done=message-queued&n=3")
    await client.get(first.headers["location"])  # reloading the page after it: a GET
    again = await client.post(page, data=data)  # back button, confirmation sent again
    assert (again.status_code, again.headers["location"]) == (
        303,
        f"{page}?done=message-repeated",
    )
    notice = await client.get(again.headers["location"])
    assert "nichts wurde noch einmal verschickt" in notice.text
    assert len(await _mails()) == 3
    assert await AuditEvent.count().where(AuditEvent.action == "cohort.message_sent") == 1
    # a new form (a new key) is a new message
    fresh = {**await _form(client, page), **MESSAGE, "confirmed": "yes"}
    assert (await client.post(page, data=fresh)).headers["location"].endswith("n=3")
    assert len(await _mails()) == 6


async def test_a_partner_messages_families_and_sees_who_has_no_address(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group()
    both = await make_family_registration(cohort, kita, ("Amina Haddad", "Omar Haddad"))
    nobody = await make_family_registration(cohort, kita, ("Fatma Yılmaz",))
    called = await make_family_registration(cohort, kita, ("Olena Koval",))
    for registration, emails in ((both, ["amina@example.org", "omar@example.org"]), (called, [])):
        family = (
            await Registration.select(Registration.family).where(Registration.id == registration)
        )[0]["family"]
        for guardian, email in zip(
            await Guardian.select(Guardian.id).where(Guardian.family == family),
            emails,
            strict=False,
        ):
            await Guardian.update({Guardian.email: email}).where(Guardian.id == guardian["id"])
    await Registration.update({Registration.language: "ar"}).where(Registration.id == both)
    family_of_nobody = (
        await Registration.select(Registration.family).where(Registration.id == nobody)
    )[0]["family"]
    await Guardian.update({Guardian.reach_via_kita: True, Guardian.phone: "+4915123456789"}).where(
        Guardian.family == family_of_nobody
    )
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/cohorts/{cohort}/message"
    assert "Fatma Yılmaz" in (await client.get(page)).text  # listed before anything is typed
    data = {
        **await _form(client, page),
        **MESSAGE,
        "subject_ar": "تغيير الغرفة",
        "text_ar": "نلتقي في القاعة 2.",
    }
    preview = await client.post(page, data=data)
    assert "2 Personen bekommen diese Mail: auf Arabisch 2." in preview.text
    assert "2 Anmeldungen ohne E-Mail-Adresse" in preview.text
    assert "Fatma Yılmaz" in preview.text and "Olena Koval" in preview.text
    assert "über die KiTa erreichen" in preview.text
    assert "+4915123456789" in preview.text  # partners may phone their families
    sent = await client.post(page, data={**data, "confirmed": "yes"})
    assert sent.status_code == 303
    mails = await _mails()
    assert sorted(str(m["to_address"]) for m in mails) == ["amina@example.org", "omar@example.org"]
    assert {(m["language"], m["subject"]) for m in mails} == {("ar", "تغيير الغرفة")}
    (event,) = await AuditEvent.select().where(AuditEvent.action == "cohort.message_sent")
    detail = event["detail"] if isinstance(event["detail"], dict) else json.loads(event["detail"])
    assert detail["without_address"] == 2


async def test_a_family_that_withdrew_consent_or_was_erased_gets_nothing(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group()
    _, other_cohort = await make_rucksack_group(kita_id=kita)
    kept = await make_family_registration(cohort, kita, ("Kerem Kaya",))
    withdrew = await make_family_registration(cohort, kita, ("Wiebke Weg",))
    erased = await make_family_registration(cohort, kita, ("Ernst Erased",))
    for registration, email in (
        (kept, "k@example.org"),
        (withdrew, "w@example.org"),
        (erased, "e@example.org"),
    ):
        family = (
            await Registration.select(Registration.family).where(Registration.id == registration)
        )[0]["family"]
        await Guardian.update({Guardian.email: email}).where(Guardian.family == family)
    # consent withdrawn in another group of the same family: it counts here too
    withdrew_family = (
        await Registration.select(Registration.family).where(Registration.id == withdrew)
    )[0]["family"]
    other = await make_family_registration(other_cohort, kita, ("Platzhalter",))
    await Registration.update(
        {Registration.family: withdrew_family, Registration.consent_withdrawn_at: FROZEN_NOW}
    ).where(Registration.id == other)
    erased_family = (
        await Registration.select(Registration.family).where(Registration.id == erased)
    )[0]["family"]
    await Family.update({Family.anonymised_at: FROZEN_NOW}).where(Family.id == erased_family)
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{cohort}/message"
    data = {**await _form(client, page), **MESSAGE, "confirmed": "yes"}
    assert (await client.post(page, data=data)).headers["location"].endswith("n=1")
    assert [m["to_address"] for m in await _mails()] == ["k@example.org"]


async def test_a_run_nobody_can_be_mailed_is_refused_and_nothing_queued(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group()
    await make_family_registration(cohort, kita, ("Selin Ohnemail",))
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{cohort}/message"
    fields = await _form(client, page)
    for extra in ({}, {"confirmed": "yes"}):
        response = await client.post(page, data={**fields, **MESSAGE, **extra})
        assert response.status_code == 409
        assert "niemand Angemeldetes hat eine E-Mail-Adresse" in response.text
        assert 'id="error-summary"' in response.text
        assert "Selin Ohnemail" in response.text  # whom to call instead
    assert await _mails() == []
    assert await AuditEvent.count().where(AuditEvent.action == "cohort.message_sent") == 0
    # the form's key is not used up: once somebody has an address, the same form sends
    await Guardian.update({Guardian.email: "selin@example.org"}).where(
        Guardian.name == "Selin Ohnemail"
    )
    sent = await client.post(page, data={**fields, **MESSAGE, "confirmed": "yes"})
    assert sent.headers["location"].endswith("done=message-queued&n=1")
    assert [m["to_address"] for m in await _mails()] == ["selin@example.org"]
    await Outbox.delete(force=True)
    empty_run = await make_public_run()
    empty = f"/staff/cohorts/{empty_run}/message"
    response = await client.post(
        empty, data={**await _form(client, empty), **MESSAGE, "confirmed": "yes"}
    )
    assert response.status_code == 409 and await _mails() == []


async def test_bad_input_is_shown_in_german_and_nothing_is_queued(
    client: httpx.AsyncClient,
) -> None:
    people = await _public_run_with_people()
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = f"/staff/cohorts/{people['run']}/message"
    fields = await _form(client, page)
    for confirmed in ({}, {"confirmed": "yes"}):
        empty = await client.post(page, data={**fields, "subject": " ", "text": "", **confirmed})
        assert empty.status_code == 422
        assert 'id="error-summary"' in empty.text
        assert (
            '<a href="#subject">Betreff (Deutsch)</a>: Bitte füllen Sie dieses Feld aus.'
            in empty.text
        )
        assert '<a href="#text">Text (Deutsch)</a>: Bitte füllen Sie dieses Feld aus.' in empty.text
        too_long = await client.post(
            page, data={**fields, "subject": "x" * 201, "text": "y" * 10_001, **confirmed}
        )
        assert too_long.status_code == 422
        assert "Bitte höchstens 200 Zeichen." in too_long.text
        assert "Bitte höchstens 10000 Zeichen." in too_long.text
        for injected in ("Hallo\r\nBcc: alle@example.org", "Hallo\nBcc: x@example.org"):
            header = await client.post(
                page, data={**fields, **MESSAGE, "subject": injected, **confirmed}
            )
            assert header.status_code == 422
            assert "Betreff (Deutsch)</a>: Enthält Zeichen, die nicht erlaubt sind." in header.text
        half = await client.post(
            page, data={**fields, **MESSAGE, "subject_en": "Room change", **confirmed}
        )
        assert half.status_code == 422
        assert (
            "Text (English)</a>: Bitte geben Sie auch den Text in dieser Sprache an." in half.text
        )
    at_limit = await client.post(page, data={**fields, "subject": "x" * 200, "text": "y" * 10_000})
    assert at_limit.status_code == 200  # the limits themselves are allowed
    assert await _mails() == []
    assert await AuditEvent.count().where(AuditEvent.action == "cohort.message_sent") == 0


async def test_who_may_write_to_a_group(client: httpx.AsyncClient) -> None:
    kita, cohort = await make_rucksack_group()
    other_kita, other_cohort = await make_rucksack_group()
    registration = await make_family_registration(cohort, kita, ("Amina Haddad",))
    family = (
        await Registration.select(Registration.family).where(Registration.id == registration)
    )[0]["family"]
    await Guardian.update({Guardian.email: "amina@example.org"}).where(Guardian.family == family)
    run = await make_public_run()
    leader = await make_staff(Role.trainer)
    await CohortTrainer.insert(CohortTrainer(cohort=cohort, trainer=leader.id))
    substitute = await make_staff(Role.trainer)
    session = (await Session.select(Session.id).where(Session.cohort == cohort))[0]["id"]
    await Session.update({Session.substitute: substitute.id}).where(Session.id == session)
    page = f"/staff/cohorts/{cohort}/message"

    anonymous = await client.get(page, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/staff/login")

    expected = {
        (await make_staff(Role.partner, kita_id=kita)).email: {
            page: 200,
            f"/staff/cohorts/{run}/message": 404,
        },
        (await make_staff(Role.partner, kita_id=other_kita)).email: {
            page: 404,
            f"/staff/cohorts/{other_cohort}/message": 200,  # nobody in it: 409 on sending
        },
        leader.email: {page: 200, f"/staff/cohorts/{other_cohort}/message": 404},
        substitute.email: {page: 404},
        (await make_staff(Role.trainer)).email: {page: 404},
    }
    for email, pages in expected.items():
        client.cookies.clear()
        await sign_in(client, email)
        for url, status in pages.items():
            assert (await client.get(url)).status_code == status, (email, url)
            token = await csrf_token(client, "/staff/password")
            post = await client.post(
                url, data={"_csrf_token": token, **MESSAGE, "confirmed": "yes"}
            )
            nobody_there = url.endswith(f"/{other_cohort}/message")
            assert post.status_code == (404 if status == 404 else 409 if nobody_there else 303), (
                email,
                url,
                post.text[:500],
            )
    assert len(await _mails()) == 2  # the group's partner and its trainer sent one each
    # the trainer sees names of those without an address, never their phone numbers
    client.cookies.clear()
    await sign_in(client, leader.email)
    await Guardian.update({Guardian.email: "", Guardian.phone: "+4915123456789"}).where(
        Guardian.family == family
    )
    await make_family_registration(cohort, kita, ("Berta Zweite",))
    overview = await client.get(page)
    assert "Amina Haddad" in overview.text and "+4915123456789" not in overview.text


async def test_the_group_pages_link_to_the_message(client: httpx.AsyncClient) -> None:
    kita, cohort = await make_rucksack_group()
    leader = await make_staff(Role.trainer)
    await CohortTrainer.insert(CohortTrainer(cohort=cohort, trainer=leader.id))
    link = f'href="/staff/cohorts/{cohort}/message"'
    for email in (
        (await make_staff(Role.coordinator)).email,
        (await make_staff(Role.partner, kita_id=kita)).email,
        leader.email,
    ):
        client.cookies.clear()
        await sign_in(client, email)
        assert link in (await client.get(f"/staff/cohorts/{cohort}")).text
    run = await make_public_run()
    client.cookies.clear()
    await sign_in(client, (await make_staff(Role.coordinator)).email)
    assert (
        f'href="/staff/cohorts/{run}/message"'
        in (await client.get(f"/staff/cohorts/{run}/registrations")).text
    )
