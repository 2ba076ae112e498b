"""Line items and line item groups of a draft invoice, and the totals they imply.

Every write locks the invoice row, checks the invoice is editable, and recomputes the totals of
every line, group and the invoice from the lines' inputs with ``calculation.document_totals`` —
the server derives totals, it never trusts them.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.errors import NotFound, ValidationFailed
from quire.core.ids import uuid7
from quire.core.money import from_minor, to_minor
from quire.core.pagination import Page, PageParams, paginate
from quire.catalogue.service import check_price_reference
from quire.invoices import repository as repo
from quire.billing_documents.calculation import Totals, line_totals
from quire.invoices.lifecycle import Action, check
from quire.invoices.models import Invoice, InvoiceLineItem, InvoiceLineItemGroup
from quire.invoices.schemas import MAX_GROUPS, MAX_LINE_ITEMS, GroupWrite, LineItemWrite
from quire.invoices.service import get_invoice
from quire.tax.rates import rate_for_line
from quire.tax.rules import effective_tax_rate


async def editable_invoice(session: AsyncSession, account_id: str, invoice_id: str) -> Invoice:
    invoice = await get_invoice(session, account_id, invoice_id, lock=True)
    check(Action.EDIT, invoice.status, invoice.payment_status)
    return invoice


#: Largest absolute amount Quire stores, in minor units (amounts are BIGINT minor units; 10^17 leaves
#: headroom below 2^63 for sums). For two-decimal currencies that is 10^15 (a quadrillion) major units.
MAX_AMOUNT_MINOR = 10**17


def _set_totals(row: Invoice | InvoiceLineItem | InvoiceLineItemGroup, totals: Totals, currency: str) -> None:
    for value in (totals.net, totals.tax, totals.gross):
        if abs(to_minor(value, currency)) >= MAX_AMOUNT_MINOR:
            raise ValidationFailed(
                f"Amount {value} {currency} is larger than Quire can store (under 10^17 minor units)", field="quantity"
            )
    row.net_total_minor = to_minor(totals.net, currency)
    row.total_tax_minor = to_minor(totals.tax, currency)
    row.gross_total_minor = to_minor(totals.gross, currency)


async def recalculate(session: AsyncSession, invoice: Invoice, changed: InvoiceLineItem | None = None) -> None:
    """Derive the totals after a write: the changed line's from its inputs, then every group's and the
    invoice's as exact integer sums (in minor units) of their lines' totals, computed by the database.

    Equal by construction to ``calculation.document_totals`` over all lines (a unit test holds them
    together), without loading every line of a long invoice on each write.
    """
    currency = invoice.currency
    if changed is not None:
        _set_totals(changed, line_totals(changed.quantity, changed.rate, changed.tax_rate, currency), currency)
        await session.flush()
    sums = await repo.line_sums_by_group(session, invoice.id)
    # An invoice that never had a group (next_group_index counts the groups ever added) has none to read.
    for grp in await repo.groups_of(session, invoice.id) if invoice.next_group_index else ():
        net, tax, gross, _ = sums.get(grp.id, (0, 0, 0, 0))
        _set_minor(grp, net, tax, gross, currency)
    net = sum(v[0] for v in sums.values())
    tax = sum(v[1] for v in sums.values())
    gross = sum(v[2] for v in sums.values())
    _set_minor(invoice, net, tax, gross, currency)
    invoice.has_quantity = any(v[3] for v in sums.values())
    invoice.updated_at = clock.now()
    await session.flush()


def _set_minor(row: Invoice | InvoiceLineItemGroup, net: int, tax: int, gross: int, currency: str) -> None:
    _set_totals(row, Totals(from_minor(net, currency), from_minor(tax, currency), from_minor(gross, currency)), currency)


async def _check_group(session: AsyncSession, invoice: Invoice, group_id: str | None) -> None:
    if group_id is not None and await repo.get_group(session, invoice.id, group_id) is None:
        raise ValidationFailed(f"groupId {group_id!r} is not a line item group of this invoice", field="groupId")


async def _tax_rate(session: AsyncSession, invoice: Invoice, data: LineItemWrite) -> Decimal:
    """The rate the line is stored with: ``taxRateId``'s amount (it wins over ``taxRate``) or ``taxRate``,
    then 0 for a TAX_EXEMPT or REVERSE_CHARGED invoice whatever was sent (docs/tax.md)."""
    if data.tax_rate_id is not None:
        requested = await rate_for_line(session, invoice.account_id, tax_rate_id=data.tax_rate_id, document_id=invoice.id)
    else:
        assert data.tax_rate is not None  # LineItemWrite requires one of the two
        requested = data.tax_rate
    return effective_tax_rate(invoice.customer_tax_status, requested)


def _fill(item: InvoiceLineItem, data: LineItemWrite, tax_rate: Decimal) -> None:
    item.title = data.title
    item.description = data.description
    item.quantity = data.quantity
    item.rate = data.rate
    item.tax_rate = tax_rate
    item.service_period_start = data.service_period_start
    item.service_period_end = data.service_period_end
    item.service_period = data.service_period.model_dump(by_alias=True, mode="json") if data.service_period else None
    item.group_id = data.group_id
    item.price_id = data.price_id
    item.rate_display = data.rate_display
    item.external_ids = [x.model_dump() for x in data.external_ids]
    item.revenue_classification = data.revenue_classification
    item.credit_grant_id = data.credit_grant_id


async def add_line(session: AsyncSession, account_id: str, invoice_id: str, data: LineItemWrite) -> tuple[Invoice, InvoiceLineItem]:
    invoice = await editable_invoice(session, account_id, invoice_id)
    await _check_group(session, invoice, data.group_id)
    if data.price_id is not None:
        await check_price_reference(session, account_id, data.price_id)
    # next_line_index counts the lines ever added, so below the limit there is no need to count them.
    if invoice.next_line_index >= MAX_LINE_ITEMS and await repo.count_lines(session, invoice.id) >= MAX_LINE_ITEMS:
        raise ValidationFailed(f"An invoice holds at most {MAX_LINE_ITEMS} line items")
    tax_rate = await _tax_rate(session, invoice, data)
    item = InvoiceLineItem(id=uuid7(), account_id=account_id, invoice_id=invoice.id, index=invoice.next_line_index,
                           created_at=clock.now())
    _fill(item, data, tax_rate)
    invoice.next_line_index += 1
    session.add(item)
    await recalculate(session, invoice, item)
    return invoice, item


async def _line(session: AsyncSession, invoice: Invoice, line_id: str) -> InvoiceLineItem:
    item = await repo.get_line(session, invoice.id, line_id)
    if item is None:
        raise NotFound.of("LineItem", line_id)
    return item


async def update_line(
    session: AsyncSession, account_id: str, invoice_id: str, line_id: str, data: LineItemWrite
) -> tuple[Invoice, InvoiceLineItem]:
    invoice = await editable_invoice(session, account_id, invoice_id)
    item = await _line(session, invoice, line_id)
    await _check_group(session, invoice, data.group_id)
    if data.price_id is not None and data.price_id != item.price_id:
        await check_price_reference(session, account_id, data.price_id)
    _fill(item, data, await _tax_rate(session, invoice, data))
    await recalculate(session, invoice, item)
    return invoice, item


async def delete_line(session: AsyncSession, account_id: str, invoice_id: str, line_id: str) -> tuple[Invoice, InvoiceLineItem]:
    invoice = await editable_invoice(session, account_id, invoice_id)
    item = await _line(session, invoice, line_id)
    await session.delete(item)
    await session.flush()
    await recalculate(session, invoice)
    return invoice, item


async def list_lines(session: AsyncSession, account_id: str, invoice_id: str, params: PageParams) -> tuple[Invoice, Page[InvoiceLineItem]]:
    invoice = await get_invoice(session, account_id, invoice_id)
    page = await paginate(session, repo.lines_stmt(invoice.id), params=params, sort_column=InvoiceLineItem.index,
                          id_column=InvoiceLineItem.id, sort_name="index")
    return invoice, page


# --- groups ---------------------------------------------------------------------------------------


async def add_group(session: AsyncSession, account_id: str, invoice_id: str, data: GroupWrite) -> tuple[Invoice, InvoiceLineItemGroup]:
    invoice = await editable_invoice(session, account_id, invoice_id)
    if invoice.next_group_index >= MAX_GROUPS and len(await repo.groups_of(session, invoice.id)) >= MAX_GROUPS:
        raise ValidationFailed(f"An invoice holds at most {MAX_GROUPS} line item groups")
    group = InvoiceLineItemGroup(
        id=uuid7(), account_id=account_id, invoice_id=invoice.id, index=invoice.next_group_index, title=data.title,
        description=data.description, net_total_minor=0, total_tax_minor=0, gross_total_minor=0, created_at=clock.now(),
    )
    invoice.next_group_index += 1
    invoice.updated_at = clock.now()
    session.add(group)
    await session.flush()
    return invoice, group


async def _group(session: AsyncSession, invoice: Invoice, group_id: str) -> InvoiceLineItemGroup:
    group = await repo.get_group(session, invoice.id, group_id)
    if group is None:
        raise NotFound.of("LineItemGroup", group_id)
    return group


async def update_group(
    session: AsyncSession, account_id: str, invoice_id: str, group_id: str, data: GroupWrite
) -> tuple[Invoice, InvoiceLineItemGroup]:
    invoice = await editable_invoice(session, account_id, invoice_id)
    group = await _group(session, invoice, group_id)
    group.title = data.title
    group.description = data.description
    invoice.updated_at = clock.now()
    await session.flush()
    return invoice, group


async def delete_group(session: AsyncSession, account_id: str, invoice_id: str, group_id: str) -> tuple[Invoice, InvoiceLineItemGroup]:
    """Delete the group but keep its lines, ungrouped (nothing is silently lost)."""
    invoice = await editable_invoice(session, account_id, invoice_id)
    group = await _group(session, invoice, group_id)
    await repo.ungroup_lines(session, group.id)  # also updates the line objects in this session
    await session.delete(group)
    await session.flush()
    await recalculate(session, invoice)
    return invoice, group


async def list_groups(session: AsyncSession, account_id: str, invoice_id: str, params: PageParams) -> tuple[Invoice, Page[InvoiceLineItemGroup]]:
    invoice = await get_invoice(session, account_id, invoice_id)
    page = await paginate(session, repo.groups_stmt(invoice.id), params=params, sort_column=InvoiceLineItemGroup.index,
                          id_column=InvoiceLineItemGroup.id, sort_name="index")
    return invoice, page
