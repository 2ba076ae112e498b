"""Every credit note query, scoped by account (directly, or through a credit note already scoped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.ids import is_uuid
from quire.creditnotes.lifecycle import CreditNoteStatus
from quire.creditnotes.models import CreditNote, CreditNoteLineItem, CreditNoteLineItemGroup
from quire.invoices.models import InvoiceLineItem, InvoiceLineItemGroup


async def get_credit_note(
    session: AsyncSession, account_id: str, credit_note_id: str, *, lock: bool = False
) -> CreditNote | None:
    if not is_uuid(credit_note_id):
        return None
    stmt = select(CreditNote).where(CreditNote.account_id == account_id, CreditNote.id == credit_note_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


@dataclass(frozen=True)
class CreditNoteFilters:
    statuses: Sequence[str] = ()
    customer_id: str | None = None
    sent_before: date | None = None
    sent_after: date | None = None


def list_stmt(account_id: str, f: CreditNoteFilters) -> Select[tuple[CreditNote]]:
    """Date filters are strict, on the UTC date of the latest send (as for invoices)."""
    stmt = select(CreditNote).where(CreditNote.account_id == account_id)
    if f.statuses:
        stmt = stmt.where(CreditNote.status.in_(f.statuses))
    if f.customer_id is not None:
        stmt = stmt.where(CreditNote.customer_id == f.customer_id)
    if f.sent_before is not None:
        stmt = stmt.where(CreditNote.sent_date < f.sent_before)
    if f.sent_after is not None:
        stmt = stmt.where(CreditNote.sent_date > f.sent_after)
    return stmt


# --- lines and groups of one credit note ------------------------------------------------------------


def lines_stmt(credit_note_id: str) -> Select[tuple[CreditNoteLineItem]]:
    return select(CreditNoteLineItem).where(CreditNoteLineItem.credit_note_id == credit_note_id)


def groups_stmt(credit_note_id: str) -> Select[tuple[CreditNoteLineItemGroup]]:
    return select(CreditNoteLineItemGroup).where(CreditNoteLineItemGroup.credit_note_id == credit_note_id)


async def lines_of(session: AsyncSession, credit_note_id: str) -> list[CreditNoteLineItem]:
    return list((await session.scalars(lines_stmt(credit_note_id).order_by(CreditNoteLineItem.index))).all())


async def groups_of(session: AsyncSession, credit_note_id: str) -> list[CreditNoteLineItemGroup]:
    return list((await session.scalars(groups_stmt(credit_note_id).order_by(CreditNoteLineItemGroup.index))).all())


async def get_line(session: AsyncSession, credit_note_id: str, line_id: str) -> CreditNoteLineItem | None:
    if not is_uuid(line_id):
        return None
    return (await session.scalars(lines_stmt(credit_note_id).where(CreditNoteLineItem.id == line_id))).one_or_none()


async def get_group(session: AsyncSession, credit_note_id: str, group_id: str) -> CreditNoteLineItemGroup | None:
    if not is_uuid(group_id):
        return None
    stmt = groups_stmt(credit_note_id).where(CreditNoteLineItemGroup.id == group_id)
    return (await session.scalars(stmt)).one_or_none()


async def count_lines(session: AsyncSession, credit_note_id: str) -> int:
    stmt = select(func.count()).where(CreditNoteLineItem.credit_note_id == credit_note_id)
    return int(await session.scalar(stmt) or 0)


async def count_groups(session: AsyncSession, credit_note_id: str) -> int:
    stmt = select(func.count()).where(CreditNoteLineItemGroup.credit_note_id == credit_note_id)
    return int(await session.scalar(stmt) or 0)


async def line_sums_by_group(session: AsyncSession, credit_note_id: str) -> dict[str | None, tuple[int, int, int]]:
    """Per group (None = ungrouped): sums of the lines' net, tax and gross minor units."""
    L = CreditNoteLineItem
    stmt = (
        select(L.group_id, func.sum(L.net_total_minor), func.sum(L.total_tax_minor), func.sum(L.gross_total_minor))
        .where(L.credit_note_id == credit_note_id)
        .group_by(L.group_id)
    )
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in (await session.execute(stmt)).all()}


async def ungroup_lines(session: AsyncSession, group_id: str) -> None:
    await session.execute(update(CreditNoteLineItem).where(CreditNoteLineItem.group_id == group_id).values(group_id=None))


async def delete_children(session: AsyncSession, credit_note_id: str) -> None:
    await session.execute(delete(CreditNoteLineItem).where(CreditNoteLineItem.credit_note_id == credit_note_id))
    await session.execute(delete(CreditNoteLineItemGroup).where(CreditNoteLineItemGroup.credit_note_id == credit_note_id))


# --- what has been credited against an invoice ------------------------------------------------------


async def credited_minor(
    session: AsyncSession,
    account_id: str,
    invoice_id: str,
    *,
    invoice_line_id: str | None = None,
    exclude_line_id: str | None = None,
) -> int:
    """Gross minor units credited against the invoice (or one of its lines) by every credit note that
    is not VOIDED — drafts included, so an amount is reserved from the moment it is written."""
    L, C = CreditNoteLineItem, CreditNote
    stmt = (
        select(func.coalesce(func.sum(L.gross_total_minor), 0))
        .join(C, C.id == L.credit_note_id)
        .where(C.account_id == account_id, C.invoice_id == invoice_id, C.status != CreditNoteStatus.VOIDED.value)
    )
    if invoice_line_id is not None:
        stmt = stmt.where(L.invoice_line_item_id == invoice_line_id)
    if exclude_line_id is not None:
        stmt = stmt.where(L.id != exclude_line_id)
    return int(await session.scalar(stmt) or 0)


async def credited_totals(
    session: AsyncSession,
    account_id: str,
    invoice_id: str,
    *,
    invoice_line_id: str | None = None,
    exclude_line_id: str | None = None,
) -> tuple[int, int, int]:
    """Net, tax and gross minor units credited as ``credited_minor`` counts them (not VOIDED, drafts included)."""
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
