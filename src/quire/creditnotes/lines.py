"""Line items and line item groups of a draft credit note: the core's rules (``quire.billing_documents.lines``:
locking, order, limits, groups, totals) and what only a credit note has: a line may credit an invoice
line (``lineItemId``) and a group an invoice group (``lineItemGroupId``); a line crediting an invoice
line takes its tax rate; and the lines of a note linked to an invoice lock that invoice and pass the
creditable-amount rule (``creditable.py``) before they are written. Deleting, listing and the other group
writes are the core's own (``billing_documents.routes`` serves them).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents import lines as core
from quire.core.errors import ValidationFailed
from quire.creditnotes import creditable
from quire.creditnotes import repository as repo
from quire.creditnotes.models import KIND, CreditNote, CreditNoteLineItem, CreditNoteLineItemGroup
from quire.creditnotes.schemas import CreditGroupCreate, CreditLineCreate, CreditLineFields
from quire.creditnotes.service import tax_status_of
from quire.invoices.models import InvoiceLineItem
from quire.tax.rules import effective_tax_rate


async def _guard(
    session: AsyncSession, note: CreditNote, minor: core.Minor, invoice_line: InvoiceLineItem | None, replacing: str | None,
) -> core.Minor:
    """For a note linked to an invoice: lock the invoice, then apply the creditable-amount rule, which
    settles the tax of a line crediting an invoice line (``creditable.settle``). The amounts to store."""
    if note.invoice_id is None:
        return minor
    invoice = await creditable.locked_invoice(session, note.account_id, note.invoice_id)
    settled = await creditable.check_amount(session, invoice, computed=creditable.Minor(*minor), line=invoice_line,
                                            replacing_line_id=replacing)
    return settled.net, settled.tax, settled.gross


async def _stored_tax_rate(
    session: AsyncSession, note: CreditNote, requested: Decimal, invoice_line: InvoiceLineItem | None
) -> Decimal:
    """Same rule as invoice lines (docs/tax.md): 0 for a tax-exempt or reverse-charged customer; and a
    line crediting an invoice line takes that line's rate (``creditable.credited_rate``)."""
    effective = effective_tax_rate(await tax_status_of(session, note), requested)
    return effective if invoice_line is None else creditable.credited_rate(invoice_line.tax_rate, requested, effective)


async def _amounts(
    session: AsyncSession, note: CreditNote, data: CreditLineFields, invoice_line: InvoiceLineItem | None,
    replacing: str | None,
) -> tuple[Decimal, core.Minor]:
    """The tax rate and the amounts a line is stored with."""
    tax_rate = await _stored_tax_rate(session, note, data.tax_rate, invoice_line)
    minor = core.line_minor(data.quantity, data.rate, tax_rate, note.currency)
    return tax_rate, await _guard(session, note, minor, invoice_line, replacing)


async def add_line(
    session: AsyncSession, account_id: str, credit_note_id: str, data: CreditLineCreate
) -> tuple[CreditNote, CreditNoteLineItem]:
    note = await core.editable(session, KIND, account_id, credit_note_id)
    if data.credit_note_id != note.id:
        raise ValidationFailed("creditNoteId must be the id of the credit note in the path", field="creditNoteId")
    await core.check_group(session, KIND, note, data.group_id)
    invoice_line = await creditable.invoice_line_of(session, note, data.line_item_id) if data.line_item_id else None
    await core.check_room_for_line(session, KIND, note)
    tax_rate, minor = await _amounts(session, note, data, invoice_line, None)
    item = core.new_line(
        session, KIND, note, group_id=data.group_id, invoice_line_item_id=invoice_line.id if invoice_line else None,
        price_id=invoice_line.price_id if invoice_line else None,
    )
    core.fill(item, data, tax_rate, minor)
    return await core.written(session, KIND, note, item)


async def update_line(
    session: AsyncSession, account_id: str, credit_note_id: str, line_id: str, data: CreditLineFields
) -> tuple[CreditNote, CreditNoteLineItem]:
    """Replace the line's values; its group, credited invoice line and index stay."""
    note, item = await core.editable_part(session, KIND, account_id, credit_note_id, line_id)
    invoice_line = None
    if item.invoice_line_item_id is not None and note.invoice_id is not None:
        invoice_line = await repo.invoice_line(session, account_id, note.invoice_id, item.invoice_line_item_id)
    core.fill(item, data, *await _amounts(session, note, data, invoice_line, item.id))
    return await core.written(session, KIND, note, item)


async def add_group(
    session: AsyncSession, account_id: str, credit_note_id: str, data: CreditGroupCreate
) -> tuple[CreditNote, CreditNoteLineItemGroup]:
    """A group; with ``lineItemGroupId``, one that credits a group of the note's invoice."""
    note = await core.editable(session, KIND, account_id, credit_note_id)
    if data.line_item_group_id is not None:
        if note.invoice_id is None:
            raise ValidationFailed("lineItemGroupId needs a credit note linked to an invoice (invoiceId)",
                                   field="lineItemGroupId")
        if not await repo.invoice_group_exists(session, account_id, note.invoice_id, data.line_item_group_id):
            raise ValidationFailed(
                f"lineItemGroupId {data.line_item_group_id!r} is not a line item group of invoice {note.invoice_id!r}",
                field="lineItemGroupId",
            )
    group = await core.new_group(session, KIND, note, title=data.title, description=data.description,
                                 invoice_line_item_group_id=data.line_item_group_id)
    return note, group
