"""Work that a request causes beyond its own steps on the event loop, charged to it.

The fair share of each worker's event loop (`web.fair_share`) charges every kind of
request the loop time its steps take. One resource is not loop time but is shared by all:
the write path. While a write transaction runs it holds SQLite's one write lock (which
every writer of every worker waits for) or, on PostgreSQL, a pool connection and the
database's CPU on the same cores. A change that only counted its loop steps used far more
of the machine than its share: beside registrations the feed and the start page kept a
fifth to a quarter of their rate alone (bench/mixed.py). So `db.write_transaction` charges
the time it held the write path to whoever asked for it.

Who is charged is a context variable: the fair share sets it for each request (its kind)
and for the app's lifespan (changes: the work started there, such as mail rounds, follows
from changes), and tasks inherit it where they are created. Without a fair share (tests,
scripts, `PROGRAMMES_FAIR_SHARE=off`) nobody is charged and `charge` does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Charge = Callable[[float], None]

_charged: ContextVar[Charge | None] = ContextVar("programmes_charged", default=None)


def charge(seconds: float) -> None:
    """Add `seconds` of work to whoever the current request or task is charged to."""
    add = _charged.get()
    if add is not None:
        add(seconds)


@contextmanager
def charged_to(add: Charge) -> Iterator[None]:
    """Within the block (and in tasks created in it), work is charged to `add`."""
    token = _charged.set(add)
    try:
        yield
    finally:
        _charged.reset(token)
