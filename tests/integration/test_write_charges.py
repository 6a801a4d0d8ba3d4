"""A write transaction charges the time it held the write path (SQLite's write lock, a
PostgreSQL connection in a transaction) to whoever the request is charged to
(`work_charges`): the fair share counts it besides loop time."""

from __future__ import annotations

import asyncio

import pytest

from programmes import db, work_charges
from programmes.tables import Kita

pytestmark = pytest.mark.usefixtures("database")


async def test_a_write_transaction_charges_the_time_it_held_the_write_path() -> None:
    charged: list[float] = []
    with work_charges.charged_to(charged.append):
        async with db.write_transaction():
            await Kita(name="Kita Regenbogen").save()
            await asyncio.sleep(0.02)  # the transaction waits on something while it holds

    assert len(charged) == 1
    assert 0.02 <= charged[0] < 5
    assert await Kita.count().where(Kita.name == "Kita Regenbogen") == 1


async def test_nested_transactions_are_charged_once_and_reads_not_at_all() -> None:
    charged: list[float] = []
    with work_charges.charged_to(charged.append):
        async with db.write_transaction(), db.write_transaction():
            await Kita(name="Kita Sonnenschein").save()
        await Kita.select(Kita.name)
        await db.fetch("SELECT 1 AS one")

    assert len(charged) == 1


async def test_a_failed_transaction_is_charged_too_and_stores_nothing() -> None:
    """The write path was held all the same while the transaction ran."""
    charged: list[float] = []
    with work_charges.charged_to(charged.append), pytest.raises(RuntimeError):
        async with db.write_transaction():
            await Kita(name="Kita Pusteblume").save()
            raise RuntimeError("a rule said no")

    assert len(charged) == 1
    assert await Kita.count().where(Kita.name == "Kita Pusteblume") == 0


async def test_without_anyone_to_charge_a_write_still_works() -> None:
    async with db.write_transaction():
        await Kita(name="Kita Löwenzahn").save()

    assert await Kita.count().where(Kita.name == "Kita Löwenzahn") == 1
