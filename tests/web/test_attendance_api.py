"""Attendance over the JSON API: a trainer records a session's marks in one PUT and reads
them back; every bad input names its field and leaves the stored marks as they were."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from programmes.tables import Attendance, AuditEvent
from tests.web.attendance_world import ARABIC, CYRILLIC, TURKISH, World, bearer, build_world
from tests.web.helpers import sign_in


@pytest.fixture
async def world(database: None) -> World:
    return await build_world()


def url(session_id: int) -> str:
    return f"/api/v1/sessions/{session_id}/attendance"


async def stored() -> list[tuple[int, int, str]]:
    rows = await Attendance.select(
        Attendance.session, Attendance.registration, Attendance.mark
    ).order_by(Attendance.id)
    return [(r["session"], r["registration"], r["mark"]) for r in rows]


async def test_trainer_records_a_list_and_reads_it_back(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await bearer(world.trainer)
    first, second, third = world.families
    body = {
        "marks": [
            {"registration_id": first, "mark": "present"},
            {"registration_id": second, "mark": "excused"},
            {"registration_id": third, "mark": "absent"},
        ]
    }
    response = await client.put(url(world.today), json=body, headers=auth)
    assert response.status_code == 200, response.text
    sheet = response.json()
    assert sheet["state"] == "open" and sheet["can_record"] is True
    assert [(p["registration_id"], p["mark"]) for p in sheet["participants"]] == [
        (first, "present"),
        (second, "excused"),
        (third, "absent"),
    ]
    assert sheet["participants"][0]["names"] == [ARABIC, "Omar Al-Hassan"]
    assert [p["names"] for p in sheet["participants"][1:]] == [[TURKISH], [CYRILLIC]]
    assert world.waiting not in {p["registration_id"] for p in sheet["participants"]}
    assert await stored() == [
        (world.today, first, "present"),
        (world.today, second, "excused"),
        (world.today, third, "absent"),
    ]
    read = await client.get(url(world.today), headers=auth)
    assert read.status_code == 200 and read.json() == sheet


async def test_a_correction_is_audited_with_old_and_new_mark_and_no_names(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await bearer(world.trainer)
    first, second, _ = world.families
    await client.put(
        url(world.today),
        json={"marks": [{"registration_id": first, "mark": "absent"}]},
        headers=auth,
    )
    coordinator = await bearer(world.coordinator)
    response = await client.put(
        url(world.today),
        json={
            "marks": [
                {"registration_id": first, "mark": "excused"},
                {"registration_id": second, "mark": "present"},
            ]
        },
        headers=coordinator,
    )
    assert response.status_code == 200, response.text
    events = (
        await AuditEvent.select()
        .where(AuditEvent.action.like("attendance.%"))
        .order_by(AuditEvent.id)
    )
    details = [
        (
            e["action"],
            e["actor"],
            e["object_id"],
            json.loads(e["detail"]) if isinstance(e["detail"], str) else e["detail"],
        )
        for e in events
    ]
    assert details == [
        (
            "attendance.recorded",
            world.trainer.id,
            world.today,
            {"session": world.today, "registration": first, "old": None, "new": "absent"},
        ),
        (
            "attendance.changed",
            world.coordinator.id,
            world.today,
            {"session": world.today, "registration": first, "old": "absent", "new": "excused"},
        ),
        (
            "attendance.recorded",
            world.coordinator.id,
            world.today,
            {"session": world.today, "registration": second, "old": None, "new": "present"},
        ),
    ]
    text = json.dumps([e["detail"] for e in events], ensure_ascii=False)
    assert ARABIC not in text and TURKISH not in text and "Omar" not in text
    # the same list again changes nothing and adds no audit event
    again = await client.put(
        url(world.today),
        json={"marks": [{"registration_id": first, "mark": "excused"}]},
        headers=coordinator,
    )
    assert again.status_code == 200
    assert await AuditEvent.count().where(AuditEvent.action.like("attendance.%")) == 3


async def test_past_sessions_take_marks_afterwards_from_a_paper_list(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await bearer(world.trainer)
    for session in (world.last_week, world.two_months_ago):
        response = await client.put(
            url(session),
            json={"marks": [{"registration_id": world.families[2], "mark": "present"}]},
            headers=auth,
        )
        assert response.status_code == 200, response.text
    assert len(await stored()) == 2


async def test_a_substitute_records_their_session_only(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await bearer(world.substitute)
    body = {"marks": [{"registration_id": world.families[0], "mark": "present"}]}
    assert (await client.put(url(world.last_week), json=body, headers=auth)).status_code == 200
    assert (await client.put(url(world.today), json=body, headers=auth)).status_code == 404
    assert (await client.get(url(world.today), headers=auth)).status_code == 404


async def test_partners_read_their_own_families_and_write_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    trainer = await bearer(world.trainer)
    await client.put(
        url(world.today),
        json={"marks": [{"registration_id": world.families[0], "mark": "present"}]},
        headers=trainer,
    )
    partner = await bearer(world.partner)
    read = await client.get(url(world.today), headers=partner)
    assert read.status_code == 200, read.text
    assert read.json()["can_record"] is False
    assert [p["mark"] for p in read.json()["participants"]] == ["present", None, None]
    refused = await client.put(
        url(world.today),
        json={"marks": [{"registration_id": world.families[1], "mark": "absent"}]},
        headers=partner,
    )
    assert refused.status_code == 403
    other = await bearer(world.other_partner)
    assert (await client.get(url(world.today), headers=other)).status_code == 404
    assert await stored() == [(world.today, world.families[0], "present")]


async def test_the_session_cookie_reads_but_does_not_write(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    assert (await client.get(url(world.today))).status_code == 200
    write = await client.put(
        url(world.today),
        json={"marks": [{"registration_id": world.families[0], "mark": "present"}]},
    )
    assert write.status_code == 401
    assert await stored() == []


async def test_without_credentials_nothing_is_shown(
    client: httpx.AsyncClient, world: World
) -> None:
    assert (await client.get(url(world.today))).status_code == 401


BAD: list[tuple[str, Any, str, int, str]] = [
    # (case, body kind, field, status, words of the (German) message)
    ("unknown mark", "late", "marks[1].mark", 422, "anwesend, entschuldigt oder abwesend"),
    ("waiting family", "waiting", "marks[1].registration_id", 422, "nicht zu den bestätigten"),
    ("other group", "foreign", "marks[1].registration_id", 422, "nicht zu den bestätigten"),
    (
        "no such registration",
        "missing",
        "marks[1].registration_id",
        422,
        "nicht zu den bestätigten",
    ),
    ("duplicate", "duplicate", "marks[1].registration_id", 422, "zweimal"),
    ("empty list", "empty", "marks", 422, "mindestens eine"),
    ("no marks key", "no key", "marks", 400, "marks"),
]


def bad_body(world: World, case: str) -> Any:
    good = {"registration_id": world.families[0], "mark": "present"}
    second = {
        "late": {"registration_id": world.families[1], "mark": "late"},
        "waiting": {"registration_id": world.waiting, "mark": "present"},
        "foreign": {"registration_id": world.foreign, "mark": "present"},
        "missing": {"registration_id": 999_999, "mark": "present"},
        "duplicate": {"registration_id": world.families[0], "mark": "absent"},
    }
    if case == "empty":
        return {"marks": []}
    if case == "no key":
        return {}
    return {"marks": [good, second[case]]}


@pytest.mark.parametrize(("case", "kind", "field", "status", "words"), BAD, ids=[b[0] for b in BAD])
async def test_bad_input_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient,
    world: World,
    case: str,
    kind: str,
    field: str,
    status: int,
    words: str,
) -> None:
    auth = await bearer(world.trainer)
    first = {"registration_id": world.families[0], "mark": "absent"}
    assert (
        await client.put(url(world.today), json={"marks": [first]}, headers=auth)
    ).status_code == 200
    before, audits = await stored(), await AuditEvent.count()
    response = await client.put(url(world.today), json=bad_body(world, kind), headers=auth)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == field, body
    assert words.lower() in json.dumps(body, ensure_ascii=False).lower(), body
    assert await stored() == before  # the valid first entry was not applied either
    assert await AuditEvent.count() == audits


@pytest.mark.parametrize(
    ("session", "status", "field", "words"),
    [
        ("cancelled", 409, "session", "abgesagt"),
        ("tomorrow", 409, "session", "ab dem Tag des Termins"),
        ("unknown", 404, "session", "keinen Termin"),
    ],
)
async def test_sessions_that_take_no_attendance_are_refused(
    client: httpx.AsyncClient, world: World, session: str, status: int, field: str, words: str
) -> None:
    session_id = 999_999 if session == "unknown" else getattr(world, session)
    response = await client.put(
        url(session_id),
        json={"marks": [{"registration_id": world.families[0], "mark": "present"}]},
        headers=await bearer(world.trainer),
    )
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert words in response.json()["detail"]
    assert await stored() == []


async def test_another_trainers_session_answers_like_a_missing_one(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await bearer(world.other_trainer)
    body = {"marks": [{"registration_id": world.families[0], "mark": "present"}]}
    put = await client.put(url(world.today), json=body, headers=auth)
    get = await client.get(url(world.today), headers=auth)
    missing = await client.get(url(999_999), headers=auth)
    assert put.status_code == get.status_code == missing.status_code == 404
    assert get.json()["detail"].replace(str(world.today), "N") == missing.json()["detail"].replace(
        "999999", "N"
    )
    assert await stored() == []


async def test_a_session_later_today_is_open_and_the_rule_is_the_berlin_date(
    client: httpx.AsyncClient, world: World
) -> None:
    from datetime import timedelta

    from tests.conftest import FROZEN_NOW
    from tests.factories import make_session

    # 23:30 in Berlin today is still "today"; 00:30 tomorrow in Berlin (23:30 UTC today) is not
    tonight = await make_session(
        world.cohort, starts_at=FROZEN_NOW + timedelta(hours=13, minutes=30)
    )
    after_midnight = await make_session(
        world.cohort, starts_at=FROZEN_NOW + timedelta(hours=14, minutes=30)
    )
    auth = await bearer(world.trainer)
    body = {"marks": [{"registration_id": world.families[0], "mark": "present"}]}
    assert (await client.put(url(tonight), json=body, headers=auth)).status_code == 200
    refused = await client.put(url(after_midnight), json=body, headers=auth)
    assert refused.status_code == 409
    assert "2026-11-26" in refused.json()["detail"]
