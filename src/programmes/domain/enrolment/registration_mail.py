"""Mails about a registration: received (confirmed or waiting), promoted, cancelled, moved
back to the waiting list. Queued in the outbox inside the caller's transaction, one per
address, in the registrant's language; confirmations carry the run's calendar file, the very
bytes `/events/{id}.ics?lang=<language>` serves (`feeds.calendars.run_calendar_file`).

What does not change during a registration (the run's title, dates, page and calendar file)
is read once, before the write transaction, as `RunInfo`, so the transaction stays short and
the calendar file is never built from reads that may yet be rolled back. For the same reason
a mail can be composed before the transaction (`compose`) and only queued inside it
(`queue`); `send` does both.

The cancel link is stored as a slot (`mail.links`), never as the token: the sender fills
it in, so the outbox holds nothing that cancels a registration. `CancelLink` is the one
place that makes the nonce and the hash the registration keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from programmes.domain.catalogue import translations as texts
from programmes.domain.catalogue.publication import public_page
from programmes.domain.enrolment.events import PublicRun, RunDate, run_dates
from programmes.domain.errors import N_, NotFound
from programmes.domain.feeds.calendars import Calendars, FeedCache, FeedSite, run_calendar_file
from programmes.domain.mail import links
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.domain.mail.texts import render_mail
from programmes.domain.tokens import hash_token
from programmes.i18n import LANGUAGES
from programmes.tables import Cohort, Guardian, Registration

ATTACHMENT_NAME = "termine.ics"
#: The purpose of the cancel link's token (`links.token`).
CANCEL_PURPOSE = "cancel"


@dataclass(frozen=True)
class CancelLink:
    """A registration's cancel link: the mail stores `url()` with a slot for the token, the
    registration stores `token_hash` (the SHA-256 of the token the sender fills in)."""

    nonce: str

    @classmethod
    def new(cls) -> CancelLink:
        return cls(links.new_nonce())

    @property
    def token_hash(self) -> str:
        return hash_token(links.token(CANCEL_PURPOSE, self.nonce))

    def url(self, base_url: str) -> str:
        return f"{base_url}/events/cancel/{links.slot(CANCEL_PURPOSE, self.nonce)}"


@dataclass(frozen=True)
class MailContext:
    """Where mails link to, when they are written, and the app's calendar feeds (their
    calendar files come from there). Without the app's feeds (tests, scripts) each run's
    file is built in a cache of its own."""

    base_url: str
    now: datetime
    calendars: Calendars | None = field(default=None, compare=False)

    def feeds(self) -> Calendars:
        if self.calendars is not None:
            return self.calendars
        return Calendars(site=FeedSite.for_base_url(self.base_url), cache=FeedCache())


@dataclass(frozen=True)
class RunInfo:
    """A run as its mails show it: title, the dates that take place, its public page (when
    it has one) and its calendar file per language."""

    cohort_id: int
    title: str
    dates: list[RunDate]
    page_url: str | None
    calendars: Mapping[str, bytes]
    #: The title in other languages (`PublicRun.titles`); German is `title`.
    titles: Mapping[str, str] = field(default_factory=dict)

    def calendar(self, language: str) -> bytes:
        return self.calendars[language]

    def title_in(self, language: str) -> str:
        return texts.pick(self.title, self.titles, language).text


ALL_LANGUAGES = LANGUAGES


async def run_info(
    cohort_id: int, context: MailContext, *, languages: Iterable[str] = ALL_LANGUAGES
) -> RunInfo:
    """Any run, listed or not (a Rucksack KiTa group), with its calendar file in each of
    `languages`. Call it outside write transactions."""
    programme: Any = Cohort.programme
    row = (
        await Cohort.select(
            Cohort.id.as_alias("cohort_id"),
            Cohort.title,
            Cohort.status.as_alias("cohort_status"),
            programme.status.as_alias("programme_status"),
            programme.kind.as_alias("programme_kind"),
            programme.is_public.as_alias("programme_is_public"),
            Cohort.translations,
            programme.title.as_alias("programme_title"),
            programme.title_en.as_alias("programme_title_en"),
            programme.translations.as_alias("programme_translations"),
        )
        .where(Cohort.id == cohort_id)
        .first()
    )
    if row is None:
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)
    dates = (await run_dates([cohort_id]))[cohort_id]
    titles = texts.run_variants(
        row["title"],
        texts.parse(row.pop("translations")),
        row.pop("programme_title"),
        texts.programme_variants(
            row.pop("programme_title_en") or "",
            texts.parse(row.pop("programme_translations")),
            "title",
        ),
    )
    return RunInfo(
        cohort_id=cohort_id,
        title=row["title"],
        dates=[date for date in dates if not date.cancelled],
        page_url=public_page(_Facts(**row), base_url=context.base_url),
        calendars=await _calendars(cohort_id, context, languages),
        titles=titles,
    )


async def run_info_from(
    run: PublicRun, context: MailContext, *, languages: Iterable[str] = ALL_LANGUAGES
) -> RunInfo:
    """The same from a listed run already read (no further query for its dates)."""
    return RunInfo(
        cohort_id=run.cohort_id,
        title=run.title,
        dates=[date for date in run.dates if not date.cancelled],
        page_url=public_page(run, base_url=context.base_url),
        calendars=await _calendars(run.cohort_id, context, languages),
        titles=run.titles(),
    )


@dataclass(frozen=True)
class _Facts:
    """A run's publication facts as `run_info` reads them (`publication.RunFacts`)."""

    cohort_id: int
    title: str
    cohort_status: str
    programme_status: str
    programme_kind: str
    programme_is_public: bool


async def _calendars(
    cohort_id: int, context: MailContext, languages: Iterable[str]
) -> dict[str, bytes]:
    feeds = context.feeds()
    return {
        language: await run_calendar_file(
            cohort_id, language=language, calendars=feeds, now=context.now
        )
        for language in dict.fromkeys(languages)
    }


@dataclass(frozen=True)
class Recipient:
    addresses: list[str]
    language: str
    seats: int


async def recipient(registration_id: int) -> Recipient:
    row = (
        await Registration.select(
            Registration.family,
            Registration.language,
            Registration.seats,
            Registration.person.email.as_alias("person_email"),
        )
        .where(Registration.id == registration_id)
        .first()
    )
    assert row is not None
    addresses = [row["person_email"]] if row["person_email"] else []
    if row["family"] is not None:
        addresses += [
            g["email"]
            for g in await Guardian.select(Guardian.email).where(
                (Guardian.family == row["family"]) & (Guardian.email != "")
            )
        ]
    return Recipient(addresses, row["language"], row["seats"])


@dataclass(frozen=True)
class Letter:
    """One mail composed for every address of a registration, not queued yet."""

    mails: tuple[OutgoingMail, ...]


def compose(
    template: str,
    context: MailContext,
    run: RunInfo,
    *,
    to: Recipient,
    cancel_link: CancelLink | None = None,
    waiting_rank: int | None = None,
    reason: str = "",
    attach_calendar: bool = False,
) -> Letter:
    """Render `template` for `to` (no database work: a use case may compose before its
    write transaction, which every writer waits for)."""
    if not to.addresses:
        return Letter(())
    # the link goes in after the text people typed (title, reason) is made inert, so only
    # this slot can become a token
    placeholder = f"\x00cancel-{links.new_nonce()}\x00"
    subject, body = render_mail(
        template,
        to.language,
        title=run.title_in(to.language),
        seats=to.seats,
        dates=run.dates,
        rank=waiting_rank,
        reason=reason,
        cancel_url=placeholder if cancel_link else "",
        event_url=run.page_url or "",
    )
    body = links.neutralise(body)
    if cancel_link:
        body = body.replace(placeholder, cancel_link.url(context.base_url))
    return Letter(
        tuple(
            OutgoingMail(
                to_address=address,
                subject=subject,
                body_text=body,
                language=to.language,
                attachment_name=ATTACHMENT_NAME if attach_calendar else "",
                attachment=run.calendar(to.language) if attach_calendar else b"",
                related_type="registration",
                secret_links=cancel_link is not None,
            )
            for address in to.addresses
        )
    )


async def queue(letter: Letter, registration_id: int, *, now: datetime) -> int:
    """Put a composed letter into the outbox (inside the caller's transaction); returns
    how many mails."""
    for mail in letter.mails:
        await enqueue(replace(mail, related_id=registration_id), now=now)
    return len(letter.mails)


async def send(
    template: str,
    registration_id: int,
    context: MailContext,
    run: RunInfo,
    *,
    to: Recipient | None = None,
    cancel_link: CancelLink | None = None,
    waiting_rank: int | None = None,
    reason: str = "",
    attach_calendar: bool = False,
) -> int:
    """Queue `template` for every address of the registration; returns how many."""
    letter = compose(
        template,
        context,
        run,
        to=to or await recipient(registration_id),
        cancel_link=cancel_link,
        waiting_rank=waiting_rank,
        reason=reason,
        attach_calendar=attach_calendar,
    )
    return await queue(letter, registration_id, now=context.now)
