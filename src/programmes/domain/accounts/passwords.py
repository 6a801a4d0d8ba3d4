"""Setting passwords: the single-use links of invitations and password resets, and a
signed-in person changing their own password.

A link carries a token; the database keeps only its SHA-256 (`AccountLink.token_hash`),
and the outbox keeps no usable token either: the mail is stored with a slot
(`mail/links.py`, purpose `account-link`) that the sender fills with the token, an HMAC
of a random nonce under the service's secret key. A copy of the database alone (outbox
included) opens no account; a retry sends the same token. The name and address in the
mail are made inert (`links.neutralise`), so nobody can smuggle a slot into an invitation.

A link is redeemed by one conditional UPDATE (`used_at IS NULL`, not expired), so it works
once even when sent twice at the same moment. Redeeming it, like changing a password, signs
the account out everywhere else: whoever knew the old password loses their session.

"Forgot my password" answers the same whether the address belongs to an account or not:
the same redirect and page, no mail for an unknown or deactivated address, and a response
that takes at least `RESET_MIN_SECONDS`, so the time does not tell either. It is throttled
per client address and per entered address (`domain/throttle.py`), counted first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
import anyio.to_thread
from piccolo_api.session_auth.tables import SessionsBase

from programmes.db import write_transaction
from programmes.domain import audit, throttle
from programmes.domain.access import Staff
from programmes.domain.accounts.staff_accounts import (
    MAX_PASSWORD_LENGTH,
    check_password,
    confirm_password,
)
from programmes.domain.errors import N_, Conflict, InvalidInput, NotFound, TooManyRequests
from programmes.domain.mail import links
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.domain.mail.texts import render_mail
from programmes.domain.text import clean_text
from programmes.domain.tokens import hash_token, looks_like_token
from programmes.tables import Account, AccountLink

LINK_PURPOSE = "account-link"
INVITATION = "invitation"
RESET = "reset"
VALIDITY = {INVITATION: timedelta(days=7), RESET: timedelta(hours=1)}
#: The path of the page that sets a password; the token follows as `?token=` (query values
#: never reach the request log).
SET_PASSWORD_PATH = "/staff/password/set"  # noqa: S105 (a path, not a secret)
RESET_WINDOW = timedelta(minutes=15)
RESET_LIMIT_PER_ADDRESS = 10
RESET_LIMIT_PER_ACCOUNT = 3
#: "Forgot my password" answers no sooner than this, known address or not.
RESET_MIN_SECONDS = 0.5
CHANGE_WINDOW = timedelta(minutes=15)
CHANGE_LIMIT_PER_ACCOUNT = 10


@dataclass(frozen=True)
class MailSite:
    """Where links point and in which language the mail is written."""

    base_url: str
    language: str


async def issue_link(
    *, account_id: int, email: str, name: str, purpose: str, site: MailSite, now: datetime
) -> None:
    """Store a new link for the account and queue its mail, inside the caller's write
    transaction. Earlier links of the account that were not used end: only the newest
    works."""
    nonce = links.new_nonce()
    token = links.token(LINK_PURPOSE, nonce)
    await AccountLink.delete().where(
        (AccountLink.account == account_id) & AccountLink.used_at.is_null()
    )
    await AccountLink.insert(
        AccountLink(
            account=account_id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + VALIDITY[purpose],
        )
    )
    link = f"{site.base_url}{SET_PASSWORD_PATH}?token={links.slot(LINK_PURPOSE, nonce)}"
    template = "account_invitation.txt" if purpose == INVITATION else "password_reset.txt"
    subject, body = render_mail(
        template,
        site.language,
        name=links.neutralise(name),
        email=links.neutralise(email),
        link=link,
    )
    await enqueue(
        OutgoingMail(
            to_address=email,
            subject=subject,
            body_text=body,
            language=site.language,
            related_type="account",
            related_id=account_id,
            secret_links=True,
        ),
        now=now,
    )


async def request_password_reset(
    *, email: str, client_address: str, site: MailSite, now: datetime
) -> None:
    """Mail a reset link if `email` belongs to an active account; otherwise do nothing.
    Either way the caller shows the same answer; only the throttle refuses (429), and it
    counts unknown addresses exactly like known ones."""
    started = time.monotonic()
    entered = clean_text(email.strip()[:254], field="email", max_length=254).lower()
    admitted = await throttle.admit(
        (
            throttle.Quota(
                throttle.bucket_for("reset", "address", client_address),
                RESET_LIMIT_PER_ADDRESS,
                RESET_WINDOW,
            ),
            throttle.Quota(
                throttle.bucket_for("reset", "account", entered),
                RESET_LIMIT_PER_ACCOUNT,
                RESET_WINDOW,
            ),
        ),
        now=now,
    )
    if not admitted:
        raise TooManyRequests(
            N_("Too many requests for a new password. Please wait 15 minutes and try again."),
            retry_after=int(RESET_WINDOW.total_seconds()),
        )
    async with write_transaction():
        row = (
            await Account.select(Account.id, Account.email, Account.first_name)
            .where((Account.username == entered) & (Account.active == True))  # noqa: E712
            .first()
        )
        if row is not None:
            await issue_link(
                account_id=int(row["id"]),
                email=str(row["email"]),
                name=str(row["first_name"] or row["email"]),
                purpose=RESET,
                site=site,
                now=now,
            )
            await audit.record(
                actor_id=None,
                action="account.password_reset_requested",
                object_type="account",
                object_id=int(row["id"]),
                now=now,
            )
    await anyio.sleep(max(0.0, RESET_MIN_SECONDS - (time.monotonic() - started)))


@dataclass(frozen=True)
class OpenLink:
    """A link that may set a password now: whose account and what for."""

    account_id: int
    email: str
    purpose: str


LINK_UNKNOWN = N_(
    "This link is not valid. It may have been replaced by a newer one. Ask for a new link below."
)
LINK_USED = N_("This link has been used already. Ask for a new link below if you need one.")
LINK_EXPIRED = N_("This link has expired. Ask for a new link below.")
LINK_DEACTIVATED = N_("This account is deactivated. Please ask the coordination office.")


async def open_link(token: str, *, now: datetime) -> OpenLink:
    """The link behind `token`, if it can still set a password; else `Conflict` (or
    `NotFound` for an unknown token) saying why, naming the field `token`."""
    if not looks_like_token(token):
        raise NotFound(LINK_UNKNOWN, field="token")
    row = (
        await AccountLink.select(
            AccountLink.account,
            AccountLink.purpose,
            AccountLink.expires_at,
            AccountLink.used_at,
            AccountLink.account.email.as_alias("email"),  # type: ignore[attr-defined]
            AccountLink.account.active.as_alias("active"),  # type: ignore[attr-defined]
        )
        .where(AccountLink.token_hash == hash_token(token))
        .first()
    )
    if row is None:
        raise NotFound(LINK_UNKNOWN, field="token")
    if row["used_at"] is not None:
        raise Conflict(LINK_USED, field="token")
    if row["expires_at"] <= now:
        raise Conflict(LINK_EXPIRED, field="token")
    if not row["active"]:
        raise Conflict(LINK_DEACTIVATED, field="token")
    return OpenLink(account_id=int(row["account"]), email=str(row["email"]), purpose=row["purpose"])


def _check_new_password(password: str, repeat: str) -> None:
    check_password(password, field="new_password")
    if password != repeat:
        raise InvalidInput(N_("The two passwords are not the same."), field="new_password_repeat")


async def set_password_with_link(
    *, token: str, password: str, repeat: str, now: datetime
) -> OpenLink:
    """Redeem the link: set the password, end every session of the account. Nothing
    changes if the link cannot be used (any more) or the password breaks the rule."""
    link = await open_link(token, now=now)
    _check_new_password(password, repeat)
    hashed = await anyio.to_thread.run_sync(Account.hash_password, password)
    async with write_transaction():
        redeemed = (
            await AccountLink.update({AccountLink.used_at: now})
            .where(
                (AccountLink.token_hash == hash_token(token))
                & AccountLink.used_at.is_null()
                & (AccountLink.expires_at > now)
            )
            .returning(AccountLink.account)
        )
        if not redeemed:  # another request used it in the meantime
            raise Conflict(LINK_USED, field="token")
        changed = (
            await Account.update({Account.password: hashed})
            .where((Account.id == link.account_id) & (Account.active == True))  # noqa: E712
            .returning(Account.id)
        )
        if not changed:
            raise Conflict(LINK_DEACTIVATED, field="token")
        await SessionsBase.delete().where(SessionsBase.user_id == link.account_id)
        await audit.record(
            actor_id=link.account_id,
            action="account.invitation_accepted"
            if link.purpose == INVITATION
            else "account.password_reset",
            object_type="account",
            object_id=link.account_id,
            now=now,
        )
    return link


async def change_own_password(
    staff: Staff,
    *,
    current: str,
    password: str,
    repeat: str,
    keep_session: str | None,
    now: datetime,
) -> None:
    """A signed-in person sets a new password, giving the current one. Every other session
    of the account ends (`keep_session`, the one in use, stays). Wrong current passwords
    are throttled per account, like sign-in."""
    admitted = await throttle.admit(
        (
            throttle.Quota(
                throttle.bucket_for("password-change", str(staff.id)),
                CHANGE_LIMIT_PER_ACCOUNT,
                CHANGE_WINDOW,
            ),
        ),
        now=now,
    )
    if not admitted:
        raise TooManyRequests(
            N_("Too many attempts. Please wait 15 minutes and try again."),
            retry_after=int(CHANGE_WINDOW.total_seconds()),
        )
    try:
        await confirm_password(staff, current[: MAX_PASSWORD_LENGTH + 1], now=now)
    except InvalidInput:
        raise InvalidInput(
            N_("The current password is not correct."), field="current_password"
        ) from None
    _check_new_password(password, repeat)
    if password == current:
        raise InvalidInput(
            N_("The new password must differ from the current one."), field="new_password"
        )
    hashed = await anyio.to_thread.run_sync(Account.hash_password, password)
    async with write_transaction():
        await Account.update({Account.password: hashed}).where(Account.id == staff.id)
        others = SessionsBase.delete().where(SessionsBase.user_id == staff.id)
        if keep_session:
            others = others.where(SessionsBase.token != keep_session)
        await others
        await AccountLink.delete().where(
            (AccountLink.account == staff.id) & AccountLink.used_at.is_null()
        )
        await audit.record(
            actor_id=staff.id,
            action="account.password_changed",
            object_type="account",
            object_id=staff.id,
            now=now,
        )
