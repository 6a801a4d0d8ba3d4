"""Benchmark: feed rendering with programmes.ical against icalendar used naively.

Run from the repository root:  python bench/ical_render.py [events] [repeats]

Prints, for the same 1,000 sessions (by default):
  1. naive: icalendar alone, one Calendar with N Event components, serialised once;
  2. cold:  render_feed (render every event, assemble);
  3. warm:  render_calendar over N pre-rendered (cached) event blocks;
with the median of several runs and the ratios. Targets: cold <= 1.2x
naive; warm far cheaper than either.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from programmes.ical import BERLIN, FeedEvent, event_uid, render_calendar, render_event, render_feed

HOST = "programmes.example.org"


def build_events(n: int) -> list[FeedEvent]:
    base = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    categories = ["Training", "Infoveranstaltung", "Rucksack KiTa"]
    return [
        FeedEvent(
            session_id=i + 1,
            sequence=i % 4,
            cancelled=i % 17 == 0,
            starts_at=base + timedelta(days=i // 3, hours=2 * (i % 3)),
            ends_at=base + timedelta(days=i // 3, hours=2 * (i % 3) + 1, minutes=30),
            updated_at=base - timedelta(days=30) + timedelta(minutes=i),
            summary=f"Elternkurs {i}: Sprache im Alltag – Gruppe {i % 7}",
            location="Haus der Kulturen, Raum 2, Gartenstraße 5, 12345 Musterstadt",
            description=(
                f"Thema: Einkaufen, Ernährung und Gesundheit (Treffen {i % 10 + 1} von 10)\n"
                "Bitte bringen Sie Ihr Heft mit; Kinderbetreuung ist vorhanden."
            ),
            url=f"https://{HOST}/sessions/{i + 1}",
            category=categories[i % 3],
        )
        for i in range(n)
    ]


def naive(events: list[FeedEvent]) -> bytes:
    """icalendar the obvious way: one Calendar, add every Event, serialise."""
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", "-//programmes//Haus der Kulturen//DE")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", "Öffentliche Termine")
    for e in events:
        event = Event()
        event.add("UID", event_uid(e.session_id, HOST))
        event.add("SEQUENCE", e.sequence)
        event.add("STATUS", "CANCELLED" if e.cancelled else "CONFIRMED")
        event.add("DTSTAMP", e.updated_at)
        event.add("LAST-MODIFIED", e.updated_at)
        event.add("DTSTART", e.starts_at.astimezone(BERLIN))
        event.add("DTEND", e.ends_at.astimezone(BERLIN))
        event.add("SUMMARY", e.summary)
        event.add("LOCATION", e.location)
        event.add("DESCRIPTION", e.description)
        event.add("URL", e.url)
        event.add("CATEGORIES", [e.category])
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def timed(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median time of each function; runs are interleaved so machine load hits all alike."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, out in zip(fns, samples, strict=True):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return [statistics.median(s) for s in samples]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    events = build_events(n)
    blocks = [render_event(e, host=HOST) for e in events]
    name = "Öffentliche Termine"

    assert render_calendar(name=name, events=blocks) == render_feed(
        name=name, events=events, host=HOST
    )
    # Warm-up (imports, caches of the calendar head).
    naive(events[:10])
    render_feed(name=name, events=events[:10], host=HOST)

    t_naive, t_cold = timed(
        [lambda: naive(events), lambda: render_feed(name=name, events=events, host=HOST)],
        repeats,
    )
    (t_warm,) = timed([lambda: render_calendar(name=name, events=blocks)], repeats * 10)
    size = len(render_calendar(name=name, events=blocks))

    print(f"{n} events, median of {repeats} runs, feed size {size / 1024:.0f} KiB")
    print(f"  naive icalendar (1 Calendar, {n} Events): {t_naive * 1000:8.2f} ms")
    print(f"  render_feed (cold, per event + splice):   {t_cold * 1000:8.2f} ms")
    print(f"  render_calendar over cached blocks:       {t_warm * 1000:8.3f} ms")
    print(f"  cold / naive: {t_cold / t_naive:.2f}x   (target <= 1.2x)")
    print(f"  warm / naive: {t_warm / t_naive:.4f}x   naive / warm: {t_naive / t_warm:.0f}x faster")
    print(f"  one changed event + splice: {(t_cold / n + t_warm) * 1000:.3f} ms (estimated)")


if __name__ == "__main__":
    main()
