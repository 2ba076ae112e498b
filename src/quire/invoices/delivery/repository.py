"""Queries of hosted links (stored documents: ``quire.invoices.document.STORE``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.invoices.delivery.models import InvoiceHostedLink


async def link_of(session: AsyncSession, invoice_id: str) -> InvoiceHostedLink | None:
    return await session.get(InvoiceHostedLink, invoice_id)


async def link_by_token(session: AsyncSession, token: str) -> InvoiceHostedLink | None:
    stmt = select(InvoiceHostedLink).where(InvoiceHostedLink.token == token)
    return (await session.scalars(stmt)).first()


async def tokens_of(session: AsyncSession, invoice_ids: Sequence[str]) -> dict[str, str]:
    """The hosted-page token of each of these invoices that has one, in one query."""
    if not invoice_ids:
        return {}
    stmt = select(InvoiceHostedLink.invoice_id, InvoiceHostedLink.token).where(InvoiceHostedLink.invoice_id.in_(invoice_ids))
    return {row.invoice_id: row.token for row in await session.execute(stmt)}
