"""Queries of hosted links (stored documents: ``quire.invoices.document.STORE``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.invoices.delivery.models import InvoiceHostedLink


async def link_of(session: AsyncSession, invoice_id: str) -> InvoiceHostedLink | None:
    return await session.get(InvoiceHostedLink, invoice_id)


async def link_by_token(session: AsyncSession, token: str) -> InvoiceHostedLink | None:
    stmt = select(InvoiceHostedLink).where(InvoiceHostedLink.token == token)
    return (await session.scalars(stmt)).first()
