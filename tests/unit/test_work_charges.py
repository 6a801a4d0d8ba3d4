"""Who work done beyond a request's own loop steps is charged to (`work_charges`)."""

from __future__ import annotations

import asyncio

from programmes import work_charges


def test_nothing_is_charged_outside_a_charged_block() -> None:
    charged: list[float] = []
    work_charges.charge(0.5)
    with work_charges.charged_to(charged.append):
        work_charges.charge(0.25)
    work_charges.charge(0.5)

    assert charged == [0.25]


def test_the_innermost_block_is_charged_and_the_outer_one_after_it() -> None:
    outer: list[float] = []
    inner: list[float] = []
    with work_charges.charged_to(outer.append):
        with work_charges.charged_to(inner.append):
            work_charges.charge(1.0)
        work_charges.charge(2.0)

    assert (outer, inner) == ([2.0], [1.0])


async def test_a_task_started_in_a_block_is_charged_to_it_after_the_block_ends() -> None:
    """The mail sender starts in the app's lifespan: its rounds are charged to changes."""
    charged: list[float] = []
    go_on = asyncio.Event()

    async def background() -> None:
        await go_on.wait()
        work_charges.charge(0.125)

    with work_charges.charged_to(charged.append):
        task = asyncio.create_task(background())
    work_charges.charge(9.0)
    go_on.set()
    await task

    assert charged == [0.125]
