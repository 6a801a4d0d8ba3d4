"""Counting the statements a block of code sends to the database, on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from programmes import db, sqlite_engine


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """Every statement run while the block is active: through the engine (patched on the
    class: PostgresEngine has slots) and through SQLite's persistent readers (FreshQuery)."""
    engine_class: Any = type(db.engine())
    original = engine_class.run_querystring
    original_fetch = sqlite_engine._Reader.fetch
    seen: list[str] = []

    async def counting(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(querystring))
        return await original(self, querystring, *args, **kwargs)

    def counting_fetch(self: Any, sql: str, args: list[Any]) -> Any:
        seen.append(sql)
        return original_fetch(self, sql, args)

    engine_class.run_querystring = counting
    sqlite_engine._Reader.fetch = counting_fetch  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        engine_class.run_querystring = original
        sqlite_engine._Reader.fetch = original_fetch  # type: ignore[method-assign]
