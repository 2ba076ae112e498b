"""ORM rows → wire models: the fields every document has (``quire.billing_documents.present``) and the
invoice's own."""

from __future__ import annotations

from quire.billing_documents.present import document_fields, group_fields, line_fields
from quire.invoices.models import Invoice, InvoiceLineItem, InvoiceLineItemGroup, InvoiceSettings
from quire.invoices.schemas import (
    DateRange, GroupRead, InclusiveDateRange, InvoiceRead, InvoiceSettingsRead, LineItemRead, RenderSettings
)


def invoice(inv: Invoice) -> InvoiceRead:
    period = None
    if inv.billing_period_start is not None and inv.billing_period_end is not None:
        period = InclusiveDateRange(start=inv.billing_period_start, end_inclusive=inv.billing_period_end)
    return InvoiceRead(
        **document_fields(inv),
        invoice_number=inv.invoice_number,
        due_date=inv.due_date,
        reference=inv.reference,
        payment_options=inv.payment_options,
        billing_period=period,
        payment_status=inv.payment_status,
        created_at=inv.created_at,
        credit_note_ids=list(inv.credit_note_ids),
        credit_balances=inv.credit_balances,
        accounting_date=inv.accounting_date,
        customer_tax_status=inv.customer_tax_status,
        render_settings=RenderSettings.model_validate(inv.render_settings),
        billing_run_id=inv.billing_run_id,
    )


def line(item: InvoiceLineItem, currency: str) -> LineItemRead:
    return LineItemRead(
        **line_fields(item, currency),
        invoice_id=item.invoice_id,
        service_period_start=item.service_period_start,
        service_period_end=item.service_period_end,
        service_period=DateRange.model_validate(item.service_period) if item.service_period else None,
        revenue_classification=item.revenue_classification,
        credit_grant_id=item.credit_grant_id,
    )


def group(grp: InvoiceLineItemGroup, currency: str) -> GroupRead:
    return GroupRead(**group_fields(grp, currency), invoice_id=grp.invoice_id)


def settings(s: InvoiceSettings) -> InvoiceSettingsRead:
    return InvoiceSettingsRead(
        id=s.id,
        sequence_account_id=s.account_id,
        invoice_id=s.invoice_id,
        customer_id=s.customer_id,
        payment_provider=s.payment_provider,
    )
