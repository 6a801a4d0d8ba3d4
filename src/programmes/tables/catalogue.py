"""What the office offers: programmes, their cohorts (runs) and the dated sessions."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Array,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from programmes.tables.accounts import Account
from programmes.tables.places import Kita, OrgCalendar, Place
from programmes.vocabulary import (
    CalendarPause,
    ProgrammeKind,
    PublicationStatus,
    SessionStatus,
)


class Programme(Table, tablename="programme"):
    """What is offered: a Rucksack KiTa parent group, a training or an info event."""

    @classmethod
    def get_readable(cls) -> Readable:
        """How the back office names a row where another row points to it."""
        return Readable(template="%s", columns=[cls.title])

    id: Serial

    kind = Varchar(length=20, choices=ProgrammeKind)
    title = Varchar(length=200)
    title_en = Varchar(length=200, default="")
    summary = Text(default="")
    summary_en = Text(default="")
    #: Whom it is for and what it costs, as the public event page says it ("" : not said).
    audience = Text(default="")
    cost = Varchar(length=200, default="")
    #: Title and summary in further languages: {"tr": {"title": …, "summary": …}, …}
    #: (`domain/catalogue/translations.py`).
    translations = JSON(default="{}")
    is_public = Boolean(default=False)
    status = Varchar(length=20, choices=PublicationStatus, default=PublicationStatus.draft.value)
    min_age_years = Integer(null=True, default=None)
    max_age_years = Integer(null=True, default=None)
    certificate_threshold_percent = Integer(default=75)
    themes = Array(base_column=Varchar(length=200))
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)  # feeds: MAX(updated_at)

    programme_threshold_range = Check("certificate_threshold_percent BETWEEN 1 AND 100")
    programme_age_range = Check(
        "min_age_years IS NULL OR max_age_years IS NULL OR min_age_years <= max_age_years"
    )


class Cohort(Table, tablename="cohort"):
    """One group of a programme (a "run" for trainings and events).

    `seats_taken` counts confirmed seats (families for Rucksack cohorts). It is only ever
    changed by a conditional UPDATE, and the CHECK below makes overbooking impossible even
    if a bug tried.
    """

    @classmethod
    def get_readable(cls) -> Readable:
        """How the back office names a row where another row points to it."""
        return Readable(template="%s", columns=[cls.title])

    id: Serial

    programme = ForeignKey(references=Programme, on_delete=OnDelete.restrict, null=False)
    kita = ForeignKey(references=Kita, null=True, default=None, on_delete=OnDelete.restrict)
    title = Varchar(length=200)
    #: The title in other languages: {"en": {"title": …}, …} (`catalogue/translations.py`).
    translations = JSON(default="{}")
    language = Varchar(length=100, default="Deutsch")
    location = Varchar(length=300, default="")  # the place's label, or free text
    place = ForeignKey(references=Place, null=True, default=None, on_delete=OnDelete.restrict)
    capacity = Integer(null=True, default=None)
    seats_taken = Integer(default=0)
    #: Last waiting-list position handed out; incremented under the cohort's row lock.
    waiting_counter = Integer(default=0)
    max_seats_per_registration = Integer(default=1)
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    status = Varchar(length=20, choices=PublicationStatus, default=PublicationStatus.draft.value)
    schedule_rule = JSON(null=True, default=None)
    #: Pauses during the organisation calendars: as the programme chooses, always or never.
    calendar_pause = Varchar(length=20, choices=CalendarPause, default=CalendarPause.inherit.value)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)  # feeds: MAX(updated_at)

    cohort_seats_within_capacity = Check(
        "seats_taken >= 0 AND (capacity IS NULL OR seats_taken <= capacity)"
    )
    cohort_capacity_positive = Check("capacity IS NULL OR capacity >= 0")
    cohort_max_seats_range = Check("max_seats_per_registration BETWEEN 1 AND 50")


class CohortTrainer(Table, tablename="cohort_trainer"):
    """A facilitator (trainer account) who leads a cohort."""

    id: Serial

    cohort = ForeignKey(references=Cohort, on_delete=OnDelete.cascade, null=False)
    trainer = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)

    cohort_trainer_unique = Unique(["cohort", "trainer"])


class Session(Table, tablename="cohort_session"):
    """One dated meeting of a cohort.

    Its id is its identity in every calendar (UID); a move or a cancellation keeps the id,
    raises `sequence` and sets `updated_at`, which calendar feeds use as LAST-MODIFIED.
    """

    @classmethod
    def get_readable(cls) -> Readable:
        """How the back office names a row where another row points to it."""
        return Readable(template="%s, #%s", columns=[cls.cohort.title, cls.id])

    id: Serial

    cohort = ForeignKey(references=Cohort, on_delete=OnDelete.cascade, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    location = Varchar(length=300, default="")  # the place's label, or free text
    place = ForeignKey(references=Place, null=True, default=None, on_delete=OnDelete.restrict)
    theme = Varchar(length=200, null=True, default=None)
    note = Text(default="")
    status = Varchar(length=20, choices=SessionStatus, default=SessionStatus.scheduled.value)
    cancel_reason = Varchar(length=300, default="")  # internal: staff pages and feeds
    public_cancel_note = Varchar(length=300, default="")  # what the public sees and is sent
    substitute = ForeignKey(
        references=Account, null=True, default=None, on_delete=OnDelete.set_null
    )
    sequence = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)  # feeds: MAX(updated_at)

    session_ends_after_start = Check("ends_at > starts_at")
    session_sequence_positive = Check("sequence >= 0")


class ProgrammePause(Table, tablename="programme_pause"):
    """A programme's own choice whether its sessions pause during an organisation calendar
    (no row: the default of `planning.org_closures.pauses_by_default`)."""

    id: Serial

    programme = ForeignKey(references=Programme, on_delete=OnDelete.cascade, null=False)
    calendar = ForeignKey(references=OrgCalendar, on_delete=OnDelete.cascade, null=False)
    pauses = Boolean(default=True)

    programme_pause_unique = Unique(["programme", "calendar"])
