"""Mails queued before cancel links became slots (docs/mail.md) hold the full link. For
mails already sent or given up, the recipient has (or never gets) the link, so the stored
copy is cut to `/events/cancel/(removed)`: the link in the recipient's mailbox keeps
working (the registration keeps the token's hash), but nobody reading the outbox can use
it. Mails not sent yet keep their link until they are sent and retention clears them.
Data only, no schema change; nothing to undo."""

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from programmes.db import fetch

ID = "2026-12-06T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cut the cancel links out of the stored copies of mails already sent"

_LINK = re.compile(r"(/events/cancel/)[A-Za-z0-9_-]{20,100}")


async def cut_sent_cancel_links() -> None:
    rows = await fetch(
        "SELECT id, body_text FROM outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL) "
        "AND body_text LIKE {}",
        "%/events/cancel/%",
    )
    for row in rows:
        cut = _LINK.sub(r"\1(removed)", str(row["body_text"]))
        if cut != row["body_text"]:
            await fetch("UPDATE outbox SET body_text = {} WHERE id = {}", cut, row["id"])


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="programmes", description=DESCRIPTION
    )
    manager.add_raw(cut_sent_cancel_links)
    return manager
