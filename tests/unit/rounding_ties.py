"""Exact ties for the rounding properties, and a half-up reference that does not use Quire's code.

The properties run derandomized in CI, and random decimals almost never land exactly on a half of the
currency's minor unit, so a half-up → half-even change went unnoticed by them (issue 12). These
strategies generate nothing but ties — ``(n + ½) × minor unit``, both signs, for 2-decimal currencies and
for JPY/KRW (0 decimals) — and ``TIE_EXAMPLES`` are the ones every property also runs explicitly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from hypothesis import strategies as st

D = Decimal
_WIDE = Context(prec=100, rounding=ROUND_HALF_UP)

#: ISO 4217 exponents of the contract's currencies, typed here: only JPY and KRW have no minor unit.
ZERO_DECIMAL = frozenset({"JPY", "KRW"})
TWO_DECIMAL = ("ARS", "AUD", "BRL", "CAD", "CHF", "CNY", "COP", "CZK", "DKK", "EUR", "GBP", "HKD", "ILS",
               "MXN", "NOK", "NZD", "PLN", "SEK", "SGD", "THB", "USD", "UYU", "ZAR")
CURRENCIES = (*TWO_DECIMAL, *sorted(ZERO_DECIMAL))

#: (amount, currency, half-up result): each is a tie that half-even rounds the other way.
TIE_EXAMPLES = [
    ("0.005", "GBP", "0.01"), ("-0.005", "GBP", "-0.01"), ("0.025", "EUR", "0.03"), ("-2.665", "USD", "-2.67"),
    ("0.5", "JPY", "1"), ("2.5", "JPY", "3"), ("-2.5", "JPY", "-3"), ("1000.5", "KRW", "1001"), ("-0.5", "KRW", "-1"),
]


def minor_unit(currency: str) -> Decimal:
    return D(1) if currency in ZERO_DECIMAL else D("0.01")


def half_up(amount: Decimal, currency: str) -> Decimal:
    """The documented rule (docs/money.md), computed here: half-up, ties away from zero, no negative zero."""
    with localcontext(_WIDE):
        result = amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)
        return abs(result) if result == 0 else result


@st.composite
def ties(draw: st.DrawFn, max_units: int = 10**12) -> tuple[Decimal, str]:
    """``(amount, currency)`` with ``amount`` exactly halfway between two minor units; half the draws
    are in JPY/KRW. Even ``n`` are where half-even and half-up disagree, so they are drawn as often."""
    currency = draw(st.sampled_from(sorted(ZERO_DECIMAL)) | st.sampled_from(TWO_DECIMAL))
    n = draw(st.integers(min_value=0, max_value=max_units))
    sign = draw(st.sampled_from((1, -1)))
    return sign * (D(n) + D("0.5")) * minor_unit(currency), currency


@st.composite
def tie_lines(draw: st.DrawFn) -> tuple[Decimal, Decimal, Decimal, str]:
    """``(quantity, rate, tax_rate, currency)`` whose net (quantity × rate) is an exact tie and whose
    half-up net times ``tax_rate`` is an exact tie again, so both roundings of a line are ties.

    rate = (2k + ½) minor units, quantity ±1 or rate halved with quantity 2 → net = 2k + ½ units,
    half-up 2k + 1 (half-even 2k); taxRate 0.5 → tax = k + ½ units, half-up k + 1 (half-even k or k + 1)."""
    amount, currency = draw(ties(max_units=10**6))
    unit = minor_unit(currency)
    k = int(abs(amount) / unit)  # amount = ±(k + ½) units
    k -= k % 2  # an even k: half-even would round the net down
    sign = 1 if amount > 0 else -1
    net_tie = sign * (D(k) + D("0.5")) * unit
    if draw(st.booleans()):
        quantity, rate = D(sign), abs(net_tie)
    else:
        quantity, rate = D(2) * sign, abs(net_tie) / 2
    return quantity, rate, D("0.5"), currency
