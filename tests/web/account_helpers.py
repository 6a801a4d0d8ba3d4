"""Helpers for the account pages' tests: the mails in the outbox as stored and as sent,
and the set-password link a sent mail carries."""

from __future__ import annotations

import re
from typing import Any

from programmes.domain.mail import wire
from programmes.tables import Outbox

LINK = re.compile(r"http://testserver(/staff/password/set\?token=([A-Za-z0-9_-]+))")


async def account_mails() -> list[dict[str, Any]]:
    return list(
        await Outbox.select(*Outbox.all_columns())
        .where(Outbox.related_type == "account")
        .order_by(Outbox.id)
    )


def sent_text(row: dict[str, Any]) -> str:
    """The text of the mail as the sender puts it on the wire."""
    message = wire.build_message(row, sender="programme@hdk.example")
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def link_in(row: dict[str, Any]) -> tuple[str, str]:
    """(path with query, token) of the set-password link in the sent mail."""
    match = LINK.search(sent_text(row))
    assert match, sent_text(row)
    return match.group(1), match.group(2)
