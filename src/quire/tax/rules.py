"""Tax rules that need no database: which rate a line really gets, and sub-rate consistency. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from quire.core.money import decimal_str

#: Customer tax statuses whose invoices carry no tax (BEHAVIOUR.md §11, §3.8): the line's rate becomes 0.
ZERO_RATED_STATUSES = frozenset({"TAX_EXEMPT", "REVERSE_CHARGED"})
_ZERO = Decimal(0)


def effective_tax_rate(customer_tax_status: str | None, tax_rate: Decimal) -> Decimal:
    """The rate a line is stored with: 0 for a tax-exempt or reverse-charged customer, else ``tax_rate``."""
    return _ZERO if customer_tax_status in ZERO_RATED_STATUSES else tax_rate


def sub_rates_problem(amount: Decimal, sub_amounts: Sequence[Decimal]) -> str | None:
    """Why the sub-rates do not make up ``amount`` (exactly, no rounding), or None when they do.

    No sub-rates is always fine: the rate is then a single component.
    """
    if not sub_amounts:
        return None
    total = sum(sub_amounts, _ZERO)
    if total != amount:
        return f"subRates add up to {decimal_str(total)} but amount is {decimal_str(amount)}; they must be equal"
    return None

