"""Pure unit tests of quire.billing_documents.calculation: line, group and document totals."""

from __future__ import annotations

import dataclasses
from decimal import Context, Decimal, localcontext

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from quire.core.money import CURRENCIES, minor_units
from quire.billing_documents.calculation import DocumentTotals, LineInput, Totals, document_totals, line_totals
from tests.unit.rounding_ties import half_up, tie_lines

D = Decimal
EXACT = Context(prec=100)


def reference(quantity: Decimal, rate: Decimal, tax_rate: Decimal, currency: str) -> tuple[Decimal, Decimal, Decimal]:
    """The documented rule, computed independently (no Quire code, not even minor_units): net =
    round(q×rate), tax = round(net×taxRate), half-up at the currency's ISO 4217 minor unit."""
    with localcontext(EXACT):
        net = half_up(quantity * rate, currency)
        tax = half_up(net * tax_rate, currency)
        return net, tax, net + tax


def as_strings(t: Totals) -> tuple[str, str, str]:
    return str(t.net), str(t.tax), str(t.gross)


def all_totals(doc: DocumentTotals) -> list[Totals]:
    return [*doc.lines, *doc.groups.values(), doc.total]


def assert_all_decimal(totals: Totals) -> None:
    for field in dataclasses.fields(Totals):
        value = getattr(totals, field.name)
        assert isinstance(value, Decimal), f"{field.name} is {type(value).__name__}"
        assert not isinstance(value, float)


def is_quantized(value: Decimal, currency: str) -> bool:
    return value.as_tuple().exponent == -minor_units(currency)


# --- worked examples ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "rate", "tax_rate", "currency", "expected"),
    [
        # GBP: 3 × 19.99 = 59.97; 59.97 × 0.2 = 11.994 → 11.99; 59.97 + 11.99 = 71.96
        ("3", "19.99", "0.2", "GBP", ("59.97", "11.99", "71.96")),
        # GBP: 2.5 × 10.01 = 25.025 → 25.03 (half-up); 25.03 × 0.2 = 5.006 → 5.01
        ("2.5", "10.01", "0.2", "GBP", ("25.03", "5.01", "30.04")),
        # tax is on the ROUNDED net: 10.005 → 10.01; 10.01 × 0.5 = 5.005 → 5.01 (on 10.005 it'd be 5.00)
        ("1", "10.005", "0.5", "GBP", ("10.01", "5.01", "15.02")),
        # half-up boundary: 0.005 → 0.01, and 0.01 × 0.5 = 0.005 → 0.01
        ("1", "0.005", "0.5", "GBP", ("0.01", "0.01", "0.02")),
        ("1", "0.0049999", "0.2", "GBP", ("0.00", "0.00", "0.00")),
        ("0.5", "0.01", "0", "USD", ("0.01", "0.00", "0.01")),  # 0.005 → 0.01
        # negatives round away from zero on ties
        ("-1", "0.005", "0.2", "GBP", ("-0.01", "0.00", "-0.01")),
        ("-1", "0.025", "0.2", "EUR", ("-0.03", "-0.01", "-0.04")),  # -0.03 × 0.2 = -0.006 → -0.01
        ("1", "-0.005", "0", "GBP", ("-0.01", "0.00", "-0.01")),
        # zero tax, zero quantity
        ("4", "12.50", "0", "GBP", ("50.00", "0.00", "50.00")),
        ("0", "99.99", "0.2", "GBP", ("0.00", "0.00", "0.00")),
        # JPY (0 decimals): 3 × 333.5 = 1000.5 → 1001; 1001 × 0.1 = 100.1 → 100
        ("3", "333.5", "0.1", "JPY", ("1001", "100", "1101")),
        # JPY: 2.5 × 101 = 252.5 → 253; 253 × 0.1 = 25.3 → 25
        ("2.5", "101", "0.1", "JPY", ("253", "25", "278")),
        # JPY: 1 × 1000 × 8% consumption tax
        ("1", "1000", "0.08", "JPY", ("1000", "80", "1080")),
        # JPY tie on tax: 25 × 0.1 = 2.5 → 3
        ("1", "25", "0.1", "JPY", ("25", "3", "28")),
        # KRW: 0.5 × 1 = 0.5 → 1
        ("0.5", "1", "0", "KRW", ("1", "0", "1")),
        # full tax rate
        ("1", "9.99", "1", "GBP", ("9.99", "9.99", "19.98")),
    ],
)
def test_line_totals_worked_examples(
    quantity: str, rate: str, tax_rate: str, currency: str, expected: tuple[str, str, str]
) -> None:
    totals = line_totals(D(quantity), D(rate), D(tax_rate), currency)
    assert as_strings(totals) == expected
    assert (totals.net, totals.tax, totals.gross) == reference(D(quantity), D(rate), D(tax_rate), currency)
    assert_all_decimal(totals)


def test_line_totals_never_negative_zero() -> None:
    totals = line_totals(D("-1"), D("0.004"), D("0.2"), "GBP")
    assert as_strings(totals) == ("0.00", "0.00", "0.00")
    assert not totals.net.is_signed() and not totals.tax.is_signed() and not totals.gross.is_signed()


def test_totals_are_frozen() -> None:
    totals = line_totals(D(1), D(1), D(0), "GBP")
    with pytest.raises(dataclasses.FrozenInstanceError):
        totals.net = D(2)  # type: ignore[misc]


def test_totals_zero_and_addition() -> None:
    assert Totals.zero() == Totals(D(0), D(0), D(0))
    a = Totals(D("1.10"), D("0.22"), D("1.32"))
    b = Totals(D("2.00"), D("0.40"), D("2.40"))
    assert a + b == Totals(D("3.10"), D("0.62"), D("3.72"))
    assert Totals.zero() + a == a


def test_document_totals_worked_example() -> None:
    lines = [
        LineInput(D("3"), D("19.99"), D("0.2"), group_id="g1"),  # 59.97 / 11.99 / 71.96
        LineInput(D("1"), D("10.005"), D("0.5"), group_id="g1"),  # 10.01 / 5.01 / 15.02
        LineInput(D("2.5"), D("10.01"), D("0.2"), group_id="g2"),  # 25.03 / 5.01 / 30.04
        LineInput(D("4"), D("12.50"), D("0")),  # 50.00 / 0.00 / 50.00, ungrouped
    ]
    doc = document_totals(lines, "GBP")
    assert [as_strings(t) for t in doc.lines] == [
        ("59.97", "11.99", "71.96"),
        ("10.01", "5.01", "15.02"),
        ("25.03", "5.01", "30.04"),
        ("50.00", "0.00", "50.00"),
    ]
    assert {k: as_strings(v) for k, v in doc.groups.items()} == {
        "g1": ("69.98", "17.00", "86.98"),
        "g2": ("25.03", "5.01", "30.04"),
    }
    assert as_strings(doc.total) == ("145.01", "22.01", "167.02")


def test_document_totals_is_sum_of_rounded_lines_not_rounded_sum() -> None:
    # Three lines of 0.005 each round to 0.01 each: total 0.03 (rounding the sum would give 0.02).
    doc = document_totals([LineInput(D(1), D("0.005"), D(0))] * 3, "GBP")
    assert str(doc.total.net) == "0.03"


def test_document_totals_of_no_lines_is_zero() -> None:
    doc = document_totals([], "GBP")
    assert doc.lines == ()
    assert dict(doc.groups) == {}
    assert doc.total == Totals.zero()
    assert_all_decimal(doc.total)


def test_document_without_groups_has_no_group_totals() -> None:
    doc = document_totals([LineInput(D(1), D(1), D(0)), LineInput(D(2), D(2), D("0.1"))], "USD")
    assert dict(doc.groups) == {}


# --- properties --------------------------------------------------------------------------------

currencies = st.sampled_from(CURRENCIES)
quantities = st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=-(10**7), max_value=10**7, places=6, allow_nan=False, allow_infinity=False)
tax_rates = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)
line_inputs = st.one_of(
    st.builds(LineInput, quantity=quantities, rate=rates, tax_rate=tax_rates,
              group_id=st.one_of(st.none(), st.sampled_from(["g1", "g2", "g3"]))),
    # a tie line (its own currency's tie; in another currency it is simply a line with half units)
    st.builds(lambda tie, group: LineInput(tie[0], tie[1], tie[2], group), tie_lines(),
              st.one_of(st.none(), st.sampled_from(["g1", "g2", "g3"]))),
)


#: Any line, or one whose net and tax are both exact ties (rounding_ties.py: random lines almost never tie).
lines_and_currencies = st.one_of(st.tuples(quantities, rates, tax_rates, currencies), tie_lines())


@given(case=lines_and_currencies)
@example(case=(D("1"), D("0.005"), D("0.5"), "GBP"))  # net 0.005 → 0.01, tax 0.005 → 0.01
@example(case=(D("-2"), D("0.0125"), D("0.5"), "EUR"))  # net -0.025 → -0.03, tax -0.015 → -0.02
@example(case=(D("1"), D("2.5"), D("0.5"), "JPY"))  # net 2.5 → 3, tax 1.5 → 2
@example(case=(D("3"), D("0.5"), D("0.5"), "KRW"))  # net 1.5 → 2, tax 1
def test_line_totals_properties(case: tuple[Decimal, Decimal, Decimal, str]) -> None:
    quantity, rate, tax_rate, currency = case
    totals = line_totals(quantity, rate, tax_rate, currency)
    assert_all_decimal(totals)
    assert totals.gross == totals.net + totals.tax
    for value in (totals.net, totals.tax, totals.gross):
        assert is_quantized(value, currency)
        assert not (value == 0 and value.is_signed())
    assert (totals.net, totals.tax, totals.gross) == reference(quantity, rate, tax_rate, currency)
    half = D(1).scaleb(-minor_units(currency)) / 2
    assert abs(totals.net - quantity * rate) <= half
    assert abs(totals.tax - totals.net * tax_rate) <= half


@given(lines=st.lists(line_inputs, max_size=25), currency=currencies)
@example(lines=[LineInput(D(1), D("0.005"), D("0.5"), "g1"), LineInput(D(-1), D("0.025"), D("0.5"))], currency="GBP")
@example(lines=[LineInput(D(1), D("2.5"), D("0.5"), "g1"), LineInput(D(3), D("0.5"), D("0.5"), "g1")], currency="JPY")
def test_document_totals_properties(lines: list[LineInput], currency: str) -> None:
    doc = document_totals(lines, currency)
    assert len(doc.lines) == len(lines)
    expected = [reference(line.quantity, line.rate, line.tax_rate, currency) for line in lines]  # not line_totals
    for want, totals in zip(expected, doc.lines, strict=True):
        assert (totals.net, totals.tax, totals.gross) == want
    for totals in all_totals(doc):
        assert_all_decimal(totals)
        assert totals.gross == totals.net + totals.tax
        if lines:
            for value in (totals.net, totals.tax, totals.gross):
                assert is_quantized(value, currency)
    # the document's totals are the sums of all its lines (the reference's lines)
    assert doc.total.net == sum((net for net, _, _ in expected), D(0))
    assert doc.total.tax == sum((tax for _, tax, _ in expected), D(0))
    assert doc.total.gross == sum((gross for _, _, gross in expected), D(0))
    # each group's totals are the sums of its lines; only groups that have lines appear
    assert set(doc.groups) == {line.group_id for line in lines if line.group_id is not None}
    for group_id, group in doc.groups.items():
        members = [want for line, want in zip(lines, expected, strict=True) if line.group_id == group_id]
        assert group == Totals(
            sum((net for net, _, _ in members), D(0)),
            sum((tax for _, tax, _ in members), D(0)),
            sum((gross for _, _, gross in members), D(0)),
        )
    if not lines:
        assert doc.total == Totals.zero()


@given(lines=st.lists(line_inputs, max_size=10), currency=currencies)
def test_document_totals_does_not_depend_on_line_order(lines: list[LineInput], currency: str) -> None:
    forward = document_totals(lines, currency)
    backward = document_totals(list(reversed(lines)), currency)
    assert forward.total == backward.total
    assert dict(forward.groups) == dict(backward.groups)
