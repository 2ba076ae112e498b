"""Money: exact decimals, one rounding rule, minor units from ISO 4217 (the ``iso4217`` package).

Rules (docs/money.md):
- every amount is a ``decimal.Decimal``; JSON carries decimal strings; floats never enter;
- a currency's minor units (its ISO 4217 exponent) come from the ``iso4217`` package, which carries
  ISO's own published list, not from a hand-typed table: JPY and KRW have 0, GBP/EUR/USD/COP 2.
  (Not from Babel: CLDR's "digits" are how a currency is usually *shown*, and CLDR 48 / Babel 2.19
  set COP to 0 while ISO 4217 keeps 2; an invoice's arithmetic follows ISO.)
- rounding is half-up (away from zero on ties, for negatives too), done by ``quantize`` only;
- amounts are rendered with exactly the currency's number of decimals ("0.00", "1001").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, localcontext
from functools import cache

from iso4217 import Currency

#: The 25 currencies of Sequence's 2024-01-01 contract.
CURRENCIES: tuple[str, ...] = (
    "ARS", "AUD", "BRL", "CAD", "CHF", "CNY", "COP", "CZK", "DKK", "EUR", "GBP", "HKD", "ILS",
    "JPY", "KRW", "MXN", "NOK", "NZD", "PLN", "SEK", "SGD", "THB", "USD", "UYU", "ZAR",
)

_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)
_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # ASCII digits only; used with fullmatch (no trailing newline)


class UnknownCurrency(ValueError):
    pass


class InvalidDecimal(ValueError):
    pass


@cache
def minor_units(currency: str) -> int:
    if currency not in CURRENCIES:
        raise UnknownCurrency(f"{currency!r} is not one of the supported currencies")
    exponent = Currency(currency).exponent
    if exponent is None:  # pragma: no cover - every contract currency has one (tests/unit/test_money.py)
        raise UnknownCurrency(f"{currency!r} has no ISO 4217 minor units")
    return int(exponent)


@cache
def _exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor units. The only rounding function in Quire."""
    with localcontext(_CONTEXT):
        result = amount.quantize(_exponent(currency), rounding=ROUND_HALF_UP)
        return result + 0 if result else abs(result)  # never a negative zero; inside the context: no re-rounding


def format_amount(amount: Decimal, currency: str) -> str:
    """``"48000.24"``, ``"0.00"``, JPY ``"1001"``: exactly the minor units, plain notation."""
    value = quantize(amount, currency)
    return format(value, "f")


def to_minor(amount: Decimal, currency: str) -> int:
    """Integer minor units of an already-rounded amount (storage: exact and sortable)."""
    if quantize(amount, currency) != amount:
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    with localcontext(_CONTEXT):
        return int(amount.scaleb(minor_units(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    with localcontext(_CONTEXT):
        return Decimal(units).scaleb(-minor_units(currency)).quantize(_exponent(currency))


def minor_to_str(units: int, currency: str) -> str:
    """``format_amount(from_minor(units, currency), currency)`` in integer arithmetic: the presenters'
    hot path (three amounts per invoice in every list page). Equal by construction and by a property test."""
    places = minor_units(currency)
    if places == 0:
        return str(units)
    whole, part = divmod(abs(units), 10**places)
    return f"{'-' if units < 0 else ''}{whole}.{part:0{places}d}"


def parse_decimal(
    value: object,
    *,
    field: str,
    max_places: int = 10,
    allow_negative: bool = True,
    max_integer_digits: int = 18,
) -> Decimal:
    """Parse a client-sent decimal strictly: a plain decimal string (or a ``Decimal`` from Quire itself).

    JSON numbers are refused: Sequence's contract types every decimal Quire parses (amounts, rates,
    quantities) as a string, and a number may already have lost digits in a client's float (docs/money.md).
    """
    problem = f"{field} must be a decimal string such as \"12.50\" with at most {max_places} decimal places"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise InvalidDecimal(f"{field} must be a string (a JSON number is refused): send it as \"12.50\"")
    if isinstance(value, str):
        if not _PLAIN.fullmatch(value):
            raise InvalidDecimal(problem)
        parsed = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidDecimal(problem)
        parsed = value
    else:
        raise InvalidDecimal(problem)
    sign, digits, exponent = parsed.as_tuple()
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    if places > max_places:
        raise InvalidDecimal(problem)
    if len(digits) + exponent > max_integer_digits:
        raise InvalidDecimal(f"{field} is too large (at most {max_integer_digits} integer digits)")
    if sign and parsed != 0 and not allow_negative:
        raise InvalidDecimal(f"{field} must not be negative")
    return parsed + 0 if parsed else Decimal(0).scaleb(-places)


def decimal_str(value: Decimal) -> str:
    """Canonical text of a non-money decimal (quantity, rate, taxRate): "2.5", "10", "0"."""
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split ``total`` by ``weights`` with the largest-remainder method: parts sum to ``total``."""
    if not weights or sum(weights) == 0:
        raise ValueError("allocate needs weights that do not sum to zero")
    units = to_minor(quantize(total, currency), currency)
    weight_sum = sum(weights)
    with localcontext(_CONTEXT):
        exact = [Decimal(units) * w / weight_sum for w in weights]
        floors = [int(x.to_integral_value(rounding=ROUND_DOWN)) for x in exact]
    remainder = units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: exact[i] - floors[i], reverse=remainder > 0)
    step = 1 if remainder > 0 else -1
    for i in order[: abs(remainder)]:
        floors[i] += step
    return [from_minor(part, currency) for part in floors]
