"""The secret in a person's private calendar feed URL: create, rotate, revoke.

A feed token carries 256 random bits (`domain.tokens`) and is shown once; the database keeps
only its SHA-256. A person has at most one active token: rotating revokes the old one in the
same transaction, so an old URL stops working on its next request. The feed itself looks the
token up on every request (`scopes.PrivateScope`), never from a cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from programmes.db import write_transaction
from programmes.domain import audit
from programmes.domain.errors import N_, Conflict, InvalidInput, NotFound
from programmes.domain.tokens import hash_token, looks_like_token, new_token
from programmes.ical import MAX_REMINDER
from programmes.tables import Account, FeedToken

FEED_TOKEN_PREFIX = "cal_"  # noqa: S105 (a prefix, not a secret)


#: The earliest reminder a private feed may carry, in minutes (a week; `ical.MAX_REMINDER`).
MAX_REMINDER_MINUTES: Final = int(MAX_REMINDER.total_seconds()) // 60


@dataclass(frozen=True)
class FeedLinkStatus:
    """What the staff page may show about an active token (never the token itself)."""

    created_at: datetime
    reminder_minutes: int | None = None


def feed_token_hash(token: str) -> str | None:
    """The stored hash for a well-formed token, or None for anything malformed (no query)."""
    if not looks_like_token(token, FEED_TOKEN_PREFIX):
        return None
    return hash_token(token)


async def describe_feed_link(account_id: int) -> FeedLinkStatus | None:
    row = (
        await FeedToken.select(FeedToken.created_at, FeedToken.reminder_minutes)
        .where((FeedToken.account == account_id) & FeedToken.revoked_at.is_null())
        .order_by(FeedToken.created_at, ascending=False)
        .first()
    )
    if row is None:
        return None
    return FeedLinkStatus(created_at=row["created_at"], reminder_minutes=row["reminder_minutes"])


def check_reminder(value: str | int | None) -> int | None:
    """A reminder in minutes before a session's start: empty for none, else a whole number
    from 0 (at the start) to a week; anything else is refused naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        minutes = int(value.strip()) if isinstance(value, str) else int(value)
    except ValueError:
        raise InvalidInput(
            N_("Please give the minutes as a whole number."), field="reminder"
        ) from None
    if not 0 <= minutes <= MAX_REMINDER_MINUTES:
        raise InvalidInput(
            N_("A reminder comes between 0 minutes and a week (%(max)s minutes) before."),
            field="reminder",
            max=MAX_REMINDER_MINUTES,
        )
    return minutes


async def set_feed_reminder(*, account_id: int, minutes: int | None, now: datetime) -> None:
    """Put a reminder (VALARM) before every session of the person's private feed, or none
    (`None`, the default). Calendar apps apply it at their next refresh."""
    minutes = check_reminder(minutes)
    async with write_transaction():
        ids = await _active_token_ids(account_id)
        if not ids:
            raise NotFound(N_("You have no active calendar link."), field="feed_token")
        await FeedToken.update({FeedToken.reminder_minutes: minutes}).where(FeedToken.id.is_in(ids))
        await audit.record(
            actor_id=account_id,
            action="feed_token.reminder_set",
            object_type="account",
            object_id=account_id,
            now=now,
            detail={"minutes": minutes},
        )


async def is_active_feed_token(account_id: int, token: str) -> bool:
    """Whether `token` is the account's active one (a link shown once after creating or
    rotating it must not be shown once it was revoked or rotated again)."""
    digest = feed_token_hash(token)
    if digest is None:
        return False
    return await FeedToken.exists().where(
        (FeedToken.account == account_id)
        & (FeedToken.token_hash == digest)
        & FeedToken.revoked_at.is_null()
    )


async def create_feed_token(*, account_id: int, now: datetime) -> str:
    """A new private feed token; refused when one is active (rotate it instead)."""
    async with write_transaction():
        if await _active_token_ids(account_id):
            raise Conflict(
                N_("You already have a calendar link. Rotate it to get a new one."),
                field="feed_token",
            )
        return await _issue(account_id, action="feed_token.created", now=now)


async def rotate_feed_token(*, account_id: int, now: datetime) -> str:
    """Revoke the active token (if any) and issue a new one, in one transaction."""
    async with write_transaction():
        reminder = await (
            FeedToken.select(FeedToken.reminder_minutes)
            .where((FeedToken.account == account_id) & FeedToken.revoked_at.is_null())
            .first()
        )
        await _revoke_all(account_id, now=now)
        # the new link keeps the owner's reminder
        minutes = reminder["reminder_minutes"] if reminder else None
        return await _issue(account_id, action="feed_token.rotated", now=now, reminder=minutes)


async def revoke_feed_token(*, account_id: int, now: datetime) -> None:
    async with write_transaction():
        if not await _revoke_all(account_id, now=now):
            raise NotFound(N_("You have no active calendar link."), field="feed_token")
        await audit.record(
            actor_id=account_id,
            action="feed_token.revoked",
            object_type="account",
            object_id=account_id,
            now=now,
        )


async def _active_token_ids(account_id: int) -> list[int]:
    rows = await FeedToken.select(FeedToken.id).where(
        (FeedToken.account == account_id) & FeedToken.revoked_at.is_null()
    )
    return [int(row["id"]) for row in rows]


async def _revoke_all(account_id: int, *, now: datetime) -> list[int]:
    ids = await _active_token_ids(account_id)
    if ids:
        await FeedToken.update({FeedToken.revoked_at: now}).where(FeedToken.id.is_in(ids))
    return ids


async def _issue(
    account_id: int, *, action: str, now: datetime, reminder: int | None = None
) -> str:
    if not await Account.exists().where(Account.id == account_id):
        raise NotFound(N_("There is no account with id %(id)s."), field="account", id=account_id)
    token = new_token(FEED_TOKEN_PREFIX)
    rows = await FeedToken.insert(
        FeedToken(
            account=account_id,
            token_hash=hash_token(token),
            created_at=now,
            reminder_minutes=reminder,
        )
    )
    await audit.record(
        actor_id=account_id,
        action=action,
        object_type="feed_token",
        object_id=int(rows[0]["id"]),
        now=now,
    )
    return token
