"""The drawdown plan (quire.credits.drawdown): worked examples and properties.

Properties: a grant is never drawn beyond its balance; no total (net, tax, gross; overall and per tax
rate) that was not negative becomes negative; only usable grants are drawn (effective, not expired, in
the invoice's currency for cash); grants are drawn in order (a later grant of the same kind is drawn only
when every earlier one is spent or could take nothing more); a metric line is never credited more units
than it has. Expected values come from the documented rule, computed here by hand.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from quire.credits.drawdown import CURRENCY, METRIC, Charge, GrantView, draw_order, plan_drawdown

D = Decimal
DAY = date(2024, 6, 15)


def cash(ident: str, balance: str, *, expiry: date | None = None, effective: date = date(2024, 1, 1), currency: str = "GBP",
         created: int = 0) -> GrantView:
    return GrantView(ident, f"Cash {ident}", CURRENCY, currency, None, D(balance), effective, expiry,
                     datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=created))


def units(ident: str, metric: str, balance: str, *, expiry: date | None = None, created: int = 0) -> GrantView:
    return GrantView(ident, f"Units {ident}", METRIC, "GBP", metric, D(balance), date(2024, 1, 1), expiry,
                     datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=created))


def half_up(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def line(ident: str, quantity: str, rate: str, tax_rate: str = "0.2", metric: str | None = None) -> Charge:
    net = half_up(D(quantity) * D(rate))
    return Charge(ident, D(quantity), D(rate), D(tax_rate), net, half_up(net * D(tax_rate)), metric)


def test_metric_first_then_cash_soonest_expiry_first() -> None:
    grants = [cash("late", "100"), cash("soon", "20", expiry=date(2024, 12, 31)), units("calls", "m", "100")]
    charges = [line("fee", "1", "30"), line("usage", "150", "0.1", metric="m")]
    draws = plan_drawdown(grants, charges, currency="GBP", on_date=DAY)
    assert [(d.grant_id, d.amount, d.quantity, d.rate, d.line_id) for d in draws] == [
        ("calls", D(100), D(100), D("-0.1"), "usage"),  # 100 of the 150 calls at 0.10: 10.00
        ("soon", D("20.00"), D(1), D("-20.00"), None),  # then 35.00 of cash: the expiring grant first
        ("late", D("15.00"), D(1), D("-15.00"), None),
    ]
    assert sum((d.totals.net for d in draws), D(0)) == D("-45.00")
    assert sum((d.totals.tax for d in draws), D(0)) == D("-9.00")


def test_cash_per_tax_rate_and_never_below_zero() -> None:
    charges = [line("a", "1", "10", "0.2"), line("b", "1", "8", "0"), line("discount", "1", "-12", "0.2")]
    # The 20% rate holds -2.00 net, -0.40 tax (10 - 12): nothing is drawn there. The zero rate holds 8.00,
    # the invoice 6.00 net but 5.60 gross (its tax is -0.40): the credit stops at 5.60, gross 0.00.
    [draw] = plan_drawdown([cash("g", "100")], charges, currency="GBP", on_date=DAY)
    assert (draw.tax_rate, draw.amount, draw.totals.net) == (D(0), D("5.60"), D("-5.60"))
    # Two tax rates, both owed: one credit line per rate, in the order the lines show them.
    two = plan_drawdown([cash("g", "100")], [line("a", "1", "10", "0.2"), line("b", "1", "5", "0")], currency="GBP",
                        on_date=DAY)
    assert [(d.tax_rate, d.amount, d.totals.tax) for d in two] == [(D("0.2"), D("10.00"), D("-2.00")),
                                                                    (D(0), D("5.00"), D(0))]


def test_nothing_drawn_when_nothing_is_owed() -> None:
    assert plan_drawdown([cash("g", "100")], [line("a", "1", "-5")], currency="GBP", on_date=DAY) == []
    assert plan_drawdown([cash("g", "100")], [], currency="GBP", on_date=DAY) == []


def test_rounding_of_tax_never_leaves_a_negative_tax() -> None:
    # Two lines of 0.02 at 20%: tax 0.004 → 0.00 each, 0.00 in all. A credit of 0.04 or 0.03 would carry
    # tax -0.01 (0.008, 0.006 round up): the invoice's tax would be -0.01. The draw stops at 0.02 (tax 0.00),
    # and the rate takes no more credit, from this grant or a later one.
    charges = [line("a", "1", "0.02"), line("b", "1", "0.02")]
    [draw] = plan_drawdown([cash("g", "1"), cash("h", "1", created=1)], charges, currency="GBP", on_date=DAY)
    assert (draw.grant_id, draw.amount, draw.totals.tax) == ("g", D("0.02"), D(0))


def test_only_usable_grants() -> None:
    grants = [cash("expired", "10", expiry=date(2024, 6, 14)), cash("last-day", "10", expiry=DAY),
              cash("not-yet", "10", effective=date(2024, 6, 16)), cash("euro", "10", currency="EUR"),
              cash("empty", "0"), units("other-metric", "x", "10")]
    draws = plan_drawdown(grants, [line("a", "1", "100", metric="m")], currency="GBP", on_date=DAY)
    assert [d.grant_id for d in draws] == ["last-day"]


def test_graduated_tiers_in_line_order_at_their_own_rate() -> None:
    charges = [line("tier1", "100", "1", metric="m"), line("tier2", "50", "0.5", metric="m"), line("free", "10", "0", metric="m")]
    draws = plan_drawdown([units("u", "m", "120")], charges, currency="GBP", on_date=DAY)
    assert [(d.line_id, d.quantity, d.totals.net) for d in draws] == [("tier1", D(100), D("-100.00")),
                                                                      ("tier2", D(20), D("-10.00"))]


# --- properties ---------------------------------------------------------------------------------------

amounts = st.decimals(min_value=D("-50"), max_value=D("500"), places=2, allow_nan=False, allow_infinity=False)
quantities = st.decimals(min_value=D("0"), max_value=D("1000"), places=3, allow_nan=False, allow_infinity=False)
tax_rates = st.sampled_from([D(0), D("0.05"), D("0.2")])
metrics = st.sampled_from([None, "m1", "m2"])


@st.composite
def charges_(draw: st.DrawFn) -> list[Charge]:
    out = []
    for i in range(draw(st.integers(0, 6))):
        quantity = draw(quantities)
        rate = draw(st.decimals(min_value=D("-20"), max_value=D("20"), places=4, allow_nan=False, allow_infinity=False))
        out.append(line(f"l{i}", str(quantity), str(rate), str(draw(tax_rates)), draw(metrics)))
    return out


@st.composite
def grants_(draw: st.DrawFn) -> list[GrantView]:
    out = []
    for i in range(draw(st.integers(0, 6))):
        expiry = draw(st.sampled_from([None, date(2024, 6, 1), DAY, date(2024, 9, 1), date(2025, 1, 1)]))
        effective = draw(st.sampled_from([date(2024, 1, 1), DAY, date(2024, 7, 1)]))
        created = draw(st.integers(0, 5))
        if draw(st.booleans()):
            out.append(GrantView(f"g{i}", f"G{i}", CURRENCY, draw(st.sampled_from(["GBP", "GBP", "EUR"])), None,
                                 draw(amounts.filter(lambda a: a >= 0)), effective, expiry,
                                 datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=created)))
        else:
            out.append(GrantView(f"g{i}", f"G{i}", METRIC, "GBP", draw(st.sampled_from(["m1", "m2"])),
                                 draw(quantities), effective, expiry,
                                 datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=created)))
    return out


def _totals(charges: list[Charge], draws: list) -> dict[Decimal | None, tuple[Decimal, Decimal]]:  # type: ignore[type-arg]
    sums: dict[Decimal | None, list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    for c in charges:
        for key in (c.tax_rate, None):
            sums[key][0] += c.net
            sums[key][1] += c.tax
    for d in draws:
        for key in (d.tax_rate, None):
            sums[key][0] += d.totals.net
            sums[key][1] += d.totals.tax
    return {k: (v[0], v[1]) for k, v in sums.items()}


@settings(max_examples=300, deadline=None)
@given(grants_(), charges_())
def test_properties(grants: list[GrantView], charges: list[Charge]) -> None:
    draws = plan_drawdown(grants, charges, currency="GBP", on_date=DAY)
    by_id = {g.id: g for g in grants}
    spent: dict[str, Decimal] = defaultdict(Decimal)
    for d in draws:
        g = by_id[d.grant_id]
        assert g.usable_on(DAY) and d.amount > 0
        assert g.unit_type == METRIC or g.currency == "GBP"
        assert d.totals.net < 0 and d.totals.tax <= 0 and d.title == g.name
        spent[d.grant_id] += d.amount
    # never over-draws a grant
    assert all(spent[i] <= by_id[i].balance for i in spent)
    # never makes a total negative (overall: key None; per tax rate) that was not negative already
    before, after = _totals(charges, []), _totals(charges, draws)
    for key, (net, tax) in after.items():
        net0, tax0 = before[key]
        assert net >= min(net0, D(0)) and tax >= min(tax0, D(0)) and net + tax >= min(net0 + tax0, D(0))
        if draws:
            assert net >= 0 or net == net0
    # metric units: never more than a line has
    units_on: dict[str, Decimal] = defaultdict(Decimal)
    for d in draws:
        if d.line_id is not None:
            units_on[d.line_id] += d.quantity
    quantity = {c.line_id: c.quantity for c in charges}
    assert all(units_on[i] <= quantity[i] for i in units_on)
    # order: metric draws come before cash draws; within a kind, grants are drawn in draw_order
    kinds = [by_id[d.grant_id].unit_type for d in draws]
    assert kinds == sorted(kinds, key=lambda k: k != METRIC)
    for kind in (METRIC, CURRENCY):
        drawn = list(dict.fromkeys(d.grant_id for d in draws if by_id[d.grant_id].unit_type == kind))
        assert drawn == sorted(drawn, key=lambda i: draw_order(by_id[i]))
    # a later grant (cash; or metric of the same metric) is drawn only when every earlier usable one is spent
    usable = sorted((g for g in grants if g.usable_on(DAY)), key=draw_order)
    for position, g in enumerate(usable):
        if spent[g.id] < g.balance and (g.unit_type == METRIC or g.currency == "GBP"):
            for later in usable[position + 1:]:
                if later.unit_type == g.unit_type and later.metric_id == g.metric_id:
                    assert spent[later.id] == 0, (g.id, later.id)
