"""VAT categories and the VAT breakdown (BG-23), with Quire's rounding reconciled to EN 16931's. Pure.

Quire rounds tax per line (docs/money.md): ``tax = round(net × taxRate)`` and the invoice's tax is
the sum of the line taxes. EN 16931 computes the tax of each (category, rate) pair from the summed
line nets: BT-117 = round(BT-116 × BT-119 / 100) (BR-CO-17, BR-S-09). The two agree for most
invoices and differ by a cent or so for some. The e-invoice must state the same tax as the invoice
of record *and* satisfy the norm's formula exactly, so :func:`breakdown` computes the norm's figure
for every rate and reports each rate where the two differ; the document is then refused
(``EInvoiceRoundingConflict``) instead of carrying a different total or a non-conforming breakdown.
The official validators tolerate up to one currency unit here; Quire does not lean on that
tolerance (docs/einvoice.md, "Rounding").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from quire.core.money import format_amount, quantize
from quire.einvoice.errors import Problem
from quire.einvoice.model import Category, TaxBreakdown
from quire.einvoice.values import percent, plain

_ZERO = Decimal(0)

# BT-121 / BT-120 for the zero-rate categories that need a reason (BR-AE-10, BR-E-10); Z must have none (BR-Z-10).
_EXEMPTIONS: dict[Category, tuple[str | None, str | None]] = {
    Category.REVERSE_CHARGE: ("VATEX-EU-AE", "Reverse charge"),
    Category.EXEMPT: (None, "Exempt from VAT"),
}


_ZERO_RATED = {"TAXED": Category.ZERO, "TAX_EXEMPT": Category.EXEMPT, "REVERSE_CHARGED": Category.REVERSE_CHARGE}


@dataclass(frozen=True)
class TaxedLine:
    field: str  # where the line is, for messages: "lines[2]"
    category: Category
    rate: Decimal  # Quire's fraction, 0.2
    net: Decimal
    tax: Decimal


def category_for(rate: Decimal, tax_status: str | None) -> Category | None:
    """The line's VAT category (docs/einvoice.md, "VAT categories"); None when the data cannot say.

    A positive rate is standard-rated (S), except that a reverse-charged supply has none; a 0 rate is
    zero-rated (Z), exempt (E) or reverse-charged (AE) according to the customer's tax status.
    """
    if rate > 0:
        return None if tax_status == "REVERSE_CHARGED" else Category.STANDARD
    return _ZERO_RATED.get(tax_status or "")


def breakdown(lines: Sequence[TaxedLine], currency: str) -> tuple[tuple[TaxBreakdown, ...], list[Problem]]:
    """BG-23, one entry per (category, rate), and one problem per rate whose line taxes break BR-CO-17."""
    sums: dict[tuple[Category, Decimal], list[Decimal]] = {}
    for line in lines:
        totals = sums.setdefault((line.category, line.rate.normalize()), [_ZERO, _ZERO])
        totals[0] += line.net
        totals[1] += line.tax
    entries: list[TaxBreakdown] = []
    conflicts: list[Problem] = []
    for (category, rate), (taxable, line_tax) in sorted(sums.items(), key=lambda kv: (kv[0][0].value, kv[0][1])):
        expected = quantize(taxable * rate, currency)
        if expected != line_tax:
            conflicts.append(Problem("totalTax", _conflict(rate, taxable, line_tax, expected, currency)))
        code, reason = _EXEMPTIONS.get(category, (None, None))
        entries.append(TaxBreakdown(category, percent(rate), taxable, line_tax, code, reason))
    return tuple(entries), conflicts


def _conflict(rate: Decimal, taxable: Decimal, line_tax: Decimal, expected: Decimal, currency: str) -> str:
    pct = plain(percent(rate))
    return (
        f"at {pct}% the line taxes add up to {format_amount(line_tax, currency)} {currency}, but EN 16931 "
        f"requires {format_amount(expected, currency)} {currency} ({format_amount(taxable, currency)} × {pct}%, "
        f"rounded once per rate: BR-CO-17); an e-invoice with a different tax than the invoice cannot be issued"
    )
