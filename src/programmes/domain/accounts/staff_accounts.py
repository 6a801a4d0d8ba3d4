"""Staff accounts: creating them, signing in and out, and API tokens for scripts.

Passwords are hashed by Piccolo's `BaseUser` hasher (PBKDF2-SHA256, OWASP iteration count),
off the event loop because one hash takes ~0.2 s. Unknown e-mail and wrong password give
the same answer after the same work.

Sign-in is throttled with counters in the database (`domain/throttle.py`), so the limits
hold for every worker. Every attempt is counted first, in one atomic statement per
counter, and only an attempt within all limits gets its password checked; the others are
refused without a look at the password, so a correct password inside a burst that is over
the limit is refused like the rest. Three counters, each over `SIGN_IN_WINDOW`, counted in
this order and only as far as the first one that refuses:

1. per address (`SIGN_IN_LIMIT_PER_ADDRESS`, over all accounts): one place guessing at
   many accounts;
2. per account *and* address (`SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS`): one place guessing
   at one account. A burst from one address locks that account only for that address;
   the account's owner signs in from anywhere else;
3. per account (`SIGN_IN_LIMIT_PER_ACCOUNT`, over all addresses): a ceiling for guesses
   spread over many addresses. An attempt refused by 1 or 2 never counts here, so it takes
   attempts from at least `SIGN_IN_LIMIT_PER_ACCOUNT / SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS`
   addresses to lock an account for everybody.

A successful sign-in forgives the failures of that account from that address (counter 2
is cleared) and gives its own hit back to counters 1 and 3, so an office signing in from
one address is not counted against itself. A wrong password leaves its hits in place.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio.to_thread
from piccolo_api.session_auth.tables import SessionsBase

from programmes.db import write_transaction
from programmes.domain import audit, throttle
from programmes.domain.access import Staff
from programmes.domain.errors import (
    N_,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    TooManyRequests,
)
from programmes.domain.mail.outbox import check_recipient
from programmes.domain.text import clean_text
from programmes.domain.tokens import hash_token, looks_like_token, new_token
from programmes.tables import Account, ApiToken, Kita
from programmes.vocabulary import Role

API_TOKEN_PREFIX = "pgm_"  # noqa: S105 (a prefix, not a secret)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
SESSION_IDLE = timedelta(hours=2)
SESSION_ABSOLUTE = timedelta(hours=12)
SIGN_IN_WINDOW = timedelta(minutes=15)
SIGN_IN_LIMIT_PER_ADDRESS = 50
SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS = 10
SIGN_IN_LIMIT_PER_ACCOUNT = 100
WRONG_CREDENTIALS = N_("E-mail address or password is not correct.")

#: Role names as people read them (translated in templates with `_(role.value)`).
ROLE_LABELS = {
    Role.coordinator: N_("coordinator"),
    Role.partner: N_("partner"),
    Role.trainer: N_("trainer"),
}


@dataclass(frozen=True)
class SignedIn:
    staff: Staff
    session_token: str


_STAFF_COLUMNS = (
    Account.id,
    Account.email,
    Account.first_name,
    Account.role,
    Account.kita,
    Account.active,
)


def _staff(row: dict[str, object]) -> Staff:
    kita = row["kita"]
    return Staff(
        id=int(str(row["id"])),
        email=str(row["email"]),
        name=str(row["first_name"] or row["email"]),
        role=Role(str(row["role"])),
        kita_id=int(str(kita)) if kita is not None else None,
    )


def normalise_email(email: str, *, field: str = "email") -> str:
    """One plain address, lower case, that the mail sender will accept as a recipient."""
    try:
        return check_recipient(email.strip()).lower()
    except InvalidInput:
        raise InvalidInput(
            N_("Enter a valid e-mail address (at most 254 characters)."), field=field
        ) from None


def check_password(password: str, *, field: str = "password") -> None:
    """The one password rule of the service (command line, invitations, resets, changes)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            N_("The password must have at least %(n)s characters."),
            field=field,
            n=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            N_("The password must have at most %(n)s characters."),
            field=field,
            n=MAX_PASSWORD_LENGTH,
        )


def checked_role(role: str, kita_id: int | None) -> Role:
    """The role, if it is one; a partner needs a KiTa, a coordinator or trainer has none."""
    try:
        role_ = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(
            N_("Role must be one of %(allowed)s."), field="role", allowed=allowed
        ) from None
    if role_ is Role.partner and kita_id is None:
        raise InvalidInput(N_("A partner account must belong to a KiTa."), field="kita")
    if role_ is not Role.partner and kita_id is not None:
        raise InvalidInput(N_("Only partner accounts belong to a KiTa."), field="kita")
    return role_


def checked_name(name: str, email: str) -> str:
    """The name shown for an account (the address's local part when none is given)."""
    name = name.strip()
    if len(name) > 200:
        raise InvalidInput(N_("The name must have at most 200 characters."), field="name")
    return clean_text(name, field="name", max_length=200, required=False) or email.split("@")[0]


async def create_account(
    *,
    email: str,
    password: str,
    role: str,
    name: str,
    now: datetime,
    kita_id: int | None = None,
    actor_id: int | None = None,
) -> Staff:
    """Create an active staff account. Partners must name their KiTa; others must not."""
    email = normalise_email(email)
    role_ = checked_role(role, kita_id)
    name = checked_name(name, email)
    check_password(password)
    hashed = await anyio.to_thread.run_sync(Account.hash_password, password)
    async with write_transaction():
        if kita_id is not None and not await Kita.exists().where(Kita.id == kita_id):
            raise NotFound(N_("There is no KiTa with id %(id)s."), field="kita", id=kita_id)
        if await Account.exists().where(Account.username == email):
            raise Conflict(N_("An account with this e-mail address exists already."), field="email")
        account = Account(  # type: ignore[no-untyped-call]
            username=email,
            email=email,
            password=hashed,
            first_name=name,
            last_name="",
            role=role_.value,
            kita=kita_id,
            active=True,
            admin=role_ is Role.coordinator,
            superuser=role_ is Role.coordinator,
            created_at=now,
        )
        await account.save()
        await audit.record(
            actor_id=actor_id,
            action="account.created",
            object_type="account",
            object_id=account.id,
            detail={"role": role_.value, "kita": kita_id},
            now=now,
        )
    return Staff(id=account.id, email=email, name=name, role=role_, kita_id=kita_id)


async def sign_in(*, email: str, password: str, address: str, now: datetime) -> SignedIn:
    """Check the credentials and open a new server-side session (a fresh id every time).
    An address with control characters (a NUL, which PostgreSQL cannot even compare) or
    line breaks is refused before anything is looked up or counted."""
    email = clean_text(email.strip()[:254], field="email", max_length=254, required=False).lower()
    by_address = throttle.bucket_for("sign-in", "address", address)
    by_account_here = throttle.bucket_for("sign-in", "account+address", email, address)
    by_account = throttle.bucket_for("sign-in", "account", email)
    admitted = await throttle.admit(
        (
            throttle.Quota(by_address, SIGN_IN_LIMIT_PER_ADDRESS, SIGN_IN_WINDOW),
            throttle.Quota(by_account_here, SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS, SIGN_IN_WINDOW),
            throttle.Quota(by_account, SIGN_IN_LIMIT_PER_ACCOUNT, SIGN_IN_WINDOW),
        ),
        now=now,
    )
    if not admitted:
        raise TooManyRequests(
            N_("Too many sign-in attempts. Please wait 15 minutes and try again."),
            retry_after=int(SIGN_IN_WINDOW.total_seconds()),
        )
    staff = await _verify_password(email, password[: MAX_PASSWORD_LENGTH + 1], now=now)
    if staff is None:
        raise AuthenticationFailed(WRONG_CREDENTIALS, field="email")
    async with write_transaction():
        await throttle.clear(by_account_here)
        await throttle.give_back(by_address, by_account)
    session = await SessionsBase.create_session(
        user_id=staff.id,
        expiry_date=_session_clock() + SESSION_IDLE,
        max_expiry_date=_session_clock() + SESSION_ABSOLUTE,
    )
    return SignedIn(staff=staff, session_token=str(session.token))


def _session_clock() -> datetime:
    """piccolo_api's session table stores naive local times and compares them with
    `datetime.now()`; it must be fed the same kind of value."""
    return datetime.now()  # noqa: DTZ005


async def _verify_password(email: str, password: str, *, now: datetime) -> Staff | None:
    row = (
        await Account.select(*_STAFF_COLUMNS, Account.password)
        .where(Account.username == email)
        .first()
    )
    stored = str(row["password"]) if row else ""
    if row is None or not row["active"] or len(password) > MAX_PASSWORD_LENGTH:
        await anyio.to_thread.run_sync(Account.hash_password, password[:MAX_PASSWORD_LENGTH])
        return None
    try:
        _, iterations, salt, _ = Account.split_stored_password(stored)
    except ValueError:
        return None
    computed = await anyio.to_thread.run_sync(
        Account.hash_password, password, salt, int(iterations)
    )
    if not hmac.compare_digest(computed, stored):
        return None
    updates: dict[object, object] = {Account.last_login: now}
    if int(iterations) != Account._pbkdf2_iteration_count:
        updates[Account.password] = await anyio.to_thread.run_sync(Account.hash_password, password)
    await Account.update(updates).where(Account.id == row["id"])  # type: ignore[arg-type]
    return _staff(row)


async def sign_out(session_token: str) -> None:
    await SessionsBase.remove_session(token=session_token)


async def staff_for_session(session_token: str) -> Staff | None:
    """The active account behind a session cookie, or None (expired, ended, deactivated)."""
    if not session_token or len(session_token) > 100:
        return None
    user_id = await SessionsBase.get_user_id(session_token, increase_expiry=SESSION_IDLE / 2)
    if user_id is None:
        return None
    return await staff_by_id(int(user_id))


async def staff_by_id(account_id: int) -> Staff | None:
    row = await Account.select(*_STAFF_COLUMNS).where(Account.id == account_id).first()
    if row is None or not row["active"]:
        return None
    return _staff(row)


async def create_api_token(*, account_id: int, name: str, now: datetime) -> str:
    """Create a bearer token for scripts; the token is returned once and stored hashed."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(N_("Give the token a name of 1 to 100 characters."), field="name")
    token = new_token(API_TOKEN_PREFIX)
    async with write_transaction():
        if not await Account.exists().where(Account.id == account_id):
            raise NotFound(
                N_("There is no account with id %(id)s."), field="account", id=account_id
            )
        saved = await ApiToken.insert(
            ApiToken(account=account_id, name=name, token_hash=hash_token(token), created_at=now)
        )
        await audit.record(
            actor_id=account_id,
            action="api_token.created",
            object_type="api_token",
            object_id=int(saved[0]["id"]),
            now=now,
        )
    return token


async def revoke_api_token(*, token: str, now: datetime) -> None:
    async with write_transaction():
        await ApiToken.update({ApiToken.revoked_at: now}).where(
            (ApiToken.token_hash == hash_token(token)) & ApiToken.revoked_at.is_null()
        )


async def staff_for_api_token(token: str, *, now: datetime) -> Staff | None:
    """The active account behind a bearer token, or None (unknown, revoked, deactivated)."""
    if not looks_like_token(token, API_TOKEN_PREFIX):
        return None
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.account)
        .where((ApiToken.token_hash == hash_token(token)) & ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None:
        return None
    return await staff_by_id(int(row["account"]))


async def account_by_email(email: str) -> Staff:
    row = (
        await Account.select(*_STAFF_COLUMNS)
        .where(Account.username == email.strip().lower())
        .first()
    )
    if row is None:
        raise NotFound(N_("There is no account with this e-mail address."), field="email")
    return _staff(row)


async def confirm_password(staff: Staff, password: str, *, now: datetime) -> None:
    """Ask a signed-in person for their password again before a grave step (exporting or
    erasing a family's data): a session left open on a shared office computer is not
    enough. A wrong password is refused naming the field."""
    if await _verify_password(staff.email, password, now=now) is None:
        raise InvalidInput(N_("The password is not correct."), field="password")
