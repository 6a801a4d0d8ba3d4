"""The demo lets a trainer take attendance at once: their Rucksack group meets today
(whatever weekday today is), earlier sessions have marks, today's has none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from programmes.clock import BERLIN
from programmes.demo import DEMO_TRAINER, load_demo
from programmes.domain.accounts import staff_accounts
from programmes.domain.attendance.recording import MarkInput, get_attendance, record_attendance
from programmes.domain.attendance.trainer_day import trainer_day
from programmes.tables import Attendance, Session


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 25, 9, 0, tzinfo=UTC),  # a Wednesday: the group meets on Tuesdays
        datetime(2026, 11, 24, 7, 0, tzinfo=UTC),  # a Tuesday, before the 09:00 meeting
        datetime(2027, 7, 20, 16, 0, tzinfo=UTC),  # after the group's 36 sessions
    ],
)
async def test_demo_trainer_has_a_session_today_with_families_and_earlier_marks(
    now: datetime,
) -> None:
    await load_demo(now=now)
    trainer = await staff_accounts.account_by_email(DEMO_TRAINER)
    day = await trainer_day(staff=trainer, now=now)
    today = [s for s in day.recent if s.is_today]
    assert len(today) == 1, day.recent
    session = today[0]
    assert session.participants >= 5 and session.marked == 0
    if now.month != 7:  # in the school year: earlier sessions of the last two weeks
        assert any(s.marked for s in day.recent if not s.is_today)
    assert await Attendance.count() > 100  # earlier sessions of both groups have marks
    sheet = await get_attendance(staff=trainer, session_id=session.id, now=now)
    assert sheet.state == "open" and sheet.can_record
    saved = await record_attendance(
        staff=trainer,
        session_id=session.id,
        marks=[
            MarkInput(registration_id=p.registration_id, mark="present") for p in sheet.participants
        ],
        now=now,
    )
    assert {p.mark for p in saved.participants} == {"present"}
    # exactly one session of the group on that day
    same_day = [
        s
        for s in await Session.select(Session.starts_at).where(Session.cohort == session.cohort_id)
        if s["starts_at"].astimezone(BERLIN).date() == session.starts_at.date()
    ]
    assert len(same_day) == 1
