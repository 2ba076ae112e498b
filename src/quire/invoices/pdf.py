"""Invoice and credit note PDFs from the API's JSON: an A4 PDF/A-3b rendered by Typst from
``quire/templates/pdf/document.typ``.

``quire.billing_documents.render_model`` builds what the PDF prints (``document_model``);
``quire.documents`` renders it in a render process. This module never imports ``typst``.
See docs/pdf-engines.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from quire.billing_documents.render_model import CREDIT_NOTE, INVOICE, credit_note_model, document_model, invoice_model
from quire.documents import render_pdf
from quire.documents.model import clean_text
from quire.billing_documents.formatting import (
    LOCALE,
    address_lines,
    bank_sections,
    format_date,
    format_money,
    format_number,
    format_percent,
)

__all__ = [
    "CREDIT_NOTE",
    "INVOICE",
    "LOCALE",
    "address_lines",
    "bank_sections",
    "clean_text",
    "document_model",
    "format_date",
    "format_money",
    "format_number",
    "format_percent",
    "render_credit_note_pdf",
    "render_invoice_pdf",
]


def render_invoice_pdf(
    invoice_json: Mapping[str, Any],
    lines_json: Sequence[Mapping[str, Any]],
    groups_json: Sequence[Mapping[str, Any]],
) -> bytes:
    """The invoice as a PDF, from the API's invoice, line item and line item group JSON.

    Blocks until the render process answers: call it from a worker thread (``asyncio.to_thread``)."""
    return render_pdf(invoice_model, invoice_json, lines_json, groups_json)


def render_credit_note_pdf(
    credit_note_json: Mapping[str, Any],
    lines_json: Sequence[Mapping[str, Any]],
    groups_json: Sequence[Mapping[str, Any]],
) -> bytes:
    """The credit note as a PDF, from the API's credit note, line item and group JSON."""
    return render_pdf(credit_note_model, credit_note_json, lines_json, groups_json)
