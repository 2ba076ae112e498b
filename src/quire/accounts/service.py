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
from quire.accounts.schemas import SequenceAccountRead, SequenceAccountUpdate
from quire.core import clock
from quire.core.errors import NotFound, ValidationFailed
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams, paginate


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


# --- GET/PUT /sequence-accounts (tag Accounts) ------------------------------------------------------

#: ``country`` of an account whose merchant settings have no address yet (the contract requires one).
DEFAULT_COUNTRY = "GB"


def present_account(account: Account) -> SequenceAccountRead:
    """The account as ``SequenceAccount``: company name, number and country from its merchant settings
    (the seller on its invoices), else its name, "" and ``DEFAULT_COUNTRY``."""
    settings = parse_settings(account.merchant_settings or {})
    return SequenceAccountRead(
        id=account.id,
        created_at=account.created_at,
        sequence_organisation_id=account.organisation_id or account.id,
        company_name=settings.legal_company_name or account.name,
        company_number=settings.company_number or "",
        country=settings.address.country if settings.address is not None else DEFAULT_COUNTRY,
        send_customer_notifications=account.send_customer_notifications,
        alert_email_addresses=list(account.alert_email_addresses or []),
    )


async def list_accounts(session: AsyncSession, account_id: str, *, params: PageParams) -> Page[Account]:
    """The accounts the caller may access: its own (one API credential acts for one account)."""
    return await paginate(session, select(Account).where(Account.id == account_id), params=params,
                          sort_column=Account.created_at, id_column=Account.id)


async def get_account(session: AsyncSession, account_id: str, ident: str, *, lock: bool = False) -> Account:
    """The caller's own account by id; any other id (another account's included) is 404."""
    account = await session.get(Account, account_id, with_for_update=lock or None) if ident == account_id else None
    if account is None:
        raise NotFound.of("SequenceAccount", ident)
    return account


async def update_account(session: AsyncSession, account_id: str, ident: str, body: SequenceAccountUpdate) -> Account:
    """PUT: replaces ``alertEmailAddresses`` (each address once, in order)."""
    account = await get_account(session, account_id, ident, lock=True)
    account.alert_email_addresses = list(dict.fromkeys(body.alert_email_addresses))
    await session.flush()
    return account


async def set_customer_notifications(session: AsyncSession, account_id: str, on: bool) -> Account:
    """``quire accounts set --customer-notifications on|off``."""
    account = await session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise NotFound.of("SequenceAccount", account_id)
    account.send_customer_notifications = on
    await session.flush()
    return account


# --- API credentials from the CLI (quire credentials …) -------------------------------------------------


async def list_credentials(session: AsyncSession, account_id: str) -> list[ApiCredential]:
    """The account's credentials, revoked ones included, oldest first (no secret: only its hash is kept)."""
    return list(await session.scalars(select(ApiCredential).where(ApiCredential.account_id == account_id)
                                      .order_by(ApiCredential.created_at, ApiCredential.client_id)))


async def _credential(session: AsyncSession, client_id: str) -> ApiCredential:
    row = (await session.scalars(select(ApiCredential).where(ApiCredential.client_id == client_id)
                                 .with_for_update())).one_or_none()
    if row is None:
        raise NotFound.of("Credential", client_id)
    return row


async def revoke_credential(session: AsyncSession, client_id: str) -> ApiCredential:
    """Revoke now (kept, with ``revoked_at``; revoking twice keeps the first time). Running servers refuse
    it once their authentication cache forgets it: ``quire.core.auth.CACHE_SECONDS``."""
    row = await _credential(session, client_id)
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        await session.flush()
    return row


async def rotate_credential(session: AsyncSession, client_id: str) -> NewCredential:
    """A new credential of the same account, and the old one revoked, in one transaction."""
    row = await _credential(session, client_id)
    if row.revoked_at is not None:
        raise ValidationFailed(f"Credential {client_id!r} is revoked: create a new one instead", field="clientId")
    row.revoked_at = clock.now()
    return await create_credential(session, account_id=row.account_id)


async def find_account(session: AsyncSession, account_id: str) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound.of("SequenceAccount", account_id)
    return account
