"""Staff accounts: creation rules and password storage."""

from __future__ import annotations

import pytest

from programmes.domain.accounts import staff_accounts
from programmes.domain.errors import Conflict, InvalidInput, NotFound
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


async def test_sign_in_is_throttled_per_account() -> None:
    from programmes.domain.errors import AuthenticationFailed, TooManyRequests

    staff = await make_staff()
    for _ in range(staff_accounts.SIGN_IN_LIMIT_PER_ACCOUNT):
        with pytest.raises(AuthenticationFailed):
            await staff_accounts.sign_in(
                email=staff.email, password="wrong-password", address="a", now=FROZEN_NOW
            )
    with pytest.raises(TooManyRequests):
        # even the right password waits until the window has passed
        await staff_accounts.sign_in(
            email=staff.email, password=PASSWORD, address="b", now=FROZEN_NOW
        )
