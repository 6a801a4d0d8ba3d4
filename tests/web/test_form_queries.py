"""A form that is saved redirects without loading what only its error page shows (the lists
of KiTas and trainers, the session's cohort and programme, the event's dates); an error
still shows the whole form again, with what was entered."""

from __future__ import annotations

import httpx

from programmes.tables import Cohort, Registration, Session
from programmes.vocabulary import ProgrammeKind, Role
from tests.factories import (
    make_cohort,
    make_kita,
    make_programme,
    make_public_run,
    make_session,
    make_staff,
)
from tests.query_counter import counted_queries
from tests.web.helpers import csrf_token, sign_in

NEW_COHORT = {
    "title": "Rucksack Pusteblume",
    "language": "Arabisch",
    "location": "Elterncafé",
    "capacity": "12",
    "max_seats_per_registration": "1",
}


async def test_a_saved_cohort_redirects_without_loading_the_forms_lists(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    trainer = await make_staff(Role.trainer)
    kita = await make_kita()
    programme = await make_programme(ProgrammeKind.rucksack, is_public=False)
    await sign_in(client, coordinator.email)
    path = f"/staff/cohorts/new?programme_id={programme}"
    token = await csrf_token(client, path)
    data = {**NEW_COHORT, "kita_id": str(kita), "trainer_ids": str(trainer.id)}
    with counted_queries() as seen:
        response = await client.post(path, data={"_csrf_token": token, **data})
    assert response.status_code == 303, response.text
    assert await Cohort.count() == 1
    # sign-in session and account, the checks, the cohort saved and read back; the form's
    # programme, KiTas and trainers (3 queries) are loaded only to show an error
    assert len(seen) == 13, seen


async def test_a_moved_session_redirects_without_loading_the_session_page(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    session = await make_session(await make_cohort(await make_programme()))
    await sign_in(client, coordinator.email)
    page = f"/staff/sessions/{session}"
    token = await csrf_token(client, page)
    form = {
        "day": "2027-04-30",
        "start_time": "16:00",
        "end_time": "17:30",
        "location": "Aula",
        "confirmed": "yes",
    }
    with counted_queries() as seen:
        response = await client.post(f"{page}/move", data={"_csrf_token": token, **form})
    assert response.status_code == 303, response.text
    row = await Session.select(Session.location).where(Session.id == session).first()
    assert row == {"location": "Aula"}
    # the cohort's other sessions are read once, for the span a move may not leave; the
    # session page's session, cohort, programme and trainers (8 queries) only on an error
    assert len(seen) == 10, seen


async def test_a_registration_on_the_event_page_reads_the_event_once(
    client: httpx.AsyncClient,
) -> None:
    cohort = await make_public_run(capacity=2)
    token = await csrf_token(client, f"/events/{cohort}")
    form = {"name": "Jana Becker", "email": "jana@example.org", "seats": "1", "consent": "on"}
    with counted_queries() as seen:
        response = await client.post(
            f"/events/{cohort}/register", data={"_csrf_token": token, **form}
        )
    assert response.status_code == 200
    assert "Sie sind angemeldet." in response.text
    assert await Registration.count() == 1
    # the run is read once by the registration's publication check and once for the page,
    # which shows the places left after the registration; the mail's calendar file costs the
    # feed's four (fingerprint, titles, sessions, and the newest change of the rows it shows
    # for its own Last-Modified); the earlier registration for the address
    # is looked for once, before the write transaction
    event_reads = [q for q in seen if q.startswith("SELECT c.id AS cohort_id")]
    assert len(event_reads) == 2, seen
    assert sum("dedupe_key = " in q for q in seen) == 1, seen
    assert len(seen) == 15, "\n".join(q[:150] for q in seen)


async def test_a_refused_cohort_shows_the_form_again_with_its_lists(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    await make_staff(Role.trainer, name="Tara Trainerin")
    await make_kita("KiTa Regenbogen")
    programme = await make_programme(ProgrammeKind.rucksack, is_public=False)
    await sign_in(client, coordinator.email)
    path = f"/staff/cohorts/new?programme_id={programme}"
    token = await csrf_token(client, path)
    response = await client.post(
        path, data={"_csrf_token": token, **NEW_COHORT, "capacity": "viele"}
    )
    assert response.status_code == 422
    assert "Bitte eine ganze Zahl eingeben." in response.text
    assert "KiTa Regenbogen" in response.text and "Tara Trainerin" in response.text
    assert 'value="Rucksack Pusteblume"' in response.text
    assert await Cohort.count() == 0
