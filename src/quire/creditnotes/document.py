"""The credit note as a document: gather what the shared renderer needs (the API's own JSON shapes),
render it off the event loop, store it once it is issued, and serve the stored copy.

As for invoices (``quire.invoices.document``), through the same ``quire.core.stored_documents``: a
numbered credit note's PDF is rendered once and kept in ``credit_note_documents`` (ISSUED when it is
finalized, VOIDED when it is voided), so what the customer downloaded or was emailed never changes.
Drafts are rendered on demand. See docs/credit-notes.md and docs/delivery.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents.render_model import Parts, credit_note_model, download, parts_of
from quire.billing_documents.snapshot import frozen_fields, pdf_render
from quire.core.clock import isoformat_z
from quire.core.stored_documents import DocumentKind, DocumentStore
from quire.creditnotes import present
from quire.creditnotes import repository as repo
from quire.creditnotes.lifecycle import CreditNoteStatus
from quire.creditnotes.models import CreditNote, CreditNoteDocument
from quire.creditnotes.service import get_credit_note, tax_status_of


def filename_of(note: CreditNote) -> str:
    """Named after its number, or its id while it has none."""
    return f"{note.credit_note_number or note.id}.pdf"


async def _parts(session: AsyncSession, note: CreditNote) -> Parts:
    lines = [present.line(item, note.currency) for item in await repo.lines_of(session, note.id)]
    groups = [present.group(g, note.currency) for g in await repo.groups_of(session, note.id)]
    doc, line_parts, group_parts = parts_of(present.credit_note(note), lines, groups)
    doc["createdAt"] = isoformat_z(note.created_at)  # not on the wire; makes the PDF's creation date deterministic
    return doc, line_parts, group_parts


async def prepare_pdf(
    session: AsyncSession, note: CreditNote, kind: DocumentKind | None = None
) -> Callable[[], Awaitable[bytes]]:
    """Read what the PDF prints and return its render (which needs no session). ``kind`` None: the
    credit note as it stands now (a draft); else its stored copy of that kind, from what was frozen when
    it was numbered. Rendering is CPU-bound: the model is built and rendered in a render process
    (quire.documents), awaited without holding a thread."""
    return pdf_render(credit_note_model, await _parts(session, note), note.document_snapshot, kind and kind.value)


async def render_pdf(session: AsyncSession, note: CreditNote, kind: DocumentKind | None = None) -> bytes:
    return await (await prepare_pdf(session, note, kind))()


#: The credit note's stored PDFs.
STORE: DocumentStore[CreditNote, CreditNoteDocument] = DocumentStore(
    "credit_note", CreditNoteDocument, CreditNote, "credit_note_id", prepare_pdf, filename_of,
    on_demand={CreditNoteStatus.DRAFT.value},
)


async def credit_note_download(session: AsyncSession, account_id: str, credit_note_id: str, fmt: str) -> tuple[str, str, bytes]:
    """``GET /credit-notes/{id}/download[?format=pdf|ubl|facturx]``: (file name, media type, bytes).
    The PDF of a numbered credit note is the stored one (its Factur-X embeds it). The e-invoice formats
    are Quire extensions (docs/einvoice.md)."""
    from quire.einvoice import render_facturx_credit_note, render_ubl_credit_note

    note = await get_credit_note(session, account_id, credit_note_id)

    async def e_parts() -> Parts:
        # The e-invoice needs the VAT category of zero-rated lines: the tax status of the credited
        # invoice, or of the customer when the note stands alone; as frozen when it was numbered.
        doc, lines, groups = await _parts(session, note)
        frozen = frozen_fields(note.document_snapshot)
        if "customerTaxStatus" in frozen:
            return {**doc, **frozen}, lines, groups
        return {"customerTaxStatus": await tax_status_of(session, note), **doc}, lines, groups  # numbered before 0016

    return await download(
        fmt, filename_of(note).removesuffix(".pdf"), lambda: STORE.current(session, note), e_parts,
        render_ubl_credit_note, render_facturx_credit_note,
    )
