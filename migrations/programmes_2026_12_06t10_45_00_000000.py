from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T10:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Programmes say whom they are for and what they cost (the public event page)"


def _params(**extra):
    return {
        "default": "",
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

    manager.add_column(
        table_class_name="Programme",
        tablename="programme",
        column_name="audience",
        db_column_name="audience",
        column_class_name="Text",
        column_class=Text,
        params=_params(),
        schema=None,
    )

    manager.add_column(
        table_class_name="Programme",
        tablename="programme",
        column_name="cost",
        db_column_name="cost",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=200),
        schema=None,
    )

    return manager
