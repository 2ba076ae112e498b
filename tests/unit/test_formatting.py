"""How documents print money: ISO 4217 decimals and Quire's half-up rounding, whatever CLDR shows."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from quire.core.money import CURRENCIES
from quire.billing_documents.formatting import format_money
from tests.unit.rounding_ties import ZERO_DECIMAL, half_up, ties


def printed_decimals(text: str) -> int:
    digits = re.search(r"[0-9][0-9,]*(?:\.([0-9]+))?", text)
    assert digits is not None, text
    return len(digits.group(1) or "")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1440.6", "GBP", "£1,440.60"),
        ("1001", "JPY", "JP¥1,001"),
        ("-0.005", "GBP", "-£0.01"),  # half-up, away from zero, as money.quantize
        ("0.5", "JPY", "JP¥1"),  # CLDR's own rounding would give ¥0 (half-even)
        ("-0.4", "JPY", "JP¥0"),  # never a negative zero
    ],
)
def test_known_amounts(amount: str, currency: str, expected: str) -> None:
    assert format_money(amount, currency) == expected


def test_cop_prints_its_cents() -> None:
    # CLDR 48 (Babel 2.19) displays COP without decimals; the invoice's amounts carry cents (ISO 4217: 2).
    printed = format_money("1234.56", "COP")
    assert printed.endswith("1,234.56"), printed


def test_exact_keeps_sub_minor_digits_and_pads_to_minor_units() -> None:
    assert format_money("0.0125", "GBP", exact=True) == "£0.0125"
    assert format_money("3", "GBP", exact=True) == "£3.00"
    assert format_money("2.5", "JPY", exact=True) == "JP¥2.5"


def test_odd_input_is_printed_as_given() -> None:
    assert format_money("n/a", "GBP") == "n/a"
    assert format_money("12.5", "") == "12.5"


@given(case=st.one_of(
    st.tuples(st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False, allow_infinity=False),
              st.sampled_from(CURRENCIES)),
    ties(max_units=10**9),  # exact ties at the minor unit (rounding_ties.py): where half-up shows
))
@example(case=(Decimal("-0.005"), "GBP"))
@example(case=(Decimal("2.5"), "JPY"))
@example(case=(Decimal("-1000.5"), "KRW"))
def test_every_contract_currency_prints_exactly_its_minor_units(case: tuple[Decimal, str]) -> None:
    amount, currency = case
    printed = format_money(amount, currency)
    assert printed_decimals(printed) == (0 if currency in ZERO_DECIMAL else 2), printed
    rounded = half_up(amount, currency)  # the reference, not money.quantize
    assert printed.startswith("-") == (rounded < 0), printed
    assert Decimal(re.sub(r"[^0-9.]", "", printed)) == abs(rounded), printed
