"""The people who take part: families (guardians and children) and public registrants.

Every personal field here is covered by export and erasure; `anonymised_at` marks a row
whose personal data was erased while its anonymous counts remain for funders' reports.
"""

from __future__ import annotations

from piccolo.columns import (
    Array,
    Boolean,
    Date,
    ForeignKey,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.table import Table

from programmes.tables.places import Kita
from programmes.vocabulary import Language


class Family(Table, tablename="family"):
    """A family enrolled by the partner staff of its KiTa."""

    id: Serial

    kita = ForeignKey(references=Kita, on_delete=OnDelete.restrict, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    anonymised_at = Timestamptz(null=True, default=None)


class Guardian(Table, tablename="guardian"):
    """A parent or guardian. Phone and e-mail are optional: many families have neither,
    in which case `reach_via_kita` says the KiTa passes messages on."""

    id: Serial

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=200)
    languages = Array(base_column=Varchar(length=100))
    phone = Varchar(length=50, default="")
    email = Varchar(length=254, default="")
    reach_via_kita = Boolean(default=False)


class Child(Table, tablename="child"):
    """A child of an enrolled family; only the first name and date of birth are kept."""

    id: Serial

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, null=False)
    first_name = Varchar(length=100)
    date_of_birth = Date()


class Person(Table, tablename="person"):
    """A member of the public who registered for a training or an info event."""

    @classmethod
    def get_readable(cls) -> Readable:
        """How the back office names a row where another row points to it."""
        return Readable(template="%s", columns=[cls.name])

    id: Serial

    name = Varchar(length=200)
    email = Varchar(length=254)
    phone = Varchar(length=50, default="")
    language = Varchar(length=2, choices=Language, default=Language.de.value)
    created_at = Timestamptz(default=TimestamptzNow())
    anonymised_at = Timestamptz(null=True, default=None)
