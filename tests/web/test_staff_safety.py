"""Safe staff actions over HTTP: an action that mails people, removes someone or cannot be
undone says what will happen and asks once (without JavaScript); a cancelled session can be
reinstated and a withdrawal undone; every saved form redirects to a page that says what was
saved, so reloads and the back button never send it twice."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from programmes.clock import BERLIN
from programmes.domain.enrolment.families import UNDO_DAYS
from programmes.tables import ClosureDay, Cohort, FeedToken, Guardian, Kita, Outbox, Registration
from programmes.tables import Session as CohortSession
from programmes.vocabulary import RegistrationStatus, Role
from tests.conftest import FROZEN_NOW
from tests.factories import (
    make_family_registration,
    make_kita,
    make_rucksack_group,
    make_staff,
)
from tests.web.helpers import csrf_token, post_form, sign_in


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def group_with_families(capacity: int = 2) -> tuple[int, int, list[int], int]:
    """(kita, cohort, confirmed registrations, session): two families confirmed, the first
    with two guardians with addresses, the second without; one more family waiting."""
    kita, cohort = await make_rucksack_group(capacity=capacity)
    first = await make_family_registration(cohort, kita, ("Amina Haddad", "Omar Haddad"))
    second = await make_family_registration(cohort, kita, ("Ayşe Yılmaz",))
    waiting = await make_family_registration(
        cohort, kita, ("Wartende Familie",), status=RegistrationStatus.waiting
    )
    await Cohort.update({Cohort.seats_taken: 2}).where(Cohort.id == cohort)
    family = await Registration.select(Registration.family).where(Registration.id == first).first()
    assert family is not None
    await Guardian.update({Guardian.email: "haddad@example.org"}).where(
        Guardian.family == family["family"]
    )
    waiting_family = (
        await Registration.select(Registration.family).where(Registration.id == waiting).first()
    )
    assert waiting_family is not None
    await Guardian.update({Guardian.email: "wartend@example.org"}).where(
        Guardian.family == waiting_family["family"]
    )
    session = (
        await CohortSession.select(CohortSession.id)
        .where(CohortSession.cohort == cohort)
        .order_by(CohortSession.starts_at)
        .first()
    )
    assert session is not None
    return kita, cohort, [first, second], int(session["id"])


async def session_row(session_id: int) -> dict[str, object]:
    row = (
        await CohortSession.select(
            CohortSession.status,
            CohortSession.sequence,
            CohortSession.cancel_reason,
            CohortSession.starts_at,
        )
        .where(CohortSession.id == session_id)
        .first()
    )
    assert row is not None
    return row


# ----------------------------------------------------------------- cancelling a session


async def test_cancelling_asks_first_with_the_count_then_acts_and_can_be_taken_back(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    _, _, _, session = await group_with_families()
    await sign_in(client, coordinator.email)
    page = f"/staff/sessions/{session}"

    asked = await post_form(client, page, f"{page}/cancel", {"reason": "Krankheit"})
    assert asked.status_code == 200
    shown = text_of(asked.text)
    assert "Bitte bestätigen" in shown
    # two registrations have addresses (family 1: two guardians, the waiting family)
    assert "2 Familien bekommen eine Mail." in shown
    assert "1 Anmeldung hat keine E-Mail-Adresse" in shown
    assert 'name="reason" value="Krankheit"' in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    assert (await session_row(session))["status"] == "scheduled"  # nothing done yet
    assert await Outbox.count() == 0

    done = await post_form(
        client, page, f"{page}/cancel", {"reason": "Krankheit", "confirmed": "yes"}
    )
    assert (done.status_code, done.headers["location"]) == (303, f"{page}?done=session-cancelled")
    assert (await session_row(session))["status"] == "cancelled"
    assert await Outbox.count() == 3  # one mail per address
    shown = text_of((await client.get(done.headers["location"])).text)
    assert "Der Termin ist abgesagt; alle Angemeldeten werden per Mail informiert." in shown
    reloaded = await client.get(done.headers["location"])  # a reload only shows the page
    assert reloaded.status_code == 200
    assert await Outbox.count() == 3

    # reinstating: asked first, then planned again, calendars told (sequence), mailed again
    before = await session_row(session)
    asked = await post_form(client, page, f"{page}/reinstate", {})
    assert asked.status_code == 200
    assert "2 Familien bekommen eine Mail." in text_of(asked.text)
    assert (await session_row(session))["status"] == "cancelled"
    done = await post_form(client, page, f"{page}/reinstate", {"confirmed": "yes"})
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"{page}?done=session-reinstated",
    )
    after = await session_row(session)
    assert after["status"] == "scheduled"
    assert after["cancel_reason"] == ""
    assert after["sequence"] == int(str(before["sequence"])) + 1
    subjects = [r["subject"] for r in await Outbox.select(Outbox.subject).order_by(Outbox.id)]
    assert len(subjects) == 6
    assert all(s.startswith("Findet doch statt") for s in subjects[3:])
    assert "Der Termin findet wieder statt" in text_of(
        (await client.get(done.headers["location"])).text
    )
    again = await post_form(client, page, f"{page}/reinstate", {"confirmed": "yes"})
    assert again.status_code == 409
    assert "Dieser Termin ist nicht abgesagt." in again.text


async def test_the_confirmation_in_english(client: httpx.AsyncClient) -> None:
    coordinator = await make_staff(Role.coordinator)
    _, _, _, session = await group_with_families()
    await sign_in(client, coordinator.email)
    page = f"/staff/sessions/{session}"
    await client.get(f"{page}?lang=en")
    asked = await post_form(client, page, f"{page}/cancel", {"reason": "Illness"})
    shown = text_of(asked.text)
    assert "Please confirm" in shown
    assert "2 families get a mail." in shown
    assert "1 registration has no e-mail address" in shown
    done = await post_form(client, page, f"{page}/cancel", {"reason": "x", "confirmed": "yes"})
    shown = text_of((await client.get(done.headers["location"])).text)
    assert "The session is cancelled; everyone registered is told by mail." in shown


async def test_a_session_in_the_past_is_not_reinstated(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    _, _, _, session = await group_with_families()
    await CohortSession.update(
        {
            CohortSession.status: "cancelled",
            CohortSession.starts_at: FROZEN_NOW - timedelta(days=1),
            CohortSession.ends_at: FROZEN_NOW - timedelta(days=1) + timedelta(hours=2),
        }
    ).where(CohortSession.id == session)
    await sign_in(client, coordinator.email)
    page = f"/staff/sessions/{session}"
    assert "/reinstate" not in (await client.get(page)).text
    refused = await post_form(client, page, f"{page}/reinstate", {"confirmed": "yes"})
    assert refused.status_code == 409
    assert "kann nicht wieder eingeplant werden" in refused.text
    assert (await session_row(session))["status"] == "cancelled"


async def test_an_empty_reason_is_refused_at_the_confirmation_step(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    _, _, _, session = await group_with_families()
    await sign_in(client, coordinator.email)
    page = f"/staff/sessions/{session}"
    refused = await post_form(client, page, f"{page}/cancel", {"reason": "  "})
    assert refused.status_code == 422
    assert "Bitte bestätigen" not in refused.text
    assert (await session_row(session))["status"] == "scheduled"


# ----------------------------------------------------------------- moving a session


async def test_a_move_onto_a_public_holiday_or_closure_day_says_why(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    kita, _, _, session = await group_with_families()
    await ClosureDay.insert(
        ClosureDay(
            kita=kita,
            first_day=FROZEN_NOW.date() + timedelta(days=20),
            last_day=FROZEN_NOW.date() + timedelta(days=21),
            reason="Teamtag",
        )
    )
    await sign_in(client, coordinator.email)
    page = f"/staff/sessions/{session}"
    move = {"start_time": "16:00", "end_time": "17:30", "location": "Turnhalle"}

    holiday = await post_form(client, page, f"{page}/move", {**move, "day": "2026-12-25"})
    assert holiday.status_code == 200
    shown = text_of(holiday.text)
    assert "Dieser Tag ist ein Feiertag in Nordrhein-Westfalen: Erster Weihnachtstag." in shown
    assert "2 Familien bekommen eine Mail." in shown

    closed_day = (FROZEN_NOW.date() + timedelta(days=21)).isoformat()
    closed = await post_form(client, page, f"{page}/move", {**move, "day": closed_day})
    assert "Die KiTa ist an diesem Tag geschlossen: Teamtag." in text_of(closed.text)
    assert "Feiertag" not in text_of(closed.text)

    plain = (FROZEN_NOW.date() + timedelta(days=22)).isoformat()
    asked = await post_form(client, page, f"{page}/move", {**move, "day": plain})
    assert "geschlossen" not in text_of(asked.text) and "Feiertag" not in text_of(asked.text)
    before = await session_row(session)
    assert before["sequence"] == 0
    moved = await post_form(
        client, page, f"{page}/move", {**move, "day": plain, "confirmed": "yes"}
    )
    assert (moved.status_code, moved.headers["location"]) == (303, f"{page}?done=session-moved")
    row = await session_row(session)
    assert row["sequence"] == 1
    starts_at = row["starts_at"]
    assert isinstance(starts_at, type(FROZEN_NOW))
    assert starts_at.astimezone(BERLIN).date().isoformat() == plain


async def test_a_move_into_the_past_is_refused_before_asking(client: httpx.AsyncClient) -> None:
    coordinator = await make_staff(Role.coordinator)
    _, _, _, session = await group_with_families()
    await sign_in(client, coordinator.email)
    page = f"/staff/sessions/{session}"
    refused = await post_form(
        client,
        page,
        f"{page}/move",
        {"day": "2026-11-20", "start_time": "16:00", "end_time": "17:00"},
    )
    assert refused.status_code == 422
    assert "Bitte bestätigen" not in refused.text
    assert (await session_row(session))["sequence"] == 0
    assert await Outbox.count() == 0


# ----------------------------------------------------------------- withdrawing a family


async def family_of(registration_id: int) -> int:
    row = (
        await Registration.select(Registration.family)
        .where(Registration.id == registration_id)
        .first()
    )
    assert row is not None
    return int(row["family"])


async def status_of(registration_id: int) -> str:
    row = (
        await Registration.select(Registration.status)
        .where(Registration.id == registration_id)
        .first()
    )
    assert row is not None
    return str(row["status"])


@pytest.mark.parametrize("language", ["de", "en"])
async def test_withdrawing_a_family_asks_first_and_can_be_undone(
    client: httpx.AsyncClient, language: str
) -> None:
    kita, _, (first, _), _ = await group_with_families()
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/families/{await family_of(first)}"
    await client.get(f"{page}?lang={language}")

    asked = await post_form(client, page, f"{page}/withdraw", {})
    assert asked.status_code == 200
    shown = text_of(asked.text)
    if language == "de":
        assert "Ihr Platz geht an 1 Familie von der Warteliste; sie bekommt eine Mail." in shown
        assert f"Sie können das {UNDO_DAYS} Tage lang rückgängig machen." in shown
    else:
        assert "Its place goes to 1 family on the waiting list, which gets a mail." in shown
        assert f"You can undo this for {UNDO_DAYS} days." in shown
    assert await status_of(first) == "confirmed"

    done = await post_form(client, page, f"{page}/withdraw", {"confirmed": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, f"{page}?done=family-withdrawn")
    assert await status_of(first) == "cancelled"
    shown = text_of((await client.get(done.headers["location"])).text)
    undo_label = "Abmeldung rückgängig machen" if language == "de" else "Undo the withdrawal"
    assert undo_label in shown

    undone = await post_form(client, page, f"{page}/undo-withdrawal", {})
    # the waiting family got the seat; this one goes to the end of the waiting list
    assert (undone.status_code, undone.headers["location"]) == (
        303,
        f"{page}?done=withdrawal-undone-waiting",
    )
    assert await status_of(first) == "waiting"
    shown = text_of((await client.get(undone.headers["location"])).text)
    expected = "Warteliste" if language == "de" else "waiting list"
    assert expected in shown
    assert undo_label not in shown
    again = await post_form(client, page, f"{page}/undo-withdrawal", {})
    assert again.status_code == 409


async def test_a_withdrawal_is_not_undone_after_the_undo_days(client: httpx.AsyncClient) -> None:
    kita, cohort, (first, _), _ = await group_with_families()
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/families/{await family_of(first)}"
    await post_form(client, page, f"{page}/withdraw", {"confirmed": "yes"})
    await Registration.update(
        {Registration.cancelled_at: FROZEN_NOW - timedelta(days=UNDO_DAYS, minutes=1)}
    ).where(Registration.id == first)
    assert "/undo-withdrawal" not in (await client.get(page)).text
    refused = await post_form(client, page, f"{page}/undo-withdrawal", {})
    assert refused.status_code == 409
    assert "nicht mehr rückgängig" in refused.text
    assert await status_of(first) == "cancelled"
    taken = await Cohort.select(Cohort.seats_taken).where(Cohort.id == cohort).first()
    assert taken == {"seats_taken": 2}  # the promoted family keeps its seat


async def test_a_withdrawal_with_a_free_seat_is_undone_into_the_group(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group(capacity=5)
    registration = await make_family_registration(cohort, kita, ("Amina Haddad",))
    await Cohort.update({Cohort.seats_taken: 1}).where(Cohort.id == cohort)
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/families/{await family_of(registration)}"
    asked = await post_form(client, page, f"{page}/withdraw", {})
    assert "Ihr Platz wird frei; niemand wartet darauf." in text_of(asked.text)
    await post_form(client, page, f"{page}/withdraw", {"confirmed": "yes"})
    undone = await post_form(client, page, f"{page}/undo-withdrawal", {})
    assert undone.headers["location"] == f"{page}?done=withdrawal-undone"
    assert await status_of(registration) == "confirmed"
    shown = text_of((await client.get(undone.headers["location"])).text)
    assert "Die Abmeldung ist rückgängig gemacht: Die Familie ist wieder in der Gruppe." in shown


# ----------------------------------------------------------------- feedback and reloads


async def test_every_kita_form_redirects_to_a_page_that_says_what_was_saved(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    created = await post_form(
        client, "/staff/kitas", "/staff/kitas", {"name": "KiTa Regenbogen", "address": "Weg 1"}
    )
    assert created.status_code == 303
    assert created.headers["location"].endswith("?done=kita-created")
    for _ in range(2):  # the page and its reload
        shown = await client.get(created.headers["location"])
        assert shown.status_code == 200
        assert "Die KiTa ist angelegt." in text_of(shown.text)
    assert await Kita.count() == 1
    page = created.headers["location"].partition("?")[0]
    saved = await post_form(client, page, page, {"name": "KiTa Sonne", "address": "Weg 2"})
    assert saved.headers["location"] == f"{page}?done=kita-saved"
    await client.get(f"{page}?lang=en")
    assert "The KiTa is saved." in text_of((await client.get(saved.headers["location"])).text)
    asked = await post_form(client, page, f"{page}/archive", {})
    assert "Archive this KiTa?" in text_of(asked.text)
    archived = await post_form(client, page, f"{page}/archive", {"confirmed": "yes"})
    assert archived.headers["location"] == "/staff/kitas?done=kita-archived"
    assert "The KiTa is archived." in text_of((await client.get(archived.headers["location"])).text)


async def test_an_unknown_notice_is_ignored(client: httpx.AsyncClient) -> None:
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    page = await client.get("/staff/kitas?done=<script>")
    assert page.status_code == 200
    assert "<script>" not in page.text and 'class="notice done"' not in page.text


async def test_the_calendar_link_page_survives_reloads_and_a_second_post(
    client: httpx.AsyncClient,
) -> None:
    staff = await make_staff(Role.trainer)
    await sign_in(client, staff.email)
    created = await post_form(client, "/staff/feed", "/staff/feed/create", {})
    assert created.status_code == 303
    first = await client.get(created.headers["location"])
    assert "/feeds/private/cal_" in first.text
    reloaded = await client.get(created.headers["location"])
    assert reloaded.status_code == 200
    assert "/feeds/private/cal_" not in reloaded.text  # shown once
    assert "Ihr Kalender-Link ist angelegt." in text_of(reloaded.text)
    # the back button and "send again": no error page, no field name
    twice = await post_form(client, "/staff/feed", "/staff/feed/create", {})
    shown = await client.get(twice.headers["location"])
    assert shown.status_code == 200
    assert "Sie haben schon einen Kalender-Link." in text_of(shown.text)
    assert "feed_token" not in shown.text
    assert await FeedToken.count() == 1
    # a revoked link is not shown from a stale cookie
    await post_form(client, "/staff/feed", "/staff/feed/revoke", {"confirmed": "yes"})
    revoked_twice = await post_form(
        client, "/staff/feed", "/staff/feed/revoke", {"confirmed": "yes"}
    )
    assert revoked_twice.headers["location"] == "/staff/feed?done=feed-none"


async def test_rotating_asks_first(client: httpx.AsyncClient) -> None:
    staff = await make_staff(Role.trainer)
    await sign_in(client, staff.email)
    await post_form(client, "/staff/feed", "/staff/feed/create", {})
    before = await FeedToken.select(FeedToken.token_hash)
    asked = await post_form(client, "/staff/feed", "/staff/feed/rotate", {})
    assert asked.status_code == 200
    assert "Der alte Link funktioniert sofort nicht mehr" in text_of(asked.text)
    assert await FeedToken.select(FeedToken.token_hash) == before


async def test_confirmation_pages_need_the_csrf_token(client: httpx.AsyncClient) -> None:
    coordinator = await make_staff(Role.coordinator)
    kita = await make_kita()
    await sign_in(client, coordinator.email)
    await csrf_token(client, f"/staff/kitas/{kita}")
    forged = await client.post(f"/staff/kitas/{kita}/archive", data={"confirmed": "yes"})
    assert forged.status_code == 403
    row = await Kita.select(Kita.archived_at).where(Kita.id == kita).first()
    assert row is not None and row["archived_at"] is None
