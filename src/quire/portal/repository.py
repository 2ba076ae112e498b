"""Queries of portal links."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.portal.models import CustomerPortalLink


async def link_of(session: AsyncSession, customer_id: str) -> CustomerPortalLink | None:
    return await session.get(CustomerPortalLink, customer_id)


async def link_by_digest(session: AsyncSession, token_sha256: str) -> CustomerPortalLink | None:
    stmt = select(CustomerPortalLink).where(CustomerPortalLink.token_sha256 == token_sha256)
    return (await session.scalars(stmt)).first()
