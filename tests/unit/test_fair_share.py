"""Fair shares of a worker's event loop (web/fair_share.py), with a clock the test moves:
each toy request "costs" loop time by moving the clock while it takes a step."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from litestar.types import Receive, Scope, Send

from programmes import work_charges
from programmes.web import fair_share
from programmes.web.fair_share import CALENDAR, CHANGE, PAGE, FairShare, kind_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ToyApp:
    """Answers nothing; records when each request starts and ends. A request's loop time
    is its scope's `cost` (seconds the clock moves during its step); `steps` extra steps
    (each a bare `sleep(0)`) and `forever` (steps until cancelled) shape it further."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.log: list[tuple[str, str]] = []
        self.waiting_at_start: list[int] = []
        self.share: FairShare | None = None

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        name = scope["name"]  # type: ignore[typeddict-item]
        self.log.append(("start", name))
        if self.share is not None:
            self.waiting_at_start.append(sum(len(k.waiting) for k in self.share.kinds.values()))
        self.clock.now += scope.get("cost", 0.0)  # type: ignore[call-overload]
        work_charges.charge(scope.get("held", 0.0))  # type: ignore[call-overload]
        if scope.get("fail"):  # type: ignore[call-overload]
            raise ValueError("the request failed")
        try:
            for _ in range(scope.get("steps", 0)):  # type: ignore[call-overload]
                await asyncio.sleep(0)
            while scope.get("forever"):  # type: ignore[call-overload]  # noqa: ASYNC110
                await asyncio.sleep(0)  # a step on every turn of the loop, by design
        finally:
            self.log.append(("end", name))


def request(name: str, path: str, *, method: str = "GET", **extra: Any) -> Any:
    return {"type": "http", "path": path, "method": method, "name": name, **extra}


def page(name: str, cost: float = 0.0, **extra: Any) -> Any:
    return request(name, "/", cost=cost, **extra)


def feed(name: str, cost: float = 0.0001, **extra: Any) -> Any:
    return request(name, "/feeds/public.ics", cost=cost, **extra)


def change(name: str, cost: float = 0.0, **extra: Any) -> Any:
    return request(name, "/api/v1/events/1/registrations", method="POST", cost=cost, **extra)


async def _nothing() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _ignore(message: Any) -> None:
    return None


#: receive and send for the toy requests (typed loosely: the toy scopes are loose too)
nothing: Any = _nothing
ignore: Any = _ignore


def setup() -> tuple[Clock, ToyApp, FairShare]:
    clock = Clock()
    app = ToyApp(clock)
    share = FairShare(app, clock=clock)
    app.share = share
    return clock, app, share


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/feeds/public.ics", CALENDAR),
        ("HEAD", "/feeds/private/abc.ics", CALENDAR),
        ("GET", "/events/12.ics", CALENDAR),
        ("GET", "/", PAGE),
        ("GET", "/events/12", PAGE),
        ("GET", "/api/v1/events", PAGE),
        ("POST", "/api/v1/events/12/registrations", CHANGE),
        ("POST", "/events/12/register", CHANGE),
        ("DELETE", "/api/v1/sessions/3", CHANGE),
    ],
)
def test_requests_are_told_apart_by_kind(method: str, path: str, kind: str) -> None:
    assert kind_of(request("", path, method=method)) == kind


async def test_a_feed_request_goes_before_a_page_whose_kind_is_ahead() -> None:
    """Pages have used 3 ms of loop time while a calendar app, busy a moment ago, has used
    0.1 ms: a page and a feed request that arrive together are answered feed first, and the
    page right after (the loop then has nothing else to do)."""
    _, app, share = setup()
    await share(feed("feed 1"), nothing, ignore)
    await share(page("page 1", cost=0.003), nothing, ignore)
    app.log.clear()

    await asyncio.gather(
        share(page("page 2"), nothing, ignore), share(feed("feed 2"), nothing, ignore)
    )

    assert app.log == [
        ("start", "feed 2"),
        ("end", "feed 2"),
        ("start", "page 2"),
        ("end", "page 2"),
    ]


async def test_without_a_fair_share_the_same_requests_go_first_come_first_served() -> None:
    """The control for the test above: the same app and requests, no fair share."""
    clock = Clock()
    app = ToyApp(clock)
    await app(feed("feed 1"), nothing, ignore)
    await app(page("page 1", cost=0.003), nothing, ignore)
    app.log.clear()

    await asyncio.gather(app(page("page 2"), nothing, ignore), app(feed("feed 2"), nothing, ignore))

    assert app.log[0] == ("start", "page 2")


async def test_a_change_is_charged_the_time_it_held_the_write_path() -> None:
    """A registration whose loop steps cost 0.1 ms but whose write transaction held the
    write path for 3 ms (`work_charges`) puts changes ahead of pages: a page and a
    registration that arrive together are answered page first."""
    _, app, share = setup()
    await share(page("page 1", cost=0.001), nothing, ignore)
    await share(change("change 1", cost=0.0001, held=0.003), nothing, ignore)
    app.log.clear()

    await asyncio.gather(
        share(change("change 2"), nothing, ignore), share(page("page 2"), nothing, ignore)
    )

    assert share.kinds[CHANGE].used == pytest.approx(0.001 + 0.0001 + 0.003)  # level + own
    assert app.log[0] == ("start", "page 2")


async def test_without_the_charge_the_same_registration_would_go_first() -> None:
    """The control for the test above: the same requests, the transaction not charged."""
    _, app, share = setup()
    await share(page("page 1", cost=0.001), nothing, ignore)
    await share(change("change 1", cost=0.0001), nothing, ignore)
    app.log.clear()

    await asyncio.gather(
        share(change("change 2"), nothing, ignore), share(page("page 2"), nothing, ignore)
    )

    assert app.log[0] == ("start", "change 2")


async def test_work_started_by_the_lifespan_is_charged_to_changes() -> None:
    """The mail sender and the daily jobs start in the lifespan: their writes count as
    changes, not as nobody's."""
    clock = Clock()
    background: list[asyncio.Task[None]] = []

    async def later() -> None:
        await asyncio.sleep(0)
        work_charges.charge(0.004)

    async def lifespan(scope: Any, receive: Receive, send: Send) -> None:
        background.append(asyncio.create_task(later()))

    share = FairShare(lifespan, clock=clock)
    scope: Any = {"type": "lifespan"}
    await share(scope, nothing, ignore)
    await background[0]

    assert share.kinds[CHANGE].used == pytest.approx(0.004)
    assert share.kinds[PAGE].used == share.kinds[CALENDAR].used == 0


async def test_a_kind_on_its_own_never_waits() -> None:
    _, app, share = setup()
    pages = [page(f"page {n}", cost=0.01, steps=2) for n in range(20)]

    await asyncio.gather(*(share(p, nothing, ignore) for p in pages))

    assert app.waiting_at_start == [0] * 20
    assert [entry for entry in app.log if entry[0] == "end"] == [
        ("end", f"page {n}") for n in range(20)
    ]


async def test_a_kind_back_from_an_idle_spell_has_saved_up_no_credit() -> None:
    """Calendar apps were quiet while pages used a whole second: when a feed request comes
    back it does not make pages wait until the feed has used a second too."""
    clock, app, share = setup()
    await share(feed("feed 1"), nothing, ignore)
    clock.now += 60
    for n in range(100):
        await share(page(f"page {n}", cost=0.01), nothing, ignore)
    await share(feed("feed 2"), nothing, ignore)
    app.waiting_at_start.clear()

    await share(page("page after"), nothing, ignore)

    assert app.waiting_at_start == [0]
    assert share.kinds[CALENDAR].used >= share.kinds[PAGE].used - 0.02


async def test_a_waiting_request_starts_as_soon_as_the_loop_has_nothing_else_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A calendar app that wants little (a 304 now and then) holds nobody back for long:
    the page waits one turn of the loop, not `MAX_WAIT` (here 30 s)."""
    monkeypatch.setattr(fair_share, "MAX_WAIT", 30.0)
    _, app, share = setup()
    await share(feed("feed"), nothing, ignore)
    await share(page("page 1", cost=0.003), nothing, ignore)

    await asyncio.wait_for(share(page("page 2"), nothing, ignore), timeout=5)

    assert app.log[-2:] == [("start", "page 2"), ("end", "page 2")]


async def test_no_request_waits_longer_than_max_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A calendar request that keeps the loop busy without using loop time (its steps cost
    nothing on this clock): the page is ahead and the loop is never idle, yet the page
    starts after `MAX_WAIT`."""
    monkeypatch.setattr(fair_share, "MAX_WAIT", 0.05)
    _, app, share = setup()
    busy = asyncio.create_task(share(feed("busy feed", cost=0.0, forever=True), nothing, ignore))
    await asyncio.sleep(0)
    await share(page("page 1", cost=0.003), nothing, ignore)
    started = time.perf_counter()

    await asyncio.wait_for(share(page("page 2"), nothing, ignore), timeout=5)

    assert time.perf_counter() - started >= 0.04
    assert ("end", "page 2") in app.log
    busy.cancel()
    with pytest.raises(asyncio.CancelledError):
        await busy


async def test_errors_and_cancellation_reach_the_request_and_leave_nothing_counted() -> None:
    _, app, share = setup()
    with pytest.raises(ValueError, match="the request failed"):
        await share(request("broken", "/", method="POST", fail=True), nothing, ignore)

    task = asyncio.create_task(share(feed("endless", forever=True), nothing, ignore))
    for _ in range(3):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert ("end", "endless") in app.log  # the request's own `finally` ran
    assert all(kind.running == 0 and not kind.waiting for kind in share.kinds.values())
    await share(page("next"), nothing, ignore)
    assert app.log[-1] == ("end", "next")
    assert share.kinds[CHANGE].used >= 0


async def test_other_scopes_pass_through_untouched() -> None:
    seen: list[str] = []

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    await FairShare(lifespan_app)({"type": "lifespan"}, nothing, ignore)  # type: ignore[arg-type, typeddict-item]

    assert seen == ["lifespan"]
