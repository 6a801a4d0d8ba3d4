"""Giving and freeing seats: the one place where overbooking could happen, so it cannot.

Rules (docs/seats.md explains them and how the concurrency tests check them):

* A seat is taken with one conditional UPDATE on the cohort row,
  `seats_taken = seats_taken + n WHERE capacity IS NULL OR seats_taken + n <= capacity`:
  one row updated means confirmed, none means the waiting list. The check and the write
  are one statement, so no other registration can slip in between a read of the free
  seats and the write that takes them. The CHECK constraint `seats_taken <= capacity`
  backs it: even a bug cannot store an overbooking.
* A waiting position comes from `waiting_counter + 1` on the same row, which locks it (on
  PostgreSQL until commit; SQLite write transactions are IMMEDIATE and serialised anyway).
  Under that lock the fit is checked once more, so a seat freed a moment earlier by a
  cancellation in another worker is never left empty while someone waits.
* The lock: every function here runs inside the caller's `write_transaction()`. On
  PostgreSQL the first UPDATE of the cohort row holds its row lock until commit, so
  concurrent registrations for one run queue on that row and each sees the seats the
  previous one took; on SQLite the whole transaction holds the database's write lock.
* The waiting list is **first group that fits, in order of arrival**: whenever seats free up
  (cancellation, higher capacity), the list is walked by position and every group that fits
  in the free seats is confirmed, whole. A larger group that does not fit keeps its place at
  the front and gets seats as soon as enough are free at once; it is never split. Because
  this runs in the same transaction as every change that frees seats, no waiting group ever
  fits into free seats, so a newcomer is confirmed exactly when they fit.

What the concurrency tests prove (tests/concurrency): 200 registrations at once for 10
seats, against `programmes serve --workers 2` over HTTP, confirm exactly 10, on SQLite and
PostgreSQL. Their control runs the same burst against a server that loads a test-only hook
(tests/racy_control, never part of the service) replacing this conditional UPDATE with a
read-then-write and running the registration without its write transaction; it must
overbook. So the harness can see an overbooking, and the atomic step with its lock is what
prevents it. (The hook must take away both: a read-then-write inside the write transaction
still overbooks on PostgreSQL, where READ COMMITTED lets a stale read overwrite a newer
count, but not on SQLite, whose write lock serialises the whole registration.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from programmes.db import fetch
from programmes.tables import Cohort, Registration
from programmes.vocabulary import RegistrationStatus


@dataclass(frozen=True)
class Placement:
    status: RegistrationStatus
    waiting_position: int | None


#: A confirmed placement (no waiting position).
CONFIRMED = Placement(RegistrationStatus.confirmed, None)


def fits(capacity: int | None, seats_taken: int, seats: int) -> bool:
    """Whether `seats` more fit: the rule the conditional UPDATE of `place` applies."""
    return capacity is None or seats_taken + seats <= capacity


async def place(cohort_id: int, seats: int) -> Placement:
    """Confirm `seats` if they fit, else hand out the next waiting position."""
    taken = await fetch(
        "UPDATE cohort SET seats_taken = seats_taken + {} "
        "WHERE id = {} AND (capacity IS NULL OR seats_taken + {} <= capacity) RETURNING id",
        seats,
        cohort_id,
        seats,
    )
    if taken:
        return CONFIRMED
    rows = await fetch(
        "UPDATE cohort SET waiting_counter = waiting_counter + 1 WHERE id = {} "
        "RETURNING waiting_counter, seats_taken, capacity",
        cohort_id,
    )
    row = rows[0]
    if fits(row["capacity"], row["seats_taken"], seats):
        # seats were freed between the two statements (another worker's cancellation)
        await fetch(
            "UPDATE cohort SET seats_taken = seats_taken + {} WHERE id = {}", seats, cohort_id
        )
        return CONFIRMED
    return Placement(RegistrationStatus.waiting, int(row["waiting_counter"]))


async def lock_cohort(cohort_id: int) -> dict[str, Any]:
    """Take the cohort row's write lock (PostgreSQL) and read its seat counts."""
    rows = await (
        Cohort.update({Cohort.waiting_counter: Cohort.waiting_counter})
        .where(Cohort.id == cohort_id)
        .returning(Cohort.seats_taken, Cohort.capacity, Cohort.waiting_counter)
    )
    row: dict[str, Any] = rows[0]
    return row


async def release(cohort_id: int, seats: int) -> None:
    await Cohort.update({Cohort.seats_taken: Cohort.seats_taken - seats}).where(
        Cohort.id == cohort_id
    )


async def would_promote(
    cohort_id: int,
    freed: int,
    *,
    exclude: frozenset[int] = frozenset(),
    new_capacity: tuple[int | None] | None = None,
) -> int:
    """How many waiting registrations `promote` would confirm once `freed` more seats are
    free, leaving out `exclude`, with the cohort's capacity (or `new_capacity[0]` instead,
    None for no limit). Read only: what a confirmation page tells before anything changes."""
    cohort = (
        await Cohort.select(Cohort.capacity, Cohort.seats_taken)
        .where(Cohort.id == cohort_id)
        .first()
    )
    if cohort is None:
        return 0
    limit = cohort["capacity"] if new_capacity is None else new_capacity[0]
    free = None if limit is None else limit - cohort["seats_taken"] + freed
    waiting = (
        await Registration.select(Registration.id, Registration.seats)
        .where(
            (Registration.cohort == cohort_id)
            & (Registration.status == RegistrationStatus.waiting.value)
        )
        .order_by(Registration.waiting_position)
    )
    count = seats = 0
    for entry in waiting:
        if entry["id"] in exclude:
            continue
        if free is not None and entry["seats"] > free - seats:
            continue
        count += 1
        seats += entry["seats"]
    return count


async def promote(
    cohort_id: int, *, now: datetime, exclude: frozenset[int] = frozenset()
) -> list[int]:
    """Confirm every waiting group that fits, in order; returns their registration ids."""
    cohort = await lock_cohort(cohort_id)
    free = None if cohort["capacity"] is None else cohort["capacity"] - cohort["seats_taken"]
    waiting = (
        await Registration.select(Registration.id, Registration.seats)
        .where(
            (Registration.cohort == cohort_id)
            & (Registration.status == RegistrationStatus.waiting.value)
        )
        .order_by(Registration.waiting_position)
    )
    promoted: list[int] = []
    seats = 0
    for entry in waiting:
        if entry["id"] in exclude:
            continue
        if free is not None and entry["seats"] > free - seats:
            continue
        promoted.append(entry["id"])
        seats += entry["seats"]
    if promoted:
        await Cohort.update({Cohort.seats_taken: Cohort.seats_taken + seats}).where(
            Cohort.id == cohort_id
        )
        await Registration.update(
            {
                Registration.status: RegistrationStatus.confirmed.value,
                Registration.waiting_position: None,
                Registration.updated_at: now,
            }
        ).where(Registration.id.is_in(promoted))
    return promoted


async def waiting_rank(cohort_id: int, waiting_position: int) -> int:
    """A waiting registration's place as people read it: 1 for the first in line."""
    rows = await fetch(
        "SELECT COUNT(*) AS n FROM registration WHERE cohort = {} AND status = {} "
        "AND waiting_position <= {}",
        cohort_id,
        RegistrationStatus.waiting.value,
        waiting_position,
    )
    return int(rows[0]["n"])


#: "Few places" on the public pages: at most this many free. One registration takes up to
#: three seats in most runs (a parent with a partner and a friend), so at three or fewer the
#: next booking may be the last: worth saying before someone waits until tomorrow.
FEW_PLACES = 3


class Availability(StrEnum):
    """How the public pages word a run's free places (`availability`)."""

    free = "free"  # "Plätze frei": more than FEW_PLACES free, or no limit
    few = "few"  # "wenige Plätze": 1 to FEW_PLACES free
    waiting_list = "waiting_list"  # "Warteliste": full, registering puts you on the list
    fully_booked = "fully_booked"  # "ausgebucht": full, and no registration is taken now


def availability(
    capacity: int | None, seats_taken: int, *, taking_registrations: bool
) -> Availability:
    """The free places of a run in the words of the public pages. A full run that takes
    registrations has an open waiting list; one that takes none (its registration period
    is over) is fully booked."""
    if capacity is None:
        return Availability.free
    free = max(0, capacity - seats_taken)
    if free == 0:
        return Availability.waiting_list if taking_registrations else Availability.fully_booked
    return Availability.few if free <= FEW_PLACES else Availability.free
