"""Why an e-invoice was refused: always a 400 that says exactly what to fix, never an invalid file.

Every refusal is a :class:`~quire.core.errors.QuireError`, so the one error handler renders it as
``{"error": {"type": ..., "message": ..., "fields": [{"field": ..., "message": ...}]}}``.
See docs/einvoice.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quire.core.errors import QuireError


@dataclass(frozen=True)
class Problem:
    """One field the document cannot be built without (``field`` is the API's JSON path)."""

    field: str
    message: str


class EInvoiceError(QuireError):
    status_code = 400
    error_type = "EInvoiceError"

    def __init__(self, summary: str, problems: Sequence[Problem]) -> None:
        details = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(
            f"{summary}: {details}" if details else summary,
            fields=[{"field": p.field, "message": p.message} for p in problems],
        )
        self.problems = tuple(problems)


class EInvoiceDataMissing(EInvoiceError):
    """Data the norm requires is absent (or unusable) on the document, the merchant or the customer."""

    error_type = "EInvoiceDataMissing"


class EInvoiceRoundingConflict(EInvoiceError):
    """Quire's per-line tax does not add up to EN 16931's per-rate tax (BR-CO-17) for some rate."""

    error_type = "EInvoiceRoundingConflict"


class EInvoiceNotRepresentable(EInvoiceError):
    """The document is complete but says something EN 16931 cannot carry (e.g. reverse charge with tax)."""

    error_type = "EInvoiceNotRepresentable"


class EInvoicePdfNotArchivable(QuireError):
    """The PDF given to the Factur-X wrapper cannot become PDF/A-3 (a server set-up problem, not the client's)."""

    status_code = 500
    error_type = "EInvoicePdfNotArchivable"
