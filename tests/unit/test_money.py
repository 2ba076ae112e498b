"""Pure unit tests of quire.core.money: minor units, rounding, parsing, formatting, allocation."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from quire.core.contract_enums import CURRENCY
from quire.core.money import (
    CURRENCIES,
    InvalidDecimal,
    UnknownCurrency,
    allocate,
    decimal_str,
    format_amount,
    from_minor,
    minor_to_str,
    minor_units,
    parse_decimal,
    quantize,
    to_minor,
)
from tests.unit.rounding_ties import TIE_EXAMPLES, half_up, ties

D = Decimal
WIDE = Context(prec=100, rounding=ROUND_HALF_UP)

#: ISO 4217 exponents of the contract's 25 currencies, typed here independently of the iso4217 package.
ISO_4217_MINOR_UNITS = {
    "ARS": 2, "AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "COP": 2, "CZK": 2, "DKK": 2,
    "EUR": 2, "GBP": 2, "HKD": 2, "ILS": 2, "JPY": 0, "KRW": 0, "MXN": 2, "NOK": 2, "NZD": 2,
    "PLN": 2, "SEK": 2, "SGD": 2, "THB": 2, "USD": 2, "UYU": 2, "ZAR": 2,
}

currencies = st.sampled_from(CURRENCIES)


def unit(currency: str) -> Decimal:
    return D(1).scaleb(-minor_units(currency))


def is_quantized(value: Decimal, currency: str) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -minor_units(currency)


# --- minor units -------------------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "expected"), [("GBP", 2), ("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0)])
def test_minor_units_of_well_known_currencies(currency: str, expected: int) -> None:
    assert minor_units(currency) == expected


def test_supported_currencies_are_exactly_the_contract_enum() -> None:
    assert sorted(CURRENCIES) == sorted(CURRENCY)
    assert len(set(CURRENCIES)) == len(CURRENCIES)


@pytest.mark.parametrize("currency", CURRENCY)
def test_every_contract_currency_has_its_iso_4217_minor_units(currency: str) -> None:
    assert currency in ISO_4217_MINOR_UNITS, f"no known minor-units value for {currency}"
    value = minor_units(currency)
    assert isinstance(value, int)
    assert value == ISO_4217_MINOR_UNITS[currency]


@pytest.mark.parametrize("currency", ["XXX", "gbp", "", "BTC", "GBPX"])
def test_unknown_currency_is_refused(currency: str) -> None:
    with pytest.raises(UnknownCurrency):
        minor_units(currency)
    with pytest.raises(UnknownCurrency):
        quantize(D("1"), currency)


def test_unknown_currency_is_a_value_error() -> None:
    assert issubclass(UnknownCurrency, ValueError)


# --- quantize ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "GBP", "0.01"),
        ("0.004999", "GBP", "0.00"),
        ("0.015", "GBP", "0.02"),  # half-up, not banker's (which gives 0.02 too)
        ("0.025", "GBP", "0.03"),  # banker's would give 0.02
        ("2.675", "USD", "2.68"),
        ("-0.005", "GBP", "-0.01"),  # ties away from zero for negatives
        ("-0.025", "EUR", "-0.03"),
        ("-2.675", "USD", "-2.68"),
        ("1.2", "GBP", "1.20"),
        ("7", "GBP", "7.00"),
        ("0.5", "JPY", "1"),
        ("1.5", "JPY", "2"),
        ("2.5", "JPY", "3"),  # banker's would give 2
        ("-2.5", "JPY", "-3"),
        ("1000.49", "KRW", "1000"),
        ("1000.50", "KRW", "1001"),
        ("48000.235", "GBP", "48000.24"),
    ],
)
def test_quantize_rounds_half_up_to_minor_units(amount: str, currency: str, expected: str) -> None:
    result = quantize(D(amount), currency)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize("amount", ["-0", "-0.00", "-0.004", "-0.0049999", "0.004", "-0.000"])
def test_quantize_never_returns_negative_zero(amount: str) -> None:
    result = quantize(D(amount), "GBP")
    assert result == 0
    assert not result.is_signed()
    assert str(result) == "0.00"
    assert str(quantize(D(amount), "JPY")) == "0"
    assert not quantize(D("-0.4"), "JPY").is_signed()


def test_quantize_of_a_very_large_amount_stays_exact_and_quantized() -> None:
    # Regression: the negative-zero normalisation used to run in the default 28-digit context,
    # re-rounding (half-even) amounts beyond 28 significant digits into exponent notation.
    amount = D("123456789012345678901234567890.125")
    result = quantize(amount, "GBP")
    assert str(result) == "123456789012345678901234567890.13"
    assert format_amount(D(10) ** 30, "GBP") == "1" + "0" * 30 + ".00"


#: Any amount, or an exact tie at the currency's minor unit (rounding_ties.py: random decimals almost never tie).
amounts_and_currencies = st.one_of(
    st.tuples(st.decimals(min_value=-(10**15), max_value=10**15, places=6, allow_nan=False, allow_infinity=False),
              currencies),
    ties(),
)


@given(case=amounts_and_currencies)
@example(case=(D("0.005"), "GBP"))
@example(case=(D("-2.5"), "JPY"))
@example(case=(D("1000.5"), "KRW"))
def test_quantize_properties(case: tuple[Decimal, str]) -> None:
    amount, currency = case
    result = quantize(amount, currency)
    assert is_quantized(result, currency)
    assert not (result == 0 and result.is_signed())
    assert abs(result - amount) <= unit(currency) / 2
    assert quantize(result, currency) == result  # idempotent
    assert result == half_up(amount, currency)  # the reference does not use money.py


@pytest.mark.parametrize(("amount", "currency", "expected"), TIE_EXAMPLES)
def test_tie_examples_round_half_up(amount: str, currency: str, expected: str) -> None:
    assert str(half_up(D(amount), currency)) == expected  # the reference itself
    assert str(quantize(D(amount), currency)) == expected


@given(n=st.integers(min_value=-(10**12), max_value=10**12), currency=currencies)
@example(n=0, currency="GBP")
@example(n=2, currency="JPY")
@example(n=-4, currency="KRW")
def test_quantize_ties_go_away_from_zero(n: int, currency: str) -> None:
    u = unit(currency)
    tie = (D(n) + D("0.5")) * u if n >= 0 else (D(n) - D("0.5")) * u
    away = (D(n) + 1) * u if n >= 0 else (D(n) - 1) * u
    assert quantize(tie, currency) == away


# --- format_amount -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0", "GBP", "0.00"),
        ("-0", "GBP", "0.00"),
        ("0", "JPY", "0"),
        ("1000.5", "JPY", "1001"),
        ("48000.24", "GBP", "48000.24"),
        ("48000.2", "GBP", "48000.20"),
        ("1E+3", "USD", "1000.00"),
        ("-12.345", "EUR", "-12.35"),
        ("-0.001", "GBP", "0.00"),
    ],
)
def test_format_amount(amount: str, currency: str, expected: str) -> None:
    assert format_amount(D(amount), currency) == expected


@given(case=amounts_and_currencies)
@example(case=(D("-12.345"), "EUR"))
@example(case=(D("0.5"), "JPY"))
def test_format_amount_is_plain_with_exact_decimals(case: tuple[Decimal, str]) -> None:
    amount, currency = case
    text = format_amount(amount, currency)
    assert "E" not in text and "e" not in text
    places = minor_units(currency)
    if places:
        assert len(text.split(".")[1]) == places
    else:
        assert "." not in text
    assert D(text) == half_up(amount, currency)


# --- to_minor / from_minor ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [("12.34", "GBP", 1234), ("0.00", "GBP", 0), ("-0.01", "USD", -1), ("1001", "JPY", 1001), ("5", "GBP", 500)],
)
def test_to_minor_examples(amount: str, currency: str, units: int) -> None:
    assert to_minor(D(amount), currency) == units


def test_from_minor_renders_the_currency_decimals() -> None:
    assert str(from_minor(0, "GBP")) == "0.00"
    assert str(from_minor(1234, "GBP")) == "12.34"
    assert str(from_minor(-5, "EUR")) == "-0.05"
    assert str(from_minor(1001, "JPY")) == "1001"
    assert str(from_minor(0, "KRW")) == "0"


@pytest.mark.parametrize(("amount", "currency"), [("0.001", "GBP"), ("12.345", "USD"), ("0.5", "JPY"), ("1.1", "KRW")])
def test_to_minor_refuses_unrounded_amounts(amount: str, currency: str) -> None:
    with pytest.raises(ValueError):
        to_minor(D(amount), currency)


@given(units=st.integers(min_value=-(2**63), max_value=2**63 - 1), currency=currencies)
def test_minor_units_round_trip(units: int, currency: str) -> None:
    amount = from_minor(units, currency)
    assert isinstance(amount, Decimal)
    assert is_quantized(amount, currency)
    assert to_minor(amount, currency) == units


@given(
    amount=st.decimals(min_value=-(10**15), max_value=10**15, places=4, allow_nan=False, allow_infinity=False),
    currency=currencies,
)
def test_rounded_amounts_round_trip_through_minor_units(amount: Decimal, currency: str) -> None:
    rounded = quantize(amount, currency)
    units = to_minor(rounded, currency)
    assert isinstance(units, int)
    assert from_minor(units, currency) == rounded
    assert str(from_minor(units, currency)) == format_amount(rounded, currency)


# --- parse_decimal -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", "12.50"),  # the places the client sent are kept
        ("0", "0"),
        ("-3", "-3"),
        ("0.0000000001", "1E-10"),
        ("123456789012345678", "123456789012345678"),  # 18 integer digits
        ("007", "7"),
        (D("12.5"), "12.5"),
    ],
)
def test_parse_decimal_accepts_plain_values(value: object, expected: str) -> None:
    result = parse_decimal(value, field="rate")
    assert isinstance(result, Decimal)
    assert result == D(expected)
    assert result.as_tuple().exponent == D(expected).as_tuple().exponent or isinstance(value, float)


@pytest.mark.parametrize(
    "value",
    [
        # JSON numbers, exact or not (the contract types every decimal as a string; docs/money.md)
        5, -5, 0, 0.5, 2.0, -0.25, 0.1, 0.2, 1.1, float("nan"), float("inf"), float("-inf"),
        # special values and exponent notation as strings
        "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e5", "1E5", "1.5e-3", "1E+2",
        # garbage and near misses
        "", " ", "abc", "12.50 ", " 12.50", "12.50\n", "\n12.50", "+1", "1.", ".5", "-", "-.5", "1,000",
        "1_000", "0x10", "1/2", "12.5.0", "١٢", "１２",
        # non-finite Decimals
        D("NaN"), D("Infinity"), D("-Infinity"), D("sNaN"),
        # wrong types
        None, True, False, [1], {"value": "1"}, b"1", object(),
    ],
)
def test_parse_decimal_rejects(value: object) -> None:
    with pytest.raises(InvalidDecimal):
        parse_decimal(value, field="rate")


def test_parse_decimal_messages_name_the_field() -> None:
    with pytest.raises(InvalidDecimal, match="quantity"):
        parse_decimal("abc", field="quantity")
    with pytest.raises(InvalidDecimal, match="quantity must be a string"):
        parse_decimal(0.5, field="quantity")
    with pytest.raises(InvalidDecimal, match="quantity must be a string"):
        parse_decimal(2, field="quantity")


def test_invalid_decimal_is_a_value_error() -> None:
    assert issubclass(InvalidDecimal, ValueError)


def test_parse_decimal_max_places() -> None:
    assert parse_decimal("1.1234567890", field="x") == D("1.1234567890")
    with pytest.raises(InvalidDecimal):
        parse_decimal("1.12345678901", field="x")
    assert parse_decimal("1.12", field="x", max_places=2) == D("1.12")
    with pytest.raises(InvalidDecimal):
        parse_decimal("1.123", field="x", max_places=2)
    with pytest.raises(InvalidDecimal):
        parse_decimal(D("1.123"), field="x", max_places=2)
    with pytest.raises(InvalidDecimal):
        parse_decimal("1.5", field="x", max_places=0)


def test_parse_decimal_max_integer_digits() -> None:
    eighteen = "9" * 18
    assert parse_decimal(eighteen, field="x") == D(eighteen)
    assert parse_decimal(eighteen + ".1234567890", field="x") == D(eighteen + ".1234567890")
    for too_big in ("1" + "0" * 18, "-1" + "0" * 18, D(10) ** 18):
        with pytest.raises(InvalidDecimal, match="too large"):
            parse_decimal(too_big, field="x")
    with pytest.raises(InvalidDecimal):
        parse_decimal("123", field="x", max_integer_digits=2)


def test_parse_decimal_counts_integer_digits_of_positive_exponents() -> None:
    # Regression: Decimal("1E+30") has one digit but 31 integer digits.
    with pytest.raises(InvalidDecimal, match="too large"):
        parse_decimal(D("1E+30"), field="x")
    assert parse_decimal(D("1E+2"), field="x") == 100


def test_parse_decimal_allow_negative() -> None:
    for negative in ("-1", "-0.01", D("-2")):
        with pytest.raises(InvalidDecimal, match="negative"):
            parse_decimal(negative, field="taxRate", allow_negative=False)
    zero = parse_decimal("-0", field="taxRate", allow_negative=False)
    assert zero == 0 and not zero.is_signed()
    assert parse_decimal("0.2", field="taxRate", allow_negative=False) == D("0.2")


@pytest.mark.parametrize(("value", "expected"), [("-0", "0"), ("-0.00", "0.00"), (D("-0.000"), "0.000")])
def test_parse_decimal_never_returns_negative_zero(value: object, expected: str) -> None:
    result = parse_decimal(value, field="x")
    assert not result.is_signed()
    assert str(result) == expected


plain_decimals = st.decimals(
    min_value=-(10**18) + 1, max_value=10**18 - 1, places=10, allow_nan=False, allow_infinity=False
)


@given(value=plain_decimals)
def test_parse_decimal_round_trips_plain_strings(value: Decimal) -> None:
    text = format(value, "f")
    parsed = parse_decimal(text, field="x")
    assert isinstance(parsed, Decimal)
    assert parsed == value
    assert not (parsed == 0 and parsed.is_signed())


@given(value=st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1))
def test_parse_decimal_accepts_integer_strings_exactly_and_refuses_json_integers(value: int) -> None:
    assert parse_decimal(str(value), field="x") == value
    with pytest.raises(InvalidDecimal, match="must be a string"):
        parse_decimal(value, field="x")


@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_parse_decimal_refuses_every_float(value: float) -> None:
    with pytest.raises(InvalidDecimal, match="must be a string"):
        parse_decimal(value, field="x")


@given(text=st.text(max_size=20))
def test_parse_decimal_strings_either_parse_plainly_or_raise_invalid_decimal(text: str) -> None:
    try:
        parsed = parse_decimal(text, field="x")
    except InvalidDecimal:
        return
    assert all(c in "-.0123456789" for c in text)
    assert parsed == D(text)


# --- decimal_str -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.5", "2.5"),
        ("2.50", "2.5"),
        ("10", "10"),
        ("10.000", "10"),
        ("100", "100"),
        ("1E+2", "100"),
        ("0", "0"),
        ("0.00", "0"),
        ("-0", "0"),
        ("-0.000", "0"),
        ("-2.50", "-2.5"),
        ("0.0000000001", "0.0000000001"),
        ("1E-10", "0.0000000001"),
        ("0.2", "0.2"),
    ],
)
def test_decimal_str(value: str, expected: str) -> None:
    assert decimal_str(D(value)) == expected


@given(value=plain_decimals)
def test_decimal_str_is_canonical_and_round_trips(value: Decimal) -> None:
    text = decimal_str(value)
    assert "E" not in text and "e" not in text
    if "." in text:
        assert not text.endswith("0") and not text.endswith(".")
    assert text != "-0"
    assert parse_decimal(text, field="x") == value
    assert decimal_str(D(text)) == text


# --- allocate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "currency", "expected"),
    [
        ("100.00", ["1", "1", "1"], "GBP", ["33.34", "33.33", "33.33"]),
        ("-100.00", ["1", "1", "1"], "GBP", ["-33.34", "-33.33", "-33.33"]),
        ("0.01", ["0", "1", "1"], "GBP", ["0.00", "0.01", "0.00"]),
        ("10.00", ["0", "3", "0", "1"], "USD", ["0.00", "7.50", "0.00", "2.50"]),
        ("1000", ["1", "1", "1"], "JPY", ["334", "333", "333"]),
        ("0.00", ["1", "2"], "GBP", ["0.00", "0.00"]),
        ("99.99", ["5"], "EUR", ["99.99"]),
        ("1.00", ["0.3", "0.3", "0.4"], "GBP", ["0.30", "0.30", "0.40"]),
        ("10.00", ["1", "2", "3", "4"], "GBP", ["1.00", "2.00", "3.00", "4.00"]),
        ("0.05", ["1", "1", "1", "1", "1", "1"], "GBP", ["0.01", "0.01", "0.01", "0.01", "0.01", "0.00"]),
    ],
)
def test_allocate_examples(total: str, weights: list[str], currency: str, expected: list[str]) -> None:
    parts = allocate(D(total), [D(w) for w in weights], currency)
    assert [str(p) for p in parts] == expected


def test_allocate_quantizes_the_total_first() -> None:
    parts = allocate(D("10.005"), [D(1), D(1)], "GBP")
    assert sum(parts) == D("10.01")


@pytest.mark.parametrize("weights", [[], [D(0)], [D(0), D(0), D(0)]])
def test_allocate_refuses_weights_summing_to_zero(weights: list[Decimal]) -> None:
    with pytest.raises(ValueError):
        allocate(D("10.00"), weights, "GBP")


weights_strategy = st.lists(
    st.one_of(
        st.just(D(0)),
        st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=12,
)


@given(
    total=st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False, allow_infinity=False),
    weights=weights_strategy,
    currency=currencies,
)
def test_allocate_properties(total: Decimal, weights: list[Decimal], currency: str) -> None:
    assume(sum(weights) != 0)
    parts = allocate(total, weights, currency)
    rounded_total = quantize(total, currency)
    assert len(parts) == len(weights)
    assert all(is_quantized(p, currency) for p in parts)
    assert sum(parts) == rounded_total  # exactly, no lost or invented minor unit
    weight_sum = sum(weights)
    with localcontext(WIDE):
        for part, weight in zip(parts, weights, strict=True):
            share = rounded_total * weight / weight_sum
            assert abs(part - share) < unit(currency)  # within one minor unit of its exact share
            if weight == 0:
                assert part == 0  # a zero weight gets nothing
            elif rounded_total != 0:
                assert part == 0 or (part > 0) == (rounded_total > 0)  # never the opposite sign


@given(st.integers(min_value=-(10**20), max_value=10**20), st.sampled_from(sorted(CURRENCIES)))
def test_minor_to_str_is_format_amount_of_from_minor(units: int, currency: str) -> None:
    """The presenters' integer fast path writes exactly what the Decimal path writes."""
    assert minor_to_str(units, currency) == format_amount(from_minor(units, currency), currency)


def test_minor_to_str_examples() -> None:
    assert [minor_to_str(u, "GBP") for u in (0, 5, -5, 100, -123456)] == ["0.00", "0.05", "-0.05", "1.00", "-1234.56"]
    assert [minor_to_str(u, c) for u, c in ((1101, "JPY"), (-7, "KRW"), (-1, "EUR"))] == ["1101", "-7", "-0.01"]


def test_the_tie_strategies_know_every_currency_and_its_minor_unit() -> None:
    from tests.unit import rounding_ties

    assert sorted(rounding_ties.CURRENCIES) == sorted(CURRENCIES)
    assert {c for c in CURRENCIES if minor_units(c) == 0} == rounding_ties.ZERO_DECIMAL
