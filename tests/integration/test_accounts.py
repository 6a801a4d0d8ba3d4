"""Staff accounts: creation rules, password storage and the sign-in limits."""

from __future__ import annotations

from datetime import datetime

import pytest

from programmes.domain.accounts import staff_accounts
from programmes.domain.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    TooManyRequests,
)
from programmes.tables import Account
from tests.conftest import FROZEN_NOW
from tests.factories import PASSWORD, make_kita, make_staff


async def test_partner_needs_an_existing_kita_and_others_none() -> None:
    with pytest.raises(InvalidInput) as no_kita:
        await staff_accounts.create_account(
            email="p@x.example", password=PASSWORD, role="partner", name="P", now=FROZEN_NOW
        )
    assert no_kita.value.field == "kita"
    with pytest.raises(NotFound):
        await staff_accounts.create_account(
            email="p@x.example",
            password=PASSWORD,
            role="partner",
            name="P",
            now=FROZEN_NOW,
            kita_id=4242,
        )
    with pytest.raises(InvalidInput):
        await staff_accounts.create_account(
            email="t@x.example",
            password=PASSWORD,
            role="trainer",
            name="T",
            now=FROZEN_NOW,
            kita_id=await make_kita(),
        )
    assert await Account.count() == 0


@pytest.mark.parametrize(
    ("email", "password", "role", "field"),
    [
        ("not-an-email", PASSWORD, "trainer", "email"),
        ("a\r\nBcc: x@y.z@x.example", PASSWORD, "trainer", "email"),
        ("x" * 250 + "@x.example", PASSWORD, "trainer", "email"),
        ("ok@x.example", "short", "trainer", "password"),
        ("ok@x.example", PASSWORD, "admin", "role"),
    ],
)
async def test_bad_account_input_names_the_field(
    email: str, password: str, role: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        await staff_accounts.create_account(
            email=email, password=password, role=role, name="N", now=FROZEN_NOW
        )
    assert error.value.field == field
    assert await Account.count() == 0


async def test_duplicate_email_is_refused() -> None:
    await make_staff(email="same@x.example")
    with pytest.raises(Conflict):
        await make_staff(email="Same@X.example")
    assert await Account.count() == 1


async def test_password_is_stored_hashed_and_rehashed_when_the_cost_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    staff = await make_staff(password=PASSWORD)
    row = await Account.select(Account.password).where(Account.id == staff.id).first()
    assert row is not None
    assert PASSWORD not in row["password"]
    assert row["password"].startswith("pbkdf2_sha256$1000$")
    monkeypatch.setattr(Account, "_pbkdf2_iteration_count", 2000)
    await staff_accounts.sign_in(email=staff.email, password=PASSWORD, address="a", now=FROZEN_NOW)
    row = await Account.select(Account.password).where(Account.id == staff.id).first()
    assert row is not None
    assert row["password"].startswith("pbkdf2_sha256$2000$")


def test_production_strength_is_owasp() -> None:
    # the class default (tests lower it through a fixture) follows OWASP's 600,000
    from piccolo.apps.user.tables import BaseUser

    assert BaseUser._pbkdf2_iteration_count >= 600_000


async def wrong(email: str, address: str, *, now: datetime = FROZEN_NOW) -> type[Exception]:
    """One sign-in with a wrong password; the kind of error it got."""
    try:
        await staff_accounts.sign_in(
            email=email, password="wrong-password", address=address, now=now
        )
    except (AuthenticationFailed, TooManyRequests) as error:
        return type(error)
    raise AssertionError("a wrong password signed in")


async def test_a_burst_locks_the_account_only_for_the_address_it_came_from() -> None:
    staff = await make_staff()
    outcomes = [await wrong(staff.email, "a") for _ in range(150)]
    limit = staff_accounts.SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS
    assert outcomes == [AuthenticationFailed] * limit + [TooManyRequests] * (150 - limit)
    with pytest.raises(TooManyRequests):  # the right password, too late, is not even checked
        await staff_accounts.sign_in(
            email=staff.email, password=PASSWORD, address="a", now=FROZEN_NOW
        )
    # the owner, elsewhere, is not locked out: refused attempts never reached the
    # account's ceiling
    signed_in = await staff_accounts.sign_in(
        email=staff.email, password=PASSWORD, address="b", now=FROZEN_NOW
    )
    assert signed_in.staff.id == staff.id


async def test_guesses_from_many_addresses_meet_the_accounts_ceiling() -> None:
    staff = await make_staff()
    per_address = staff_accounts.SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS
    addresses = staff_accounts.SIGN_IN_LIMIT_PER_ACCOUNT // per_address
    for n in range(addresses):
        assert {await wrong(staff.email, f"10.0.0.{n}") for _ in range(per_address)} == {
            AuthenticationFailed
        }
    with pytest.raises(TooManyRequests):
        await staff_accounts.sign_in(
            email=staff.email, password=PASSWORD, address="192.0.2.1", now=FROZEN_NOW
        )
    # after the window, the account opens again
    later = FROZEN_NOW + staff_accounts.SIGN_IN_WINDOW
    signed_in = await staff_accounts.sign_in(
        email=staff.email, password=PASSWORD, address="192.0.2.1", now=later
    )
    assert signed_in.staff.id == staff.id


async def test_one_address_guessing_at_many_accounts_is_stopped() -> None:
    staff = await make_staff()
    limit = staff_accounts.SIGN_IN_LIMIT_PER_ADDRESS
    for n in range(limit):
        assert await wrong(f"guess{n}@staff.example", "a") is AuthenticationFailed
    assert await wrong(staff.email, "a") is TooManyRequests
    assert await wrong(staff.email, "b") is AuthenticationFailed


async def test_signing_in_forgives_the_slips_before_it() -> None:
    staff = await make_staff()
    limit = staff_accounts.SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS
    for _ in range(limit - 1):
        assert await wrong(staff.email, "a") is AuthenticationFailed
    await staff_accounts.sign_in(email=staff.email, password=PASSWORD, address="a", now=FROZEN_NOW)
    outcomes = [await wrong(staff.email, "a") for _ in range(limit + 1)]
    assert outcomes == [AuthenticationFailed] * limit + [TooManyRequests]


async def test_an_office_signing_in_from_one_address_is_not_counted_against_itself() -> None:
    # successful sign-ins give their hit back: more people than the address limit sign in
    for _ in range(staff_accounts.SIGN_IN_LIMIT_PER_ADDRESS + 5):
        staff = await make_staff()
        await staff_accounts.sign_in(
            email=staff.email, password=PASSWORD, address="office", now=FROZEN_NOW
        )
    assert await wrong("someone@staff.example", "office") is AuthenticationFailed
