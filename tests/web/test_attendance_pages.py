"""The trainer's day and the attendance page: a trainer opens today's session from the
staff start page and records marks with one form post; partners only read; the page names
every family correctly in any script and works without JavaScript."""

from __future__ import annotations

import re

import httpx
import pytest

from programmes.tables import Attendance, AuditEvent
from tests.web.attendance_world import ARABIC, CYRILLIC, TURKISH, World, build_world
from tests.web.helpers import csrf_token, sign_in


@pytest.fixture
async def world(database: None) -> World:
    return await build_world()


def page_url(session_id: int) -> str:
    return f"/staff/sessions/{session_id}/attendance"


async def marks() -> dict[tuple[int, int], str]:
    rows = await Attendance.select(Attendance.session, Attendance.registration, Attendance.mark)
    return {(r["session"], r["registration"]): r["mark"] for r in rows}


async def save(client: httpx.AsyncClient, session_id: int, data: dict[str, str]) -> httpx.Response:
    token = await csrf_token(client, page_url(session_id))
    return await client.post(page_url(session_id), data={"_csrf_token": token, **data})


def checked(html: str) -> list[str]:
    """The marks shown as chosen, in the order of the list."""
    return re.findall(r'value="(present|excused|absent)" checked', html)


async def test_start_page_shows_a_trainer_today_then_the_last_two_weeks_then_upcoming(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    html = (await client.get("/staff/")).text
    links = re.findall(r'href="/staff/sessions/(\d+)/attendance"', html)
    # today, yesterday (cancelled), a week ago; then tomorrow. Two months ago is not listed.
    assert [int(i) for i in links] == [
        world.today,
        world.cancelled,
        world.last_week,
        world.tomorrow,
    ]
    assert "Heute, 09:00–11:00" in html
    assert "0 von 3 eingetragen" in html
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await sign_in(other, world.other_trainer.email)
        assert f"/staff/sessions/{world.today}/attendance" not in (await other.get("/staff/")).text


async def test_trainer_records_marks_in_one_post_and_sees_them_again(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    html = (await client.get(page_url(world.today))).text
    for name in (ARABIC, "Omar Al-Hassan", TURKISH, CYRILLIC):
        assert f"<bdi>{name}</bdi>" in html
    assert "Wartende Familie" not in html  # waiting list: not a participant
    assert 'name="all_present"' in html and 'src="/static/attendance.js"' in html
    first, second, third = world.families
    response = await save(
        client,
        world.today,
        {
            "marks[0].registration_id": str(first),
            "marks[0].mark": "present",
            "marks[1].registration_id": str(second),
            "marks[1].mark": "excused",
            "marks[2].registration_id": str(third),  # nothing chosen: stays unmarked
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == page_url(world.today) + "?done=attendance-saved"
    assert await marks() == {(world.today, first): "present", (world.today, second): "excused"}
    again = await client.get(response.headers["location"])
    assert "Anwesenheit gespeichert." in again.text
    assert checked(again.text) == ["present", "excused"]
    home = (await client.get("/staff/")).text
    assert "2 von 3 eingetragen" in home


async def test_all_present_without_javascript_saves_everyone_present(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    data = {f"marks[{i}].registration_id": str(r) for i, r in enumerate(world.families)}
    response = await save(
        client, world.today, {**data, "marks[1].mark": "absent", "all_present": "1"}
    )
    assert response.status_code == 303
    assert set((await marks()).values()) == {"present"} and len(await marks()) == 3
    # then one correction, audited with old and new mark
    response = await save(client, world.today, {**data, "marks[1].mark": "excused"})
    assert response.status_code == 303
    assert (await marks())[(world.today, world.families[1])] == "excused"
    changed = await AuditEvent.select(AuditEvent.actor, AuditEvent.detail).where(
        AuditEvent.action == "attendance.changed"
    )
    assert len(changed) == 1 and changed[0]["actor"] == world.trainer.id


async def test_a_bad_mark_shows_the_list_again_with_the_field_and_stores_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    response = await save(
        client,
        world.today,
        {
            "marks[0].registration_id": str(world.families[0]),
            "marks[0].mark": "present",
            "marks[1].registration_id": str(world.families[1]),
            "marks[1].mark": "late",
        },
    )
    assert response.status_code == 422
    assert 'href="#marks[1].mark"' in response.text
    assert "Bitte anwesend, entschuldigt oder abwesend wählen." in response.text
    assert checked(response.text) == ["present"]  # what was entered is still there
    assert await marks() == {}


async def test_a_participant_of_another_group_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    response = await save(
        client,
        world.today,
        {"marks[0].registration_id": str(world.foreign), "marks[0].mark": "present"},
    )
    assert response.status_code == 422
    assert "gehört nicht zu den bestätigten Teilnehmenden" in response.text
    assert await marks() == {}


async def test_nothing_chosen_is_an_error_naming_the_list(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    response = await save(client, world.today, {"marks[0].registration_id": str(world.families[0])})
    assert response.status_code == 422
    assert "Bitte mindestens eine Person oder Familie eintragen." in response.text


async def test_past_sessions_can_be_filled_in_from_a_paper_list(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    data = {"marks[0].registration_id": str(world.families[0]), "marks[0].mark": "absent"}
    assert (await save(client, world.two_months_ago, data)).status_code == 303
    assert await marks() == {(world.two_months_ago, world.families[0]): "absent"}


@pytest.mark.parametrize(
    ("session", "notice"),
    [
        ("cancelled", "Dieser Termin ist abgesagt"),
        ("tomorrow", "Anwesenheit kann ab dem Tag des Termins erfasst werden, nicht im Voraus."),
    ],
)
async def test_cancelled_and_future_sessions_show_why_and_refuse_marks(
    client: httpx.AsyncClient, world: World, session: str, notice: str
) -> None:
    await sign_in(client, world.trainer.email)
    session_id = getattr(world, session)
    html = (await client.get(page_url(session_id))).text
    assert notice in html and 'type="radio"' not in html
    token = await csrf_token(client, "/staff/")
    response = await client.post(
        page_url(session_id),
        data={
            "_csrf_token": token,
            "marks[0].registration_id": str(world.families[0]),
            "marks[0].mark": "present",
        },
    )
    assert response.status_code == 409
    assert await marks() == {}


async def test_another_trainer_gets_not_found(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.other_trainer.email)
    assert (await client.get(page_url(world.today))).status_code == 404
    token = await csrf_token(client, "/staff/")
    response = await client.post(
        page_url(world.today),
        data={
            "_csrf_token": token,
            "marks[0].registration_id": str(world.families[0]),
            "marks[0].mark": "present",
        },
    )
    assert response.status_code == 404
    assert await marks() == {}


async def test_partner_reads_own_families_marks_only(
    client: httpx.AsyncClient, world: World
) -> None:
    await Attendance.insert(
        Attendance(session=world.today, registration=world.families[0], mark="present")
    )
    await sign_in(client, world.partner.email)
    html = (await client.get(page_url(world.today))).text
    assert f"<bdi>{ARABIC}</bdi>" in html and "anwesend" in html and "nicht eingetragen" in html
    assert 'type="radio"' not in html
    token = await csrf_token(client, "/staff/")
    refused = await client.post(
        page_url(world.today),
        data={
            "_csrf_token": token,
            "marks[0].registration_id": str(world.families[1]),
            "marks[0].mark": "present",
        },
    )
    assert refused.status_code == 403
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as other:
        await sign_in(other, world.other_partner.email)
        assert (await other.get(page_url(world.today))).status_code == 404
    assert len(await marks()) == 1


async def test_signed_out_visitors_are_sent_to_sign_in(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(page_url(world.today))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login?next=")


async def test_without_csrf_token_nothing_is_stored(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    response = await client.post(
        page_url(world.today),
        data={"marks[0].registration_id": str(world.families[0]), "marks[0].mark": "present"},
    )
    assert response.status_code == 403
    assert await marks() == {}


async def test_the_session_page_links_to_attendance(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.trainer.email)
    html = (await client.get(f"/staff/sessions/{world.today}")).text
    assert f'href="{page_url(world.today)}"' in html
