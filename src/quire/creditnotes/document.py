"""The credit note as a document: gather what the shared renderer needs, in the API's own JSON shapes."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.clock import isoformat_z
from quire.creditnotes import present
from quire.creditnotes import repository as repo
from quire.creditnotes.models import CreditNote
from quire.creditnotes.service import get_credit_note, tax_status_of


def _json(model: Any) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")  # type: ignore[no-any-return]


async def _parts(session: AsyncSession, note: CreditNote) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    doc = _json(present.credit_note(note))
    doc["createdAt"] = isoformat_z(note.created_at)  # not on the wire; makes the PDF's creation date deterministic
    lines = [_json(present.line(item, note.currency)) for item in await repo.lines_of(session, note.id)]
    groups = [_json(present.group(g, note.currency)) for g in await repo.groups_of(session, note.id)]
    return doc, lines, groups


async def credit_note_download(session: AsyncSession, account_id: str, credit_note_id: str, fmt: str) -> tuple[str, str, bytes]:
    """``GET /credit-notes/{id}/download[?format=pdf|ubl|facturx]``: (file name, media type, bytes).
    The e-invoice formats are Quire extensions (docs/einvoice.md)."""
    from quire.einvoice import render_facturx_credit_note, render_ubl_credit_note
    from quire.invoices.pdf import render_credit_note_pdf

    note = await get_credit_note(session, account_id, credit_note_id)
    doc, lines, groups = await _parts(session, note)
    stem = note.credit_note_number or note.id  # named after its number, or its id while it has none
    if fmt == "ubl":
        # The e-invoice needs the VAT category of zero-rated lines: the tax status of the credited
        # invoice, or of the customer when the note stands alone.
        ubl_doc = {"customerTaxStatus": await tax_status_of(session, note), **doc}
        return f"{stem}.xml", "application/xml", await asyncio.to_thread(render_ubl_credit_note, ubl_doc, lines, groups)
    # Rendering is CPU-bound: it runs in a worker thread, off the event loop.
    pdf = await asyncio.to_thread(render_credit_note_pdf, doc, lines, groups)
    if fmt == "pdf":
        return f"{stem}.pdf", "application/pdf", pdf
    fx_doc = {"customerTaxStatus": await tax_status_of(session, note), **doc}
    return f"{stem}.pdf", "application/pdf", await asyncio.to_thread(render_facturx_credit_note, fx_doc, lines, groups, pdf)
