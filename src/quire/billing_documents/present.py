"""The fields every kind presents alike, as keyword arguments for its wire model. Amounts leave here
as strings with exactly the currency's minor units (docs/money.md)."""

from __future__ import annotations

from typing import Any

from quire.billing_documents.models import Amounts, DocumentColumns, GroupColumns, LineColumns
from quire.billing_documents.schemas import ExternalId
from quire.core.money import decimal_str, minor_to_str
from quire.core.schemas import Address, KeyValuePair


def amounts(row: Amounts, currency: str) -> dict[str, str]:
    """``netTotal``, ``totalTax`` and ``grossTotal`` of a document, line or group."""
    return {
        "net_total": minor_to_str(row.net_total_minor, currency),
        "total_tax": minor_to_str(row.total_tax_minor, currency),
        "gross_total": minor_to_str(row.gross_total_minor, currency),
    }


def document_fields(doc: DocumentColumns) -> dict[str, Any]:
    return {
        "id": doc.id,
        "sequence_account_id": doc.account_id,
        "billing_schedule_id": doc.billing_schedule_id,
        "status": doc.status,
        "currency": doc.currency,
        "issue_date": doc.issue_date,
        "purchase_order_number": doc.purchase_order_number,
        "customer_id": doc.customer_id,
        "customer_emails": list(doc.customer_emails),
        "customer_legal_company_name": doc.customer_legal_company_name,
        "customer_billing_address": Address.model_validate(doc.customer_billing_address),
        "customer_shipping_address": Address.model_validate(doc.customer_shipping_address),
        "memo": doc.memo,
        "metadata": [KeyValuePair.model_validate(kv) for kv in doc.metadata_],
        "customer_tax_id": doc.customer_tax_id,
        "linked_services": [],
        "merchant_details": doc.merchant_details,
        **amounts(doc, doc.currency),
    }


def line_fields(item: LineColumns, currency: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "group_id": item.group_id,  # type: ignore[attr-defined]
        "title": item.title,
        "description": item.description,
        "quantity": decimal_str(item.quantity),
        "rate": decimal_str(item.rate),
        "tax_rate": decimal_str(item.tax_rate),
        "index": item.index,
        "price_id": item.price_id,
        "rate_display": item.rate_display,
        "external_ids": [ExternalId.model_validate(x) for x in item.external_ids],
        **amounts(item, currency),
    }


def group_fields(grp: GroupColumns, currency: str) -> dict[str, Any]:
    return {"id": grp.id, "title": grp.title, "description": grp.description, "index": grp.index,
            **amounts(grp, currency)}
