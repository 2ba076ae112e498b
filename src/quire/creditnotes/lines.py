"""Line items and line item groups of a draft credit note, and the totals they imply.

Same mechanics as invoice lines (``quire.invoices.lines``): every write locks the credit note, checks it
is editable, and derives totals with ``quire.invoices.calculation.line_totals`` (the one copy of the
arithmetic); group and note totals are exact integer sums of their lines. Lines of a note linked to an
invoice also lock that invoice and pass the creditable-amount rule (``creditable.py``) before they are
written.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.errors import NotFound, ValidationFailed
from quire.core.ids import uuid7
from quire.core.money import from_minor, to_minor
from quire.core.pagination import Page, PageParams, paginate
from quire.creditnotes import creditable
from quire.creditnotes import repository as repo
from quire.creditnotes.lifecycle import Action, check
from quire.creditnotes.models import CreditNote, CreditNoteLineItem, CreditNoteLineItemGroup
from quire.creditnotes.schemas import CreditGroupCreate, CreditGroupUpdate, CreditLineCreate, CreditLineFields
from quire.creditnotes.service import get_credit_note, tax_status_of
from quire.billing_documents.calculation import Totals, line_totals
from quire.invoices.lines import MAX_AMOUNT_MINOR
from quire.invoices.models import InvoiceLineItem
from quire.invoices.schemas import MAX_GROUPS, MAX_LINE_ITEMS
from quire.tax.rules import effective_tax_rate

_Row = CreditNote | CreditNoteLineItem | CreditNoteLineItemGroup


async def editable_note(session: AsyncSession, account_id: str, credit_note_id: str) -> CreditNote:
    note = await get_credit_note(session, account_id, credit_note_id, lock=True)
    check(Action.EDIT, note.status)
    return note


def _storable(minor: tuple[int, int, int], currency: str) -> tuple[int, int, int]:
    """The invoices' storage limit (``MAX_AMOUNT_MINOR``) for every net, tax and gross amount."""
    for value in minor:
        if abs(value) >= MAX_AMOUNT_MINOR:
            raise ValidationFailed(
                f"Amount {from_minor(value, currency)} {currency} is larger than Quire can store (under 10^17 minor units)",
                field="quantity",
            )
    return minor


def _minor(totals: Totals, currency: str) -> tuple[int, int, int]:
    return _storable((to_minor(totals.net, currency), to_minor(totals.tax, currency), to_minor(totals.gross, currency)),
                     currency)


def _store(row: _Row, minor: tuple[int, int, int], currency: str) -> None:
    row.net_total_minor, row.total_tax_minor, row.gross_total_minor = _storable(minor, currency)


async def recalculate(session: AsyncSession, note: CreditNote) -> None:
    """Every group's and the note's totals as exact sums (minor units) of their lines' stored totals."""
    currency = note.currency
    sums = await repo.line_sums_by_group(session, note.id)
    # A credit note that never had a group (next_group_index counts the groups ever added) has none to read.
    for grp in await repo.groups_of(session, note.id) if note.next_group_index else ():
        _store(grp, sums.get(grp.id, (0, 0, 0)), currency)
    totals = list(sums.values())
    _store(note, (sum(v[0] for v in totals), sum(v[1] for v in totals), sum(v[2] for v in totals)), currency)
    note.updated_at = clock.now()
    await session.flush()


async def _check_group(session: AsyncSession, note: CreditNote, group_id: str | None) -> None:
    if group_id is not None and await repo.get_group(session, note.id, group_id) is None:
        raise ValidationFailed(f"groupId {group_id!r} is not a line item group of this credit note", field="groupId")


async def _guard(
    session: AsyncSession, note: CreditNote, minor: tuple[int, int, int], invoice_line: InvoiceLineItem | None,
    replacing: str | None,
) -> tuple[int, int, int]:
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


def _fill(item: CreditNoteLineItem, data: CreditLineFields, tax_rate: Decimal, minor: tuple[int, int, int]) -> None:
    item.title = data.title
    item.description = data.description
    item.quantity = data.quantity
    item.rate = data.rate
    item.tax_rate = tax_rate
    item.rate_display = data.rate_display
    item.external_ids = [x.model_dump() for x in data.external_ids]
    item.net_total_minor, item.total_tax_minor, item.gross_total_minor = minor


async def add_line(
    session: AsyncSession, account_id: str, credit_note_id: str, data: CreditLineCreate
) -> tuple[CreditNote, CreditNoteLineItem]:
    note = await editable_note(session, account_id, credit_note_id)
    if data.credit_note_id != note.id:
        raise ValidationFailed("creditNoteId must be the id of the credit note in the path", field="creditNoteId")
    await _check_group(session, note, data.group_id)
    invoice_line = await creditable.invoice_line_of(session, note, data.line_item_id) if data.line_item_id else None
    # next_line_index counts the lines ever added, so below the limit there is no need to count them.
    if note.next_line_index >= MAX_LINE_ITEMS and await repo.count_lines(session, note.id) >= MAX_LINE_ITEMS:
        raise ValidationFailed(f"A credit note holds at most {MAX_LINE_ITEMS} line items")
    tax_rate = await _stored_tax_rate(session, note, data.tax_rate, invoice_line)
    minor = _minor(line_totals(data.quantity, data.rate, tax_rate, note.currency), note.currency)
    minor = await _guard(session, note, minor, invoice_line, None)
    item = CreditNoteLineItem(
        id=uuid7(), account_id=account_id, credit_note_id=note.id, index=note.next_line_index, group_id=data.group_id,
        invoice_line_item_id=invoice_line.id if invoice_line else None,
        price_id=invoice_line.price_id if invoice_line else None, created_at=clock.now(),
    )
    _fill(item, data, tax_rate, minor)
    note.next_line_index += 1
    session.add(item)
    await session.flush()
    await recalculate(session, note)
    return note, item


async def _line(session: AsyncSession, note: CreditNote, line_id: str) -> CreditNoteLineItem:
    item = await repo.get_line(session, note.id, line_id)
    if item is None:
        raise NotFound.of("CreditNoteLineItem", line_id)
    return item


async def update_line(
    session: AsyncSession, account_id: str, credit_note_id: str, line_id: str, data: CreditLineFields
) -> tuple[CreditNote, CreditNoteLineItem]:
    """Replace the line's values; its group, credited invoice line and index stay."""
    note = await editable_note(session, account_id, credit_note_id)
    item = await _line(session, note, line_id)
    invoice_line = None
    if item.invoice_line_item_id is not None and note.invoice_id is not None:
        invoice_line = await repo.invoice_line(session, account_id, note.invoice_id, item.invoice_line_item_id)
    tax_rate = await _stored_tax_rate(session, note, data.tax_rate, invoice_line)
    minor = _minor(line_totals(data.quantity, data.rate, tax_rate, note.currency), note.currency)
    minor = await _guard(session, note, minor, invoice_line, item.id)
    _fill(item, data, tax_rate, minor)
    await session.flush()
    await recalculate(session, note)
    return note, item


async def delete_line(
    session: AsyncSession, account_id: str, credit_note_id: str, line_id: str
) -> tuple[CreditNote, CreditNoteLineItem]:
    note = await editable_note(session, account_id, credit_note_id)
    item = await _line(session, note, line_id)
    await session.delete(item)
    await session.flush()
    await recalculate(session, note)
    return note, item


async def list_lines(
    session: AsyncSession, account_id: str, credit_note_id: str, params: PageParams
) -> tuple[CreditNote, Page[CreditNoteLineItem]]:
    note = await get_credit_note(session, account_id, credit_note_id)
    page = await paginate(session, repo.lines_stmt(note.id), params=params, sort_column=CreditNoteLineItem.index,
                          id_column=CreditNoteLineItem.id, sort_name="index")
    return note, page


# --- groups ---------------------------------------------------------------------------------------


async def add_group(
    session: AsyncSession, account_id: str, credit_note_id: str, data: CreditGroupCreate
) -> tuple[CreditNote, CreditNoteLineItemGroup]:
    note = await editable_note(session, account_id, credit_note_id)
    if data.line_item_group_id is not None:
        if note.invoice_id is None:
            raise ValidationFailed("lineItemGroupId needs a credit note linked to an invoice (invoiceId)",
                                   field="lineItemGroupId")
        if not await repo.invoice_group_exists(session, account_id, note.invoice_id, data.line_item_group_id):
            raise ValidationFailed(
                f"lineItemGroupId {data.line_item_group_id!r} is not a line item group of invoice {note.invoice_id!r}",
                field="lineItemGroupId",
            )
    if await repo.count_groups(session, note.id) >= MAX_GROUPS:
        raise ValidationFailed(f"A credit note holds at most {MAX_GROUPS} line item groups")
    group = CreditNoteLineItemGroup(
        id=uuid7(), account_id=account_id, credit_note_id=note.id, invoice_line_item_group_id=data.line_item_group_id,
        index=note.next_group_index, title=data.title, description=data.description,
        net_total_minor=0, total_tax_minor=0, gross_total_minor=0, created_at=clock.now(),
    )
    note.next_group_index += 1
    note.updated_at = clock.now()
    session.add(group)
    await session.flush()
    return note, group


async def _group(session: AsyncSession, note: CreditNote, group_id: str) -> CreditNoteLineItemGroup:
    group = await repo.get_group(session, note.id, group_id)
    if group is None:
        raise NotFound.of("CreditNoteLineItemGroup", group_id)
    return group


async def update_group(
    session: AsyncSession, account_id: str, credit_note_id: str, group_id: str, data: CreditGroupUpdate
) -> tuple[CreditNote, CreditNoteLineItemGroup]:
    note = await editable_note(session, account_id, credit_note_id)
    group = await _group(session, note, group_id)
    group.title = data.title
    group.description = data.description
    note.updated_at = clock.now()
    await session.flush()
    return note, group


async def delete_group(
    session: AsyncSession, account_id: str, credit_note_id: str, group_id: str
) -> tuple[CreditNote, CreditNoteLineItemGroup]:
    """Delete the group but keep its lines, ungrouped (as for invoices)."""
    note = await editable_note(session, account_id, credit_note_id)
    group = await _group(session, note, group_id)
    await repo.ungroup_lines(session, group.id)  # also updates the line objects in this session
    await session.delete(group)
    await session.flush()
    await recalculate(session, note)
    return note, group


async def list_groups(
    session: AsyncSession, account_id: str, credit_note_id: str, params: PageParams
) -> tuple[CreditNote, Page[CreditNoteLineItemGroup]]:
    note = await get_credit_note(session, account_id, credit_note_id)
    page = await paginate(session, repo.groups_stmt(note.id), params=params, sort_column=CreditNoteLineItemGroup.index,
                          id_column=CreditNoteLineItemGroup.id, sort_name="index")
    return note, page
