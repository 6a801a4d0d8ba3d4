"""Bad input from outside never reaches a server error: each answers a clear 4xx naming what
was wrong (in the page's language on pages) and stores nothing. On both engines.

"Nothing stored" is checked on every row of every table (and the sign-in sessions): the same
before and after the refused request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar import Litestar
from piccolo_api.session_auth.tables import SessionsBase

from programmes.domain.access import Staff
from programmes.domain.accounts import staff_accounts
from programmes.domain.types import MAX_ID
from programmes.tables import ALL_TABLES, Kita, RateCounter, Session
from programmes.vocabulary import Role
from programmes.web.deps import OptionalQueryId, PathId, QueryId
from tests.conftest import FROZEN_NOW
from tests.factories import (
    make_kita,
    make_person_registration,
    make_programme,
    make_public_run,
    make_rucksack_group,
    make_staff,
)
from tests.ics_server import IcsServer, running_ics_server
from tests.web.helpers import csrf_token, post_form, sign_in

JSON = {"content-type": "application/json"}


async def everything(*, leave_out: tuple[type, ...] = ()) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in id order."""
    tables = [t for t in (*ALL_TABLES, SessionsBase) if t not in leave_out]
    return {
        table._meta.tablename: await table.select().order_by(table._meta.primary_key)
        for table in tables
    }


async def bearer(staff: Staff) -> dict[str, str]:
    token = await staff_accounts.create_api_token(account_id=staff.id, name="test", now=FROZEN_NOW)
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
async def coordinator(app: Litestar) -> Staff:
    return await make_staff(Role.coordinator)


@pytest.fixture
async def auth(coordinator: Staff) -> dict[str, str]:
    return await bearer(coordinator)


def refused(response: httpx.Response, status: int, field: str) -> str:
    """The JSON error's message, after checking its status and field."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == field
    assert body["errors"][0]["field"] == field
    message: str = body["errors"][0]["message"]
    return message


# --------------------------------------------------------------------------- request bodies


async def test_json_nested_ten_thousand_deep_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = await everything()
    for body in ("[" * 10_000 + "]" * 10_000, '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}"):
        response = await client.post("/api/v1/kitas", content=body, headers={**auth, **JSON})
        assert "32 Ebenen" in refused(response, 400, "body")
    assert await everything() == before


async def test_json_within_the_depth_is_read_as_usual(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = '{"name": "KiTa", "address": ' + "[" * 30 + "]" * 30 + "}"
    response = await client.post("/api/v1/kitas", content=body, headers={**auth, **JSON})
    refused(response, 400, "address")  # a list is not an address: msgspec names the field
    assert await Kita.count() == 0


async def test_a_body_that_is_not_utf8_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    run = await make_public_run()
    before = await everything()
    response = await client.post(
        f"/api/v1/events/{run}/registrations",
        content=b'{"name": "\xff\xfe", "email": "a@example.org", "consent": true}',
        headers=JSON,
    )
    assert "UTF-8" in refused(response, 400, "body")
    kita = await client.post(
        "/api/v1/kitas", content=b'{"name": "Kita \xc3"}', headers={**auth, **JSON}
    )
    refused(kita, 400, "body")
    assert await everything() == before


async def test_a_form_that_is_not_utf8_is_refused_on_its_page(
    client: httpx.AsyncClient, coordinator: Staff
) -> None:
    before = await everything()
    token = await csrf_token(client, "/staff/login")
    escaped = await client.post(
        "/staff/login",
        content=f"_csrf_token={token}&email=%FF%FE&password=x".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert escaped.status_code == 400
    assert "kein UTF-8-Text" in escaped.text and "body" in escaped.text
    multipart = await client.post(
        "/staff/login",
        files={"_csrf_token": (None, token.encode()), "email": (None, b"\xff\xfe")},
    )
    assert multipart.status_code == 400
    assert "kein UTF-8-Text" in multipart.text
    assert await everything() == before


async def test_json_endpoints_take_json_only(client: httpx.AsyncClient) -> None:
    """A cross-site HTML form can post text/plain, url-encoded or multipart bodies with the
    visitor's cookies, never application/json: so nothing else is read as JSON."""
    run = await make_public_run()
    path = f"/api/v1/events/{run}/registrations"
    person = '{"name": "Jana Becker", "email": "jana@example.org", "consent": true}'
    before = await everything()
    for headers in (
        {"content-type": "text/plain"},
        {},
        {"content-type": "application/json; charset=latin-1"},
    ):
        response = await client.post(path, content=person, headers=headers)
        assert "application/json" in refused(response, 415, "Content-Type")
    form = await client.post(
        path, data={"name": "Jana Becker", "email": "jana@example.org", "consent": "true"}
    )
    refused(form, 415, "Content-Type")
    assert await everything() == before
    accepted = await client.post(
        path, content=person, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert accepted.status_code == 201, accepted.text


# --------------------------------------------------------------------------- ids and numbers


async def test_ids_beyond_the_database_range_are_refused(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    kita = await make_kita()
    before = await everything()
    huge = await client.get("/api/v1/cohorts?programme_id=99999999999999999999", headers=auth)
    assert refused(huge, 400, "programme_id") == "Bitte höchstens 2147483647."
    above_32_bits = await client.get("/api/v1/cohorts?kita_id=2147483648", headers=auth)
    refused(above_32_bits, 400, "kita_id")
    zero = await client.get("/api/v1/cohorts?kita_id=0", headers=auth)
    refused(zero, 400, "kita_id")
    path = await client.put("/api/v1/kitas/2147483648", json={"name": "Umbenannt"}, headers=auth)
    refused(path, 400, "kita_id")
    assert await everything() == before
    listed = await client.get(f"/api/v1/cohorts?kita_id={kita}", headers=auth)
    assert listed.status_code == 200


async def test_an_id_beyond_the_range_is_explained_on_a_page_in_german(
    client: httpx.AsyncClient, coordinator: Staff
) -> None:
    await sign_in(client, coordinator.email)
    response = await client.get("/staff/cohorts/new?programme_id=99999999999999999999")
    assert response.status_code == 400
    assert "Ungültige Eingabe: programme_id." in response.text
    assert "Bitte höchstens 2147483647." in response.text


def _integer_parameters(app: Litestar) -> Iterator[tuple[str, str, Any]]:
    """(path, name, kwarg definition) of every integer path or query parameter."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for name, field in handler.parsed_fn_signature.parameters.items():
                kinds = [t for t in field.inner_types if not t.is_none_type] or [field]
                if any(k.is_subclass_of(int) and not k.is_subclass_of(bool) for k in kinds):
                    yield route.path, name, field.kwarg_definition


async def test_every_integer_parameter_has_the_id_range(app: Litestar) -> None:
    found = list(_integer_parameters(app))
    assert len(found) > 40  # the walk sees the routes
    unbounded = [
        (path, name)
        for path, name, definition in found
        if getattr(definition, "ge", None) != 1 or getattr(definition, "le", None) != MAX_ID
    ]
    assert unbounded == []
    for annotated in (PathId, QueryId, OptionalQueryId):
        assert annotated.__metadata__[0].le == MAX_ID  # type: ignore[union-attr]


async def test_the_schema_shows_the_id_range(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cohorts"]["get"]["parameters"]}
    assert parameters["kita_id"]["schema"]["maximum"] == MAX_ID
    assert parameters["kita_id"]["schema"]["minimum"] == 1
    path = schema["paths"]["/api/v1/cohorts/{cohort_id}"]["get"]["parameters"][0]
    assert path["schema"]["maximum"] == MAX_ID


async def test_capacity_of_an_unknown_cohort_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = await everything()
    response = await client.put(
        "/api/v1/cohorts/999999/capacity", json={"capacity": 5}, headers=auth
    )
    refused(response, 404, "cohort")
    assert await everything() == before


async def test_a_duration_beyond_any_number_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    _, cohort = await make_rucksack_group()
    before = await everything()
    rule = {
        "weekdays": [0],
        "start_time": "09:00",
        "duration_minutes": 99999999999999999999,
        "first_day": "2027-01-04",
        "count": 5,
    }
    for path in (
        f"/api/v1/cohorts/{cohort}/schedule/preview",
        f"/api/v1/cohorts/{cohort}/schedule",
    ):
        method = client.post if path.endswith("preview") else client.put
        response = await method(path, json=rule, headers=auth)
        assert "12" in refused(response, 422, "duration_minutes")
    assert await everything() == before


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("first", "last"), [("0001-01-01", "0001-12-31"), ("9999-01-01", "9999-12-31")]
)
async def test_report_periods_outside_the_planned_years_are_refused(
    client: httpx.AsyncClient, coordinator: Staff, auth: dict[str, str], first: str, last: str
) -> None:
    await sign_in(client, coordinator.email)
    before = await everything()
    query = {"from": first, "to": last}
    api = await client.get("/api/v1/reports", params=query, headers=auth)
    assert "2000" in refused(api, 400, "from")
    late_end = await client.get(
        "/api/v1/reports", params={"from": "2099-01-01", "to": "2101-01-01"}, headers=auth
    )
    refused(late_end, 400, "to")
    for page in ("/staff/reports", "/staff/reports/report.csv", "/staff/reports/report.xlsx"):
        response = await client.get(page, params=query)
        assert response.status_code == 400, page
        assert "from muss in den Jahren 2000 bis 2100 liegen." in response.text
    assert await everything() == before


async def test_dates_in_bodies_and_queries_lie_in_the_planned_years(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    kita, cohort = await make_rucksack_group()
    partner = await bearer(await make_staff(Role.partner, kita_id=kita))
    programme = await make_programme()
    before = await everything()
    family = {
        "guardians": [{"name": "Dilan Aydın", "reach_via_kita": True}],
        "children": [{"first_name": "Rojin", "date_of_birth": "2021-05-05"}],
        "consent_method": "verbal",
        "consent_given_on": "0001-01-01",
    }
    enrolled = await client.post(
        f"/api/v1/cohorts/{cohort}/families",
        json={"family": family, "form_key": "1"},
        headers=partner,
    )
    refused(enrolled, 422, "consent_given_on")
    for opens in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"):
        created = await client.post(
            "/api/v1/cohorts",
            json={"programme_id": programme, "title": "Lauf", "registration_opens_at": opens},
            headers=auth,
        )
        refused(created, 422, "registration_opens_at")
    listed = await client.get(f"/api/v1/kitas/{kita}/closures?from_day=0001-01-01", headers=auth)
    refused(listed, 400, "from_day")
    assert await everything() == before


async def test_a_session_moves_only_into_the_planned_future(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    run = await make_public_run()
    await make_person_registration(run)  # someone who would be mailed
    first = await Session.select(Session.id).where(Session.cohort == run).first()
    assert first is not None
    session = first["id"]
    before = await everything()
    for starts, ends, field in (
        ("0001-01-01T00:30:00+05:00", "0001-01-01T02:00:00+05:00", "starts_at"),  # overflows
        ("9999-12-31T23:00:00-05:00", "9999-12-31T23:30:00-05:00", "starts_at"),  # overflows
        ("2101-01-03T10:00:00+01:00", "2101-01-03T11:00:00+01:00", "starts_at"),  # beyond caps
        ("2026-11-24T10:00:00+01:00", "2026-11-24T11:00:00+01:00", "starts_at"),  # yesterday
        ("2026-12-01T10:00:00+01:00", "9999-12-31T23:30:00-05:00", "ends_at"),
    ):
        response = await client.post(
            f"/api/v1/sessions/{session}/move",
            json={"starts_at": starts, "ends_at": ends},
            headers=auth,
        )
        refused(response, 422, field)
    assert await everything() == before  # no new time, no sequence, no mail, no audit
    moved = await client.post(
        f"/api/v1/sessions/{session}/move",
        json={"starts_at": "2026-12-01T10:00:00+01:00", "ends_at": "2026-12-01T12:00:00+01:00"},
        headers=auth,
    )
    assert moved.status_code == 200, moved.text


async def test_the_move_form_explains_a_bad_day_in_german(
    client: httpx.AsyncClient, coordinator: Staff
) -> None:
    run = await make_public_run()
    first = await Session.select(Session.id).where(Session.cohort == run).first()
    assert first is not None
    session = first["id"]
    await sign_in(client, coordinator.email)
    page = f"/staff/sessions/{session}"
    before = await everything()
    for day, words in (
        ("0001-01-01", "day muss in den Jahren 2000 bis 2100 liegen."),
        ("2020-01-01", "Ein Termin kann nur auf eine Zeit in der Zukunft verschoben werden."),
    ):
        response = await post_form(
            client, page, f"{page}/move", {"day": day, "start_time": "00:30", "end_time": "02:00"}
        )
        assert response.status_code == 422
        assert words in response.text
    assert await everything() == before


# --------------------------------------------------------------------------- text and forms


async def test_line_separators_are_line_breaks(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = await everything()
    for name in ("KiTa\u0085Sonnenblume", "KiTa\u2028Sonnenblume", "KiTa\u2029Sonnenblume"):
        response = await client.post("/api/v1/kitas", json={"name": name}, headers=auth)
        assert refused(response, 422, "name") == "Enthält Zeichen, die nicht erlaubt sind."
    assert await everything() == before
    # Where a field has several lines, they are kept as line feeds.
    programme = await client.post(
        "/api/v1/programmes",
        json={"kind": "training", "title": "T", "summary": "Zeile 1\u2028Zeile 2\u0085Zeile 3"},
        headers=auth,
    )
    assert programme.status_code == 201, programme.text
    assert programme.json()["summary"] == "Zeile 1\nZeile 2\nZeile 3"


async def test_a_name_of_only_invisible_characters_is_empty(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """A bidi override, a zero-width space or a word joiner alone shows as nothing: such a
    name is refused like an empty one, while Arabic with its marks is kept as typed."""
    before = await everything()
    for name in ("\u202e", "\u200b\u200b", "\u2066\u2069", "\u2060 \u00a0"):
        response = await client.post("/api/v1/kitas", json={"name": name}, headers=auth)
        assert refused(response, 422, "name") == "Bitte füllen Sie dieses Feld aus."
    assert await everything() == before
    kept = await client.post("/api/v1/kitas", json={"name": "\u200fروضة الأطفال"}, headers=auth)
    assert kept.status_code == 201, kept.text
    assert kept.json()["name"] == "\u200fروضة الأطفال"


async def test_zero_seats_in_the_event_form_are_refused(client: httpx.AsyncClient) -> None:
    run = await make_public_run()
    # A refused form still counts towards the registration limit (RateCounter).
    before = await everything(leave_out=(RateCounter,))
    response = await post_form(
        client,
        f"/events/{run}",
        f"/events/{run}/register",
        {"name": "Jana Becker", "email": "jana@example.org", "seats": "0", "consent": "on"},
    )
    assert response.status_code == 422
    assert "Sie können 1 bis 3 Plätze buchen." in response.text
    assert await everything(leave_out=(RateCounter,)) == before


async def test_a_nul_in_the_sign_in_address_is_refused(
    client: httpx.AsyncClient, coordinator: Staff
) -> None:
    before = await everything()
    response = await post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": coordinator.email.replace("@", "\x00@"), "password": "x"},
    )
    assert response.status_code == 422
    assert "Enthält Zeichen, die nicht erlaubt sind." in response.text
    assert "programmes_session" not in response.headers.get("set-cookie", "")
    assert await everything() == before  # not even a failed attempt counted


async def test_csv_names_one_charset(client: httpx.AsyncClient, coordinator: Staff) -> None:
    await sign_in(client, coordinator.email)
    response = await client.get("/staff/reports/report.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


# --------------------------------------------------------------------------- calendar import


def _calendar_with(rule: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//KiTa//DE\r\nBEGIN:VEVENT\r\n"
        "UID:teamtag@kita.example\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;VALUE=DATE:20260105\r\nSUMMARY:Teamtag\r\n"
        f"RRULE:{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


@pytest.fixture
def ics() -> Iterator[IcsServer]:
    with running_ics_server() as server:
        yield server


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("rule", "words"),
    [
        # These made the import loop for ever, growing by some 20 MB a second.
        ("FREQ=DAILY;INTERVAL=0", "needs an INTERVAL"),
        ("FREQ=MONTHLY;INTERVAL=0", "needs an INTERVAL"),
        ("FREQ=YEARLY;INTERVAL=0", "needs an INTERVAL"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20260301", "(COUNT) and on a date (UNTIL)"),
    ],
)
async def test_a_calendar_rule_that_never_ends_is_refused_in_seconds(
    client: httpx.AsyncClient, auth: dict[str, str], ics: IcsServer, rule: str, words: str
) -> None:
    kita = await make_kita()
    url = ics.serve("/schliesstage.ics", _calendar_with(rule))
    before = await everything()
    started = time.monotonic()
    response = await client.post(
        f"/api/v1/kitas/{kita}/closures/import", json={"url": url}, headers=auth
    )
    assert time.monotonic() - started < 15
    message = refused(response, 422, "url")
    assert message.startswith("Der Kalender konnte nicht importiert werden:")
    assert f"“RRULE:{rule.split(';')[0]}" in message and words in message
    assert await everything() == before  # no closure, no stored address, no audit


@pytest.mark.parametrize("spelled", ["%C2%B2", "%D9%A3", "%EF%BC%91", "0", "1e3", "12345678901"])
async def test_an_event_id_spelled_with_other_digits_is_not_found(
    client: httpx.AsyncClient, spelled: str
) -> None:
    """ "²", Arabic-Indic "٣" and full-width "１" are digits to Python, not ids."""
    page = await client.get(f"/events/{spelled}")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
