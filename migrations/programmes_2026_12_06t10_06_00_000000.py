from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Account(Table, tablename="account", schema=None):
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


ID = "2026-12-06T10:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Form entries kept while a person signs in again"


def _params(**changed):
    params = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(changed)
    return params


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="programmes", description=DESCRIPTION
    )

    manager.add_table(
        class_name="KeptForm", tablename="kept_form", schema=None, columns=None
    )

    manager.add_column(
        table_class_name="KeptForm",
        tablename="kept_form",
        column_name="key_hash",
        db_column_name="key_hash",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=64, default="", unique=True),
        schema=None,
    )

    manager.add_column(
        table_class_name="KeptForm",
        tablename="kept_form",
        column_name="account",
        db_column_name="account",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params=_params(
            references=Account,
            on_delete=OnDelete.cascade,
            on_update=OnUpdate.cascade,
            target_column=None,
            null=True,
        ),
        schema=None,
    )

    manager.add_column(
        table_class_name="KeptForm",
        tablename="kept_form",
        column_name="page",
        db_column_name="page",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=1000, default=""),
        schema=None,
    )

    manager.add_column(
        table_class_name="KeptForm",
        tablename="kept_form",
        column_name="fields",
        db_column_name="fields",
        column_class_name="Text",
        column_class=Text,
        params=_params(default=""),
        schema=None,
    )

    manager.add_column(
        table_class_name="KeptForm",
        tablename="kept_form",
        column_name="expires_at",
        db_column_name="expires_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(default=TimestamptzNow(), index=True),
        schema=None,
    )

    return manager
