"""Turn a cohort's weekly meeting rule into dated sessions, in Berlin local time.

Why this exists
---------------
A Rucksack KiTa cohort meets about 36 times in a KiTa year. Coordinators used to type those
dates into a spreadsheet by hand, checking a paper calendar for public holidays and the KiTa's
closure days. Here they describe the meetings once, as a *restricted* weekly rule (which
weekdays, what time, how long, from when, until when or how many times), and this module turns
the rule into a :class:`SchedulePreview`: every session that will be created and every date
that was left out, with the reason, so that the coordinator can check the plan before anything
is stored.

Design decisions
----------------
* **A restricted rule, never a raw RRULE.** The rule only covers what the programmes need, so
  every input can be checked with a message naming the field, and expansion is bounded.
* **Wall-clock time.** A group that meets at 09:00 meets at 09:00 in Europe/Berlin all year:
  the UTC offset changes with daylight saving time (+01:00 in winter, +02:00 in summer).
* **Daylight-saving gap** (last Sunday of March, 02:00-03:00 does not exist): a session that
  would *start* in the gap is refused (field ``start_time``, naming the date), because any
  silent shift would put a wrong time on the printed list. A session *end* in the gap is read
  with the offset before the gap (RFC 5545, 3.3.5), i.e. it moves one hour later.
* **Daylight-saving fold** (last Sunday of October, 02:00-03:00 happens twice): an ambiguous
  start or end is resolved to the **first occurrence**, i.e. still summer time (+02:00,
  ``fold=0``), as RFC 5545 does.
* **Caps** (:data:`MAX_SESSIONS` sessions per cohort, :data:`MAX_WEEKDAYS` weekdays,
  every 1..:data:`MAX_EVERY_WEEKS` weeks, :data:`MAX_DURATION` per session, a span of at most
  :data:`MAX_SPAN_YEARS` years) keep every plan reviewable and every expansion small. A
  single session moved later stays within the same span (:func:`check_moved_day`).
* **Never runs away.** Expansion walks week by week over a window of at most two years
  (at most 106 weeks x 3 weekdays candidate dates) whatever the input; a ``last_day`` rule stops
  as soon as it would exceed the session cap, a ``count`` rule as soon as it has its sessions.
* **Pure.** No database, clock or network: the NRW holiday calendar comes from the ``holidays``
  package, the KiTa's closure days are passed in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final

from holidays.countries.germany import Germany

from programmes.clock import BERLIN
from programmes.domain.errors import N_, InvalidInput
from programmes.domain.types import check_day

__all__ = [
    "CLOSED_PREFIX",
    "HOLIDAY_PREFIX",
    "MAX_DURATION",
    "MAX_EVERY_WEEKS",
    "MAX_SESSIONS",
    "MAX_SPAN_YEARS",
    "MAX_WEEKDAYS",
    "Closure",
    "PlannedSession",
    "SchedulePreview",
    "SkippedDate",
    "WeeklyRule",
    "assign_themes",
    "check_moved_day",
    "earliest_day",
    "expand_rule",
    "latest_day",
    "public_holidays",
    "to_berlin",
    "validate_closure",
    "validate_rule",
]

MAX_SESSIONS: Final = 60
MAX_WEEKDAYS: Final = 3
MAX_EVERY_WEEKS: Final = 4
MAX_DURATION: Final = timedelta(hours=12)
MAX_SPAN_YEARS: Final = 2
#: How a skipped closure day is explained, in German like the holidays' names.
CLOSED_PREFIX: Final = "KiTa geschlossen: "
#: How a skipped public holiday is explained: "Feiertag: Neujahr".
HOLIDAY_PREFIX: Final = "Feiertag: "


@dataclass(frozen=True)
class WeeklyRule:
    """When a cohort meets: some weekdays, at one local time, for a number of weeks.

    Exactly one of ``last_day`` and ``count`` is given. ``count`` is the number of sessions
    to create; skipped dates do not count towards it.
    """

    weekdays: tuple[int, ...]  # 0 = Monday ... 6 = Sunday, like date.weekday()
    start_time: time  # naive local wall-clock time in Europe/Berlin
    duration: timedelta
    first_day: date
    last_day: date | None = None
    count: int | None = None
    every_weeks: int = 1  # every N weeks, counted from the (Monday-based) week of first_day


@dataclass(frozen=True)
class Closure:
    """A day or range of days (both inclusive) on which the KiTa is closed, or on which
    the cohort pauses for an organisation calendar (``prefix`` then names the calendar,
    e.g. ``"Schulferien NRW: "``)."""

    first_day: date
    last_day: date
    reason: str  # e.g. "Betriebsausflug"
    prefix: str = CLOSED_PREFIX


@dataclass(frozen=True)
class PlannedSession:
    """One session that the rule will create; both datetimes are aware, in :data:`BERLIN`."""

    starts_at: datetime
    ends_at: datetime
    theme: str | None


@dataclass(frozen=True)
class SkippedDate:
    """A date the rule matched but left out: a public holiday or a KiTa closure day."""

    day: date
    #: "Feiertag: Fronleichnam", "KiTa geschlossen: <reason>" or "<calendar>: <reason>"
    reason: str


@dataclass(frozen=True)
class SchedulePreview:
    """What expansion will create and what it left out, both in date order."""

    sessions: tuple[PlannedSession, ...]
    skipped: tuple[SkippedDate, ...]


# --------------------------------------------------------------------------- validation


def validate_rule(rule: WeeklyRule) -> None:
    """Refuse a rule that is malformed or over a cap; each error names the rule's field.

    Checks what can be known from the rule alone. The session cap for a ``last_day`` rule
    and the two-year cap for a ``count`` rule depend on the skipped dates, so
    :func:`expand_rule` enforces those (it calls this function first).
    Neither ``last_day`` nor ``count`` is reported on ``last_day``; both on ``count``.
    """
    _check_weekdays(rule.weekdays)
    _check_start_time(rule.start_time)
    _check_duration(rule.duration)
    _check_every_weeks(rule.every_weeks)
    _check_day(rule.first_day, "first_day")
    _check_end(rule)


def validate_closure(closure: Closure) -> None:
    """Refuse a closure whose dates are not dates, are out of order, or that has no reason."""
    _check_day(closure.first_day, "first_day")
    _check_day(closure.last_day, "last_day")
    if closure.last_day < closure.first_day:
        raise InvalidInput(
            N_("last_day (%(last)s) must not be before first_day (%(first)s)."),
            field="last_day",
            last=closure.last_day.isoformat(),
            first=closure.first_day.isoformat(),
        )
    if not isinstance(closure.reason, str) or not closure.reason.strip():
        raise InvalidInput(N_("reason must say why the KiTa is closed."), field="reason")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_weekdays(weekdays: Sequence[int]) -> None:
    days = tuple(weekdays)
    if not days:
        raise InvalidInput(N_("weekdays must name at least one weekday."), field="weekdays")
    if not all(_is_int(day) and 0 <= day <= 6 for day in days):
        raise InvalidInput(
            N_("weekdays must be numbers from 0 (Monday) to 6 (Sunday)."), field="weekdays"
        )
    if len(set(days)) != len(days):
        raise InvalidInput(N_("weekdays must not repeat a weekday."), field="weekdays")
    if len(days) > MAX_WEEKDAYS:
        raise InvalidInput(
            N_("weekdays: at most %(max)s weekdays per rule (got %(n)s)."),
            field="weekdays",
            max=MAX_WEEKDAYS,
            n=len(days),
        )


def _check_start_time(start_time: time) -> None:
    if not isinstance(start_time, time):
        raise InvalidInput(N_("start_time must be a time of day."), field="start_time")
    if start_time.tzinfo is not None:
        raise InvalidInput(
            N_("start_time must be a local Europe/Berlin wall-clock time without a time zone."),
            field="start_time",
        )


def _check_duration(duration: timedelta) -> None:
    if not isinstance(duration, timedelta) or duration <= timedelta(0):
        raise InvalidInput(N_("duration must be longer than zero."), field="duration")
    if duration > MAX_DURATION:
        hours = int(MAX_DURATION.total_seconds() // 3600)
        raise InvalidInput(
            N_("duration must be at most %(hours)s hours."), field="duration", hours=hours
        )


def _check_every_weeks(every_weeks: int) -> None:
    if not _is_int(every_weeks) or not 1 <= every_weeks <= MAX_EVERY_WEEKS:
        raise InvalidInput(
            N_("every_weeks must be a whole number from 1 to %(max)s."),
            field="every_weeks",
            max=MAX_EVERY_WEEKS,
        )


def _check_day(day: date, field: str) -> None:
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidInput(
            N_("%(name)s must be a calendar date (without a time)."), field=field, name=field
        )
    check_day(day, field=field)


def _check_end(rule: WeeklyRule) -> None:
    if rule.last_day is None and rule.count is None:
        raise InvalidInput(
            N_("Give either last_day or count (the number of sessions)."), field="last_day"
        )
    if rule.last_day is not None and rule.count is not None:
        raise InvalidInput(N_("Give either last_day or count, not both."), field="count")
    if rule.count is not None:
        _check_count(rule.count)
    if rule.last_day is not None:
        _check_last_day(rule.first_day, rule.last_day)


def _check_count(count: int) -> None:
    if not _is_int(count) or not 1 <= count <= MAX_SESSIONS:
        raise InvalidInput(
            N_("count must be from 1 to %(max)s (at most %(max)s sessions per cohort)."),
            field="count",
            max=MAX_SESSIONS,
        )


def _check_last_day(first_day: date, last_day: date) -> None:
    _check_day(last_day, "last_day")
    if last_day < first_day:
        raise InvalidInput(
            N_("last_day (%(last)s) must not be before first_day (%(first)s)."),
            field="last_day",
            last=last_day.isoformat(),
            first=first_day.isoformat(),
        )
    if last_day > latest_day(first_day):
        raise InvalidInput(
            N_(
                "last_day must be at most %(years)s years after first_day "
                "(at the latest %(latest)s)."
            ),
            field="last_day",
            years=MAX_SPAN_YEARS,
            latest=latest_day(first_day).isoformat(),
        )


def latest_day(first_day: date) -> date:
    """The last day a rule starting on ``first_day`` may reach: :data:`MAX_SPAN_YEARS` on.

    29 February moves to 28 February when the target year has no leap day.
    """
    year = first_day.year + MAX_SPAN_YEARS
    try:
        return first_day.replace(year=year)
    except ValueError:  # 29 February -> no such day in `year`
        return date(year, 2, 28)


def earliest_day(last_day: date) -> date:
    """The first day from which a rule may reach ``last_day``: the inverse of
    :func:`latest_day` (``latest_day(earliest_day(d)) >= d`` and no earlier day has it)."""
    year = last_day.year - MAX_SPAN_YEARS
    try:
        return last_day.replace(year=year)
    except ValueError:  # 29 February: from 28 February a rule reaches 28 February only
        return date(year, 3, 1)


def check_moved_day(day: date, *, others: Sequence[date], today: date, field: str) -> None:
    """A session moved to ``day`` must stay where a weekly rule could have put it.

    A rule spans at most :data:`MAX_SPAN_YEARS` years, so the cohort's sessions (``others``,
    its other scheduled sessions) together with the moved one must too: a move cannot carry
    a session further out than saving a schedule could. A session with no others (a
    one-day event) may go at most :data:`MAX_SPAN_YEARS` years beyond ``today``, so that
    moving it again and again cannot walk it away either. Refused naming ``field``.
    """
    if not others:
        latest = latest_day(today)
        if day > latest:
            raise InvalidInput(
                N_(
                    "A session can be moved at most %(years)s years ahead, as far as a "
                    "schedule reaches: to %(latest)s at the latest."
                ),
                field=field,
                years=MAX_SPAN_YEARS,
                latest=latest.isoformat(),
            )
        return
    latest, earliest = latest_day(min(others)), earliest_day(max(others))
    if day > latest:
        raise InvalidInput(
            N_(
                "A cohort's sessions lie within %(years)s years, as far as a schedule reaches: "
                "this session can be moved to %(latest)s at the latest."
            ),
            field=field,
            years=MAX_SPAN_YEARS,
            latest=latest.isoformat(),
        )
    if day < earliest:
        raise InvalidInput(
            N_(
                "A cohort's sessions lie within %(years)s years, as far as a schedule reaches: "
                "this session can be moved to %(earliest)s at the earliest."
            ),
            field=field,
            years=MAX_SPAN_YEARS,
            earliest=earliest.isoformat(),
        )


# --------------------------------------------------------------------------- time zones


def to_berlin(day: date, wall_time: time, *, field: str = "start_time") -> datetime:
    """The aware Europe/Berlin datetime showing ``wall_time`` on the clock on ``day``.

    A time in the spring daylight-saving gap does not exist and is refused (naming ``field``
    and the date). A time in the autumn fold exists twice and is resolved to the **first
    occurrence**, still summer time (+02:00, ``fold=0``).
    """
    if wall_time.tzinfo is not None:
        raise InvalidInput(N_("%(name)s must not carry a time zone."), field=field, name=field)
    local = datetime.combine(day, wall_time).replace(tzinfo=BERLIN, fold=0)
    if _normalised(local).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise InvalidInput(
            N_(
                "%(name)s %(time)s does not exist on %(day)s in Europe/Berlin: the clocks "
                "jump forward an hour that night (summer time starts). Choose a time outside "
                "that hour."
            ),
            field=field,
            name=field,
            time=f"{wall_time:%H:%M}",
            day=day.isoformat(),
        )
    return local


def _normalised(local: datetime) -> datetime:
    """Round-trip through UTC: a gap time moves forward, an existing time stays put."""
    return local.astimezone(UTC).astimezone(BERLIN)


def _session_end(starts_at: datetime, duration: timedelta) -> datetime:
    """Wall-clock end of a session: start time on the clock plus ``duration``.

    An ambiguous end resolves to its first occurrence (``fold=0``); an end in the gap is read
    with the offset before the gap (RFC 5545), which moves it one hour later.
    """
    wall_end = starts_at.replace(tzinfo=None) + duration
    return _normalised(wall_end.replace(tzinfo=BERLIN, fold=0))


# --------------------------------------------------------------------------- holidays


@lru_cache(maxsize=32)
def _nrw_holidays(first_year: int, last_year: int) -> Mapping[date, str]:
    """NRW public holidays of the given years, with their German names."""
    calendar = Germany(subdiv="NW", language="de", years=range(first_year, last_year + 1))
    return MappingProxyType(dict(calendar.items()))


def public_holidays(first_day: date, last_day: date) -> Mapping[date, str]:
    """NRW public holidays (German names) in the years from ``first_day`` to ``last_day``."""
    return _nrw_holidays(first_day.year, last_day.year)


# --------------------------------------------------------------------------- expansion


def expand_rule(
    rule: WeeklyRule,
    *,
    closures: Sequence[Closure] = (),
    themes: Sequence[str] = (),
    sessions_per_theme: int = 3,
    skip_public_holidays: bool = True,
) -> SchedulePreview:
    """Expand ``rule`` into sessions, skipping NRW public holidays and KiTa closure days.

    Raises :class:`InvalidInput` for a bad rule, closure or theme list; for a ``last_day``
    rule that would create more than :data:`MAX_SESSIONS` sessions (field ``last_day``); for
    a ``count`` rule whose sessions do not fit within :data:`MAX_SPAN_YEARS` years once
    dates are skipped (field ``count``); and for a session starting in the daylight-saving
    gap (field ``start_time``). Themes go to created sessions in order,
    ``sessions_per_theme`` each; a skipped date uses no theme slot.
    """
    validate_rule(rule)
    _check_closures(closures)
    assign_themes(0, themes, sessions_per_theme)  # refuse a bad theme list before expanding
    window_end = rule.last_day if rule.last_day is not None else latest_day(rule.first_day)
    holiday_names = public_holidays(rule.first_day, window_end) if skip_public_holidays else {}
    in_window = [c for c in closures if c.first_day <= window_end and c.last_day >= rule.first_day]
    days, skipped = _pick_days(rule, window_end, holiday_names, in_window)
    _check_session_caps(rule, len(days))
    theme_list = assign_themes(len(days), themes, sessions_per_theme)
    sessions = tuple(_plan(rule, day, theme) for day, theme in zip(days, theme_list, strict=True))
    return SchedulePreview(sessions=sessions, skipped=tuple(skipped))


def _check_closures(closures: Sequence[Closure]) -> None:
    for index, closure in enumerate(closures):
        try:
            validate_closure(closure)
        except InvalidInput as error:
            raise InvalidInput(
                N_("closures: closure %(n)s: %(problem)s"),
                field="closures",
                n=index + 1,
                problem=error.message,
            ) from error


def _candidate_days(rule: WeeklyRule, window_end: date) -> Iterator[date]:
    """The dates matched by weekday and week interval, in order; at most ~106 weeks' worth."""
    first_monday = rule.first_day - timedelta(days=rule.first_day.weekday())
    weeks_in_window = (window_end - first_monday).days // 7 + 1
    weekdays = sorted(rule.weekdays)
    for week in range(0, weeks_in_window, rule.every_weeks):
        monday = first_monday + timedelta(weeks=week)
        for weekday in weekdays:
            day = monday + timedelta(days=weekday)
            if rule.first_day <= day <= window_end:
                yield day


def _pick_days(
    rule: WeeklyRule,
    window_end: date,
    holiday_names: Mapping[date, str],
    closures: Sequence[Closure],
) -> tuple[list[date], list[SkippedDate]]:
    """Split candidate dates into session days and skipped dates.

    Stops once a ``count`` rule has its sessions, or once a ``last_day`` rule has one more
    than the cap (enough to refuse it).
    """
    wanted = rule.count if rule.count is not None else MAX_SESSIONS + 1
    days: list[date] = []
    skipped: list[SkippedDate] = []
    for day in _candidate_days(rule, window_end):
        reason = _skip_reason(day, holiday_names, closures)
        if reason is not None:
            skipped.append(SkippedDate(day=day, reason=reason))
            continue
        days.append(day)
        if len(days) >= wanted:
            break
    return days, skipped


def _skip_reason(
    day: date, holiday_names: Mapping[date, str], closures: Sequence[Closure]
) -> str | None:
    """Why ``day`` is left out: a public holiday wins over a closure, and closures are asked
    in the order given (KiTa closures before organisation calendars); ``None`` if it is not."""
    holiday = holiday_names.get(day)
    if holiday is not None:
        return f"{HOLIDAY_PREFIX}{holiday}"
    for closure in closures:
        if closure.first_day <= day <= closure.last_day:
            return f"{closure.prefix}{closure.reason.strip()}"
    return None


def _check_session_caps(rule: WeeklyRule, created: int) -> None:
    if rule.count is None and created > MAX_SESSIONS:
        raise InvalidInput(
            N_(
                "last_day: this rule would create more than %(max)s sessions (at most %(max)s "
                "sessions per cohort). Choose an earlier last_day, fewer weekdays or a larger "
                "every_weeks."
            ),
            field="last_day",
            max=MAX_SESSIONS,
        )
    if rule.count is not None and created < rule.count:
        raise InvalidInput(
            N_(
                "count: only %(created)s of %(count)s sessions fit within %(years)s years of "
                "first_day (rules may span at most %(years)s years) once holidays and closure "
                "days are skipped. Lower the count or check the closures."
            ),
            field="count",
            created=created,
            count=rule.count,
            years=MAX_SPAN_YEARS,
        )


def _plan(rule: WeeklyRule, day: date, theme: str | None) -> PlannedSession:
    starts_at = to_berlin(day, rule.start_time, field="start_time")
    return PlannedSession(
        starts_at=starts_at, ends_at=_session_end(starts_at, rule.duration), theme=theme
    )


# --------------------------------------------------------------------------- themes


def assign_themes(
    count: int, themes: Sequence[str], sessions_per_theme: int = 3
) -> list[str | None]:
    """Themes for ``count`` sessions in order, ``sessions_per_theme`` each, then ``None``.

    The Rucksack default is 12 themes x 3 sessions. ``count`` is capped at
    :data:`MAX_SESSIONS`.
    """
    if not _is_int(count) or not 0 <= count <= MAX_SESSIONS:
        raise InvalidInput(
            N_("count must be from 0 to %(max)s (at most %(max)s sessions per cohort)."),
            field="count",
            max=MAX_SESSIONS,
        )
    if not _is_int(sessions_per_theme) or sessions_per_theme < 1:
        raise InvalidInput(
            N_("sessions_per_theme must be a whole number of at least 1."),
            field="sessions_per_theme",
        )
    if isinstance(themes, str) or not all(isinstance(t, str) and t.strip() for t in themes):
        raise InvalidInput(N_("themes must be a list of non-empty theme names."), field="themes")
    return [_theme_at(index, themes, sessions_per_theme) for index in range(count)]


def _theme_at(index: int, themes: Sequence[str], sessions_per_theme: int) -> str | None:
    slot = index // sessions_per_theme
    return themes[slot] if slot < len(themes) else None
