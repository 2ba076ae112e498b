"""The credit note as a document: gather what the shared renderer needs, in the API's own JSON shapes."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.clock import isoformat_z
from quire.creditnotes import present
from quire.creditnotes import repository as repo
from quire.creditnotes.service import get_credit_note


def _json(model: Any) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")  # type: ignore[no-any-return]


async def credit_note_pdf(session: AsyncSession, account_id: str, credit_note_id: str) -> tuple[str, bytes]:
    """Render the credit note as it stands now (``pdf.render_credit_note_pdf``, the invoices' layout);
    the file is named after its number, or its id while it has none."""
    note = await get_credit_note(session, account_id, credit_note_id)
    from quire.invoices.pdf import render_credit_note_pdf

    doc = _json(present.credit_note(note))
    doc["createdAt"] = isoformat_z(note.created_at)  # not on the wire; makes the PDF's creation date deterministic
    lines = [_json(present.line(item, note.currency)) for item in await repo.lines_of(session, note.id)]
    groups = [_json(present.group(g, note.currency)) for g in await repo.groups_of(session, note.id)]
    # Rendering is CPU-bound: it runs in a worker thread, off the event loop.
    return f"{note.credit_note_number or note.id}.pdf", await asyncio.to_thread(render_credit_note_pdf, doc, lines, groups)
