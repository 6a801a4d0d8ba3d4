"""Scripts use bearer tokens; tokens are stored hashed and can be revoked."""

from __future__ import annotations

import httpx

from programmes.domain.accounts import staff_accounts
from programmes.domain.tokens import hash_token
from programmes.tables import ApiToken
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_staff


async def test_a_bearer_token_authenticates_a_script(client: httpx.AsyncClient) -> None:
    staff = await make_staff(Role.partner)
    token = await staff_accounts.create_api_token(
        account_id=staff.id, name="export", now=FROZEN_NOW
    )
    response = await client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {
        "id": staff.id,
        "email": staff.email,
        "name": staff.name,
        "role": "partner",
        "kita_id": staff.kita_id,
    }
    stored = await ApiToken.select(ApiToken.token_hash).first()
    assert stored is not None
    assert stored["token_hash"] == hash_token(token)
    assert token not in str(stored)


async def test_unknown_malformed_and_revoked_tokens_get_401(client: httpx.AsyncClient) -> None:
    staff = await make_staff(Role.trainer)
    token = await staff_accounts.create_api_token(account_id=staff.id, name="sync", now=FROZEN_NOW)
    await staff_accounts.revoke_api_token(token=token, now=FROZEN_NOW)
    for header in (
        f"Bearer {token}",
        "Bearer pgm_" + "A" * 43,
        "Bearer ' OR 1=1 --",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ):
        response = await client.get("/api/v1/me", headers={"authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_api_without_credentials_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["status_code"] == 401
