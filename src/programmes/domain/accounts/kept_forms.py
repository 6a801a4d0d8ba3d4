"""Form entries kept while a person signs in again.

A trainer marks attendance on a phone, the sign-in expires meanwhile, and "Save" reaches the
server without a session. Rather than lose the marks, the entries are kept here for
`KEEP_MINUTES` under the SHA-256 of a random key; the key goes to the person's browser only
(a cookie, never a URL). After signing in, the page the form was on opens again with the
entries filled in, once: `take_kept_form` deletes them as it hands them over. Only the
account whose session expired gets them back (when that is still known). Passwords and the
CSRF token are never kept. Expired entries are deleted whenever new ones are kept, and by the
daily retention run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from piccolo_api.session_auth.tables import SessionsBase

from programmes.db import write_transaction
from programmes.domain.tokens import hash_token, new_token
from programmes.tables import KeptForm

KEEP_MINUTES = 30
#: No staff form has nearly as many fields, or as much text; larger ones are not kept.
MAX_FIELDS = 300
MAX_CHARACTERS = 100_000
#: Never kept, whatever the form.
NEVER_KEPT = frozenset({"_csrf_token", "password", "confirmed"})

Fields = list[tuple[str, str]]


def keepable(fields: Sequence[tuple[str, str]]) -> Fields:
    """The fields worth keeping (without secrets), or [] when there are none or too many."""
    kept = [(name, value) for name, value in fields if name not in NEVER_KEPT]
    if len(kept) > MAX_FIELDS or sum(len(n) + len(v) for n, v in kept) > MAX_CHARACTERS:
        return []
    return kept


async def account_of_session(session_token: str | None) -> int | None:
    """The account an (expired) session cookie belonged to, if the session is still known."""
    if not session_token or len(session_token) > 100:
        return None
    row = (
        await SessionsBase.select(SessionsBase.user_id)
        .where(SessionsBase.token == session_token)
        .first()
    )
    return int(row["user_id"]) if row else None


async def keep_form(
    *, account_id: int | None, page: str, fields: Sequence[tuple[str, str]], now: datetime
) -> str | None:
    """Keep `fields` for `page`; returns the key for the browser (None: nothing to keep)."""
    kept = keepable(fields)
    if not kept or len(page) > 1000:
        return None
    key = new_token()
    async with write_transaction():
        await forget_expired(now=now)
        await KeptForm.insert(
            KeptForm(
                key_hash=hash_token(key),
                account=account_id,
                page=page,
                fields=json.dumps(kept, ensure_ascii=False),
                expires_at=now + timedelta(minutes=KEEP_MINUTES),
            )
        )
    return key


async def forget_expired(*, now: datetime) -> None:
    """Delete every kept form whose minutes are over (also run by the daily retention)."""
    await KeptForm.delete().where(KeptForm.expires_at <= now)


async def take_kept_form(*, key: str, account_id: int, path: str, now: datetime) -> Fields | None:
    """The entries kept under `key` for the page at `path`, handed over once to the account
    they belong to; None when there are none (expired, taken, another page or person)."""
    if not key or len(key) > 100:
        return None
    async with write_transaction():
        row = (
            await KeptForm.select(KeptForm.id, KeptForm.account, KeptForm.page, KeptForm.fields)
            .where((KeptForm.key_hash == hash_token(key)) & (KeptForm.expires_at > now))
            .first()
        )
        if row is None or row["page"].partition("?")[0] != path:
            return None
        if row["account"] is not None and row["account"] != account_id:
            return None
        await KeptForm.delete().where(KeptForm.id == row["id"])
    return [(str(name), str(value)) for name, value in json.loads(row["fields"])]


__all__ = [
    "KEEP_MINUTES",
    "account_of_session",
    "forget_expired",
    "keep_form",
    "keepable",
    "take_kept_form",
]
