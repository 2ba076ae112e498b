"""ORM rows → wire models: the fields every document has (``quire.billing_documents.present``), then the
invoice's own (columns of the same name are copied: ``ApiModel.of_row``)."""

from __future__ import annotations

from typing import Any

from quire.billing_documents.present import amounts, document_fields, line_fields
from quire.core.clock import isoformat_z
from quire.core.money import minor_to_str
from quire.invoices.models import Invoice, InvoiceLineItem, InvoiceLineItemGroup, InvoiceSettings
from quire.invoices.schemas import (
    DateRange, GroupRead, InclusiveDateRange, InvoiceRead, InvoiceSettingsRead, LineItemRead, RenderSettings
)


def invoice(inv: Invoice) -> InvoiceRead:
    period = None
    if inv.billing_period_start is not None and inv.billing_period_end is not None:
        period = InclusiveDateRange(start=inv.billing_period_start, end_inclusive=inv.billing_period_end)
    return InvoiceRead.of_row(inv, **document_fields(inv), billing_period=period,
                              render_settings=RenderSettings.model_validate(inv.render_settings))


def line(item: InvoiceLineItem, currency: str) -> LineItemRead:
    period = DateRange.model_validate(item.service_period) if item.service_period else None
    return LineItemRead.of_row(item, **line_fields(item, currency), service_period=period)


def group(grp: InvoiceLineItemGroup, currency: str) -> GroupRead:
    return GroupRead.of_row(grp, **amounts(grp, currency))


def settings(s: InvoiceSettings) -> InvoiceSettingsRead:
    return InvoiceSettingsRead.of_row(s)


# --- the list's lean presenter ------------------------------------------------------------------------------------

_ADDRESS = ("line1", "line2", "town", "state", "postcode", "country")
_DEFAULT_LINK_DISPLAY = RenderSettings.model_fields["payment_link_display"].default


def _address(stored: dict[str, Any]) -> dict[str, Any]:
    return {key: stored[key] for key in _ADDRESS if stored.get(key) is not None}


def invoice_item(row: Any) -> dict[str, Any]:
    """One invoice of ``GET /invoices`` as JSON, from a row of ``repository.LIST_COLUMNS``: the document
    ``invoice(row).model_dump(mode="json", by_alias=True, exclude_none=True)`` gives, key for key, built
    without pydantic (a fifth of the CPU of a list page went to 50 models). Stored values were validated
    when written, so this only shapes them; tests/api/test_invoice_list.py holds the two presenters equal."""
    currency = row.currency
    item: dict[str, Any] = {"id": row.id, "sequenceAccountId": row.account_id}
    if row.billing_schedule_id is not None:
        item["billingScheduleId"] = row.billing_schedule_id
    item["status"] = row.status
    item["currency"] = currency
    for key, value in (("invoiceNumber", row.invoice_number), ("issueDate", row.issue_date),
                       ("dueDate", row.due_date), ("purchaseOrderNumber", row.purchase_order_number),
                       ("reference", row.reference)):
        if value is not None:
            item[key] = value if isinstance(value, str) else value.isoformat()
    item["customerEmails"] = row.customer_emails
    item["customerLegalCompanyName"] = row.customer_legal_company_name
    item["customerBillingAddress"] = _address(row.customer_billing_address)
    item["customerShippingAddress"] = _address(row.customer_shipping_address)
    if row.memo is not None:
        item["memo"] = row.memo
    if row.payment_options is not None:
        item["paymentOptions"] = row.payment_options
    if row.billing_period_start is not None and row.billing_period_end is not None:
        item["billingPeriod"] = {"start": row.billing_period_start.isoformat(),
                                 "endInclusive": row.billing_period_end.isoformat()}
    item["customerId"] = row.customer_id
    item["totalTax"] = minor_to_str(row.total_tax_minor, currency)
    item["netTotal"] = minor_to_str(row.net_total_minor, currency)
    item["grossTotal"] = minor_to_str(row.gross_total_minor, currency)
    item["metadata"] = [{"key": kv["key"], "value": kv["value"]} for kv in row.metadata]
    if row.customer_tax_id is not None:
        item["customerTaxId"] = row.customer_tax_id
    item["paymentStatus"] = row.payment_status
    item["createdAt"] = isoformat_z(row.created_at)
    item["creditNoteIds"] = row.credit_note_ids
    item["linkedServices"] = []
    if row.merchant_details is not None:
        item["merchantDetails"] = row.merchant_details
    if row.credit_balances is not None:
        item["creditBalances"] = row.credit_balances
    item["accountingDate"] = row.accounting_date.isoformat()
    if row.customer_tax_status is not None:
        item["customerTaxStatus"] = row.customer_tax_status
    item["renderSettings"] = {"paymentLinkDisplay": (row.render_settings or {}).get("paymentLinkDisplay",
                                                                                _DEFAULT_LINK_DISPLAY)}
    if row.billing_run_id is not None:
        item["billingRunId"] = row.billing_run_id
    return item
