"""The mail on the wire: the message built from a stored outbox row, the SMTP connection
(blocking `smtplib`, run in worker threads by `delivery`), and error descriptions
without personal data.

A message is a pure function of its row (and the secret key that fills the slots of
secret links, `links`): a retry is the same bytes (Message-ID, Date = the enqueue time,
and a MIME boundary derived from the Message-ID).
"""

from __future__ import annotations

import base64
import hashlib
import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import Any

from programmes.domain.mail import links, outbox
from programmes.settings import SmtpConfig

#: Seconds any one SMTP operation (connect, command, data) may take.
SMTP_TIMEOUT = 30.0

_ADDRESS_LIKE = re.compile(r"[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:@]+")
_BLANKS = re.compile(r"\s+")


def build_message(row: dict[str, Any], *, sender: str) -> EmailMessage:
    """The mail as it goes on the wire. Everything comes from the stored row, so a retry
    is the same mail: same Message-ID and same Date (the time it was enqueued). Secret
    links are filled in here, so the outbox never holds them (`links`)."""
    message = EmailMessage(policy=SMTP_POLICY.clone(cte_type="7bit"))
    message["From"] = sender
    message["To"] = str(row["to_address"])
    message["Subject"] = str(row["subject"])
    created_at: datetime = row["created_at"]
    message["Date"] = format_datetime(created_at.astimezone(UTC))
    message["Message-ID"] = str(row["message_id"])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(links.fill(str(row["body_text"])), charset="utf-8")
    attachment = base64.b64decode(str(row["attachment"] or ""), validate=True)
    if attachment:
        maintype, subtype, params = _content_type(str(row["attachment_type"]))
        message.add_attachment(
            attachment,
            maintype=maintype,
            subtype=subtype,
            filename=str(row["attachment_name"]),
            params=params,
        )
        # A boundary derived from the Message-ID instead of a random one: a retry is then
        # the same bytes. "=_" cannot occur in base64 or quoted-printable text.
        digest = hashlib.sha256(str(row["message_id"]).encode()).hexdigest()[:40]
        message.set_boundary(f"=_{digest}")
    # Set last: turning the message into multipart/mixed moves Content-* headers into the
    # text part.
    message["Content-Language"] = str(row["language"])
    return message


def _content_type(value: str) -> tuple[str, str, dict[str, str]]:
    """'text/calendar' -> ('text', 'calendar', {'method': 'PUBLISH', 'charset': 'utf-8'})."""
    kind, *raw_params = (part.strip() for part in (value or "application/octet-stream").split(";"))
    maintype, _, subtype = kind.lower().partition("/")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, _, val = raw.partition("=")
        if key:
            params[key.strip().lower()] = val.strip().strip('"')
    if (maintype, subtype) == ("text", "calendar"):
        params.setdefault("method", "PUBLISH")
        params.setdefault("charset", "utf-8")
    return maintype, subtype, params


def connect(smtp: SmtpConfig) -> smtplib.SMTP:
    """Open, greet, secure and log in (blocking; runs in a worker thread)."""
    context = ssl.create_default_context()
    host = outbox.message_id_host()
    connection: smtplib.SMTP
    if smtp.use_tls:
        connection = smtplib.SMTP_SSL(
            smtp.host, smtp.port, local_hostname=host, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        connection = smtplib.SMTP(smtp.host, smtp.port, local_hostname=host, timeout=SMTP_TIMEOUT)
    try:
        connection.ehlo()
        if smtp.starttls and not smtp.use_tls:
            connection.starttls(context=context)
            connection.ehlo()
        if smtp.username:
            connection.login(smtp.username, smtp.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def send(connection: smtplib.SMTP, message: EmailMessage, sender: str, recipient: str) -> None:
    """One SMTP transaction; returns once the server has accepted the message."""
    connection.send_message(message, from_addr=sender, to_addrs=[recipient])


def close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def describe_error(exc: BaseException, *, recipient: str = "") -> str:
    """A one-line reason without personal data: the SMTP code and the server's text with
    the recipient and anything that looks like an address masked."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (0, b""))
        text = f"recipient refused: {code} {_decode(reply)}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{type(exc).__name__}: {exc.smtp_code} {_decode(exc.smtp_error)}"
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if recipient:
        text = re.sub(re.escape(recipient), "<recipient>", text, flags=re.IGNORECASE)
    text = _ADDRESS_LIKE.sub("<address>", text)
    return clip(_BLANKS.sub(" ", text).strip())


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def clip(text: str) -> str:
    return text if len(text) <= 500 else text[:497] + "..."


def connection_broken(exc: BaseException) -> bool:
    """Whether the SMTP connection is unusable after `exc`. A refusal (a 4xx/5xx reply)
    leaves it usable (smtplib resets the transaction); a disconnect or a socket error
    does not. Note `SMTPException` is itself an `OSError`."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)
