"""Line items and line item groups of a draft invoice: the core's rules (``quire.billing_documents.lines``:
locking, order, limits, groups, totals) and what only an invoice line has: a price of the catalogue, the
tax rate from ``taxRate`` or ``taxRateId``, service periods, revenue classification, credit grants.
Deleting, listing and every group write are the core's own (``billing_documents.routes`` serves them).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents import lines as core
from quire.catalogue.service import check_price_reference
from quire.invoices.models import KIND, Invoice, InvoiceLineItem
from quire.invoices.schemas import LineItemWrite
from quire.tax.rates import rate_for_line
from quire.tax.rules import effective_tax_rate


async def _tax_rate(session: AsyncSession, invoice: Invoice, data: LineItemWrite) -> Decimal:
    """The rate the line is stored with: ``taxRateId``'s amount (it wins over ``taxRate``) or ``taxRate``,
    then 0 for a TAX_EXEMPT or REVERSE_CHARGED invoice whatever was sent (docs/tax.md)."""
    if data.tax_rate_id is not None:
        requested = await rate_for_line(session, invoice.account_id, tax_rate_id=data.tax_rate_id, document_id=invoice.id)
    else:
        assert data.tax_rate is not None  # LineItemWrite requires one of the two
        requested = data.tax_rate
    return effective_tax_rate(invoice.customer_tax_status, requested)


def _fill(item: InvoiceLineItem, data: LineItemWrite, tax_rate: Decimal, currency: str) -> None:
    core.fill(item, data, tax_rate, core.line_minor(data.quantity, data.rate, tax_rate, currency))
    item.service_period_start = data.service_period_start
    item.service_period_end = data.service_period_end
    item.service_period = data.service_period.model_dump(by_alias=True, mode="json") if data.service_period else None
    item.group_id = data.group_id
    item.price_id = data.price_id
    item.revenue_classification = data.revenue_classification
    item.credit_grant_id = data.credit_grant_id


async def add_line(session: AsyncSession, account_id: str, invoice_id: str, data: LineItemWrite) -> tuple[Invoice, InvoiceLineItem]:
    """A line at the end of a draft invoice (also the billing engine's way to write one)."""
    invoice = await core.editable(session, KIND, account_id, invoice_id)
    await core.check_group(session, KIND, invoice, data.group_id)
    if data.price_id is not None:
        await check_price_reference(session, account_id, data.price_id)
    await core.check_room_for_line(session, KIND, invoice)
    tax_rate = await _tax_rate(session, invoice, data)
    item = core.new_line(session, KIND, invoice)
    _fill(item, data, tax_rate, invoice.currency)
    return await core.written(session, KIND, invoice, item)


async def update_line(
    session: AsyncSession, account_id: str, invoice_id: str, line_id: str, data: LineItemWrite
) -> tuple[Invoice, InvoiceLineItem]:
    invoice, item = await core.editable_part(session, KIND, account_id, invoice_id, line_id)
    await core.check_group(session, KIND, invoice, data.group_id)
    if data.price_id is not None and data.price_id != item.price_id:
        await check_price_reference(session, account_id, data.price_id)
    _fill(item, data, await _tax_rate(session, invoice, data), invoice.currency)
    return await core.written(session, KIND, invoice, item)
