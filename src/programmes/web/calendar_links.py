"""Links to the calendar feeds, for pages: `webcal://` to subscribe, `https://` to copy.

`webcal://` makes browsers hand the feed to the calendar app, which then subscribes (and
refreshes) instead of importing once. The https address is for apps that want a URL pasted.
Google Calendar and Outlook on the web subscribe through their own pages, given the feed's
address (`google`, `outlook`). English pages link to English feeds (`?lang=en`); German is
the default and needs nothing. Pages only ever link public feeds here: a personal feed's
address is shown once, on /staff/feed, and never handed to Google or Microsoft by a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from programmes import i18n

#: Google Calendar's "add by URL" page (`cid`: the feed's address).
GOOGLE_SUBSCRIBE = "https://calendar.google.com/calendar/render?cid="
#: Outlook on the web's "subscribe from web" page (personal accounts: families use them).
OUTLOOK_SUBSCRIBE = "https://outlook.live.com/calendar/0/addfromweb"


@dataclass(frozen=True)
class CalendarLink:
    label: str
    https: str
    webcal: str

    @property
    def google(self) -> str:
        return GOOGLE_SUBSCRIBE + quote(self.webcal, safe="")

    @property
    def outlook(self) -> str:
        return f"{OUTLOOK_SUBSCRIBE}?{urlencode({'url': self.https, 'name': self.label})}"


@dataclass(frozen=True)
class CalendarLinks:
    base_url: str
    language: str

    def _query(self, **params: str) -> str:
        if self.language != i18n.DEFAULT_LANGUAGE:
            params["lang"] = self.language
        return f"?{urlencode(params)}" if params else ""

    def _link(self, label: str, path: str) -> CalendarLink:
        netloc = urlsplit(self.base_url).netloc
        return CalendarLink(
            label=label, https=self.base_url + path, webcal=f"webcal://{netloc}{path}"
        )

    def public(self, label: str, kind: str | None = None) -> CalendarLink:
        query = self._query(kind=kind) if kind else self._query()
        return self._link(label, f"/feeds/public.ics{query}")

    def programme(self, label: str, programme_id: int) -> CalendarLink:
        return self._link(label, f"/feeds/programmes/{programme_id}.ics{self._query()}")

    def private(self, token: str) -> CalendarLink:
        return self._link("", f"/feeds/private/{token}.ics{self._query()}")

    def run(self, label: str, cohort_id: int) -> CalendarLink:
        """One run's dates to subscribe to (the event file keeps itself up to date too)."""
        return self._link(label, self.event(cohort_id))

    def event(self, cohort_id: int) -> str:
        """The "add to calendar" file of one run (relative: it is downloaded, not subscribed)."""
        return f"/events/{cohort_id}.ics{self._query()}"
