"""Who sees a run (a cohort) and where: the one home of the publication rule.

What decides it: the run's status and its programme's status (`PublicationStatus`), whether
the programme is public (`is_public`) and its kind. The public only ever sees public
programmes of a public kind (trainings and info events; a Rucksack KiTa group never, whatever
its flag says).

Where a run shows (`Shown`), by the status of the run *and* of its programme:

    LISTED        published, cancelled            public programmes only
                  the start page, the event page /events/{id} and its file /events/{id}.ics
    REGISTRATION  published                       public programmes only
                  the public may register (see `registration_state` for the dates)
    PUBLIC_FEED   published, cancelled            public programmes only
                  /feeds/public.ics[?kind=…], /feeds/programmes/{id}.ics
    PRIVATE_FEED  published, cancelled, archived  every programme (Rucksack KiTa too)
                  a staff member's /feeds/private/{token}.ics
    ENROLLED      any status                      every programme
                  the mails (and their calendar file) of people registered for the run

* **draft** (never published, or unpublished): on staff pages only; in no feed.
* **cancelled**: stays listed and in every feed, its dates marked cancelled (STATUS:CANCELLED,
  a higher SEQUENCE), so calendars that hold them learn of it; nobody can register.
* **archived**: off the public pages and *out of* the public feeds: an archived run's dates
  leave `/feeds/public.ics` and its programme's feed, and an archived programme's feed and
  run files answer 404 like a draft's. They are taken out rather than marked cancelled
  because an archived run took place: "cancelled" would be false, and a subscribed calendar
  drops what its feed no longer holds. Staff feeds keep archived runs (published before, so
  they happened): a trainer or partner looking back over the feed's window still finds
  their dates, with a link to the run's staff page, which its owner may still open.

A public feed shows exactly the listed runs (`PUBLIC_FEED` is `LISTED`): every entry of a
public feed links to its event page, and that page answers 200 exactly for listed runs, so no
public feed holds a link that answers 404. A programme's own feed exists while the programme
is public and published or cancelled (`PUBLIC_FEED.shows_programme`).

A calendar entry's URL (`entry_url`): the public event page when the run is listed; else, in
a staff feed, the run's staff page (a private feed holds only runs its owner may open); else
none (the file a Rucksack family's mail carries).

Every rule is written once, as data (`Shown`), and read both ways: `Shown.shows(row)` on any
row with the run's facts (`RunFacts`), and `Shown.where(join)` as a Piccolo where-clause on
the `Cohort` table or a join to it (`Session.cohort`), with the statuses and kinds bound as
query parameters (`Shown.sql` writes the same clause for plain SQL on hot paths). Whether
the public may register *now* (dates, registration period) is `registration_state`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Protocol

from piccolo.custom_types import Combinable

from programmes.vocabulary import ProgrammeKind, PublicationStatus

_ALIAS: Final = re.compile(r"[a-z_][a-z0-9_]*")
#: Kinds the public may see; Rucksack KiTa groups are never public.
PUBLIC_KINDS: Final = (ProgrammeKind.training, ProgrammeKind.info_event)
_PUBLIC_KIND_VALUES: Final = tuple(kind.value for kind in PUBLIC_KINDS)


class RunFacts(Protocol):
    """What the rule reads of a run: any row (a feed's session row, a public run) with
    these attributes."""

    @property
    def cohort_id(self) -> int: ...

    @property
    def cohort_status(self) -> str: ...

    @property
    def programme_status(self) -> str: ...

    @property
    def programme_kind(self) -> str: ...

    @property
    def programme_is_public(self) -> bool: ...  # SQLite may hand back 0/1


def is_public_programme(*, kind: str, is_public: bool) -> bool:
    """Whether the public may ever see this programme (whatever its status)."""
    return bool(is_public) and kind in _PUBLIC_KIND_VALUES


@dataclass(frozen=True)
class Shown:
    """Which runs one place shows: those whose run *and* programme are in `statuses`, and
    with `public_only`, only the public's programmes (`is_public_programme`)."""

    name: str
    statuses: tuple[PublicationStatus, ...]
    public_only: bool
    _values: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_values", tuple(status.value for status in self.statuses))

    def shows(self, run: RunFacts) -> bool:
        return run.cohort_status in self._values and self.shows_programme(
            status=run.programme_status, kind=run.programme_kind, is_public=run.programme_is_public
        )

    def shows_programme(self, *, status: str, kind: str, is_public: bool) -> bool:
        """The programme's half of the rule (a programme's own feed exists when it holds)."""
        if status not in self._values:
            return False
        return not self.public_only or is_public_programme(kind=kind, is_public=is_public)

    def where(self, cohort: Any) -> Combinable:
        """`shows` as a where-clause; `cohort` is the `Cohort` table or a join to it such as
        `Session.cohort` (Piccolo types joins loosely)."""
        condition: Combinable = cohort.status.is_in(list(self._values)) & self.where_programme(
            cohort.programme
        )
        return condition

    def sql(self, *, run: str, programme: str) -> tuple[str, tuple[object, ...]]:
        """`where` as SQL text with `{}` placeholders and their values, for the hot paths
        that query with `db.fetch` (building a Piccolo query costs them ~2 ms); `run` and
        `programme` are the aliases of the cohort and programme tables."""
        if not (_ALIAS.fullmatch(run) and _ALIAS.fullmatch(programme)):
            raise ValueError("an alias is a plain name")
        statuses = ", ".join("{}" for _ in self._values)
        text = f"{run}.status IN ({statuses}) AND {programme}.status IN ({statuses})"
        values: tuple[object, ...] = (*self._values, *self._values)
        if self.public_only:
            kinds = ", ".join("{}" for _ in _PUBLIC_KIND_VALUES)
            text += f" AND {programme}.is_public = {{}} AND {programme}.kind IN ({kinds})"
            values += (True, *_PUBLIC_KIND_VALUES)
        return f"({text})", values

    def where_programme(self, programme: Any) -> Combinable:
        """`shows_programme` as a where-clause on `Programme` or a join to it."""
        condition: Combinable = programme.status.is_in(list(self._values))
        if self.public_only:
            condition = (
                condition
                & (programme.is_public == True)  # noqa: E712 (SQL comparison, bound value)
                & programme.kind.is_in(list(_PUBLIC_KIND_VALUES))
            )
        return condition


_PUBLISHED: Final = PublicationStatus.published
_CANCELLED: Final = PublicationStatus.cancelled
_ARCHIVED: Final = PublicationStatus.archived

LISTED: Final = Shown("listed", (_PUBLISHED, _CANCELLED), public_only=True)
REGISTRATION: Final = Shown("registration", (_PUBLISHED,), public_only=True)
#: The same runs as LISTED: each public entry links to the event page, which only a listed
#: run has.
PUBLIC_FEED: Final = LISTED
PRIVATE_FEED: Final = Shown("private feed", (_PUBLISHED, _CANCELLED, _ARCHIVED), public_only=False)
#: People registered for a run hear of it (and get its dates) whatever its status.
ENROLLED: Final = Shown("enrolled", tuple(PublicationStatus), public_only=False)


def is_cancelled(cohort_status: str, programme_status: str) -> bool:
    """A cancelled run, or a run of a cancelled programme: its dates are all cancelled."""
    return _CANCELLED.value in (cohort_status, programme_status)


def event_page_url(base_url: str, cohort_id: int) -> str:
    return f"{base_url}/events/{cohort_id}"


def public_page(run: RunFacts, *, base_url: str) -> str | None:
    """The run's public event page, if it has one (it answers 200 then)."""
    return event_page_url(base_url, run.cohort_id) if LISTED.shows(run) else None


def entry_url(run: RunFacts, *, base_url: str, for_staff: bool) -> str | None:
    """Where a calendar entry of `run` links to: its event page when listed; in a staff
    feed (`for_staff`) otherwise the run's staff page; else nowhere."""
    page = public_page(run, base_url=base_url)
    if page is None and for_staff:
        return f"{base_url}/staff/cohorts/{run.cohort_id}"
    return page


class RegistrationState(StrEnum):
    """Whether the public may register for a run now, and if not, why."""

    open = "open"
    unlisted = "unlisted"  # no public run (unknown, internal, draft, archived)
    cancelled = "cancelled"
    not_yet = "not_yet"  # the registration period has not begun
    closed = "closed"  # the registration period has ended
    over = "over"  # no date ahead that takes place


class Dated(Protocol):
    @property
    def starts_at(self) -> datetime: ...

    @property
    def cancelled(self) -> bool: ...


def registration_state(
    run: RunFacts,
    *,
    opens_at: datetime | None,
    closes_at: datetime | None,
    dates: Iterable[Dated],
    now: datetime,
) -> RegistrationState:
    """Listed runs in `REGISTRATION` take registrations during their registration period
    (either end may be open) while one of their dates lies ahead and takes place. Seats do
    not matter here: a full run takes registrations for its waiting list."""
    if not LISTED.shows(run):
        return RegistrationState.unlisted
    if not REGISTRATION.shows(run):  # listed but not open: the run or programme is cancelled
        return RegistrationState.cancelled
    if opens_at is not None and now < opens_at:
        return RegistrationState.not_yet
    if closes_at is not None and now >= closes_at:
        return RegistrationState.closed
    if not any(not date.cancelled and date.starts_at > now for date in dates):
        return RegistrationState.over
    return RegistrationState.open


__all__ = [
    "ENROLLED",
    "LISTED",
    "PRIVATE_FEED",
    "PUBLIC_FEED",
    "PUBLIC_KINDS",
    "REGISTRATION",
    "Dated",
    "RegistrationState",
    "RunFacts",
    "Shown",
    "entry_url",
    "event_page_url",
    "is_cancelled",
    "is_public_programme",
    "public_page",
    "registration_state",
]
