"""ORM rows → wire models. Amounts leave here as strings in the currency's minor units."""

from __future__ import annotations

from quire.core.money import decimal_str, minor_to_str
from quire.core.schemas import Address, KeyValuePair
from quire.creditnotes.models import CreditNote, CreditNoteLineItem, CreditNoteLineItemGroup
from quire.creditnotes.schemas import CreditGroupRead, CreditLineRead, CreditNoteRead
from quire.invoices.schemas import ExternalId


def _amount(minor: int, currency: str) -> str:
    return minor_to_str(minor, currency)


def credit_note(note: CreditNote) -> CreditNoteRead:
    c = note.currency
    return CreditNoteRead(
        id=note.id,
        sequence_account_id=note.account_id,
        status=note.status,
        invoice_id=note.invoice_id,
        invoice_number=note.invoice_number,
        billing_schedule_id=note.billing_schedule_id,
        currency=c,
        issue_date=note.issue_date,
        billing_period_start=note.billing_period_start,
        billing_period_end=note.billing_period_end,
        credit_note_number=note.credit_note_number,
        purchase_order_number=note.purchase_order_number,
        customer_id=note.customer_id,
        customer_emails=list(note.customer_emails),
        customer_legal_company_name=note.customer_legal_company_name,
        customer_billing_address=Address.model_validate(note.customer_billing_address),
        customer_shipping_address=Address.model_validate(note.customer_shipping_address),
        memo=note.memo,
        total_tax=_amount(note.total_tax_minor, c),
        net_total=_amount(note.net_total_minor, c),
        gross_total=_amount(note.gross_total_minor, c),
        metadata=[KeyValuePair.model_validate(kv) for kv in note.metadata_],
        customer_tax_id=note.customer_tax_id,
        linked_services=[],
        merchant_details=note.merchant_details,
    )


def line(item: CreditNoteLineItem, currency: str) -> CreditLineRead:
    return CreditLineRead(
        id=item.id,
        credit_note_id=item.credit_note_id,
        group_id=item.group_id,
        line_item_id=item.invoice_line_item_id,
        title=item.title,
        description=item.description,
        quantity=decimal_str(item.quantity),
        rate=decimal_str(item.rate),
        tax_rate=decimal_str(item.tax_rate),
        index=item.index,
        price_id=item.price_id,
        net_total=_amount(item.net_total_minor, currency),
        total_tax=_amount(item.total_tax_minor, currency),
        gross_total=_amount(item.gross_total_minor, currency),
        rate_display=item.rate_display,
        external_ids=[ExternalId.model_validate(x) for x in item.external_ids],
    )


def group(grp: CreditNoteLineItemGroup, currency: str) -> CreditGroupRead:
    return CreditGroupRead(
        id=grp.id,
        credit_note_id=grp.credit_note_id,
        line_item_group_id=grp.invoice_line_item_group_id,
        title=grp.title,
        description=grp.description,
        index=grp.index,
        net_total=_amount(grp.net_total_minor, currency),
        total_tax=_amount(grp.total_tax_minor, currency),
        gross_total=_amount(grp.gross_total_minor, currency),
    )
