"""Pure unit tests of the credit-note tax rule (quire.creditnotes.creditable: credited_rate, settle,
excess): tax on a credit follows the credited invoice line, and over any sequence of credits the tax
(and net, and gross) reversed never exceeds what the line charged. Expected figures are written by hand
or computed by an independent reference (half-up to the currency's minor units)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from quire.core.errors import ValidationFailed
from quire.creditnotes.creditable import Minor, credited_rate, excess, settle

D = Decimal
ZERO = Minor(0, 0, 0)


def reference(quantity: Decimal, rate: Decimal, tax_rate: Decimal, places: int) -> Minor:
    """net = round(q × rate), tax = round(net × taxRate), half-up, in minor units (independent of the code)."""
    exp = D(1).scaleb(-places)
    net = (quantity * rate).quantize(exp, rounding=ROUND_HALF_UP)
    tax = (net * tax_rate).quantize(exp, rounding=ROUND_HALF_UP)
    n, t = int(net.scaleb(places)), int(tax.scaleb(places))
    return Minor(n, t, n + t)


def add(a: Minor, b: Minor) -> Minor:
    return Minor(a.net + b.net, a.tax + b.tax, a.gross + b.gross)


# --- the rate --------------------------------------------------------------------------------------


def test_the_credited_lines_rate_is_taken_and_a_different_one_refused() -> None:
    assert credited_rate(D("0.2"), D("0.20"), D("0.20")) == D("0.2")  # same number, other spelling
    assert credited_rate(D("0.05"), D("0.05"), D("0.05")) == D("0.05")
    # A reverse-charged or exempt invoice stored 0 on its lines; the configured rate sent again is fine.
    assert credited_rate(D("0"), D("0.2"), D("0")) == D("0")
    with pytest.raises(ValidationFailed) as refused:
        credited_rate(D("0.05"), D("0.2"), D("0.2"))  # 5% charged, 20% reversed
    body = refused.value.body()["error"]
    assert body["type"] == "ValidationError" and body["fields"][0]["field"] == "taxRate"
    assert "0.05" in body["message"] and "0.2" in body["message"]
    with pytest.raises(ValidationFailed):
        credited_rate(D("0.2"), D("0"), D("0"))  # reversing no tax on a taxed line is a different rate too


# --- settle and excess, by hand ----------------------------------------------------------------------


def test_pieces_that_round_up_stop_at_the_tax_charged() -> None:
    charged = Minor(10, 2, 12)  # 0.10 net at 20%: 0.02 tax
    first = settle(Minor(3, 1, 4), charged, ZERO)  # 0.03 × 0.2 = 0.006 → 0.01
    assert first == Minor(3, 1, 4)
    second = settle(Minor(3, 1, 4), charged, first)
    assert second == Minor(3, 1, 4)
    third = settle(Minor(3, 1, 4), charged, Minor(6, 2, 8))  # the tax is all reversed already
    assert third == Minor(3, 0, 3)
    last = settle(Minor(1, 0, 1), charged, Minor(9, 2, 11))
    assert last == Minor(1, 0, 1)
    assert add(Minor(9, 2, 11), last) == charged


def test_pieces_that_round_down_leave_the_rest_of_the_tax_to_the_last_one() -> None:
    charged = Minor(10, 2, 12)
    used = ZERO
    for _ in range(4):  # 0.02 × 0.2 = 0.004 → 0.00 each
        piece = settle(Minor(2, 0, 2), charged, used)
        assert piece == Minor(2, 0, 2)
        used = add(used, piece)
    last = settle(Minor(2, 0, 2), charged, used)  # takes the rest of the net, so the rest of the tax
    assert last == Minor(2, 2, 4)
    assert add(used, last) == charged


def test_excess_names_the_first_total_past_the_limit() -> None:
    charged = Minor(1000, 200, 1200)
    assert excess(Minor(500, 100, 600), charged, ZERO) is None
    assert excess(Minor(1000, 200, 1200), charged, ZERO) is None  # all of it
    assert excess(Minor(501, 100, 601), charged, Minor(500, 100, 600)) == ("grossTotal", 600, 601)
    # Gross fits but net does not (a free credit line at a lower rate than charged).
    assert excess(Minor(1100, 0, 1100), charged, ZERO) == ("netTotal", 1000, 1100)
    # Gross and net fit but tax does not (a free credit line at a higher rate than charged).
    assert excess(Minor(900, 270, 1170), charged, ZERO) == ("totalTax", 200, 270)
    # A discount line (negative) has nothing creditable.
    assert excess(Minor(1, 0, 1), Minor(-1000, -200, -1200), ZERO) == ("grossTotal", 0, 1)
    assert excess(ZERO, Minor(-1000, -200, -1200), ZERO) is None


# --- the property ------------------------------------------------------------------------------------

PLACES = {"GBP": 2, "JPY": 0, "KWD": 3}
currencies = st.sampled_from(sorted(PLACES))
tax_rates = st.sampled_from([D("0"), D("0.05"), D("0.07"), D("0.125"), D("0.175"), D("0.2"), D("0.21"), D("1")])
small = st.decimals(min_value=D("0"), max_value=D("40"), places=3, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=D("0"), max_value=D("99.995"), places=3, allow_nan=False, allow_infinity=False)
# (op, quantity, rate, which earlier credit): op 0 adds a credit, 1 rewrites one (PUT), 2 deletes one.
operations = st.lists(st.tuples(st.sampled_from([0, 0, 0, 1, 2]), small, rates, st.integers(0, 50)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(currency=currencies, tax_rate=tax_rates, quantity=small, rate=rates, ops=operations)
# Half-up ties: 0.025 × 0.2 → 0.005, and 0.125 → 0.0125 (the case a half-even rounding gets wrong).
@example(currency="GBP", tax_rate=D("0.2"), quantity=D("1"), rate=D("0.10"),
         ops=[(0, D("1"), D("0.025"), 0), (0, D("1"), D("0.025"), 0), (0, D("1"), D("0.025"), 0),
              (0, D("1"), D("0.025"), 0)])
@example(currency="GBP", tax_rate=D("0.1"), quantity=D("1"), rate=D("0.35"),
         ops=[(0, D("1"), D("0.05"), 0)] * 7)
@example(currency="JPY", tax_rate=D("0.1"), quantity=D("3"), rate=D("5"),
         ops=[(0, D("1"), D("5"), 0), (1, D("1"), D("4"), 0), (0, D("2"), D("5.5"), 0), (2, D("0"), D("0"), 1),
              (0, D("1"), D("6"), 0)])
def test_tax_reversed_never_exceeds_tax_charged(
    currency: str, tax_rate: Decimal, quantity: Decimal, rate: Decimal, ops: list[tuple[int, Decimal, Decimal, int]]
) -> None:
    places = PLACES[currency]
    charged = reference(quantity, rate, tax_rate, places)
    credits: list[Minor] = []  # the credit lines standing against the invoice line
    for op, q, r, which in ops:
        if op == 2 and credits:
            credits.pop(which % len(credits))
            continue
        replacing = which % len(credits) if op == 1 and credits else None
        others = [c for i, c in enumerate(credits) if i != replacing]
        used = Minor(sum(c.net for c in others), sum(c.tax for c in others), sum(c.gross for c in others))
        computed = reference(q, r, tax_rate, places)
        amounts = settle(computed, charged, used)
        assert amounts.net == computed.net and amounts.gross == amounts.net + amounts.tax
        assert 0 <= amounts.tax <= computed.tax or amounts.net == max(0, charged.net - used.net)
        if excess(amounts, charged, used) is not None:
            continue  # refused: nothing changes
        if replacing is None:
            credits.append(amounts)
        else:
            credits[replacing] = amounts
        total = Minor(sum(c.net for c in credits), sum(c.tax for c in credits), sum(c.gross for c in credits))
        assert total.tax <= max(0, charged.tax), (total, charged)
        assert total.net <= max(0, charged.net), (total, charged)
        assert total.gross <= max(0, charged.gross), (total, charged)
        if total.net == charged.net:  # credited in full: exactly the tax charged, in any number of pieces
            assert total.tax == charged.tax, (total, charged, credits)
