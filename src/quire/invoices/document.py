"""The invoice as a document: gather what the renderer needs, in the API's own JSON shapes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.invoices import present
from quire.invoices import repository as repo
from quire.invoices.service import get_invoice


def _json(model: Any) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")  # type: ignore[no-any-return]


async def invoice_pdf(session: AsyncSession, account_id: str, invoice_id: str) -> tuple[str, bytes]:
    """Render the invoice as it stands now; the file is named after its number (or id for drafts)."""
    invoice = await get_invoice(session, account_id, invoice_id)
    from quire.invoices.pdf import render_invoice_pdf

    lines = [_json(present.line(item, invoice.currency)) for item in await repo.lines_of(session, invoice.id)]
    groups = [_json(present.group(g, invoice.currency)) for g in await repo.groups_of(session, invoice.id)]
    pdf = render_invoice_pdf(_json(present.invoice(invoice)), lines, groups)
    return f"{invoice.invoice_number or invoice.id}.pdf", pdf
