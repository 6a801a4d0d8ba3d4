"""The publication rule at its home: for every run status × programme status × public flag ×
kind, the rule read on a row and the rule as a where-clause agree with the table below, and
registration follows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from programmes.domain.catalogue.publication import (
    ENROLLED,
    LISTED,
    PRIVATE_FEED,
    PUBLIC_FEED,
    REGISTRATION,
    RegistrationState,
    Shown,
    entry_url,
    registration_state,
)
from programmes.domain.enrolment import registrations
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.enrolment.registrations import PersonInput
from programmes.domain.errors import Conflict, NotFound
from programmes.domain.feeds.scopes import RunScope, SessionRow
from programmes.tables import Cohort, Outbox, Registration
from programmes.vocabulary import ProgrammeKind, PublicationStatus
from tests.conftest import FROZEN_NOW
from tests.factories import make_cohort, make_programme, make_session
from tests.publication_table import COMBINATIONS, EXPECTED_STATUSES, combination_id, expected

BASE = "https://programme.example.org"


async def make_run(
    run: PublicationStatus, programme: PublicationStatus, is_public: bool, kind: ProgrammeKind
) -> int:
    programme_id = await make_programme(kind, is_public=is_public, status=programme)
    cohort_id = await make_cohort(programme_id, status=run)
    await make_session(cohort_id, starts_at=FROZEN_NOW + timedelta(days=10))
    return cohort_id


async def row_of(cohort_id: int) -> SessionRow:
    """The run's session as every feed reads it (ENROLLED shows every run)."""
    (row,) = await RunScope(cohort_id, shown=ENROLLED).rows()
    return row


def test_public_feeds_show_exactly_the_listed_runs() -> None:
    """Every public entry links to its event page, which only listed runs have."""
    assert PUBLIC_FEED == LISTED


def test_the_table_names_every_rule() -> None:
    assert {s.name for s in (LISTED, REGISTRATION, PRIVATE_FEED, ENROLLED)} == set(
        EXPECTED_STATUSES
    )


@pytest.mark.parametrize(
    ("run", "programme", "is_public", "kind"), COMBINATIONS, ids=map(combination_id, COMBINATIONS)
)
async def test_rule_on_a_row_and_in_sql_agree_with_the_table(
    run: PublicationStatus, programme: PublicationStatus, is_public: bool, kind: ProgrammeKind
) -> None:
    cohort_id = await make_run(run, programme, is_public, kind)
    row = await row_of(cohort_id)
    rules: tuple[Shown, ...] = (LISTED, REGISTRATION, PRIVATE_FEED, ENROLLED)
    for rule in rules:
        want = expected(rule.name, run, programme, is_public, kind)
        assert rule.shows(row) is want, rule.name
        in_sql = await Cohort.exists().where((Cohort.id == cohort_id) & rule.where(Cohort))
        assert in_sql is want, rule.name
        rows = await RunScope(cohort_id, shown=rule).rows()
        assert bool(rows) is want, rule.name

    listed = expected("listed", run, programme, is_public, kind)
    page = f"{BASE}/events/{cohort_id}"
    staff_page = f"{BASE}/staff/cohorts/{cohort_id}"
    assert entry_url(row, base_url=BASE, for_staff=False) == (page if listed else None)
    assert entry_url(row, base_url=BASE, for_staff=True) == (page if listed else staff_page)


@pytest.mark.parametrize(
    ("run", "programme", "is_public", "kind"), COMBINATIONS, ids=map(combination_id, COMBINATIONS)
)
async def test_registration_follows_the_rule(
    run: PublicationStatus, programme: PublicationStatus, is_public: bool, kind: ProgrammeKind
) -> None:
    cohort_id = await make_run(run, programme, is_public, kind)
    mail = MailContext(base_url=BASE, now=FROZEN_NOW)
    data = PersonInput(name="Jana Becker", email="jana@example.org", consent=True)
    register = registrations.register_person(
        cohort_id=cohort_id, data=data, notice_version="test", mail=mail
    )
    if expected("registration", run, programme, is_public, kind):
        outcome = await register
        assert outcome.status == "confirmed"
        return
    if expected("listed", run, programme, is_public, kind):  # listed, so cancelled
        with pytest.raises(Conflict) as refused:
            await register
        assert refused.value.message == "This event has been cancelled."
    else:
        with pytest.raises(NotFound):
            await register
    assert await Registration.count() == 0 and await Outbox.count() == 0


class _Run:
    """A bare row with the rule's facts, for the rule's timing part."""

    cohort_id = 1
    cohort_status = "published"
    programme_status = "published"
    programme_kind = "training"
    programme_is_public = True


class _Date:
    def __init__(self, days: float, *, cancelled: bool = False) -> None:
        self.starts_at = FROZEN_NOW + timedelta(days=days)
        self.cancelled = cancelled


@pytest.mark.parametrize(
    ("opens", "closes", "dates", "state"),
    [
        (None, None, [_Date(3)], RegistrationState.open),
        (-1, 1, [_Date(3)], RegistrationState.open),
        (1, None, [_Date(3)], RegistrationState.not_yet),
        (None, -1, [_Date(3)], RegistrationState.closed),
        (None, 0, [_Date(3)], RegistrationState.closed),  # the end itself is closed
        (None, None, [_Date(-3), _Date(3, cancelled=True)], RegistrationState.over),
        (None, None, [], RegistrationState.over),
    ],
)
def test_registration_period_and_dates(
    opens: float | None, closes: float | None, dates: list[_Date], state: RegistrationState
) -> None:
    def at(days: float | None) -> object:
        return None if days is None else FROZEN_NOW + timedelta(days=days)

    assert (
        registration_state(
            _Run(),
            opens_at=at(opens),  # type: ignore[arg-type]
            closes_at=at(closes),  # type: ignore[arg-type]
            dates=dates,
            now=FROZEN_NOW,
        )
        is state
    )


async def test_status_values_are_bound_as_parameters_not_written_into_sql() -> None:
    for rule in (LISTED, REGISTRATION, PRIVATE_FEED, ENROLLED):
        query = Cohort.select(Cohort.id).where(rule.where(Cohort))
        sql = str(query.querystrings[0].compile_string(engine_type="sqlite")[0])
        for status in PublicationStatus:
            assert f"'{status.value}'" not in sql, (rule.name, sql)
        for kind in ProgrammeKind:
            assert f"'{kind.value}'" not in sql, (rule.name, sql)
