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


class EInvoiceError(QuireError, status=400):

    def __init__(self, summary: str, problems: Sequence[Problem]) -> None:
        details = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(
            f"{summary}: {details}" if details else summary,
            fields=[{"field": p.field, "message": p.message} for p in problems],
        )
        self.problems = tuple(problems)


class EInvoiceDataMissing(EInvoiceError, status=400):
    """Data the norm requires is absent (or unusable) on the document, the merchant or the customer."""


class EInvoiceRoundingConflict(EInvoiceError, status=400):
    """Quire's per-line tax does not add up to EN 16931's per-rate tax (BR-CO-17) for some rate."""


class EInvoiceNotRepresentable(EInvoiceError, status=400):
    """The document is complete but says something EN 16931 cannot carry (e.g. reverse charge with tax)."""


class EInvoicePdfNotArchivable(QuireError, status=500):
    """The PDF given to the Factur-X wrapper cannot become PDF/A-3 (a server set-up problem, not the client's)."""
