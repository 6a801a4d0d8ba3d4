"""A staff form sent after the sign-in expired: nothing is saved, nothing entered is lost.

The person is sent to the sign-in page, which says why in the page's language; after signing
in they get the same page back with their entries filled in (attendance marks included),
once, and only for their own account. The entries wait on the server under a random key held
in a cookie, never in a URL; passwords are never kept."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import httpx
import pytest
from piccolo_api.session_auth.tables import SessionsBase

from programmes.domain.accounts import kept_forms
from programmes.domain.privacy.retention import RetentionPolicy, apply_retention
from programmes.tables import Attendance, KeptForm
from programmes.web.kept_forms import KEPT_COOKIE
from tests.conftest import FROZEN_NOW
from tests.factories import PASSWORD
from tests.web.attendance_world import World, build_world
from tests.web.helpers import csrf_token, sign_in

LONG_AGO = datetime(2001, 1, 1)  # the session table stores naive times


@pytest.fixture
async def world(database: None) -> World:
    return await build_world()


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def checked(html: str) -> list[str]:
    return re.findall(r'value="(present|excused|absent)" checked', html)


async def expire_sessions() -> None:
    await SessionsBase.update({SessionsBase.expiry_date: LONG_AGO}).where(SessionsBase.id > 0)


async def sign_in_to(client: httpx.AsyncClient, email: str, next_page: str) -> httpx.Response:
    token = await csrf_token(client, "/staff/login")
    response = await client.post(
        "/staff/login",
        data={"_csrf_token": token, "email": email, "password": PASSWORD, "next": next_page},
    )
    assert response.status_code == 303, response.text
    return response


async def test_attendance_marks_survive_an_expired_sign_in(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    page = f"/staff/sessions/{world.today}/attendance"
    token = await csrf_token(client, page)
    await expire_sessions()
    first, second, third = world.families
    sent = await client.post(
        page,
        data={
            "_csrf_token": token,
            "marks[0].registration_id": str(first),
            "marks[0].mark": "present",
            "marks[1].registration_id": str(second),
            "marks[1].mark": "excused",
            "marks[2].registration_id": str(third),
        },
        headers={"referer": f"http://testserver{page}"},
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/staff/login?next={page}&kept=1"
    assert sent.cookies.get(KEPT_COOKIE)
    assert await Attendance.count() == 0  # nothing saved without a sign-in

    login = text_of((await client.get(sent.headers["location"])).text)
    assert "Ihre Anmeldung ist abgelaufen, daher wurde noch nichts gespeichert." in login
    assert "30 Minuten" in login
    assert "Please sign in." not in login

    signed_in = await sign_in_to(client, world.trainer.email, page)
    assert signed_in.headers["location"] == page
    restored = await client.get(page)
    assert checked(restored.text) == ["present", "excused"]
    assert "Bitte prüfen Sie sie und senden Sie das Formular noch einmal." in text_of(restored.text)
    assert await KeptForm.count() == 0  # handed over once, then gone
    assert KEPT_COOKIE not in client.cookies
    again = await client.get(page)
    assert checked(again.text) == []
    assert await Attendance.count() == 0  # sending again is the person's choice


async def test_kept_entries_go_to_their_own_account_only(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    page = f"/staff/sessions/{world.today}/attendance"
    token = await csrf_token(client, page)
    await expire_sessions()
    await client.post(
        page,
        data={
            "_csrf_token": token,
            "marks[0].registration_id": str(world.families[0]),
            "marks[0].mark": "absent",
        },
        headers={"referer": f"http://testserver{page}"},
    )
    await sign_in_to(client, world.coordinator.email, page)
    shown = await client.get(page)
    assert shown.status_code == 200
    assert checked(shown.text) == []
    assert await KeptForm.count() == 1  # still waiting for the trainer, until it expires


async def test_passwords_and_tokens_are_never_kept(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.trainer.email)
    page = f"/staff/sessions/{world.today}/attendance"
    token = await csrf_token(client, page)
    await expire_sessions()
    await client.post(
        page,
        data={"_csrf_token": token, "password": "geheim", "marks[0].mark": "present"},
    )
    row = await KeptForm.select(KeptForm.fields).first()
    assert row is not None
    names = [name for name, _ in json.loads(row["fields"])]
    assert names == ["marks[0].mark"]


async def test_a_moved_session_form_comes_back_in_english(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.coordinator.email)
    page = f"/staff/sessions/{world.tomorrow}"
    await client.get(f"{page}?lang=en")
    token = await csrf_token(client, page)
    await expire_sessions()
    sent = await client.post(  # no Referer: the page is the form's address without "/move"
        f"{page}/move",
        data={
            "_csrf_token": token,
            "day": "2026-12-03",
            "start_time": "16:00",
            "end_time": "17:30",
            "location": "Turnhalle am Markt",
        },
    )
    assert sent.headers["location"] == f"/staff/login?next={page}&kept=1"
    assert "Turnhalle" not in sent.headers["location"]
    login = text_of((await client.get(sent.headers["location"])).text)
    assert "Your sign-in has expired, so nothing was saved yet." in login
    assert "What you entered is kept for 30 minutes" in login
    await sign_in_to(client, world.coordinator.email, page)
    restored = await client.get(page)
    assert 'value="Turnhalle am Markt"' in restored.text
    assert 'value="2026-12-03"' in restored.text
    assert "They are filled in again below" in text_of(restored.text)


async def test_a_form_without_entries_just_asks_to_sign_in_again(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    token = await csrf_token(client, "/staff/")
    await expire_sessions()
    sent = await client.post(
        "/staff/logout",
        data={"_csrf_token": token},
        headers={"referer": "http://testserver/staff/"},
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/staff/login?next=/staff/&expired=1"
    assert KEPT_COOKIE not in sent.cookies
    login = text_of((await client.get(sent.headers["location"])).text)
    assert "Bitte melden Sie sich wieder an und senden Sie das Formular noch einmal." in login
    assert await KeptForm.count() == 0


async def test_a_referer_from_another_site_is_not_followed(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    page = f"/staff/sessions/{world.today}/attendance"
    token = await csrf_token(client, page)
    await expire_sessions()
    sent = await client.post(
        page,
        data={"_csrf_token": token, "marks[0].mark": "present"},
        headers={"referer": "https://elsewhere.example/staff/x"},
    )
    assert sent.headers["location"] == f"/staff/login?next={page}&kept=1"


async def test_json_callers_still_get_a_plain_401(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        f"/staff/sessions/{world.today}/attendance",
        data={"marks[0].mark": "present"},
        headers={"accept": "application/json"},
    )
    assert response.status_code in (401, 403)  # no CSRF cookie either: refused before
    assert await KeptForm.count() == 0


async def test_kept_entries_are_forgotten_after_their_minutes(database: None) -> None:
    key = await kept_forms.keep_form(
        account_id=None, page="/staff/kitas/1", fields=[("name", "KiTa")], now=FROZEN_NOW
    )
    assert key is not None
    later = FROZEN_NOW + timedelta(minutes=kept_forms.KEEP_MINUTES, seconds=1)
    assert (
        await kept_forms.take_kept_form(key=key, account_id=1, path="/staff/kitas/1", now=later)
        is None
    )
    await apply_retention(RetentionPolicy(), now=later)
    assert await KeptForm.count() == 0


async def test_a_closure_form_comes_back_after_signing_in(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.coordinator.email)
    page = f"/staff/kitas/{world.kita}/closures"
    token = await csrf_token(client, page)
    await expire_sessions()
    sent = await client.post(
        page,
        data={"_csrf_token": token, "first_day": "2027-02-15", "reason": "Rosenmontag"},
        headers={"referer": f"http://testserver{page}"},
    )
    assert sent.headers["location"] == f"/staff/login?next={page}&kept=1"
    await sign_in_to(client, world.coordinator.email, page)
    restored = await client.get(page)
    assert 'value="2027-02-15"' in restored.text
    assert 'value="Rosenmontag"' in restored.text
