"""Totals arithmetic for invoices and credit notes. Pure: values in, frozen values out.

Quire's rule (docs/money.md; BEHAVIOUR.md §3.8, where Sequence is silent):
    net   = round(quantity × rate)         half-up to the currency's minor units
    tax   = round(net × taxRate)
    gross = net + tax
A group's totals are the sums of its lines; the document's totals are the sums of all its lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext

from quire.core.money import quantize

_ZERO = Decimal(0)
#: Exact arithmetic: quantity and rate have at most 18 integer and 10 decimal digits each, so a product
#: has at most 56 significant digits and sums of up to 10,000 lines stay far below 100.
_EXACT = Context(prec=100)


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal

    @staticmethod
    def zero() -> Totals:
        return Totals(_ZERO, _ZERO, _ZERO)

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.net + other.net, self.tax + other.tax, self.gross + other.gross)


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    rate: Decimal
    tax_rate: Decimal
    group_id: str | None = None


@dataclass(frozen=True)
class DocumentTotals:
    lines: tuple[Totals, ...]
    groups: Mapping[str, Totals]
    total: Totals


def line_totals(quantity: Decimal, rate: Decimal, tax_rate: Decimal, currency: str) -> Totals:
    with localcontext(_EXACT):
        net = quantize(quantity * rate, currency)
        tax = quantize(net * tax_rate, currency)
        return Totals(net=net, tax=tax, gross=net + tax)


def document_totals(lines: Sequence[LineInput], currency: str) -> DocumentTotals:
    per_line = tuple(line_totals(l.quantity, l.rate, l.tax_rate, currency) for l in lines)
    groups: dict[str, Totals] = {}
    total = Totals.zero()
    with localcontext(_EXACT):
        for line, totals in zip(lines, per_line, strict=True):
            total = total + totals
            if line.group_id is not None:
                groups[line.group_id] = groups.get(line.group_id, Totals.zero()) + totals
    return DocumentTotals(lines=per_line, groups=groups, total=total)
