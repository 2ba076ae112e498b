"""Every credit note query, scoped by account (directly, or through a credit note already scoped).
Lines and groups are queried by the core (``quire.billing_documents.repository``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents import repository as documents
from quire.core.ids import is_uuid
from quire.core.repository import Criterion, above, below, equal, one_of
from quire.creditnotes.lifecycle import CreditNoteStatus
from quire.creditnotes.models import CreditNote, CreditNoteLineItem, CreditNoteLineItemGroup
from quire.invoices.models import InvoiceLineItem, InvoiceLineItemGroup


@dataclass(frozen=True)
class CreditNoteFilters:
    statuses: Sequence[str] = ()
    customer_id: str | None = None
    sent_before: date | None = None
    sent_after: date | None = None


def credit_note_criteria(f: CreditNoteFilters) -> list[Criterion]:
    """Date filters are strict, on the UTC date of the latest send (as for invoices)."""
    return [one_of(CreditNote.status, f.statuses), equal(CreditNote.customer_id, f.customer_id),
            below(CreditNote.sent_date, f.sent_before), above(CreditNote.sent_date, f.sent_after)]


async def lines_of(session: AsyncSession, credit_note_id: str) -> list[CreditNoteLineItem]:
    return await documents.parts_of(session, CreditNoteLineItem, credit_note_id)


async def groups_of(session: AsyncSession, credit_note_id: str) -> list[CreditNoteLineItemGroup]:
    return await documents.parts_of(session, CreditNoteLineItemGroup, credit_note_id)


# --- what has been credited against an invoice ------------------------------------------------------


async def credited_totals(
    session: AsyncSession,
    account_id: str,
    invoice_id: str,
    *,
    invoice_line_id: str | None = None,
    exclude_line_id: str | None = None,
) -> tuple[int, int, int]:
    """Net, tax and gross minor units credited against the invoice (or one of its lines) by every credit
    note that is not VOIDED — drafts included, so an amount is reserved from the moment it is written."""
    L, C = CreditNoteLineItem, CreditNote
    sums = [func.coalesce(func.sum(col), 0) for col in (L.net_total_minor, L.total_tax_minor, L.gross_total_minor)]
    stmt = (
        select(*sums)
        .join(C, C.id == L.credit_note_id)
        .where(C.account_id == account_id, C.invoice_id == invoice_id, C.status != CreditNoteStatus.VOIDED.value)
    )
    if invoice_line_id is not None:
        stmt = stmt.where(L.invoice_line_item_id == invoice_line_id)
    if exclude_line_id is not None:
        stmt = stmt.where(L.id != exclude_line_id)
    row = (await session.execute(stmt)).one()
    return int(row[0]), int(row[1]), int(row[2])


async def invoice_line(session: AsyncSession, account_id: str, invoice_id: str, line_id: str) -> InvoiceLineItem | None:
    if not is_uuid(line_id):
        return None
    stmt = select(InvoiceLineItem).where(
        InvoiceLineItem.account_id == account_id, InvoiceLineItem.invoice_id == invoice_id, InvoiceLineItem.id == line_id
    )
    return (await session.scalars(stmt)).one_or_none()


async def invoice_group_exists(session: AsyncSession, account_id: str, invoice_id: str, group_id: str) -> bool:
    if not is_uuid(group_id):
        return False
    G = InvoiceLineItemGroup
    stmt = select(G.id).where(G.account_id == account_id, G.invoice_id == invoice_id, G.id == group_id)
    return (await session.scalar(stmt)) is not None
