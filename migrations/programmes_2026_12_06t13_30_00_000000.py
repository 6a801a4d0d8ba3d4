from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    Boolean,
    Date,
    ForeignKey,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check, Unique
from piccolo.table import Table

ID = "2026-12-06T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "Organisation closure calendars (school holidays) that programmes and cohorts pause for"
)


def _id_column():
    return Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


class OrgCalendar(Table, tablename="org_calendar", schema=None):
    id = _id_column()


class Programme(Table, tablename="programme", schema=None):
    id = _id_column()


def _params(**extra):
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **extra,
    }


def _foreign_key(references):
    return _params(
        references=references,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        target_column=None,
        default=None,
        null=False,
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="programmes", description=DESCRIPTION)
    tables = {
        ("OrgCalendar", "org_calendar"): (
            ("name", Varchar, {"length": 100, "default": "", "unique": True}),
            ("ical_url", Varchar, {"length": 2000, "default": None, "null": True}),
            ("school_holidays", Boolean, {"default": False}),
            ("created_at", Timestamptz, {"default": TimestamptzNow()}),
            ("updated_at", Timestamptz, {"default": TimestamptzNow()}),
        ),
        ("OrgClosure", "org_closure"): (
            ("calendar", ForeignKey, _foreign_key(OrgCalendar)),
            ("first_day", Date, {"default": DateNow()}),
            ("last_day", Date, {"default": DateNow()}),
            ("reason", Varchar, {"length": 200, "default": ""}),
            ("source", Varchar, {"length": 20, "default": "manual"}),
            ("source_uid", Varchar, {"length": 500, "default": None, "null": True}),
            ("created_at", Timestamptz, {"default": TimestamptzNow()}),
        ),
        ("ProgrammePause", "programme_pause"): (
            ("programme", ForeignKey, _foreign_key(Programme)),
            ("calendar", ForeignKey, _foreign_key(OrgCalendar)),
            ("pauses", Boolean, {"default": True}),
        ),
    }
    for (class_name, tablename), columns in tables.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, extra in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=extra if column_class is ForeignKey else _params(**extra),
                schema=None,
            )
    manager.add_constraint(
        table_class_name="OrgClosure",
        tablename="org_closure",
        constraint_name="org_closure_range",
        constraint_class=Check,
        params={"condition": "last_day >= first_day"},
        schema=None,
    )
    for class_name, tablename, name, columns in (
        ("OrgClosure", "org_closure", "org_closure_import_unique", ["calendar", "source_uid"]),
        ("ProgrammePause", "programme_pause", "programme_pause_unique", ["programme", "calendar"]),
    ):
        manager.add_constraint(
            table_class_name=class_name,
            tablename=tablename,
            constraint_name=name,
            constraint_class=Unique,
            params={"columns": columns, "nulls_distinct": True},
            schema=None,
        )
    manager.add_column(
        table_class_name="Cohort",
        tablename="cohort",
        column_name="calendar_pause",
        db_column_name="calendar_pause",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=20, default="inherit"),
        schema=None,
    )
    return manager
