"""Expanding a cohort's weekly rule into sessions: what a coordinator sees in the preview."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

import pytest
from holidays.countries.germany import Germany
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from programmes.clock import BERLIN
from programmes.domain.errors import InvalidInput
from programmes.domain.planning.recurrence import (
    MAX_SESSIONS,
    Closure,
    PlannedSession,
    SchedulePreview,
    WeeklyRule,
    assign_themes,
    check_moved_day,
    earliest_day,
    expand_rule,
    latest_day,
    to_berlin,
    validate_closure,
    validate_rule,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
TWO_HOURS = timedelta(hours=2)
RUCKSACK_THEMES = tuple(f"Thema {n}" for n in range(1, 13))


def rule(**changes: Any) -> WeeklyRule:
    """A valid weekly Tuesday 09:00-11:00 rule from 2026-09-01, 10 sessions; override freely."""
    base = WeeklyRule(
        weekdays=(TUE,),
        start_time=time(9),
        duration=TWO_HOURS,
        first_day=date(2026, 9, 1),
        count=10,
    )
    return replace(base, **changes)


def start_days(preview: SchedulePreview) -> list[date]:
    return [s.starts_at.date() for s in preview.sessions]


def nrw_holidays(*years: int) -> dict[date, str]:
    return dict(Germany(subdiv="NW", language="de", years=years))


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# --------------------------------------------------------------------------- basics


def test_last_day_rule_creates_a_session_on_every_matching_day_up_to_last_day() -> None:
    preview = expand_rule(rule(count=None, last_day=date(2026, 9, 29)))

    assert start_days(preview) == [
        date(2026, 9, 1),
        date(2026, 9, 8),
        date(2026, 9, 15),
        date(2026, 9, 22),
        date(2026, 9, 29),
    ]
    assert preview.skipped == ()


def test_sessions_start_at_the_local_time_and_last_the_duration() -> None:
    session = expand_rule(rule(count=1, start_time=time(9, 30))).sessions[0]

    assert session == PlannedSession(
        starts_at=datetime(2026, 9, 1, 9, 30, tzinfo=BERLIN),
        ends_at=datetime(2026, 9, 1, 11, 30, tzinfo=BERLIN),
        theme=None,
    )
    assert session.starts_at.tzinfo is BERLIN
    assert utc(session.starts_at) == datetime(2026, 9, 1, 7, 30, tzinfo=UTC)


def test_days_of_the_first_week_before_first_day_are_not_created() -> None:
    # 2026-09-02 is a Wednesday: the Monday of that week lies before first_day.
    preview = expand_rule(rule(weekdays=(MON, WED), first_day=date(2026, 9, 2), count=3))

    assert start_days(preview) == [date(2026, 9, 2), date(2026, 9, 7), date(2026, 9, 9)]


def test_multiple_weekdays_come_out_in_date_order_whatever_order_they_were_given() -> None:
    preview = expand_rule(rule(weekdays=(FRI, MON, WED), first_day=date(2026, 9, 7), count=6))

    assert start_days(preview) == [
        date(2026, 9, 7),
        date(2026, 9, 9),
        date(2026, 9, 11),
        date(2026, 9, 14),
        date(2026, 9, 16),
        date(2026, 9, 18),
    ]


def test_every_two_weeks_counts_from_the_week_of_first_day() -> None:
    # first_day is a Thursday; the Monday of its week is skipped (before first_day), the
    # following week is off, then Monday and Thursday two weeks later.
    preview = expand_rule(
        rule(weekdays=(MON, THU), first_day=date(2026, 9, 3), every_weeks=2, count=5)
    )

    assert start_days(preview) == [
        date(2026, 9, 3),
        date(2026, 9, 14),
        date(2026, 9, 17),
        date(2026, 9, 28),
        date(2026, 10, 1),
    ]


def test_every_four_weeks_with_a_last_day() -> None:
    preview = expand_rule(
        rule(every_weeks=4, count=None, last_day=date(2026, 12, 31)),
        skip_public_holidays=False,
    )

    assert start_days(preview) == [
        date(2026, 9, 1),
        date(2026, 9, 29),
        date(2026, 10, 27),
        date(2026, 11, 24),
        date(2026, 12, 22),
    ]


# --------------------------------------------------------------------------- a Rucksack year


CHRISTMAS = Closure(date(2026, 12, 21), date(2027, 1, 1), "Weihnachtsschließung")
OUTING = Closure(date(2027, 2, 16), date(2027, 2, 16), "Betriebsausflug")


def test_a_rucksack_kita_year_of_36_tuesdays() -> None:
    year_rule = rule(count=36)

    preview = expand_rule(year_rule, closures=[CHRISTMAS, OUTING], themes=RUCKSACK_THEMES)

    assert len(preview.sessions) == 36
    public = nrw_holidays(2026, 2027)
    assert all(d.weekday() == TUE and d not in public for d in start_days(preview))
    assert [(s.day, s.reason) for s in preview.skipped] == [
        (date(2026, 12, 22), "KiTa geschlossen: Weihnachtsschließung"),
        (date(2026, 12, 29), "KiTa geschlossen: Weihnachtsschließung"),
        (date(2027, 2, 16), "KiTa geschlossen: Betriebsausflug"),
    ]
    # 36 sessions + 3 skipped Tuesdays = 39 Tuesdays from 1 September.
    assert start_days(preview)[-1] == date(2027, 5, 25)
    assert all(
        s.starts_at.time() == time(9) and s.ends_at.time() == time(11) for s in preview.sessions
    )
    themes = [s.theme for s in preview.sessions]
    assert themes == [theme for theme in RUCKSACK_THEMES for _ in range(3)]


@pytest.mark.parametrize(
    ("weekday", "first_day", "expected"),
    [
        (THU, date(2026, 9, 3), {date(2027, 5, 6): "Feiertag: Christi Himmelfahrt"}),
        (MON, date(2027, 8, 30), {date(2027, 11, 1): "Feiertag: Allerheiligen"}),
        (TUE, date(2028, 8, 29), {date(2028, 10, 3): "Feiertag: Tag der Deutschen Einheit"}),
    ],
)
def test_a_public_holiday_on_the_meeting_weekday_is_skipped_under_its_german_name(
    weekday: int, first_day: date, expected: dict[date, str]
) -> None:
    preview = expand_rule(rule(weekdays=(weekday,), first_day=first_day, count=36))

    skipped = {s.day: s.reason for s in preview.skipped}
    assert expected.items() <= skipped.items()
    assert not set(expected) & set(start_days(preview))
    assert len(preview.sessions) == 36


def test_closures_push_the_year_into_fronleichnam_which_is_skipped_too() -> None:
    preview = expand_rule(
        rule(weekdays=(THU,), first_day=date(2026, 9, 3), count=36), closures=[CHRISTMAS]
    )

    assert [(s.day, s.reason) for s in preview.skipped] == [
        (date(2026, 12, 24), "KiTa geschlossen: Weihnachtsschließung"),
        (date(2026, 12, 31), "KiTa geschlossen: Weihnachtsschließung"),
        (date(2027, 5, 6), "Feiertag: Christi Himmelfahrt"),
        (date(2027, 5, 27), "Feiertag: Fronleichnam"),
    ]
    assert start_days(preview)[-1] == date(2027, 6, 3)


def test_holidays_can_be_kept_when_the_coordinator_asks() -> None:
    preview = expand_rule(
        rule(weekdays=(MON,), first_day=date(2027, 11, 1), count=1), skip_public_holidays=False
    )

    assert start_days(preview) == [date(2027, 11, 1)]
    assert preview.skipped == ()


def test_a_day_that_is_both_holiday_and_closure_is_reported_once_as_the_holiday() -> None:
    closure = Closure(date(2027, 10, 25), date(2027, 11, 5), "Herbstschließung")
    preview = expand_rule(
        rule(weekdays=(MON,), first_day=date(2027, 10, 25), count=2), closures=[closure]
    )

    assert [(s.day, s.reason) for s in preview.skipped] == [
        (date(2027, 10, 25), "KiTa geschlossen: Herbstschließung"),
        (date(2027, 11, 1), "Feiertag: Allerheiligen"),
    ]
    assert start_days(preview) == [date(2027, 11, 8), date(2027, 11, 15)]


def test_a_count_rule_reports_no_skips_after_its_last_session() -> None:
    closure = Closure(date(2026, 9, 15), date(2026, 9, 15), "Konzeptionstag")

    preview = expand_rule(rule(count=2), closures=[closure])

    assert start_days(preview) == [date(2026, 9, 1), date(2026, 9, 8)]
    assert preview.skipped == ()


def test_closures_outside_the_rule_window_change_nothing() -> None:
    far = Closure(date(2030, 1, 1), date(2030, 12, 31), "Umbau")
    before = Closure(date(2026, 1, 1), date(2026, 8, 31), "Umbau")

    assert expand_rule(rule(), closures=[far, before]) == expand_rule(rule())


# --------------------------------------------------------------------------- daylight saving


def test_nine_oclock_stays_nine_oclock_across_both_clock_changes() -> None:
    # Mondays around the last Sunday of March (2026-03-29) and of October (2026-10-25).
    spring = expand_rule(rule(weekdays=(MON,), first_day=date(2026, 3, 23), count=2))
    autumn = expand_rule(rule(weekdays=(MON,), first_day=date(2026, 10, 19), count=2))

    for preview in (spring, autumn):
        assert [s.starts_at.time() for s in preview.sessions] == [time(9), time(9)]
    assert [s.starts_at.utcoffset() for s in spring.sessions] == [
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    assert [s.starts_at.utcoffset() for s in autumn.sessions] == [
        timedelta(hours=2),
        timedelta(hours=1),
    ]
    assert [utc(s.starts_at).time() for s in spring.sessions] == [time(8), time(7)]


def test_a_start_in_the_spring_gap_is_refused_naming_the_date() -> None:
    gap_rule = rule(weekdays=(SUN,), first_day=date(2026, 3, 22), start_time=time(2, 30), count=3)

    with pytest.raises(InvalidInput) as caught:
        expand_rule(gap_rule)

    assert caught.value.field == "start_time"
    assert "2026-03-29" in caught.value.message
    assert "02:30" in caught.value.message


def test_the_gap_does_not_matter_when_that_sunday_is_skipped() -> None:
    gap_rule = rule(weekdays=(SUN,), first_day=date(2026, 3, 22), start_time=time(2, 30), count=3)
    closed = Closure(date(2026, 3, 29), date(2026, 3, 29), "Umzug")

    preview = expand_rule(gap_rule, closures=[closed])

    assert start_days(preview) == [date(2026, 3, 22), date(2026, 4, 5), date(2026, 4, 12)]


def test_an_ambiguous_start_in_the_autumn_fold_is_the_first_occurrence() -> None:
    fold_rule = rule(weekdays=(SUN,), first_day=date(2026, 10, 25), start_time=time(2, 30), count=1)

    session = expand_rule(fold_rule).sessions[0]

    assert session.starts_at.time() == time(2, 30)
    assert session.starts_at.fold == 0
    assert session.starts_at.utcoffset() == timedelta(hours=2)  # still summer time
    assert utc(session.starts_at) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # 02:30 summer time + 2 hours on the clock = 04:30 winter time, three real hours.
    assert session.ends_at.time() == time(4, 30)
    assert utc(session.ends_at) - utc(session.starts_at) == timedelta(hours=3)


def test_an_ambiguous_end_is_the_first_occurrence_too() -> None:
    fold_rule = rule(
        weekdays=(SUN,),
        first_day=date(2026, 10, 25),
        start_time=time(1, 30),
        duration=timedelta(hours=1),
        count=1,
    )

    session = expand_rule(fold_rule).sessions[0]

    assert session.ends_at.time() == time(2, 30)
    assert session.ends_at.utcoffset() == timedelta(hours=2)
    assert utc(session.ends_at) - utc(session.starts_at) == timedelta(hours=1)


def test_an_end_in_the_spring_gap_moves_an_hour_later() -> None:
    gap_end = rule(
        weekdays=(SUN,),
        first_day=date(2026, 3, 29),
        start_time=time(1, 30),
        duration=timedelta(hours=1),
        count=1,
    )

    session = expand_rule(gap_end).sessions[0]

    assert session.ends_at.time() == time(3, 30)
    assert session.ends_at.utcoffset() == timedelta(hours=2)
    assert utc(session.ends_at) - utc(session.starts_at) == timedelta(hours=1)


def test_to_berlin_gives_winter_and_summer_offsets() -> None:
    assert to_berlin(date(2026, 1, 15), time(9)).utcoffset() == timedelta(hours=1)
    assert to_berlin(date(2026, 7, 15), time(9)).utcoffset() == timedelta(hours=2)


def test_to_berlin_resolves_a_fold_time_given_as_second_occurrence_to_the_first() -> None:
    moment = to_berlin(date(2026, 10, 25), time(2, 15, fold=1))

    assert moment.fold == 0
    assert moment.utcoffset() == timedelta(hours=2)


def test_to_berlin_refuses_a_gap_time_under_the_callers_field_name() -> None:
    with pytest.raises(InvalidInput) as caught:
        to_berlin(date(2027, 3, 28), time(2, 0), field="starts_at")

    assert caught.value.field == "starts_at"
    assert "2027-03-28" in caught.value.message


# --------------------------------------------------------------------------- bad input and caps


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"weekdays": ()}, "weekdays", "at least one"),
        ({"weekdays": (7,)}, "weekdays", "0 (Monday) to 6 (Sunday)"),
        ({"weekdays": (-1,)}, "weekdays", "0 (Monday) to 6 (Sunday)"),
        ({"weekdays": (True,)}, "weekdays", "0 (Monday) to 6 (Sunday)"),
        ({"weekdays": (MON, MON)}, "weekdays", "repeat"),
        ({"weekdays": (MON, TUE, WED, THU)}, "weekdays", "at most 3 weekdays"),
        ({"start_time": time(9, tzinfo=UTC)}, "start_time", "without a time zone"),
        ({"duration": timedelta(0)}, "duration", "longer than zero"),
        ({"duration": timedelta(minutes=-30)}, "duration", "longer than zero"),
        ({"duration": timedelta(hours=12, seconds=1)}, "duration", "at most 12 hours"),
        ({"every_weeks": 0}, "every_weeks", "1 to 4"),
        ({"every_weeks": 5}, "every_weeks", "1 to 4"),
        ({"count": None}, "last_day", "either last_day or count"),
        ({"last_day": date(2026, 12, 1)}, "count", "not both"),
        ({"count": 0}, "count", "at most 60 sessions"),
        ({"count": 61}, "count", "at most 60 sessions"),
        ({"count": None, "last_day": date(2026, 8, 31)}, "last_day", "before first_day"),
        ({"count": None, "last_day": date(2028, 9, 2)}, "last_day", "at most 2 years"),
        ({"first_day": datetime(2026, 9, 1, 9)}, "first_day", "calendar date"),
        ({"first_day": date(1999, 12, 31)}, "first_day", "2000 to 2100"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(
    changes: dict[str, Any], field: str, says: str
) -> None:
    bad = rule(**changes)

    for check in (validate_rule, expand_rule):
        with pytest.raises(InvalidInput) as caught:
            check(bad)
        assert caught.value.field == field
        assert says in caught.value.message
        assert field in caught.value.message


def test_the_limits_themselves_are_allowed() -> None:
    widest = rule(
        weekdays=(MON, WED, FRI),
        duration=timedelta(hours=12),
        every_weeks=4,
        count=None,
        last_day=date(2028, 9, 1),
    )
    validate_rule(widest)  # the shape is fine; only the session cap can still refuse it

    two_years = expand_rule(replace(widest, weekdays=(SAT,)), skip_public_holidays=False)
    assert start_days(two_years)[0] == date(2026, 9, 5)
    assert start_days(two_years)[-1] == date(2028, 8, 5)  # 2028-09-02 is after last_day
    assert len(two_years.sessions) == 26
    assert all(s.ends_at.time() == time(21) for s in two_years.sessions)
    assert len(expand_rule(rule(count=60)).sessions) == 60


def test_two_years_from_a_leap_day_ends_on_28_february() -> None:
    assert latest_day(date(2028, 2, 29)) == date(2030, 2, 28)
    validate_rule(rule(first_day=date(2028, 2, 29), count=None, last_day=date(2030, 2, 28)))
    with pytest.raises(InvalidInput) as caught:
        validate_rule(rule(first_day=date(2028, 2, 29), count=None, last_day=date(2030, 3, 1)))
    assert caught.value.field == "last_day"


def test_a_last_day_rule_over_60_sessions_is_refused_naming_the_cap() -> None:
    too_many = rule(weekdays=(MON, WED, FRI), count=None, last_day=date(2027, 6, 30))

    with pytest.raises(InvalidInput) as caught:
        expand_rule(too_many)

    assert caught.value.field == "last_day"
    assert "60 sessions per cohort" in caught.value.message


def test_the_session_cap_counts_created_sessions_not_skipped_dates() -> None:
    # 61 Tuesdays from 2026-09-01 (no public holiday falls on them): one too many...
    last = date(2026, 9, 1) + timedelta(weeks=60)
    sixty_one = rule(count=None, last_day=last)
    with pytest.raises(InvalidInput):
        expand_rule(sixty_one)

    closure = Closure(date(2026, 9, 8), date(2026, 9, 8), "Konzeptionstag")
    # ...until one of them is a closure day.
    preview = expand_rule(sixty_one, closures=[closure])

    assert len(preview.sessions) == MAX_SESSIONS
    assert start_days(preview)[-1] == last


def test_a_count_that_does_not_fit_in_two_years_is_refused_naming_the_cap() -> None:
    long_closure = Closure(date(2026, 9, 1), date(2028, 6, 30), "Umbau")

    with pytest.raises(InvalidInput) as caught:
        expand_rule(rule(count=20, every_weeks=4), closures=[long_closure])

    assert caught.value.field == "count"
    assert "2 years" in caught.value.message


def test_a_count_of_60_every_four_weeks_cannot_fit_in_two_years() -> None:
    # Two years hold only ~27 four-weekly dates: refused rather than searching further.
    with pytest.raises(InvalidInput) as caught:
        expand_rule(rule(count=60, every_weeks=4))

    assert caught.value.field == "count"
    assert "2 years" in caught.value.message


def test_a_closure_ending_before_it_starts_is_refused_on_last_day() -> None:
    backwards = Closure(date(2026, 10, 2), date(2026, 10, 1), "Betriebsausflug")

    with pytest.raises(InvalidInput) as caught:
        validate_closure(backwards)

    assert caught.value.field == "last_day"
    assert "last_day" in caught.value.message


def test_a_closure_without_a_reason_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_closure(Closure(date(2026, 10, 1), date(2026, 10, 1), "  "))

    assert caught.value.field == "reason"


def test_expand_refuses_a_bad_closure_under_closures() -> None:
    backwards = Closure(date(2026, 10, 2), date(2026, 10, 1), "Betriebsausflug")

    with pytest.raises(InvalidInput) as caught:
        expand_rule(rule(), closures=[OUTING, backwards])

    assert caught.value.field == "closures"
    assert "closure 2" in caught.value.message


# --------------------------------------------------------------------------- themes


def test_themes_go_to_sessions_in_order_three_each_then_none() -> None:
    assert assign_themes(8, ["Sprache", "Spiel"], 3) == [
        "Sprache",
        "Sprache",
        "Sprache",
        "Spiel",
        "Spiel",
        "Spiel",
        None,
        None,
    ]


def test_one_session_per_theme_and_no_themes() -> None:
    assert assign_themes(3, ["A", "B"], sessions_per_theme=1) == ["A", "B", None]
    assert assign_themes(2, []) == [None, None]
    assert assign_themes(0, ["A"]) == []


def test_a_skipped_date_does_not_use_up_a_theme_slot() -> None:
    closure = Closure(date(2026, 9, 8), date(2026, 9, 8), "Konzeptionstag")

    preview = expand_rule(
        rule(count=4), closures=[closure], themes=["A", "B"], sessions_per_theme=2
    )

    assert [(d, s.theme) for d, s in zip(start_days(preview), preview.sessions, strict=True)] == [
        (date(2026, 9, 1), "A"),
        (date(2026, 9, 15), "A"),
        (date(2026, 9, 22), "B"),
        (date(2026, 9, 29), "B"),
    ]


@pytest.mark.parametrize(
    ("count", "themes", "per_theme", "field"),
    [
        (3, ["A"], 0, "sessions_per_theme"),
        (3, "Sprache", 3, "themes"),
        (3, ["A", ""], 3, "themes"),
        (-1, ["A"], 3, "count"),
        (61, ["A"], 3, "count"),
    ],
)
def test_bad_theme_input_is_refused(count: int, themes: Any, per_theme: int, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        assign_themes(count, themes, per_theme)

    assert caught.value.field == field


def test_expand_refuses_a_theme_list_given_as_one_string() -> None:
    with pytest.raises(InvalidInput) as caught:
        expand_rule(rule(), themes="Sprache")

    assert caught.value.field == "themes"


# --------------------------------------------------------------------------- properties

REASONS = st.sampled_from(["Betriebsausflug", "Konzeptionstag", "Sommerschließung", "Umbau"])
FIRST_DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))
# 02:xx can fall in the spring gap on a Sunday; that refusal is tested on its own above.
START_TIMES = st.times().filter(lambda t: t.hour != 2)
DURATIONS = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(hours=12))


@st.composite
def rules(draw: st.DrawFn) -> WeeklyRule:
    first_day = draw(FIRST_DAYS)
    weekdays = draw(st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True))
    base = WeeklyRule(
        weekdays=tuple(weekdays),
        start_time=draw(START_TIMES),
        duration=draw(DURATIONS),
        first_day=first_day,
        every_weeks=draw(st.integers(1, 4)),
    )
    if draw(st.booleans()):
        return replace(base, count=draw(st.integers(1, MAX_SESSIONS)))
    span = (latest_day(first_day) - first_day).days
    return replace(base, last_day=first_day + timedelta(days=draw(st.integers(0, span))))


@st.composite
def closure_lists(draw: st.DrawFn, around: date) -> list[Closure]:
    closures = []
    for _ in range(draw(st.integers(0, 5))):
        first = around + timedelta(days=draw(st.integers(-30, 760)))
        last = first + timedelta(days=draw(st.integers(0, 90)))
        closures.append(Closure(first, last, draw(REASONS)))
    return closures


@st.composite
def rules_with_closures(draw: st.DrawFn) -> tuple[WeeklyRule, list[Closure]]:
    drawn = draw(rules())
    return drawn, draw(closure_lists(drawn.first_day))


def reference_expansion(
    rule_: WeeklyRule, closures: list[Closure]
) -> tuple[list[date], list[tuple[date, str]]]:
    """Day by day over the whole two-year window: which days get a session, which are skipped."""
    end = rule_.last_day or latest_day(rule_.first_day)
    public = nrw_holidays(*range(rule_.first_day.year, end.year + 1))
    first_monday = rule_.first_day - timedelta(days=rule_.first_day.weekday())
    created: list[date] = []
    skipped: list[tuple[date, str]] = []
    day = rule_.first_day
    while day <= end and len(created) < (rule_.count or MAX_SESSIONS + 1):
        in_week = ((day - first_monday).days // 7) % rule_.every_weeks == 0
        if day.weekday() in rule_.weekdays and in_week:
            closed = [c.reason for c in closures if c.first_day <= day <= c.last_day]
            if day in public:
                skipped.append((day, f"Feiertag: {public[day]}"))
            elif closed:
                skipped.append((day, f"KiTa geschlossen: {closed[0]}"))
            else:
                created.append(day)
        day += timedelta(days=1)
    return created, skipped


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(rules_with_closures())
def test_expansion_agrees_with_a_day_by_day_reference(
    case: tuple[WeeklyRule, list[Closure]],
) -> None:
    rule_, closures = case
    created, skipped = reference_expansion(rule_, closures)

    if rule_.count is not None and len(created) < rule_.count:
        with pytest.raises(InvalidInput, match="2 years") as caught:
            expand_rule(rule_, closures=closures)
        assert caught.value.field == "count"
    elif rule_.count is None and len(created) > MAX_SESSIONS:
        with pytest.raises(InvalidInput, match="60 sessions") as caught:
            expand_rule(rule_, closures=closures)
        assert caught.value.field == "last_day"
    else:
        preview = expand_rule(rule_, closures=closures)
        assert start_days(preview) == created
        assert [(s.day, s.reason) for s in preview.skipped] == skipped


@PROPERTY_SETTINGS
@given(rules_with_closures(), st.lists(st.text(min_size=1).filter(str.strip), max_size=13))
def test_generated_sessions_respect_the_rule(
    case: tuple[WeeklyRule, list[Closure]], themes: list[str]
) -> None:
    rule_, closures = case
    created, _ = reference_expansion(rule_, closures)
    over_a_cap = len(created) > MAX_SESSIONS or len(created) < (rule_.count or 0)
    assume(not over_a_cap)  # those refusals are checked against the reference above

    preview = expand_rule(rule_, closures=closures, themes=themes)
    days = start_days(preview)
    end = rule_.last_day or latest_day(rule_.first_day)
    public = nrw_holidays(*range(rule_.first_day.year, end.year + 1))

    assert not any(d in public for d in days)
    assert not any(c.first_day <= d <= c.last_day for d in days for c in closures)
    assert all(rule_.first_day <= d <= end and d.weekday() in rule_.weekdays for d in days)
    for session in preview.sessions:
        assert session.starts_at.tzinfo is BERLIN
        assert session.starts_at.time() == rule_.start_time
        elapsed = utc(session.ends_at) - utc(session.starts_at)
        assert abs(elapsed - rule_.duration) <= timedelta(hours=1)
        assert elapsed > timedelta(0)
    starts = [utc(s.starts_at) for s in preview.sessions]
    assert all(a < b for a, b in pairwise(starts))
    assert len(days) == (rule_.count if rule_.count is not None else len(days))
    assert 1 <= len(days) <= MAX_SESSIONS or (rule_.last_day is not None and not days)
    assert [s.theme for s in preview.sessions] == assign_themes(len(days), themes)


@PROPERTY_SETTINGS
@given(rules(), st.integers(1, 60))
def test_a_count_rule_never_searches_past_two_years(rule_: WeeklyRule, count: int) -> None:
    # The KiTa is closed for the whole window: the rule must give up, not search on.
    closed = Closure(rule_.first_day, latest_day(rule_.first_day), "Umbau")
    count_rule = replace(rule_, last_day=None, count=count)

    with pytest.raises(InvalidInput) as caught:
        expand_rule(count_rule, closures=[closed], skip_public_holidays=False)

    assert caught.value.field == "count"


@PROPERTY_SETTINGS
@given(rules_with_closures())
def test_the_preview_never_lists_more_dates_than_two_years_hold(
    case: tuple[WeeklyRule, list[Closure]],
) -> None:
    rule_, closures = case
    try:
        preview = expand_rule(rule_, closures=closures)
    except InvalidInput:
        return
    weeks = (latest_day(rule_.first_day) - rule_.first_day).days // 7 + 2
    listed = [s.starts_at.date() for s in preview.sessions] + [s.day for s in preview.skipped]
    assert len(listed) == len(set(listed))
    assert len(listed) <= len(rule_.weekdays) * -(-weeks // rule_.every_weeks)
    assert all(d <= latest_day(rule_.first_day) for d in listed)


# --------------------------------------------------------------------------- moving a session


@pytest.mark.parametrize(
    ("last", "first"),
    [(date(2028, 7, 1), date(2026, 7, 1)), (date(2028, 2, 29), date(2026, 3, 1))],
)
def test_earliest_day_is_the_inverse_of_latest_day(last: date, first: date) -> None:
    assert earliest_day(last) == first
    assert latest_day(first) >= last > latest_day(first - timedelta(days=1))


@given(st.dates(min_value=date(2002, 1, 1), max_value=date(2098, 12, 31)))
def test_earliest_day_reaches_exactly_its_day(last: date) -> None:
    first = earliest_day(last)
    assert latest_day(first) >= last > latest_day(first - timedelta(days=1))


KITA_YEAR_DAYS = [date(2026, 9, 1), date(2027, 3, 2), date(2027, 7, 6)]


@pytest.mark.parametrize(
    "day", [date(2026, 12, 1), date(2028, 9, 1), date(2025, 7, 6), date(2026, 9, 1)]
)
def test_a_session_moved_within_the_cohorts_span_is_fine(day: date) -> None:
    check_moved_day(day, others=KITA_YEAR_DAYS, today=date(2026, 8, 1), field="starts_at")


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2028, 9, 2), "2028-09-01 at the latest"),
        (date(2025, 7, 5), "2025-07-06 at the earliest"),
    ],
)
def test_a_session_moved_beyond_the_cohorts_span_is_refused(day: date, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_moved_day(day, others=KITA_YEAR_DAYS, today=date(2026, 8, 1), field="starts_at")
    assert refused.value.field == "starts_at"
    assert words in refused.value.message


def test_a_lone_session_goes_at_most_the_span_beyond_today() -> None:
    today = date(2026, 11, 25)
    check_moved_day(date(2028, 11, 25), others=[], today=today, field="starts_at")
    with pytest.raises(InvalidInput) as refused:
        check_moved_day(date(2028, 11, 26), others=[], today=today, field="starts_at")
    assert "2028-11-25 at the latest" in refused.value.message
