"""Calendar feeds: the use cases behind /feeds/…, /events/{id}.ics and the calendar file
that registration mails carry.

Every call costs one fingerprint query (`scopes`); when the cached feed is current it is
returned as it is, otherwise it is rebuilt from a constant number of queries, re-rendering
only the entries that changed (`cache`). Same data, same bytes, in every process.

A run has one calendar file: `run_calendar_file` gives a mail the very bytes that
`/events/{id}.ics?lang=…` serves (same scope, same cache), and for a run without a public
page (a Rucksack KiTa group) the same entries without a link.

Unknown, internal and unpublished (draft or archived) programmes and runs, and unknown,
rotated or revoked tokens, all raise the same `NotFound`, so a feed URL never tells whether
something exists. Which runs each feed shows is `catalogue.publication`'s rule.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import anyio.to_thread
from piccolo.query.functions.aggregate import Count, Max, Sum

from programmes.clock import as_utc
from programmes.db import in_write_transaction
from programmes.domain.catalogue.publication import ENROLLED, LISTED, PUBLIC_KINDS
from programmes.domain.errors import N_, InvalidParameter, NotFound
from programmes.domain.feeds.cache import FeedCache, RenderedFeed
from programmes.domain.feeds.content import (
    RunCounts,
    Viewer,
    Wording,
    calendar_name,
    kind_label,
    programme_title,
)
from programmes.domain.feeds.feed_tokens import feed_token_hash
from programmes.domain.feeds.scopes import (
    FeedScope,
    Fingerprint,
    PrivateScope,
    ProgrammeScope,
    PublicScope,
    RunScope,
    SessionRow,
    Titles,
    feed_window,
)
from programmes.i18n import gettext
from programmes.ical import CalendarInfo
from programmes.settings import Settings
from programmes.tables import Registration
from programmes.vocabulary import RegistrationStatus

__all__ = [
    "Calendars",
    "FeedCache",
    "FeedSite",
    "RenderedFeed",
    "get_private_feed",
    "get_programme_feed",
    "get_public_feed",
    "get_run_calendar",
    "run_calendar_file",
]

Loaded = tuple[Sequence[SessionRow], CalendarInfo, Wording]
_PUBLIC_KIND_VALUES = tuple(kind.value for kind in PUBLIC_KINDS)
#: Each feed's COLOR (RFC 7986, a CSS3 colour name), so a reader tells them apart.
FEED_COLORS: Final = {
    "public": "teal",
    "training": "royalblue",
    "info_event": "darkorange",
    "programme": "royalblue",
    "run": "seagreen",
    "private": "purple",
}
_PUBLIC_DESCRIPTION: Final = N_(
    "Public trainings and info events of %(organisation)s: every date, change and cancellation."
)
_PROGRAMME_DESCRIPTION: Final = N_("Every date of %(title)s, with changes and cancellations.")
_RUN_DESCRIPTION: Final = N_("The dates of %(title)s, with changes and cancellations.")
_PRIVATE_DESCRIPTION: Final = N_("Your own sessions. This address is personal: do not pass it on.")


@dataclass(frozen=True)
class FeedSite:
    """The settings feeds depend on."""

    base_url: str
    host: str
    organisation: str
    days_back: int
    days_ahead: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedSite:
        return cls(
            base_url=settings.base_url,
            host=settings.host,
            organisation=settings.organisation_name,
            days_back=settings.feed_days_back,
            days_ahead=settings.feed_days_ahead,
        )

    @classmethod
    def for_base_url(cls, base_url: str) -> FeedSite:
        """The site behind `base_url` where no settings are at hand (a run's calendar file
        uses only the address and its host)."""
        return cls(
            base_url=base_url,
            host=urlsplit(base_url).hostname or "localhost",
            organisation="",
            days_back=0,
            days_ahead=1,
        )

    def window(self, now: datetime) -> Any:
        return feed_window(now, days_back=self.days_back, days_ahead=self.days_ahead)

    @property
    def webcal_base(self) -> str:
        return "webcal://" + urlsplit(self.base_url).netloc


@dataclass(frozen=True)
class Calendars:
    """The feeds of one running app: its site and its per-process cache. Mails take a
    run's calendar file from here, so it is the file the app serves."""

    site: FeedSite
    cache: FeedCache


def check_kind(kind: str | None) -> str | None:
    """None for all public kinds; a public kind; anything else is refused, naming them."""
    if kind is None or kind == "":
        return None
    if kind in _PUBLIC_KIND_VALUES:
        return kind
    raise InvalidParameter(
        N_("Unknown kind %(kind)s: use one of %(allowed)s."),
        field="kind",
        kind=repr(kind[:40]),
        allowed=", ".join(_PUBLIC_KIND_VALUES),
    )


async def get_public_feed(
    *, kind: str | None, language: str, site: FeedSite, cache: FeedCache, now: datetime
) -> RenderedFeed:
    """Every session of the listed runs of public programmes in the window."""
    kind = check_kind(kind)
    scope = PublicScope(kind, site.window(now))

    async def load() -> Loaded | None:
        rows = await scope.rows()
        query = f"?kind={kind}&lang={language}" if kind else f"?lang={language}"
        info = CalendarInfo(
            name=calendar_name(site.organisation, kind_label(kind, language)),
            description=gettext(language, _PUBLIC_DESCRIPTION, organisation=site.organisation),
            color=FEED_COLORS[kind or "public"],
            source=f"{site.base_url}/feeds/public.ics{query}",
        )
        return rows, info, Wording(base_url=site.base_url, language=language)

    return await _serve(scope, language, site, cache, load, now=now, missing=_no_feed)


async def get_programme_feed(
    programme_id: int, *, language: str, site: FeedSite, cache: FeedCache, now: datetime
) -> RenderedFeed:
    """One public programme's sessions in the window."""
    scope = ProgrammeScope(programme_id, site.window(now))

    async def load() -> Loaded | None:
        titles = await scope.titles()
        if titles is None:
            return None
        rows = await scope.rows()
        title = _title(titles, language)
        info = CalendarInfo(
            name=calendar_name(site.organisation, title),
            description=gettext(language, _PROGRAMME_DESCRIPTION, title=title),
            color=FEED_COLORS["programme"],
            source=f"{site.base_url}/feeds/programmes/{programme_id}.ics?lang={language}",
        )
        return rows, info, Wording(base_url=site.base_url, language=language)

    def missing() -> NotFound:
        return NotFound(
            N_("There is no public programme with id %(id)s."), field="programme", id=programme_id
        )

    return await _serve(scope, language, site, cache, load, now=now, missing=missing)


async def get_run_calendar(
    cohort_id: int, *, language: str, site: FeedSite, cache: FeedCache, now: datetime
) -> RenderedFeed:
    """Every date of one listed run: the "add to calendar" file (no window)."""

    def missing() -> NotFound:
        return NotFound(N_("There is no public event with id %(id)s."), field="event", id=cohort_id)

    return await _run_file(RunScope(cohort_id), language, site, cache, now, missing)


async def run_calendar_file(
    cohort_id: int, *, language: str, calendars: Calendars, now: datetime
) -> bytes:
    """The calendar file of a run for a registrant's mail: for a listed run the bytes of
    `/events/{id}.ics?lang=<language>` (the same scope and cache build them); for any other
    run (a Rucksack KiTa group, a run taken offline) its dates the same way, without a link
    (`publication.ENROLLED`).

    Inside a write transaction (whose reads may yet be rolled back) it builds in a cache of
    its own, so that nothing it read is served to anyone else."""
    cache = FeedCache() if in_write_transaction() else calendars.cache
    site = calendars.site
    try:
        return (
            await get_run_calendar(cohort_id, language=language, site=site, cache=cache, now=now)
        ).body
    except NotFound:
        pass

    def missing() -> NotFound:
        return NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)

    scope = RunScope(cohort_id, shown=ENROLLED)
    return (await _run_file(scope, language, site, cache, now, missing)).body


async def _run_file(
    scope: RunScope,
    language: str,
    site: FeedSite,
    cache: FeedCache,
    now: datetime,
    missing: Callable[[], NotFound],
) -> RenderedFeed:
    async def load() -> Loaded | None:
        titles = await scope.titles()
        if titles is None:
            return None
        rows = await scope.rows()
        title = _title(titles, language)
        listed = scope.shown is LISTED  # else the file has no public address
        info = CalendarInfo(
            name=title,
            description=gettext(language, _RUN_DESCRIPTION, title=title),
            color=FEED_COLORS["run"],
            source=(
                f"{site.base_url}/events/{scope.cohort_id}.ics?lang={language}" if listed else None
            ),
        )
        return rows, info, Wording(base_url=site.base_url, language=language)

    return await _serve(scope, language, site, cache, load, now=now, missing=missing)


def _title(titles: Titles, language: str) -> str:
    return programme_title(titles.title, titles.title_en, language, titles.translations)


async def get_private_feed(
    token: str, *, language: str, site: FeedSite, cache: FeedCache, now: datetime
) -> RenderedFeed:
    """A person's own sessions; the token is checked on every request."""
    token_hash = feed_token_hash(token)
    if token_hash is None:
        raise _no_feed()
    scope = PrivateScope(token_hash, site.window(now))

    async def load() -> Loaded | None:
        assert scope.account is not None
        rows = await scope.rows()
        counts = await _run_counts({row.cohort_id for row in rows})
        # no SOURCE: the address holds the owner's token, and every copy of the file
        # (a backup, a forwarded export) would carry it
        info = CalendarInfo(
            name=calendar_name(site.organisation, gettext(language, N_("My dates"))),
            description=gettext(language, _PRIVATE_DESCRIPTION),
            color=FEED_COLORS["private"],
        )
        minutes = scope.account.reminder_minutes
        wording = Wording(
            base_url=site.base_url,
            language=language,
            viewer=Viewer(account_id=scope.account.id),
            counts=counts,
            reminder=timedelta(minutes=minutes) if minutes is not None else None,
        )
        return rows, info, wording

    return await _serve(scope, language, site, cache, load, now=now, missing=_no_feed)


def _no_feed() -> NotFound:
    return NotFound(N_("There is no such calendar feed."), field="token")


async def _run_counts(cohort_ids: set[int]) -> dict[int, RunCounts]:
    """Confirmed seats, confirmed and waiting registrations per run (one grouped query)."""
    if not cohort_ids:
        return {}
    rows = (
        await Registration.select(
            Registration.cohort,
            Registration.status,
            Count(alias="n"),
            Sum(Registration.seats, alias="seats"),
            Max(Registration.updated_at, alias="updated"),
        )
        .where(Registration.cohort.is_in(sorted(cohort_ids)))
        .group_by(Registration.cohort, Registration.status)
    )
    totals: dict[int, dict[str, Any]] = {}
    for row in rows:
        run = totals.setdefault(int(row["cohort"]), {"seats": 0, "n": 0, "w": 0, "at": []})
        if row["status"] == RegistrationStatus.confirmed.value:
            run["seats"] += int(row["seats"] or 0)
            run["n"] += int(row["n"])
        elif row["status"] == RegistrationStatus.waiting.value:
            run["w"] += int(row["n"])
        stamp = as_utc(row["updated"])
        if stamp is not None:
            run["at"].append(stamp)
    return {
        cohort: RunCounts(
            confirmed_seats=t["seats"],
            confirmed=t["n"],
            waiting=t["w"],
            updated_at=max(t["at"], default=None),
        )
        for cohort, t in totals.items()
    }


async def _serve(
    scope: FeedScope,
    language: str,
    site: FeedSite,
    cache: FeedCache,
    load: Callable[[], Awaitable[Loaded | None]],
    *,
    now: datetime,
    missing: Callable[[], NotFound],
) -> RenderedFeed:
    """The cached feed if the fingerprint says it is current, else a rebuild (one at a time
    per feed; the CPU part in a worker thread). A feed found not to exist is cached as such
    under the same fingerprint, so unknown ids cost one query too."""
    run, fingerprint = await cache.check(
        scope.check_key, scope.fingerprint, scope.fingerprint_inline
    )
    if fingerprint is None:
        raise missing()
    if isinstance(scope, PrivateScope):
        scope.account = fingerprint.account
    key = (scope.key, language)
    feed = cache.feeds.get(key)
    if _stale(feed, fingerprint, run, now):
        async with cache.lock(key):
            feed = cache.feeds.get(key)
            if _stale(feed, fingerprint, run, now):
                feed = await _rebuild(
                    scope, cache, load, fingerprint, run, host=site.host, reuse=key, now=now
                )
                cache.feeds.put(key, feed)
    assert feed is not None  # a missing feed is stale, and was just built
    if feed.missing:
        raise missing()
    return feed


def _stale(feed: RenderedFeed | None, fingerprint: Fingerprint, run: int, now: datetime) -> bool:
    return feed is None or not feed.is_current(fingerprint, run) or feed.needs_recheck(now)


async def _rebuild(
    scope: FeedScope,
    cache: FeedCache,
    load: Callable[[], Awaitable[Loaded | None]],
    fingerprint: Fingerprint,
    run: int,
    *,
    host: str,
    reuse: Hashable,
    now: datetime,
) -> RenderedFeed:
    loaded = await load()
    if loaded is None:
        return RenderedFeed.absent(fingerprint, run, now)
    rows, info, wording = loaded
    counted = [c.updated_at for c in (wording.counts or {}).values()]
    last_modified = scope.last_modified(await scope.newest_change(), *counted)
    build = functools.partial(
        _build,
        cache,
        rows,
        name=info,
        wording=wording,
        host=host,
        run=run,
        last_modified=last_modified,
        reuse=reuse,
        read_at=now,
    )
    return await anyio.to_thread.run_sync(build, fingerprint)


def _build(
    cache: FeedCache,
    rows: Sequence[SessionRow],
    fingerprint: Fingerprint,
    *,
    name: CalendarInfo,
    wording: Wording,
    host: str,
    run: int,
    last_modified: datetime | None,
    reuse: Hashable,
    read_at: datetime,
) -> RenderedFeed:
    return cache.assemble(
        name=name,
        rows=(rows, wording),
        host=host,
        fingerprint=fingerprint,
        run=run,
        last_modified=last_modified,
        reuse=reuse,
        read_at=read_at,
    )
