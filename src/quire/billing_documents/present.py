"""What every kind presents alike and cannot copy from a column of the same name (``ApiModel.of_row``
copies those): amounts as strings with exactly the currency's minor units (docs/money.md), decimals as
plain decimal strings, the metadata."""

from __future__ import annotations

from typing import Any

from quire.billing_documents.models import Amounts, DocumentColumns, LineColumns
from quire.core.money import decimal_str, minor_to_str


def amounts(row: Amounts, currency: str) -> dict[str, str]:
    """``netTotal``, ``totalTax`` and ``grossTotal`` of a document, line or group."""
    return {
        "net_total": minor_to_str(row.net_total_minor, currency),
        "total_tax": minor_to_str(row.total_tax_minor, currency),
        "gross_total": minor_to_str(row.gross_total_minor, currency),
    }


def document_fields(doc: DocumentColumns) -> dict[str, Any]:
    return {"metadata": doc.metadata_, "linked_services": [], **amounts(doc, doc.currency)}


def line_fields(item: LineColumns, currency: str) -> dict[str, Any]:
    return {"quantity": decimal_str(item.quantity), "rate": decimal_str(item.rate),
            "tax_rate": decimal_str(item.tax_rate), **amounts(item, currency)}
