"""Coordinators run the staff accounts: list them, invite new people, change a role or a
KiTa, deactivate and reactivate. Every change is in the audit trail (ids, roles and KiTa
ids, never names or addresses).

A coordinator cannot lock themselves out: deactivating their own account or giving up
their own coordinator role is refused (`Conflict`, naming the field), so there is always
somebody left who can undo a mistake. A deactivated account's sessions end at once, its
open set-password links are ended, and its API tokens are revoked for good (a script of a
reactivated person needs a new token); the account cannot sign in until reactivated.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import anyio.to_thread
from piccolo_api.session_auth.tables import SessionsBase

from programmes.db import write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff, require_coordinator
from programmes.domain.accounts.passwords import INVITATION, MailSite, issue_link
from programmes.domain.accounts.staff_accounts import (
    checked_name,
    checked_role,
    normalise_email,
)
from programmes.domain.errors import N_, Conflict, NotFound
from programmes.tables import Account, AccountLink, ApiToken, Kita
from programmes.vocabulary import Role


@dataclass(frozen=True)
class AccountView:
    id: int
    name: str
    email: str
    role: Role
    kita_id: int | None
    kita_name: str | None
    active: bool
    last_login: datetime | None
    invitation_open: bool


@dataclass(frozen=True)
class KitaChoice:
    id: int
    name: str


_COLUMNS = (
    Account.id,
    Account.first_name,
    Account.email,
    Account.role,
    Account.kita,
    Account.kita.name.as_alias("kita_name"),  # type: ignore[attr-defined]
    Account.active,
    Account.last_login,
)


async def list_accounts(*, staff: Staff, now: datetime) -> list[AccountView]:
    """Every staff account, active ones first, by name."""
    require_coordinator(staff)
    rows = (
        await Account.select(*_COLUMNS)
        .order_by(Account.active, ascending=False)
        .order_by(Account.first_name)
    )
    invited = await _open_invitations(now)
    return [_view(row, invited) for row in rows]


async def get_account(*, staff: Staff, account_id: int, now: datetime) -> AccountView:
    require_coordinator(staff)
    row = await Account.select(*_COLUMNS).where(Account.id == account_id).first()
    if row is None:
        raise _no_account(account_id)
    return _view(row, await _open_invitations(now, account_id))


async def kita_choices() -> list[KitaChoice]:
    """The KiTas a partner account can belong to (not archived)."""
    rows = (
        await Kita.select(Kita.id, Kita.name).where(Kita.archived_at.is_null()).order_by(Kita.name)
    )
    return [KitaChoice(id=int(row["id"]), name=str(row["name"])) for row in rows]


async def invite_account(
    *,
    staff: Staff,
    email: str,
    name: str,
    role: str,
    kita_id: int | None,
    site: MailSite,
    now: datetime,
) -> int:
    """Create an account without a usable password and mail the person a link (valid for
    seven days) to set one. Returns the new account's id."""
    require_coordinator(staff)
    email = normalise_email(email)
    role_ = checked_role(role, kita_id)
    name = checked_name(name, email)
    # nobody knows this password: the account opens only through the invitation's link
    unusable = await anyio.to_thread.run_sync(Account.hash_password, secrets.token_urlsafe(32))
    async with write_transaction():
        await _check_kita(kita_id)
        if await Account.exists().where(Account.username == email):
            raise Conflict(N_("An account with this e-mail address exists already."), field="email")
        rows = await Account.insert(
            Account(  # type: ignore[no-untyped-call]
                username=email,
                email=email,
                password=unusable,
                first_name=name,
                last_name="",
                role=role_.value,
                kita=kita_id,
                active=True,
                admin=role_ is Role.coordinator,
                superuser=role_ is Role.coordinator,
                created_at=now,
            )
        )
        account_id = int(rows[0]["id"])
        await issue_link(
            account_id=account_id,
            email=email,
            name=name,
            purpose=INVITATION,
            site=site,
            now=now,
        )
        await audit.record(
            actor_id=staff.id,
            action="account.invited",
            object_type="account",
            object_id=account_id,
            detail={"role": role_.value, "kita": kita_id},
            now=now,
        )
    return account_id


async def resend_invitation(
    *, staff: Staff, account_id: int, site: MailSite, now: datetime
) -> None:
    """A new invitation link for an active account (the earlier link stops working)."""
    require_coordinator(staff)
    async with write_transaction():
        row = (
            await Account.select(Account.email, Account.first_name, Account.active)
            .where(Account.id == account_id)
            .first()
        )
        if row is None:
            raise _no_account(account_id)
        if not row["active"]:
            raise Conflict(N_("This account is deactivated. Reactivate it first."), field="account")
        await issue_link(
            account_id=account_id,
            email=str(row["email"]),
            name=str(row["first_name"] or row["email"]),
            purpose=INVITATION,
            site=site,
            now=now,
        )
        await audit.record(
            actor_id=staff.id,
            action="account.invited",
            object_type="account",
            object_id=account_id,
            now=now,
        )


async def change_role(
    *, staff: Staff, account_id: int, role: str, kita_id: int | None, now: datetime
) -> None:
    """Give the account another role or KiTa; it counts from the account's next request."""
    require_coordinator(staff)
    role_ = checked_role(role, kita_id)
    if account_id == staff.id and role_ is not Role.coordinator:
        raise Conflict(
            N_("You cannot give up your own coordinator role. Another coordinator can change it."),
            field="role",
        )
    async with write_transaction():
        await _check_kita(kita_id)
        changed = (
            await Account.update(
                {
                    Account.role: role_.value,
                    Account.kita: kita_id,
                    Account.admin: role_ is Role.coordinator,
                    Account.superuser: role_ is Role.coordinator,
                }
            )
            .where(Account.id == account_id)
            .returning(Account.id)
        )
        if not changed:
            raise _no_account(account_id)
        await audit.record(
            actor_id=staff.id,
            action="account.role_changed",
            object_type="account",
            object_id=account_id,
            detail={"role": role_.value, "kita": kita_id},
            now=now,
        )


def _refuse_own_deactivation(staff: Staff, account_id: int) -> None:
    """There is always a coordinator left: nobody deactivates their own account."""
    require_coordinator(staff)
    if account_id == staff.id:
        raise Conflict(
            N_("You cannot deactivate your own account. Another coordinator can."),
            field="account",
        )


async def check_deactivation(*, staff: Staff, account_id: int, now: datetime) -> AccountView:
    """The account `deactivate_account` would deactivate, with the same refusals, nothing
    written: for the question asked before it."""
    _refuse_own_deactivation(staff, account_id)
    return await get_account(staff=staff, account_id=account_id, now=now)


async def deactivate_account(*, staff: Staff, account_id: int, now: datetime) -> None:
    """End the account's sessions, links and API tokens; it cannot sign in any more."""
    _refuse_own_deactivation(staff, account_id)
    await set_active(account_id=account_id, active=False, actor_id=staff.id, now=now)


async def reactivate_account(*, staff: Staff, account_id: int, now: datetime) -> None:
    require_coordinator(staff)
    await set_active(account_id=account_id, active=True, actor_id=staff.id, now=now)


async def set_active(*, account_id: int, active: bool, actor_id: int | None, now: datetime) -> None:
    """Switch an account on or off, with no role check (the callers above make it).

    Deactivating ends the account's sessions, its unused links (invitation, password reset)
    and its API tokens at once, so nothing it was given still lets it in."""
    async with write_transaction():
        changed = (
            await Account.update({Account.active: active})
            .where(Account.id == account_id)
            .returning(Account.id)
        )
        if not changed:
            raise _no_account(account_id)
        if not active:
            await SessionsBase.delete().where(SessionsBase.user_id == account_id)
            await AccountLink.delete().where(
                (AccountLink.account == account_id) & AccountLink.used_at.is_null()
            )
            await ApiToken.update({ApiToken.revoked_at: now}).where(
                (ApiToken.account == account_id) & ApiToken.revoked_at.is_null()
            )
        await audit.record(
            actor_id=actor_id,
            action="account.activated" if active else "account.deactivated",
            object_type="account",
            object_id=account_id,
            now=now,
        )


async def _check_kita(kita_id: int | None) -> None:
    if kita_id is not None and not await Kita.exists().where(
        (Kita.id == kita_id) & Kita.archived_at.is_null()
    ):
        raise NotFound(N_("There is no KiTa with id %(id)s."), field="kita", id=kita_id)


async def _open_invitations(now: datetime, account_id: int | None = None) -> set[int]:
    query = AccountLink.select(AccountLink.account).where(
        (AccountLink.purpose == INVITATION)
        & AccountLink.used_at.is_null()
        & (AccountLink.expires_at > now)
    )
    if account_id is not None:
        query = query.where(AccountLink.account == account_id)
    return {int(row["account"]) for row in await query}


def _view(row: dict[str, object], invited: set[int]) -> AccountView:
    kita = row["kita"]
    account_id = int(str(row["id"]))
    return AccountView(
        id=account_id,
        name=str(row["first_name"] or row["email"]),
        email=str(row["email"]),
        role=Role(str(row["role"])),
        kita_id=int(str(kita)) if kita is not None else None,
        kita_name=str(row["kita_name"]) if row["kita_name"] is not None else None,
        active=bool(row["active"]),
        last_login=row["last_login"],  # type: ignore[arg-type]
        invitation_open=account_id in invited,
    )


def _no_account(account_id: int) -> NotFound:
    return NotFound(N_("There is no account with id %(id)s."), field="account", id=account_id)
