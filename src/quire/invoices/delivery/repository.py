"""Queries of stored documents and hosted links."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.invoices.delivery.models import DocumentKind, InvoiceDocument, InvoiceHostedLink


async def document(session: AsyncSession, invoice_id: str, kind: DocumentKind) -> InvoiceDocument | None:
    stmt = select(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice_id, InvoiceDocument.kind == kind.value)
    return (await session.scalars(stmt)).first()


async def latest_document(session: AsyncSession, invoice_id: str) -> InvoiceDocument | None:
    """The VOIDED document if there is one, else the ISSUED one."""
    return await document(session, invoice_id, DocumentKind.VOIDED) or await document(session, invoice_id, DocumentKind.ISSUED)


async def link_of(session: AsyncSession, invoice_id: str) -> InvoiceHostedLink | None:
    return await session.get(InvoiceHostedLink, invoice_id)


async def link_by_token(session: AsyncSession, token: str) -> InvoiceHostedLink | None:
    stmt = select(InvoiceHostedLink).where(InvoiceHostedLink.token == token)
    return (await session.scalars(stmt)).first()
