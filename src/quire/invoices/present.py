"""ORM rows → wire models. Amounts leave here as strings in the currency's minor units."""

from __future__ import annotations

from quire.core.money import decimal_str, minor_to_str
from quire.core.schemas import Address, KeyValuePair
from quire.invoices.models import Invoice, InvoiceLineItem, InvoiceLineItemGroup, InvoiceSettings
from quire.invoices.schemas import (
    DateRange,
    ExternalId,
    GroupRead,
    InclusiveDateRange,
    InvoiceRead,
    InvoiceSettingsRead,
    LineItemRead,
    RenderSettings,
)


def _amount(minor: int, currency: str) -> str:
    return minor_to_str(minor, currency)


def invoice(inv: Invoice) -> InvoiceRead:
    c = inv.currency
    period = None
    if inv.billing_period_start is not None and inv.billing_period_end is not None:
        period = InclusiveDateRange(start=inv.billing_period_start, end_inclusive=inv.billing_period_end)
    return InvoiceRead(
        id=inv.id,
        sequence_account_id=inv.account_id,
        billing_schedule_id=inv.billing_schedule_id,
        status=inv.status,
        currency=c,
        invoice_number=inv.invoice_number,
        issue_date=inv.issue_date,
        due_date=inv.due_date,
        purchase_order_number=inv.purchase_order_number,
        reference=inv.reference,
        customer_emails=list(inv.customer_emails),
        customer_legal_company_name=inv.customer_legal_company_name,
        customer_billing_address=Address.model_validate(inv.customer_billing_address),
        customer_shipping_address=Address.model_validate(inv.customer_shipping_address),
        memo=inv.memo,
        payment_options=inv.payment_options,
        billing_period=period,
        customer_id=inv.customer_id,
        total_tax=_amount(inv.total_tax_minor, c),
        net_total=_amount(inv.net_total_minor, c),
        gross_total=_amount(inv.gross_total_minor, c),
        metadata=[KeyValuePair.model_validate(kv) for kv in inv.metadata_],
        customer_tax_id=inv.customer_tax_id,
        payment_status=inv.payment_status,
        created_at=inv.created_at,
        credit_note_ids=list(inv.credit_note_ids),
        linked_services=[],
        merchant_details=inv.merchant_details,
        credit_balances=inv.credit_balances,
        accounting_date=inv.accounting_date,
        customer_tax_status=inv.customer_tax_status,
        render_settings=RenderSettings.model_validate(inv.render_settings),
        billing_run_id=inv.billing_run_id,
    )


def line(item: InvoiceLineItem, currency: str) -> LineItemRead:
    return LineItemRead(
        id=item.id,
        invoice_id=item.invoice_id,
        title=item.title,
        description=item.description,
        quantity=decimal_str(item.quantity),
        rate=decimal_str(item.rate),
        tax_rate=decimal_str(item.tax_rate),
        service_period_start=item.service_period_start,
        service_period_end=item.service_period_end,
        service_period=DateRange.model_validate(item.service_period) if item.service_period else None,
        index=item.index,
        group_id=item.group_id,
        net_total=_amount(item.net_total_minor, currency),
        total_tax=_amount(item.total_tax_minor, currency),
        gross_total=_amount(item.gross_total_minor, currency),
        price_id=item.price_id,
        rate_display=item.rate_display,
        external_ids=[ExternalId.model_validate(x) for x in item.external_ids],
        revenue_classification=item.revenue_classification,
        credit_grant_id=item.credit_grant_id,
    )


def group(grp: InvoiceLineItemGroup, currency: str) -> GroupRead:
    return GroupRead(
        id=grp.id,
        invoice_id=grp.invoice_id,
        title=grp.title,
        description=grp.description,
        index=grp.index,
        net_total=_amount(grp.net_total_minor, currency),
        total_tax=_amount(grp.total_tax_minor, currency),
        gross_total=_amount(grp.gross_total_minor, currency),
    )


def settings(s: InvoiceSettings) -> InvoiceSettingsRead:
    return InvoiceSettingsRead(
        id=s.id,
        sequence_account_id=s.account_id,
        invoice_id=s.invoice_id,
        customer_id=s.customer_id,
        payment_provider=s.payment_provider,
    )
