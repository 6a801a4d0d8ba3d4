from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    DoublePrecision,
    ForeignKey,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T10:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Places that cohorts and sessions refer to"


class Place(Table, tablename="place", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


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


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="programmes", description=DESCRIPTION
    )

    manager.add_table(class_name="Place", tablename="place", schema=None, columns=None)
    for name, column_class, extra in (
        ("name", Varchar, {"length": 200, "default": ""}),
        ("street", Varchar, {"length": 200, "default": ""}),
        ("postcode", Varchar, {"length": 10, "default": ""}),
        ("town", Varchar, {"length": 100, "default": ""}),
        ("latitude", DoublePrecision, {"default": None, "null": True}),
        ("longitude", DoublePrecision, {"default": None, "null": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow()}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "index": True}),
    ):
        manager.add_column(
            table_class_name="Place",
            tablename="place",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=_params(**extra),
            schema=None,
        )

    for class_name, tablename in (("Cohort", "cohort"), ("Session", "cohort_session")):
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name="place",
            db_column_name="place",
            column_class_name="ForeignKey",
            column_class=ForeignKey,
            params=_params(
                references=Place,
                on_delete=OnDelete.restrict,
                on_update=OnUpdate.cascade,
                target_column=None,
                default=None,
                null=True,
            ),
            schema=None,
        )

    # the rows are filled in by the next migration (a manager runs its raw steps first)
    return manager
