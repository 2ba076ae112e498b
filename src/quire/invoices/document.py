"""The invoice as a document: gather what the renderer needs (the API's own JSON shapes), render it
off the event loop, store it once it is issued, and serve the stored copy.

A numbered invoice's PDF is rendered once, in the transaction that numbers it, and the bytes are
kept in ``invoice_documents``: what a customer downloaded or received by email never changes, even
if the renderer does. Drafts are rendered on demand. See docs/delivery.md.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.db import sqlite_write_transaction
from quire.core.runtime import Background, after_commit_spawn
from quire.core.ids import uuid7
from quire.invoices import present
from quire.invoices import repository as repo
from quire.invoices.delivery import repository as stored
from quire.invoices.delivery.models import DocumentKind, InvoiceDocument
from quire.invoices.lifecycle import InvoiceStatus
from quire.invoices.models import Invoice
from quire.invoices.service import get_invoice

PDF = "application/pdf"
_ISSUED_STATUSES = {InvoiceStatus.FINAL.value, InvoiceStatus.SENT.value}
_ON_DEMAND = {InvoiceStatus.DRAFT.value, InvoiceStatus.IN_PROGRESS.value}


def as_json(model: Any) -> dict[str, Any]:
    """A wire model as the API serialises it (camelCase, no nulls): what renderers take."""
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")  # type: ignore[no-any-return]


def filename_of(invoice: Invoice) -> str:
    return f"{invoice.invoice_number or invoice.id}.pdf"


async def document_parts(session: AsyncSession, invoice: Invoice) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """What every renderer (PDF, UBL, Factur-X) takes: the invoice, its lines and its groups as JSON."""
    lines = [as_json(present.line(item, invoice.currency)) for item in await repo.lines_of(session, invoice.id)]
    groups = [as_json(present.group(g, invoice.currency)) for g in await repo.groups_of(session, invoice.id)]
    return as_json(present.invoice(invoice)), lines, groups


async def render_pdf(session: AsyncSession, invoice: Invoice) -> bytes:
    """The invoice as it stands now. Rendering is CPU-bound: it runs in a worker thread."""
    from quire.invoices.pdf import render_invoice_pdf

    return await asyncio.to_thread(render_invoice_pdf, *await document_parts(session, invoice))


def _document_row(invoice: Invoice, kind: DocumentKind, content: bytes) -> InvoiceDocument:
    return InvoiceDocument(
        id=uuid7(),
        account_id=invoice.account_id,
        invoice_id=invoice.id,
        kind=kind.value,
        filename=filename_of(invoice),
        content_type=PDF,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        created_at=clock.now(),
    )


async def store_pdf(session: AsyncSession, invoice: Invoice, kind: DocumentKind) -> InvoiceDocument:
    """Render and keep the document of ``kind`` in the caller's transaction; an existing one is
    returned untouched (a stored document is never re-rendered)."""
    existing = await stored.document(session, invoice.id, kind)
    if existing is not None:
        return existing
    document = _document_row(invoice, kind, await render_pdf(session, invoice))
    session.add(document)
    await session.flush()
    return document


def store_issued_pdf_after_commit(session: AsyncSession, invoice: Invoice) -> bool:
    """Queue the ISSUED PDF to be rendered and stored once the finalizing transaction has committed.

    Rendering takes tens of milliseconds of CPU; inside the transaction it held the account's number
    counter (and, on SQLite, the database) for that long, so finalizations queued behind one another
    (docs/performance.md). The finalized invoice cannot change any more, so rendering it a moment later
    gives the same document; a download in between renders the same bytes on demand. False when the
    session has no background service (the caller then stores it inline).
    """
    return after_commit_spawn(session, _issued_pdf_job(invoice.id), name=f"issued-pdf-{invoice.id}")


def _issued_pdf_job(invoice_id: str) -> Callable[[Background], Awaitable[None]]:
    async def job(background: Background) -> None:
        async with background.sessionmaker() as session:  # read and render, holding no lock
            invoice = await session.get(Invoice, invoice_id)
            if invoice is None or invoice.status not in _ISSUED_STATUSES:
                return  # voided meanwhile: its VOIDED copy is the record
            if await stored.document(session, invoice_id, DocumentKind.ISSUED) is not None:
                return  # a send stored it first
            row = _document_row(invoice, DocumentKind.ISSUED, await render_pdf(session, invoice))
        token = sqlite_write_transaction.set(True)
        try:
            async with background.write_lock or nullcontext(), background.sessionmaker() as session:
                if await stored.document(session, invoice_id, DocumentKind.ISSUED) is None:
                    session.add(row)
                    try:
                        await session.commit()
                    except IntegrityError:
                        await session.rollback()  # stored concurrently by a send: same document
        finally:
            sqlite_write_transaction.reset(token)

    return job


async def current_pdf(session: AsyncSession, invoice: Invoice) -> tuple[str, bytes]:
    """Drafts: rendered now. Numbered invoices: the stored VOIDED document if voided, else the ISSUED
    one. An invoice numbered before documents were stored is rendered (and stored at its next action)."""
    if invoice.status not in _ON_DEMAND:
        document = await stored.latest_document(session, invoice.id)
        if document is not None:
            return document.filename, document.content
    return filename_of(invoice), await render_pdf(session, invoice)


async def invoice_download(session: AsyncSession, account_id: str, invoice_id: str, fmt: str) -> tuple[str, str, bytes]:
    """``GET /invoices/{id}/download[?format=pdf|ubl|facturx]``: (file name, media type, bytes).

    ``ubl`` and ``facturx`` are Quire extensions (docs/einvoice.md); they refuse drafts and documents
    the norm cannot represent with a 400 naming what is missing, never an invalid file.
    """
    from quire.einvoice import render_facturx, render_ubl

    invoice = await get_invoice(session, account_id, invoice_id)
    if fmt == "pdf":
        filename, pdf = await current_pdf(session, invoice)
        return filename, PDF, pdf
    parts = await document_parts(session, invoice)
    stem = filename_of(invoice).removesuffix(".pdf")
    if fmt == "ubl":  # no PDF needed: do not render one
        return f"{stem}.xml", "application/xml", await asyncio.to_thread(render_ubl, *parts)
    _, pdf = await current_pdf(session, invoice)
    return f"{stem}.pdf", PDF, await asyncio.to_thread(render_facturx, *parts, pdf)
