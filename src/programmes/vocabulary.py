"""The fixed words of the data model, shared by tables, domain and web.

They are `StrEnum`s so that they compare equal to the strings stored in the database and
serialise as plain strings in JSON.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    coordinator = "coordinator"
    partner = "partner"
    trainer = "trainer"


class ProgrammeKind(StrEnum):
    rucksack = "rucksack"
    training = "training"
    info_event = "info_event"


class PublicationStatus(StrEnum):
    """Life cycle of a programme or cohort: drafted, published, then archived."""

    draft = "draft"
    published = "published"
    cancelled = "cancelled"
    archived = "archived"


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class RegistrationStatus(StrEnum):
    confirmed = "confirmed"
    waiting = "waiting"
    cancelled = "cancelled"


class ConsentMethod(StrEnum):
    """How consent to the privacy notice was given."""

    online = "online"
    paper = "paper"
    verbal = "verbal"


class AttendanceMark(StrEnum):
    present = "present"
    excused = "excused"
    absent = "absent"


class ClosureSource(StrEnum):
    manual = "manual"
    ical = "ical"


class CalendarPause(StrEnum):
    """Whether a cohort's sessions pause during the organisation's closure calendars."""

    inherit = "inherit"  #: as its programme chooses
    pause = "pause"  #: during every organisation calendar
    meet = "meet"  #: during none


class Language(StrEnum):
    """Languages the service speaks on public pages and in mails, German (the default) first.
    Adding one: a line here and its catalogue `locale/<code>/LC_MESSAGES/messages.po`."""

    de = "de"
    en = "en"
    tr = "tr"
    ar = "ar"
