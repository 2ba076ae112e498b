"""EU e-invoices from Quire's invoices and credit notes (docs/einvoice.md).

Pure functions of the API's JSON (the same dicts the PDF renderer takes):

- ``render_ubl`` / ``render_ubl_credit_note`` → UBL 2.1 per Peppol BIS Billing 3.0 (EN 16931);
- ``render_facturx`` / ``render_facturx_credit_note`` → the given PDF as Factur-X EN 16931 (PDF/A-3
  with the CII XML embedded).

Each either returns a document that passes the official schema and business rules, or raises a
400 ``EInvoiceDataMissing`` / ``EInvoiceNotRepresentable`` / ``EInvoiceRoundingConflict`` naming
every field to fix.
"""

from quire.einvoice.errors import (
    EInvoiceDataMissing,
    EInvoiceError,
    EInvoiceNotRepresentable,
    EInvoicePdfNotArchivable,
    EInvoiceRoundingConflict,
)
from quire.einvoice.facturx import render_facturx, render_facturx_credit_note
from quire.einvoice.ubl import render_ubl, render_ubl_credit_note

__all__ = [
    "EInvoiceDataMissing",
    "EInvoiceError",
    "EInvoiceNotRepresentable",
    "EInvoicePdfNotArchivable",
    "EInvoiceRoundingConflict",
    "render_facturx",
    "render_facturx_credit_note",
    "render_ubl",
    "render_ubl_credit_note",
]
