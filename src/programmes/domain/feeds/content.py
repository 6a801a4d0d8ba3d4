"""What a calendar entry says: one session row (with its run and programme) as a `FeedEvent`.

Pure functions, no database. What goes in, and what never does:

* SUMMARY: the programme title (English title on English feeds when there is one) and the
  run's title when it adds something, said once: a run title that already holds the
  programme's ("Rucksack KiTa Sonnenblume 2026/27") stands alone; " – abgesagt" when the
  session, its run or its programme is cancelled. LOCATION: the session's place, else the
  run's.
* DESCRIPTION: why it is cancelled (public feeds: the session's public note, never the
  internal reason; private feeds: the internal reason), the session's theme (Rucksack
  KiTa), the run's language; in private feeds also the counts (confirmed seats,
  registrations, waiting list) and whether a substitute leads the session. It ends with the
  address of the entry's page and, in public feeds, for a run that takes registrations
  (`publication.REGISTRATION`: published, not cancelled) and a date that takes place, the
  registration link (the page says whether the registration period is open: the feed's
  bytes never depend on the clock). Never a name, an e-mail address, a phone number or a
  session note (notes are free text and may name people).
* TRANSP: TRANSPARENT in public feeds (a date one may attend does not make a reader busy),
  OPAQUE in private feeds (the reader's own sessions). VALARM: in private feeds whose owner
  chose a reminder (`Wording.reminder`).
* LAST-MODIFIED/DTSTAMP: the newest `updated_at` of session, run and programme (and, in
  private feeds, of the run's registrations), so a renamed run reaches every calendar.
* SEQUENCE: the session's own; a session whose whole run or programme was cancelled shows
  one more, so calendars apply the cancellation even if nobody touched the session.
* URL: where the publication rule points (`publication.entry_url`): the public event page
  of a listed run, else in private feeds the run's staff page, else none. Never a page that
  answers 404.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from programmes.clock import as_utc
from programmes.domain.catalogue import translations as texts
from programmes.domain.catalogue.places import place_address
from programmes.domain.catalogue.publication import (
    REGISTRATION,
    entry_url,
    is_cancelled,
)
from programmes.domain.errors import N_
from programmes.domain.feeds.scopes import SessionRow
from programmes.i18n import DEFAULT_LANGUAGE, gettext
from programmes.ical import FeedEvent, Geo
from programmes.vocabulary import ProgrammeKind, SessionStatus

CATEGORY_BY_KIND: Final = {
    ProgrammeKind.training.value: N_("Training"),
    ProgrammeKind.info_event.value: N_("Info event"),
    ProgrammeKind.rucksack.value: N_("Rucksack KiTa"),
}
CANCELLED_SUFFIX: Final = N_("cancelled")


@dataclass(frozen=True)
class RunCounts:
    """Registrations of one run, for private feeds."""

    confirmed_seats: int = 0
    confirmed: int = 0
    waiting: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Viewer:
    """Who reads a private feed: their account id (to say "you substitute")."""

    account_id: int


@dataclass(frozen=True)
class Wording:
    """Everything besides the row that the entry depends on. A `viewer` makes it a staff
    member's private feed (counts, substitutes, links to staff pages)."""

    base_url: str
    language: str
    viewer: Viewer | None = None
    counts: Mapping[int, RunCounts] | None = None
    reminder: timedelta | None = None  # private feeds: a VALARM this long before each start


def _t(language: str, message: str, **params: Any) -> str:
    return gettext(language, message, **params)


@dataclass(frozen=True)
class _Labels:
    """The catalogue's texts for entries, looked up once per language (a rebuild builds
    a thousand entries)."""

    cancelled: str
    cancelled_because: str
    date_cancelled: str
    theme: str
    language: str
    seats_of: str
    seats: str
    registrations: str
    waiting: str
    you_substitute: str
    substitute: str
    public_note: str
    page: str
    register: str
    categories: Mapping[str, str]

    @classmethod
    @functools.lru_cache(maxsize=8)
    def of(cls, language: str) -> _Labels:
        def t(message: str) -> str:
            return gettext(language, message)

        return cls(
            cancelled=t(CANCELLED_SUFFIX),
            cancelled_because=t(N_("Cancelled: %(reason)s")),
            date_cancelled=t(N_("This date is cancelled.")),
            theme=t(N_("Theme: %(theme)s")),
            language=t(N_("Language: %(name)s")),
            seats_of=t(N_("Confirmed seats: %(seats)s of %(capacity)s")),
            seats=t(N_("Confirmed seats: %(seats)s")),
            registrations=t(N_("Registrations: %(count)s")),
            waiting=t(N_("Waiting list: %(count)s")),
            you_substitute=t(N_("You lead this session as a substitute.")),
            substitute=t(N_("A substitute leads this session.")),
            public_note=t(N_("Note for the public: %(note)s")),
            page=t(N_("Details: %(url)s")),
            register=t(N_("Registration: %(url)s")),
            categories={kind: t(label) for kind, label in CATEGORY_BY_KIND.items()},
        )


_SESSION_CANCELLED: Final = SessionStatus.cancelled.value


def programme_title(title: str, title_en: str, language: str, translations: str = "{}") -> str:
    """The title in the feed's language when there is one (`title_en` for English, the
    stored `translations` for others), else the German title."""
    if language == DEFAULT_LANGUAGE:
        return title
    variants = texts.programme_variants(title_en, texts.parse(translations), "title")
    return texts.pick(title, variants, language).text


def run_title(title: str, translations: str, language: str) -> str:
    """A run's own title in the feed's language, else the German one."""
    if language == DEFAULT_LANGUAGE or translations in ("", "{}"):
        return title
    variants = {code: t["title"] for code, t in texts.parse(translations).items() if "title" in t}
    return texts.pick(title, variants, language).text


def feed_event(row: SessionRow, wording: Wording) -> FeedEvent:
    """One session row of `FeedScope.rows()` as a calendar entry. Timestamps may be
    datetimes or the text SQLite stores; booleans may be 0/1."""
    labels = _Labels.of(wording.language)
    run_cancelled = is_cancelled(row.cohort_status, row.programme_status)
    session_cancelled = row.status == _SESSION_CANCELLED
    cancelled = session_cancelled or run_cancelled
    counts = wording.counts.get(row.cohort_id) if wording.counts is not None else None

    title = programme_title(
        row.programme_title,
        row.programme_title_en or "",
        wording.language,
        row.programme_translations,
    )
    own_title = (row.cohort_title or "").strip()
    shown_run_title = (
        run_title(own_title, row.cohort_translations, wording.language) if own_title else ""
    )
    summary = entry_summary(title, shown_run_title)
    if cancelled:
        summary = f"{summary} – {labels.cancelled}"

    url = entry_url(row, base_url=wording.base_url, for_staff=wording.viewer is not None)
    updated = _newest(row.updated_at, row.cohort_updated_at, row.programme_updated_at)
    if counts is not None and counts.updated_at is not None:
        updated = max(updated, counts.updated_at)
    starts_at = as_utc(row.starts_at)
    ends_at = as_utc(row.ends_at)
    assert starts_at is not None  # NOT NULL columns
    assert ends_at is not None

    return FeedEvent(
        session_id=row.id,
        sequence=row.sequence + (1 if run_cancelled and not session_cancelled else 0),
        cancelled=cancelled,
        starts_at=starts_at,
        ends_at=ends_at,
        updated_at=updated,
        summary=summary,
        location=row.location or row.cohort_location or "",
        description="\n".join(_description(row, labels, wording, cancelled, counts, url)),
        url=url,
        category=labels.categories.get(row.programme_kind, labels.categories["training"]),
        geo=_geo(row),
        transparent=wording.viewer is None,
        alarm=wording.reminder if wording.viewer is not None else None,
    )


def _geo(row: SessionRow) -> Geo | None:
    """The coordinates of where the session meets, when known: its own place, else (when
    it meets where its run does) the run's."""
    if row.place_name is not None:
        prefix = "place_"
    elif not row.location or row.location == row.cohort_location:
        prefix = "cohort_place_"
    else:
        return None
    latitude = getattr(row, prefix + "latitude")
    longitude = getattr(row, prefix + "longitude")
    if latitude is None or longitude is None:
        return None
    return Geo(
        latitude=float(latitude),
        longitude=float(longitude),
        title=getattr(row, prefix + "name") or "",
        address=place_address(
            getattr(row, prefix + "street") or "",
            getattr(row, prefix + "postcode") or "",
            getattr(row, prefix + "town") or "",
        ),
    )


def entry_summary(title: str, run_title: str) -> str:
    """The programme's title and the run's, each word said once: a run title that holds
    the programme's stands alone, one held by the programme's title adds nothing."""
    run_title = run_title.strip()
    if not run_title:
        return title
    if title.casefold() in run_title.casefold():
        return run_title
    if run_title.casefold() in title.casefold():
        return title
    return f"{title} – {run_title}"


def _with_language(url: str, language: str) -> str:
    """A page address in the feed's language (pages read `?lang=`; German needs none)."""
    return url if language == DEFAULT_LANGUAGE else f"{url}?lang={language}"


def _newest(*stamps: object) -> datetime:
    return max(stamp for stamp in map(as_utc, stamps) if stamp is not None)


def _description(
    row: SessionRow,
    labels: _Labels,
    wording: Wording,
    cancelled: bool,
    counts: RunCounts | None,
    url: str | None,
) -> list[str]:
    lines: list[str] = []
    private = wording.viewer is not None
    note = (row.public_cancel_note or "").strip()
    if cancelled:
        # the internal reason is for staff only; the public reads the public note
        reason = (row.cancel_reason or "").strip() if private else note
        lines.append(
            labels.cancelled_because % {"reason": reason} if reason else labels.date_cancelled
        )
        if private and note and note != reason:
            lines.append(labels.public_note % {"note": note})
    if row.theme:
        lines.append(labels.theme % {"theme": row.theme})
    if row.cohort_language:
        lines.append(labels.language % {"name": row.cohort_language})
    if wording.viewer is not None:
        lines += _private_lines(row, wording.viewer, counts or RunCounts(), labels)
    if url is not None:
        lines.append(labels.page % {"url": _with_language(url, wording.language)})
        if not private and not cancelled and REGISTRATION.shows(row):
            page = _with_language(url, wording.language)
            lines.append(labels.register % {"url": f"{page}#register"})
    return lines


def _private_lines(
    row: SessionRow, viewer: Viewer, counts: RunCounts, labels: _Labels
) -> list[str]:
    capacity = row.cohort_capacity
    seats = counts.confirmed_seats
    lines = [
        labels.seats_of % {"seats": seats, "capacity": capacity}
        if capacity is not None
        else labels.seats % {"seats": seats},
        labels.registrations % {"count": counts.confirmed},
        labels.waiting % {"count": counts.waiting},
    ]
    substitute = row.substitute
    if substitute is not None and int(substitute) == viewer.account_id:
        lines.append(labels.you_substitute)
    elif substitute is not None:
        lines.append(labels.substitute)
    return lines


def calendar_name(organisation: str, subject: str) -> str:
    return f"{organisation}: {subject}"


def kind_label(kind: str | None, language: str) -> str:
    """The subject of a public feed: all public dates, or one kind of them."""
    if kind == ProgrammeKind.training.value:
        return _t(language, N_("Trainings"))
    if kind == ProgrammeKind.info_event.value:
        return _t(language, N_("Info events"))
    return _t(language, N_("Public dates"))
