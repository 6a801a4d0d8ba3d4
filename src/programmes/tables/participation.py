"""Who takes part in a cohort (registrations) and who came to each session (attendance)."""

from __future__ import annotations

from piccolo.columns import (
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from programmes.tables.accounts import Account
from programmes.tables.catalogue import Cohort, Session
from programmes.tables.people import Family, Person
from programmes.vocabulary import (
    AttendanceMark,
    ConsentMethod,
    Language,
    RegistrationStatus,
)


class Registration(Table, tablename="registration"):
    """A family (Rucksack) or a person (trainings, events) taking part in one cohort.

    One per cohort and family or person (UNIQUE), so retries and double clicks find the
    existing row. `waiting_position` orders the waiting list; the consent columns record
    what the person agreed to, how, when, and who recorded it.
    """

    id: Serial

    cohort = ForeignKey(references=Cohort, on_delete=OnDelete.restrict, null=False)
    family = ForeignKey(references=Family, null=True, default=None, on_delete=OnDelete.restrict)
    person = ForeignKey(references=Person, null=True, default=None, on_delete=OnDelete.restrict)
    seats = Integer(default=1)
    status = Varchar(length=20, choices=RegistrationStatus)
    waiting_position = Integer(null=True, default=None)
    needs = Varchar(length=1000, default="")
    language = Varchar(length=2, choices=Language, default=Language.de.value)
    cancel_token_hash = Varchar(length=64, null=True, default=None, unique=True)
    #: Makes a repeated submission find the first one: "email:<sha256 of the address>" for
    #: public registrations, "form:<token>" for an enrolment form. Cleared on erasure.
    dedupe_key = Varchar(length=100, null=True, default=None)
    consent_notice_version = Varchar(length=50)
    consent_method = Varchar(length=20, choices=ConsentMethod)
    consent_given_on = Date()
    consent_recorded_by = ForeignKey(
        references=Account, null=True, default=None, on_delete=OnDelete.set_null
    )
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)  # feeds: MAX(updated_at)
    cancelled_at = Timestamptz(null=True, default=None)
    #: When the person or family withdrew their consent (no mail for this purpose after).
    consent_withdrawn_at = Timestamptz(null=True, default=None)

    registration_one_per_family = Unique(["cohort", "family"])
    registration_one_per_person = Unique(["cohort", "person"])
    registration_one_per_submission = Unique(["cohort", "dedupe_key"])
    registration_family_or_person = Check("(family IS NULL) <> (person IS NULL)")
    registration_seats_positive = Check("seats >= 1")
    registration_waiting_has_position = Check(
        "(status = 'waiting') = (waiting_position IS NOT NULL)"
    )


class Attendance(Table, tablename="attendance"):
    """Whether a registered participant came to one session, and who recorded it when."""

    id: Serial

    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, null=False)
    registration = ForeignKey(references=Registration, on_delete=OnDelete.cascade, null=False)
    mark = Varchar(length=10, choices=AttendanceMark)
    recorded_by = ForeignKey(
        references=Account, null=True, default=None, on_delete=OnDelete.set_null
    )
    recorded_at = Timestamptz(default=TimestamptzNow())

    attendance_one_per_session = Unique(["session", "registration"])


__all__ = ["Attendance", "Registration"]
