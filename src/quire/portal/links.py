"""A customer's portal link: ``{QUIRE_PUBLIC_URL}/portal/{token}`` (docs/portal.md).

The token is the only credential (no login): ``secrets.token_urlsafe(24)``, 192 bits from the OS CSPRNG,
32 URL-safe characters. Only its SHA-256 is stored, like an API secret: the URL is answered once, by the
rotation that made it, and a database dump opens no portal. A lost URL is replaced by rotating again.

A token opens its portal only while (1) its digest is the customer's current one (rotating replaces it,
disabling clears it, so the previous URL answers 404 from that commit on) and (2) the account's
``customerPortalEnabled`` merchant setting is true. The lookup is by digest through a unique index; the
stored digest is then compared with ``hmac.compare_digest``. What a lookup's timing could reveal is a
prefix of a SHA-256, which tells nothing about any token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts import merchant
from quire.accounts.merchant import MerchantSettings
from quire.config import Settings
from quire.core import clock
from quire.core.errors import NotFound
from quire.customers.models import Customer
from quire.customers.service import get_customer
from quire.portal import repository as repo
from quire.portal.models import CustomerPortalLink

TOKEN_BYTES = 24
#: What ``token_urlsafe(24)`` produces; anything else is answered 404 without a query.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def url_of(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/portal/{token}"


@dataclass(frozen=True)
class LinkState:
    """What ``GET /customers/{id}/portal-link`` tells; ``token`` only in the answer of a rotation."""

    customer_id: str
    link: CustomerPortalLink | None
    portal_enabled: bool
    token: str | None = None

    @property
    def live(self) -> bool:
        return self.link is not None and self.link.token_sha256 is not None


async def _portal_enabled(session: AsyncSession, account_id: str) -> bool:
    return (await merchant.load(session, account_id)).customer_portal_enabled


async def state(session: AsyncSession, account_id: str, customer_id: str) -> LinkState:
    """The customer's link (404 for a customer not of the account); never its URL."""
    customer = await get_customer(session, account_id, customer_id)
    return LinkState(customer.id, await repo.link_of(session, customer.id), await _portal_enabled(session, account_id))


async def rotate(session: AsyncSession, account_id: str, customer_id: str) -> LinkState:
    """A new token for the customer (the first one, or a replacement, or after a disable); the previous
    URL stops working when this commits. The customer row is locked first: two rotations queue."""
    customer = await get_customer(session, account_id, customer_id, lock=True)
    token, now = new_token(), clock.now()
    link = await repo.link_of(session, customer.id)
    if link is None:
        link = CustomerPortalLink(customer_id=customer.id, account_id=account_id, token_sha256=digest(token),
                                  created_at=now)
        session.add(link)
    else:
        link.token_sha256, link.changed_at = digest(token), now
    await session.flush()
    return LinkState(customer.id, link, await _portal_enabled(session, account_id), token=token)


async def disable(session: AsyncSession, account_id: str, customer_id: str) -> LinkState:
    """No live link for the customer from this commit on (idempotent); ``rotate`` gives a new one."""
    customer = await get_customer(session, account_id, customer_id, lock=True)
    link = await repo.link_of(session, customer.id)
    if link is not None and link.token_sha256 is not None:
        link.token_sha256, link.changed_at = None, clock.now()
        await session.flush()
    return LinkState(customer.id, link, await _portal_enabled(session, account_id))


@dataclass(frozen=True)
class PortalOwner:
    """Whose portal a token opens: the customer, of the account, with the account's merchant settings."""

    token: str
    account_id: str
    customer: Customer
    settings: MerchantSettings


async def resolve(session: AsyncSession, token: str) -> PortalOwner | None:
    """The owner of a live token of a portal that is on, or None. No account scope: the token is the
    credential; every read of the portal is then scoped by this account and customer."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    wanted = digest(token)
    link = await repo.link_by_digest(session, wanted)
    if link is None or link.token_sha256 is None or not hmac.compare_digest(link.token_sha256, wanted):
        return None
    settings = await merchant.load(session, link.account_id)
    if not settings.customer_portal_enabled:
        return None
    try:
        customer = await get_customer(session, link.account_id, link.customer_id)
    except NotFound:
        return None
    return PortalOwner(token=token, account_id=link.account_id, customer=customer, settings=settings)
