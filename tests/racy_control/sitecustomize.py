"""Test-only: the racy control of the concurrency tests, never part of the service.

`tests/concurrency/conftest.py` starts the control server (`programmes serve --workers 2`)
with this directory first on PYTHONPATH. Python imports `sitecustomize` when an interpreter
starts, so every process of that server loads this module, uvicorn's spawned workers too,
and nothing else does.

It takes away both things that keep a registration from overbooking (see the docstring of
`programmes.domain.enrolment.seats`):

* the seat step becomes the naive read-then-write: read the seat count, wait a moment (as
  real latency would), write back the count plus one;
* `register_person` runs without its write transaction, whose lock serialises the seat
  step (on SQLite it serialises every writer, so a racy step inside it could not race).
  Mail still needs a write transaction (the outbox refuses mail outside one), so queueing
  it gets one of its own, as a racy implementation would have.

The same load that the real server survives must then overbook. If it does not, the
harness cannot see an overbooking and the real test proves nothing; the control test fails.
This server serves that registration burst only: the other use cases of the registrations
module lose their transaction here too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import wraps
from typing import Any

from programmes import db
from programmes.domain.enrolment import registration_mail, registrations, seats
from programmes.tables import Cohort
from programmes.vocabulary import RegistrationStatus

RACE_WINDOW_SECONDS = 0.005


async def place_racily(cohort_id: int, seats_wanted: int) -> seats.Placement:
    row = (
        await Cohort.select(Cohort.seats_taken, Cohort.capacity, Cohort.waiting_counter)
        .where(Cohort.id == cohort_id)
        .first()
    )
    assert row is not None
    await asyncio.sleep(RACE_WINDOW_SECONDS)
    if row["capacity"] is None or row["seats_taken"] + seats_wanted <= row["capacity"]:
        await Cohort.update({Cohort.seats_taken: row["seats_taken"] + seats_wanted}).where(
            Cohort.id == cohort_id
        )
        return seats.Placement(RegistrationStatus.confirmed, None)
    position = row["waiting_counter"] + 1
    await Cohort.update({Cohort.waiting_counter: position}).where(Cohort.id == cohort_id)
    return seats.Placement(RegistrationStatus.waiting, position)


@asynccontextmanager
async def no_lock() -> AsyncIterator[None]:
    yield


def in_own_transaction(queue: Callable[..., Awaitable[int]]) -> Callable[..., Awaitable[int]]:
    @wraps(queue)
    async def queue_in_transaction(*args: Any, **kwargs: Any) -> int:
        async with db.write_transaction():
            return await queue(*args, **kwargs)

    return queue_in_transaction


def install() -> None:
    # fail loudly (in the server's log) if a name moved, rather than patch nothing
    for module, name in (
        (seats, "place"),
        (registrations, "write_transaction"),
        (registration_mail, "queue"),
    ):
        if not hasattr(module, name):
            raise RuntimeError(f"racy control: {module.__name__}.{name} is gone")
    seats.place = place_racily  # type: ignore[assignment]  # same call, other parameter name
    registrations.write_transaction = no_lock  # type: ignore[attr-defined,assignment]
    registration_mail.queue = in_own_transaction(registration_mail.queue)  # type: ignore[assignment]


install()
