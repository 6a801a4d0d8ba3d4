"""The mail outbox: mails are written in the same transaction as the change that causes
them, and delivered later by the sender. (Placeholder API; the sender lands separately.)"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime

from programmes.tables import Outbox


@dataclass(frozen=True)
class OutgoingMail:
    to_address: str
    subject: str
    body_text: str
    language: str = "de"
    attachment_name: str = ""
    attachment: bytes = b""
    attachment_type: str = "text/calendar"
    related_type: str = ""
    related_id: int | None = None


async def enqueue(mail: OutgoingMail, *, now: datetime) -> int:
    """Store one mail; call inside the caller's write transaction."""
    rows = await Outbox.insert(
        Outbox(
            message_id=f"<{uuid.uuid4()}@programmes>",
            to_address=mail.to_address,
            language=mail.language,
            subject=mail.subject,
            body_text=mail.body_text,
            attachment_name=mail.attachment_name,
            attachment=base64.b64encode(mail.attachment).decode("ascii"),
            related_type=mail.related_type,
            related_id=mail.related_id,
            created_at=now,
            next_attempt_at=now,
        )
    )
    return int(rows[0]["id"])
