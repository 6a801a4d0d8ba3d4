"""KiTas (partner kindergartens), the days they are closed, and the places where cohorts
and sessions meet."""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from programmes.vocabulary import ClosureSource


class Kita(Table, tablename="kita"):
    """A partner kindergarten. Partner staff accounts are bound to exactly one."""

    @classmethod
    def get_readable(cls) -> Readable:
        """How the back office names a row where another row points to it."""
        return Readable(template="%s", columns=[cls.name])

    id: Serial

    name = Varchar(length=200, unique=True)
    address = Varchar(length=300, default="")
    closures_ical_url = Varchar(length=2000, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    archived_at = Timestamptz(null=True, default=None)


class ClosureDay(Table, tablename="closure_day"):
    """A day or an inclusive range of days on which a KiTa is closed."""

    id: Serial

    kita = ForeignKey(references=Kita, on_delete=OnDelete.cascade, null=False)
    first_day = Date()
    last_day = Date()
    reason = Varchar(length=200)
    source = Varchar(length=20, choices=ClosureSource, default=ClosureSource.manual.value)
    source_uid = Varchar(length=500, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

    closure_day_range = Check("last_day >= first_day")
    closure_day_import_unique = Unique(["kita", "source_uid"])


class Place(Table, tablename="place"):
    """Where cohorts and sessions meet: a name and an address, and the coordinates when
    known (calendars then show a map). Cohorts and sessions keep the place's label in their
    `location` too, which mails, pages and older API clients read (`catalogue.places`)."""

    id: Serial

    name = Varchar(length=200)
    street = Varchar(length=200, default="")
    postcode = Varchar(length=10, default="")
    #: Empty only for places made from the free text of before (a coordinator fills it in).
    town = Varchar(length=100, default="")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)  # feeds: Last-Modified


class OrgCalendar(Table, tablename="org_calendar"):
    """A closure calendar of the whole organisation (e.g. "Schulferien NRW"): its days come
    from an iCal address or are entered by hand; programmes and cohorts choose whether their
    sessions pause during it (`planning.org_closures`)."""

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.name])

    id: Serial

    name = Varchar(length=100, unique=True)
    ical_url = Varchar(length=2000, null=True, default=None)
    #: School holidays: Rucksack programmes pause during it unless they chose otherwise.
    school_holidays = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class OrgClosure(Table, tablename="org_closure"):
    """A day or an inclusive range of days of an organisation calendar."""

    id: Serial

    calendar = ForeignKey(references=OrgCalendar, on_delete=OnDelete.cascade, null=False)
    first_day = Date()
    last_day = Date()
    reason = Varchar(length=200)
    source = Varchar(length=20, choices=ClosureSource, default=ClosureSource.manual.value)
    source_uid = Varchar(length=500, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

    org_closure_range = Check("last_day >= first_day")
    org_closure_import_unique = Unique(["calendar", "source_uid"])
