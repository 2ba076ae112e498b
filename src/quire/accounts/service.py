"""Creating accounts and credentials; checking a presented credential."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.merchant import parse_settings
from quire.accounts.models import Account, ApiCredential
from quire.core import clock
from quire.core.ids import uuid7


@dataclass(frozen=True)
class NewCredential:
    account_id: str
    client_id: str
    client_secret: str

    def as_json(self) -> dict[str, str]:
        return {"sequenceAccountId": self.account_id, "clientId": self.client_id, "clientSecret": self.client_secret}


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_account(
    session: AsyncSession, *, name: str, merchant_settings: dict[str, Any] | None = None
) -> NewCredential:
    """Create an account with one API credential; the secret is returned once and stored hashed.

    Merchant settings are validated like ``PUT /merchant-settings`` (ValidationFailed on bad input).
    """
    stored = parse_settings(merchant_settings or {}).model_dump(by_alias=True, exclude_none=True, mode="json")
    account = Account(id=uuid7(), name=name, created_at=clock.now(), merchant_settings=stored)
    session.add(account)
    await session.flush()
    return await create_credential(session, account_id=account.id)


async def create_credential(session: AsyncSession, *, account_id: str) -> NewCredential:
    client_id = secrets.token_hex(16)
    client_secret = secrets.token_urlsafe(32)  # 256 bits
    session.add(
        ApiCredential(
            client_id=client_id,
            account_id=account_id,
            secret_sha256=hash_secret(client_secret),
            created_at=clock.now(),
        )
    )
    await session.flush()
    return NewCredential(account_id=account_id, client_id=client_id, client_secret=client_secret)


async def verify_credential(session: AsyncSession, client_id: str, client_secret: str) -> str | None:
    """Return the account id of a valid, unrevoked credential; compare digests in constant time."""
    row = (
        await session.execute(
            select(ApiCredential.secret_sha256, ApiCredential.account_id, ApiCredential.revoked_at).where(
                ApiCredential.client_id == client_id
            )
        )
    ).first()
    presented = hash_secret(client_secret)
    if row is None:
        hmac.compare_digest(presented, presented)  # same work whether or not the id exists
        return None
    if not hmac.compare_digest(presented, row.secret_sha256) or row.revoked_at is not None:
        return None
    return str(row.account_id)


async def first_account_named(session: AsyncSession, name: str) -> Account | None:
    return (await session.scalars(select(Account).where(Account.name == name).order_by(Account.created_at))).first()
