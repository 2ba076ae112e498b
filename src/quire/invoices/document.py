"""The invoice as a document: gather what the renderer needs (the API's own JSON shapes), render it
off the event loop, store it once it is issued, and serve the stored copy.

A numbered invoice's PDF is rendered once and the bytes are kept in ``invoice_documents``
(``quire.core.stored_documents``): what a customer downloaded or received by email never changes,
even if the renderer does. Drafts are rendered on demand. See docs/delivery.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents.render_model import Parts, download, invoice_model, parts_of
from quire.billing_documents.snapshot import frozen_fields, pdf_render
from quire.core.stored_documents import DocumentKind, DocumentStore
from quire.invoices import present
from quire.invoices import repository as repo
from quire.invoices.delivery.models import InvoiceDocument
from quire.invoices.lifecycle import InvoiceStatus
from quire.invoices.models import Invoice
from quire.invoices.service import get_invoice

_ON_DEMAND = {InvoiceStatus.DRAFT.value, InvoiceStatus.IN_PROGRESS.value}


def filename_of(invoice: Invoice) -> str:
    return f"{invoice.invoice_number or invoice.id}.pdf"


async def document_parts(session: AsyncSession, invoice: Invoice) -> Parts:
    """What every renderer (PDF, UBL, Factur-X) takes: the invoice, its lines and its groups as JSON."""
    lines = [present.line(item, invoice.currency) for item in await repo.lines_of(session, invoice.id)]
    groups = [present.group(g, invoice.currency) for g in await repo.groups_of(session, invoice.id)]
    return parts_of(present.invoice(invoice), lines, groups)


async def prepare_pdf(
    session: AsyncSession, invoice: Invoice, kind: DocumentKind | None = None
) -> Callable[[], Awaitable[bytes]]:
    """Read what the PDF prints and return its render (which needs no session). ``kind`` None: the
    invoice as it stands now (a draft); else its stored copy of that kind, from what was frozen when it
    was numbered (``quire.billing_documents.snapshot``). Rendering is CPU-bound: the model is built and
    rendered in a render process (quire.documents), awaited without holding a thread."""
    return pdf_render(invoice_model, await document_parts(session, invoice), invoice.document_snapshot, kind and kind.value)


async def render_pdf(session: AsyncSession, invoice: Invoice, kind: DocumentKind | None = None) -> bytes:
    return await (await prepare_pdf(session, invoice, kind))()


async def frozen_parts(session: AsyncSession, invoice: Invoice) -> Parts:
    """What the e-invoices render: the invoice's parts with the fields frozen when it was numbered."""
    doc, lines, groups = await document_parts(session, invoice)
    return {**doc, **frozen_fields(invoice.document_snapshot)}, lines, groups


#: The invoice's stored PDFs (``quire.core.stored_documents``).
STORE: DocumentStore[Invoice, InvoiceDocument] = DocumentStore(
    "invoice", InvoiceDocument, Invoice, "invoice_id", prepare_pdf, filename_of, on_demand=_ON_DEMAND
)


async def store_pdf(session: AsyncSession, invoice: Invoice, kind: DocumentKind) -> InvoiceDocument:
    """Render and keep the document of ``kind`` in the caller's transaction; an existing one is
    returned untouched (a stored document is never re-rendered)."""
    return await STORE.store(session, invoice, kind)


async def store_pdf_later(session: AsyncSession, invoice: Invoice, kind: DocumentKind) -> None:
    """Queue the document of ``kind`` to be rendered and stored once the caller's transaction has
    committed (``DocumentStore.store_later``: a job of the queue, or the first download)."""
    await STORE.store_later(session, invoice, kind)


async def current_pdf(session: AsyncSession, invoice: Invoice) -> tuple[str, bytes]:
    """Drafts: rendered now. Numbered invoices: the stored VOIDED document if voided, else the ISSUED
    one, rendered from what was frozen and stored now if its job has not stored it yet."""
    return await STORE.current(session, invoice)


async def invoice_download(session: AsyncSession, account_id: str, invoice_id: str, fmt: str) -> tuple[str, str, bytes]:
    """``GET /invoices/{id}/download[?format=pdf|ubl|facturx]``: (file name, media type, bytes).

    ``ubl`` and ``facturx`` are Quire extensions (docs/einvoice.md); they refuse drafts and documents
    the norm cannot represent with a 400 naming what is missing, never an invalid file.
    """
    from quire.einvoice import render_facturx, render_ubl

    invoice = await get_invoice(session, account_id, invoice_id)
    return await download(
        fmt, filename_of(invoice).removesuffix(".pdf"), lambda: current_pdf(session, invoice),
        lambda: frozen_parts(session, invoice), render_ubl, render_facturx,
    )
