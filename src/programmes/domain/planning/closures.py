"""KiTa closure days: entered by hand, or imported from the iCal address a KiTa publishes.

Why this exists
---------------
A Rucksack group meets at its KiTa, so a day the KiTa is closed (a Teamtag, the summer
closure, a staff outing) is a day without a session. Schedule expansion
(:mod:`programmes.domain.planning.schedules`) skips every stored closure day; this module
keeps them.

Who may do what
---------------
Anyone who may see the KiTa (see :func:`entries.get_kita`: coordinators all KiTas,
partners their own, trainers the KiTas of cohorts they lead) may read its closures; anybody
else is told the KiTa does not exist. Only coordinators add, delete and import.

Import
------
:func:`import_closures` downloads and reads the calendar with
:func:`closure_import.import_closures` (time, size, redirect, scheme and recurrence limits
live there) for a window of :data:`IMPORT_PAST_DAYS` days back to :data:`IMPORT_FUTURE_DAYS`
days ahead: far enough back to keep the closures of the last weeks visible, far enough ahead
for a cohort planned up to two years out (the longest a weekly rule may span).

The download happens *before* the write transaction (a slow server must never hold the
database's write lock); then, in one transaction, the KiTa's imported closures
(``source='ical'``) are replaced by the calendar's:

* matched by ``source_uid`` (the event's UID, plus the date for one occurrence of a repeating
  event): same days and reason -> unchanged (same row), other days or reason -> updated in
  place, not in the calendar any more -> removed, new -> added. Importing the same calendar
  twice therefore changes nothing;
* imported closures that ended before the window are history the calendar no longer lists:
  they are kept, never removed by a later import;
* closures entered by hand (``source='manual'``) are never touched.

Any error (unreachable server, not a calendar, too large, refused address, a database error)
leaves everything as it was, the stored address included. The audit event carries counts only.

The organisation's closure calendars (`org_closures`) import through the same two steps,
:func:`fetch_closures` (download and read) and :func:`replace_imported` (the replacement
above, for their own table): one home for the import, whoever owns the calendar.

Which servers may be asked (SSRF)
---------------------------------
Coordinators type the address, and the request comes from the server, which may sit next to
the office's database and intranet. So unless ``PROGRAMMES_ALLOW_PRIVATE_CALENDAR_HOSTS`` is
on, every request of an import (the first and each redirect) first resolves the server's name
with the event loop's ``getaddrinfo`` and is refused when any address it resolves to is not a
public internet address (loopback, private, link-local, carrier-grade NAT, multicast,
reserved, unspecified; IPv4-mapped IPv6 addresses are checked as IPv4). Proxies and ``.netrc``
credentials from the environment are not used, so neither a proxy nor a stored password can
be pointed at through a typed address.

Known limitation (DNS rebinding): the check resolves the name, then httpx resolves it again to
connect. A name server that answers with a public address the first time and a private one
milliseconds later slips through. Closing that gap means connecting to the checked address
itself (pinning), which httpx offers only by replacing its network layer. What such an
attacker could get is limited: a GET without credentials, whose answer is only used if it
parses as an iCalendar file, and of which only dates and event titles are stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any, Final

import httpx
import msgspec
from piccolo.columns import Column

from programmes.clock import BERLIN
from programmes.db import write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff, require_coordinator
from programmes.domain.catalogue.entries import KitaView, get_kita
from programmes.domain.errors import (
    N_,
    Conflict,
    InvalidInput,
    InvalidParameter,
    NotFound,
    Unavailable,
)
from programmes.domain.planning import closure_import
from programmes.domain.planning.closure_import import FetchLimits, ImportedClosure, ParseLimits
from programmes.domain.planning.recurrence import Closure, validate_closure
from programmes.domain.text import clean_text
from programmes.domain.types import check_day
from programmes.tables import ClosureDay, Kita, OrgClosure
from programmes.vocabulary import ClosureSource, Role

__all__ = [
    "IMPORT_FUTURE_DAYS",
    "IMPORT_PAST_DAYS",
    "MAX_CLOSURE_DAYS",
    "AddressRefused",
    "ClosureCalendar",
    "ClosureView",
    "FetchedClosures",
    "ImportResult",
    "Resolver",
    "add_closure",
    "calendar_client",
    "checked_closure",
    "closure_calendar",
    "delete_closure",
    "fetch_closures",
    "import_closures",
    "import_window",
    "is_public_address",
    "list_closures",
    "parse_day",
    "replace_imported",
]

#: The import window: from this many days before today ...
IMPORT_PAST_DAYS: Final = 30
#: ... to this many days after (two years: the longest span of a weekly rule).
IMPORT_FUTURE_DAYS: Final = 730
#: A closure entered by hand lasts at most this many days (a year, leap day included).
MAX_CLOSURE_DAYS: Final = 366
MAX_REASON_LENGTH: Final = 200
DEFAULT_FETCH_LIMITS: Final = FetchLimits()
DEFAULT_PARSE_LIMITS: Final = ParseLimits()
_BATCH: Final = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_GERMAN_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


class ClosureView(msgspec.Struct, frozen=True):
    id: int
    kita_id: int
    first_day: date
    last_day: date  # inclusive; equal to first_day for a single day
    reason: str
    source: str  # "manual" or "ical"


class ImportResult(msgspec.Struct, frozen=True):
    """What an import did, in counts (the rows themselves: :func:`list_closures`)."""

    kita_id: int
    window_start: date
    window_end: date
    added: int
    updated: int
    removed: int
    unchanged: int


class ClosureCalendar(msgspec.Struct, frozen=True):
    """The KiTa, its closures and (for coordinators) the calendar address last imported."""

    kita: KitaView
    closures: list[ClosureView]
    ical_url: str | None


# --------------------------------------------------------------------------- reading


async def list_closures(
    *, staff: Staff, kita_id: int, from_day: date | None = None
) -> list[ClosureView]:
    """The KiTa's closures in date order; with ``from_day``, those ending on or after it."""
    await get_kita(staff=staff, kita_id=kita_id)  # NotFound unless staff may see the KiTa
    query = ClosureDay.select(*_COLUMNS).where(ClosureDay.kita == kita_id)
    if from_day is not None:
        check_day(from_day, field="from_day", error=InvalidParameter)
        query = query.where(ClosureDay.last_day >= from_day)
    rows = await query.order_by(ClosureDay.first_day, ClosureDay.last_day, ClosureDay.id)
    return [_view(row) for row in rows]


async def closure_calendar(
    *, staff: Staff, kita_id: int, from_day: date | None = None
) -> ClosureCalendar:
    """What the closures page shows. The calendar address may be a secret link (some
    calendar services put a key in it), so only coordinators get it."""
    kita = await get_kita(staff=staff, kita_id=kita_id)
    closures = await list_closures(staff=staff, kita_id=kita_id, from_day=from_day)
    ical_url = None
    if staff.role is Role.coordinator:
        row = await Kita.select(Kita.closures_ical_url).where(Kita.id == kita_id).first()
        ical_url = row["closures_ical_url"] if row else None
    return ClosureCalendar(kita=kita, closures=closures, ical_url=ical_url)


_COLUMNS = (
    ClosureDay.id,
    ClosureDay.kita,
    ClosureDay.first_day,
    ClosureDay.last_day,
    ClosureDay.reason,
    ClosureDay.source,
)


def _view(row: dict[str, Any]) -> ClosureView:
    return ClosureView(
        id=row["id"],
        kita_id=row["kita"],
        first_day=row["first_day"],
        last_day=row["last_day"],
        reason=row["reason"],
        source=row["source"],
    )


# --------------------------------------------------------------------------- by hand


def parse_day(text: str | None, *, field: str, required: bool = False) -> date | None:
    """A day typed into a form: ``2026-12-24`` (what date inputs send) or ``24.12.2026``
    (what people type where the browser shows a plain text box); blank -> None, or
    refused when ``required``."""
    value = (text or "").strip()
    if not value:
        if required:
            raise InvalidInput(N_("Please fill in this field."), field=field)
        return None
    iso = _ISO_DAY.fullmatch(value)
    german = _GERMAN_DAY.fullmatch(value)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if german:
            return date(int(german[3]), int(german[2]), int(german[1]))
    except ValueError:
        pass
    raise InvalidInput(N_("Enter a date as DD.MM.YYYY, e.g. 24.12.2026."), field=field)


async def add_closure(
    *,
    staff: Staff,
    kita_id: int,
    first_day: date,
    last_day: date | None = None,
    reason: str,
    now: datetime,
) -> ClosureView:
    """Record that the KiTa is closed on ``first_day`` (to ``last_day``, inclusive)."""
    require_coordinator(staff)
    last, reason, days = checked_closure(first_day, last_day, reason)
    async with write_transaction():
        await _existing_kita(kita_id)
        if await ClosureDay.exists().where(
            (ClosureDay.kita == kita_id)
            & (ClosureDay.first_day == first_day)
            & (ClosureDay.last_day == last)
            & (ClosureDay.reason == reason)
        ):
            raise Conflict(N_("This closure has been entered already."), field="first_day")
        rows = await ClosureDay.insert(
            ClosureDay(
                kita=kita_id,
                first_day=first_day,
                last_day=last,
                reason=reason,
                source=ClosureSource.manual.value,
                source_uid=None,
                created_at=now,
            )
        )
        closure_id = int(rows[0]["id"])
        await audit.record(
            actor_id=staff.id,
            action="closure.added",
            object_type="closure",
            object_id=closure_id,
            now=now,
            detail={"kita_id": kita_id, "days": days},
        )
    return ClosureView(closure_id, kita_id, first_day, last, reason, ClosureSource.manual.value)


def checked_closure(first_day: date, last_day: date | None, reason: str) -> tuple[date, str, int]:
    """A closure entered by hand, checked: its last day, cleaned reason and length in days.
    Also used for the organisation calendars (`org_closures`)."""
    last = first_day if last_day is None else last_day
    validate_closure(Closure(first_day, last, "-"))  # dates: real, 2000..2100, in order
    reason = clean_text(reason, field="reason", max_length=MAX_REASON_LENGTH)
    days = (last - first_day).days + 1
    if days > MAX_CLOSURE_DAYS:
        raise InvalidInput(
            N_(
                "A closure may last at most %(max)s days (this one: %(days)s). "
                "Check the dates, or enter a longer closure in parts."
            ),
            field="last_day",
            max=MAX_CLOSURE_DAYS,
            days=days,
        )
    return last, reason, days


async def delete_closure(
    *, staff: Staff, closure_id: int, now: datetime, kita_id: int | None = None
) -> ClosureView:
    """Delete one closure (with ``kita_id``: only if it belongs to that KiTa).

    An imported closure comes back with the next import if the KiTa's calendar still lists
    it; the page says so.
    """
    require_coordinator(staff)
    async with write_transaction():
        query = ClosureDay.select(*_COLUMNS).where(ClosureDay.id == closure_id)
        if kita_id is not None:
            query = query.where(ClosureDay.kita == kita_id)
        row = await query.first()
        if row is None:
            raise NotFound(
                N_("There is no closure with id %(id)s."), field="closure", id=closure_id
            )
        await ClosureDay.delete().where(ClosureDay.id == closure_id)
        await audit.record(
            actor_id=staff.id,
            action="closure.deleted",
            object_type="closure",
            object_id=closure_id,
            now=now,
            detail={"kita_id": row["kita"], "source": row["source"]},
        )
    return _view(row)


async def _existing_kita(kita_id: int) -> None:
    if not await Kita.exists().where(Kita.id == kita_id):
        raise NotFound(N_("There is no KiTa with id %(id)s."), field="kita", id=kita_id)


# --------------------------------------------------------------------------- import


def import_window(now: datetime) -> tuple[date, date]:
    """The days an import reads: :data:`IMPORT_PAST_DAYS` back to
    :data:`IMPORT_FUTURE_DAYS` ahead of today in Berlin."""
    today = now.astimezone(BERLIN).date()
    return today - timedelta(days=IMPORT_PAST_DAYS), today + timedelta(days=IMPORT_FUTURE_DAYS)


#: Resolves a host name and port to IP address strings (tests pass a fake one).
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def import_closures(
    *,
    staff: Staff,
    kita_id: int,
    url: str,
    now: datetime,
    allow_private_hosts: bool = False,
    limits: FetchLimits = DEFAULT_FETCH_LIMITS,
    parse_limits: ParseLimits = DEFAULT_PARSE_LIMITS,
) -> ImportResult:
    """Replace the KiTa's imported closures with those of the calendar at ``url``."""
    require_coordinator(staff)
    await _existing_kita(kita_id)  # before any network traffic
    fetched = await fetch_closures(
        url=url,
        now=now,
        allow_private_hosts=allow_private_hosts,
        limits=limits,
        parse_limits=parse_limits,
    )
    address, wanted = fetched.address, fetched.closures
    window_start, window_end = fetched.window_start, fetched.window_end
    async with write_transaction():
        # Updating the KiTa row first checks that it still exists and, on PostgreSQL, locks
        # it: two imports for the same KiTa queue up instead of racing on source_uid.
        locked = (
            await Kita.update({Kita.closures_ical_url: address})
            .where(Kita.id == kita_id)
            .returning(Kita.id)
        )
        if not locked:
            raise NotFound(N_("There is no KiTa with id %(id)s."), field="kita", id=kita_id)
        counts = await replace_imported(
            ClosureDay, ClosureDay.kita, kita_id, wanted, window_start, now
        )
        await audit.record(
            actor_id=staff.id,
            action="closures.imported",
            object_type="kita",
            object_id=kita_id,
            now=now,
            detail={**counts, "window_start": str(window_start), "window_end": str(window_end)},
        )
    return ImportResult(kita_id=kita_id, window_start=window_start, window_end=window_end, **counts)


class FetchedClosures(msgspec.Struct, frozen=True):
    """A calendar downloaded and read, not stored yet."""

    address: str  #: the checked address, as it will be stored
    closures: dict[str, ImportedClosure]  #: by source_uid, storable on both engines
    window_start: date
    window_end: date


async def fetch_closures(
    *,
    url: str,
    now: datetime,
    allow_private_hosts: bool = False,
    limits: FetchLimits = DEFAULT_FETCH_LIMITS,
    parse_limits: ParseLimits = DEFAULT_PARSE_LIMITS,
) -> FetchedClosures:
    """Download and read the calendar at ``url`` for the import window, outside any
    transaction (a slow server must never hold the write lock). The one home of the
    download for KiTa closures and organisation calendars (`org_closures`); raises the
    explained :class:`InvalidInput` or :class:`Unavailable` and stores nothing."""
    window_start, window_end = import_window(now)
    try:
        address = closure_import.validate_calendar_url(url)
        async with calendar_client(allow_private_hosts=allow_private_hosts) as client:
            imported = await closure_import.import_closures(
                address,
                window_start=window_start,
                window_end=window_end,
                limits=limits,
                client=client,
                parse_limits=parse_limits,
            )
    except (InvalidInput, Unavailable) as error:
        raise _explained(error) from error
    return FetchedClosures(address, _storable(imported), window_start, window_end)


class AddressRefused(InvalidInput):
    """The calendar's server is not a public internet address (catalogued message)."""


def _explained(error: InvalidInput | Unavailable) -> InvalidInput | Unavailable:
    """Give the import module's (uncatalogued, English) message a catalogued lead sentence,
    so that the reader learns in their language what failed; our own refusal passes as it
    is."""
    if isinstance(error, AddressRefused):
        return error
    return type(error)(
        N_("The calendar could not be imported: %(problem)s"),
        field=error.field or "url",
        problem=error.message,
    )


def _storable(imported: Sequence[ImportedClosure]) -> dict[str, ImportedClosure]:
    """Closures keyed by source_uid, with text the database will take on both engines:
    control characters (a NUL is refused by PostgreSQL) and lone surrogates removed."""
    wanted: dict[str, ImportedClosure] = {}
    for closure in imported:
        reason = " ".join(_CONTROL.sub(" ", closure.reason).split())[:MAX_REASON_LENGTH]
        uid = closure.source_uid
        if _CONTROL.search(uid):
            digest = hashlib.sha256(uid.encode("utf-8", "surrogatepass")).hexdigest()
            uid = f"sha256-{digest}"
        reason = reason or closure_import.DEFAULT_REASON
        wanted.setdefault(uid, ImportedClosure(closure.first_day, closure.last_day, reason, uid))
    return wanted


async def replace_imported(
    table: type[ClosureDay] | type[OrgClosure],
    owner: Column,
    owner_id: int,
    wanted: dict[str, ImportedClosure],
    window_start: date,
    now: datetime,
) -> dict[str, int]:
    """Within the caller's transaction, make the owner's imported rows (``source='ical'``)
    those of the calendar (see the module notes); returns the counts. ``table`` is
    :class:`ClosureDay` (owner: its KiTa) or :class:`OrgClosure` (owner: its calendar):
    both have the same closure columns."""
    rows = await table.select(
        table.id,
        table.first_day,
        table.last_day,
        table.reason,
        table.source_uid,
    ).where((owner == owner_id) & (table.source == ClosureSource.ical.value))
    existing = {row["source_uid"]: row for row in rows}
    removed = [
        row["id"]
        for uid, row in existing.items()
        if uid not in wanted and row["last_day"] >= window_start
    ]
    added: list[ClosureDay | OrgClosure] = []
    updated = unchanged = 0
    for uid, closure in wanted.items():
        row = existing.get(uid)
        if row is None:
            added.append(
                table(
                    {owner: owner_id},
                    first_day=closure.first_day,
                    last_day=closure.last_day,
                    reason=closure.reason,
                    source=ClosureSource.ical.value,
                    source_uid=uid,
                    created_at=now,
                )
            )
        elif (row["first_day"], row["last_day"], row["reason"]) == (
            closure.first_day,
            closure.last_day,
            closure.reason,
        ):
            unchanged += 1
        else:
            await table.update(
                {
                    table.first_day: closure.first_day,
                    table.last_day: closure.last_day,
                    table.reason: closure.reason,
                }
            ).where(table.id == row["id"])
            updated += 1
    for start in range(0, len(removed), _BATCH):
        await table.delete().where(table.id.is_in(removed[start : start + _BATCH]))
    for start in range(0, len(added), _BATCH):
        await table.insert(*added[start : start + _BATCH])  # type: ignore[arg-type]
    return {
        "added": len(added),
        "updated": updated,
        "removed": len(removed),
        "unchanged": unchanged,
    }


# --------------------------------------------------------------------------- SSRF guard


def is_public_address(address: str) -> bool:
    """Whether an IP address is a public internet address (see the module notes)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _PublicHostsOnly(httpx.AsyncBaseTransport):
    """Checks the server of every request (redirects included) before it is contacted."""

    def __init__(self, inner: httpx.AsyncBaseTransport, resolve: Resolver) -> None:
        self._inner = inner
        self._resolve = resolve

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.raw_host.decode("ascii")
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except (OSError, UnicodeError) as exc:
            # Worded by the import module like any unknown server ("could not be found").
            raise httpx.ConnectError(f"cannot resolve {host}", request=request) from exc
        refused = [a for a in addresses if not is_public_address(a)]
        if refused or not addresses:
            raise AddressRefused(
                N_(
                    "The calendar address points at %(host)s, a server in a local or private "
                    "network (%(address)s). For safety, calendars can only be imported from "
                    "public internet addresses. Use the address under which the KiTa "
                    "publishes its calendar."
                ),
                field="url",
                host=request.url.host,
                address=refused[0] if refused else "-",
            )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@asynccontextmanager
async def calendar_client(
    *,
    allow_private_hosts: bool = False,
    resolve: Resolver = _getaddrinfo,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP client for calendar downloads: no proxies or ``.netrc`` from the environment,
    no automatic redirects, and (unless ``allow_private_hosts``) public servers only."""
    inner = transport or httpx.AsyncHTTPTransport()
    guarded = inner if allow_private_hosts else _PublicHostsOnly(inner, resolve)
    async with httpx.AsyncClient(
        transport=guarded, trust_env=False, follow_redirects=False
    ) as client:
        yield client
