"""Pure unit tests of quire.catalogue.pricing: the worked examples of BEHAVIOUR.md §6.2 and §9, and
properties (hypothesis) of every model. Amounts are compared as strings so a float could not pass."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from quire.catalogue.pricing import (
    LineKind,
    Period,
    Priced,
    PricedLine,
    PricingError,
    Proration,
    SeatChange,
    Seats,
    Usage,
    add_months,
    price,
    usage_window,
)
from quire.catalogue.structures import Fixed, Graduated, Linear, OneTime, Package, SeatBased, Tier, Volume
from quire.core.money import CURRENCIES, minor_units

D = Decimal
APRIL = Period(date(2024, 4, 1), date(2024, 5, 1))
MAY = Period(date(2024, 5, 1), date(2024, 6, 1))
# BEHAVIOUR.md §6.2 [D:ubp]: "tiers [0–100 @ $1 + $20], [100–∞ @ $0.75 + $50]".
DOC_TIERS = (Tier(D(100), D(1), D(20)), Tier(None, D("0.75"), D(50)))


def lines(priced: Priced) -> list[tuple[str, str, str, str]]:
    return [(line.title, str(line.quantity), str(line.rate), str(line.amount)) for line in priced.lines]


def assert_decimals(priced: Priced) -> None:
    assert isinstance(priced.total, Decimal)
    for line in priced.lines:
        for f in ("quantity", "rate", "amount"):
            value = getattr(line, f)
            assert isinstance(value, Decimal) and not isinstance(value, float), f"{f} is {type(value).__name__}"


# --- BEHAVIOUR.md §6.2, worked examples quoted verbatim --------------------------------------------


def test_linear_doc_example() -> None:
    """"Linear: $0.1/unit × 550 = **$55.00**." """
    priced = price(Linear(D("0.1")), currency="USD", usage=Usage(D(550)))
    assert lines(priced) == [("Usage", "550", "0.1", "55.00")]
    assert str(priced.total) == "55.00"


def test_linear_percentage_doc_example() -> None:
    """"Linear %: 0.5% of $1,000 total = **$5.00**." (percentages are fractions: 1 = 100%)"""
    priced = price(Linear(D("0.005"), is_percentage=True), currency="USD", usage=Usage(D(1000)))
    assert lines(priced) == [("Usage at 0.5%", "1000", "0.005", "5.00")]
    assert str(priced.total) == "5.00"


def test_volume_doc_example() -> None:
    """"Volume: ... 125 units → 125 × 0.75 + 50 = **$143.75**." """
    priced = price(Volume(DOC_TIERS), currency="USD", usage=Usage(D(125)))
    assert lines(priced) == [("Tier 2 (over 100)", "125", "0.75", "93.75"), ("Tier 2 flat fee", "1", "50", "50.00")]
    assert [line.tier for line in priced.lines] == [2, 2]
    assert [line.kind for line in priced.lines] == [LineKind.TIER, LineKind.TIER_FEE]
    assert str(priced.total) == "143.75"


def test_graduated_doc_example() -> None:
    """"Graduated: same unit tiers; 125 units → 100 × 1 + 20 + 25 × 0.75 + 50 = **$188.75**." """
    priced = price(Graduated(DOC_TIERS), currency="USD", usage=Usage(D(125)))
    assert lines(priced) == [
        ("Tier 1 (up to 100)", "100", "1", "100.00"),
        ("Tier 1 flat fee", "1", "20", "20.00"),
        ("Tier 2 (over 100)", "25", "0.75", "18.75"),
        ("Tier 2 flat fee", "1", "50", "50.00"),
    ]
    assert str(priced.total) == "188.75"


def test_package_doc_example() -> None:
    """"Package: $10 per 250; 600 units → **$30**" (3 packages: ceil(600 / 250))."""
    priced = price(Package(D(250), D(10)), currency="USD", usage=Usage(D(600)))
    assert lines(priced) == [("3 × package of 250", "3", "10", "30.00")]
    assert str(priced.total) == "30.00"


def test_upper_bound_is_inclusive() -> None:
    """§6.2 [INF]: "upperBound inclusive (100 units fall in the first tier)"."""
    assert str(price(Volume(DOC_TIERS), currency="USD", usage=Usage(D(100))).total) == "120.00"
    assert str(price(Volume(DOC_TIERS), currency="USD", usage=Usage(D("100.5"))).total) == "125.38"  # 75.375 → 75.38
    graduated = price(Graduated(DOC_TIERS), currency="USD", usage=Usage(D(100)))
    assert lines(graduated) == [("Tier 1 (up to 100)", "100", "1", "100.00"), ("Tier 1 flat fee", "1", "20", "20.00")]


def test_seat_proration_doc_example() -> None:
    """§9: "27 seats added on 18 April at £15/month in arrears → April invoice charges each seat a
    prorated £6.50 (= £15 × 13/30, i.e. 18–30 April counted inclusively), May invoice 27 × £15"."""
    seat_price = SeatBased(D(15), proration_strategy="PRORATE_INCREMENTS", charge_method="CHARGE_CONSUMED")
    april = price(seat_price, currency="GBP", seats=Seats(0, (SeatChange(date(2024, 4, 18), 27),)), period=APRIL)
    assert lines(april) == [("Seats added on 2024-04-18 (13/30 days)", "27", "15", "175.50")]
    assert april.lines[0].proration == Proration(13, 30)
    assert str(april.total) == str(27 * D("6.50"))
    may = price(seat_price, currency="GBP", seats=Seats(27), period=MAY)
    assert lines(may) == [("Seats", "27", "15", "405.00")]


def test_fixed_proration_doc_example() -> None:
    """§7.4: "£500 monthly over 15 of 30 days = £250"."""
    partial = Period(date(2024, 4, 16), date(2024, 5, 1), full_days=30)
    priced = price(Fixed(D(500)), currency="GBP", period=partial)
    assert lines(priced) == [("Fixed fee (15/30 days)", "1", "500", "250.00")]


# --- the other rules --------------------------------------------------------------------------------


def test_one_time_only_in_the_first_period() -> None:
    one_time = OneTime(D("150.00"))
    assert lines(price(one_time, currency="GBP", period=APRIL)) == [("One-time fee", "1", "150.00", "150.00")]
    assert price(one_time, currency="GBP", period=dataclasses.replace(MAY, first=False)).lines == ()


def test_fixed_full_period_is_not_prorated_and_jpy_has_no_decimals() -> None:
    assert lines(price(Fixed(D("1000.5")), currency="JPY", period=APRIL)) == [("Fixed fee", "1", "1000.5", "1001")]
    assert lines(price(Fixed(D(20)), currency="GBP")) == [("Fixed fee", "1", "20", "20.00")]


def test_each_line_is_rounded_once_and_the_total_is_their_sum() -> None:
    tiers = (Tier(D(1), D("0.005")), Tier(None, D("0.005")))
    priced = price(Graduated(tiers), currency="GBP", usage=Usage(D(2)))
    assert [str(line.amount) for line in priced.lines] == ["0.01", "0.01"]  # 0.005 → 0.01 (half-up), twice
    assert str(priced.total) == "0.02"  # not round(0.010) = 0.01


def test_zero_usage_shows_a_zero_line_and_no_fee() -> None:
    assert lines(price(Volume(DOC_TIERS), currency="USD", usage=Usage(D(0)))) == [("Tier 1 (up to 100)", "0", "1", "0.00")]
    assert lines(price(Graduated(DOC_TIERS), currency="USD", usage=Usage(D(0)))) == [("Tier 1 (up to 100)", "0", "1", "0.00")]
    assert lines(price(Package(D(10), D(3)), currency="USD", usage=Usage(D(-4)))) == [("0 × package of 10", "0", "3", "0.00")]


def test_volume_is_not_monotone_at_a_tier_boundary() -> None:
    """The "volume cliff": one more unit can cost less. Documented, not a bug (docs/pricing.md)."""
    cliff = (Tier(D(100), D(1)), Tier(None, D("0.5")))
    at_100 = price(Volume(cliff), currency="USD", usage=Usage(D(100))).total
    at_101 = price(Volume(cliff), currency="USD", usage=Usage(D(101))).total
    assert (str(at_100), str(at_101)) == ("100.00", "50.50")


def test_cumulative_graduated_bills_the_increment_over_the_running_total() -> None:
    cumulative = Graduated(DOC_TIERS, usage_calculation_mode="CUMULATIVE")
    first = price(cumulative, currency="USD", usage=Usage(D(80)))
    second = price(cumulative, currency="USD", usage=Usage(D(45), prior=D(80)))
    assert lines(second) == [
        ("Tier 1 (up to 100)", "20", "1", "20.00"),
        ("Tier 2 (over 100)", "25", "0.75", "18.75"),
        ("Tier 2 flat fee", "1", "50", "50.00"),
    ]
    assert first.total + second.total == price(Graduated(DOC_TIERS), currency="USD", usage=Usage(D(125))).total
    billing_period = Graduated(DOC_TIERS, usage_calculation_mode="BILLING_PERIOD")
    assert price(billing_period, currency="USD", usage=Usage(D(45), prior=D(80))).total == D("65.00")  # prior ignored


def test_seat_strategies_and_charge_methods() -> None:
    changes = (SeatChange(date(2024, 4, 11), 12), SeatChange(date(2024, 4, 21), 6))  # 8 → 12 → 6
    seats = Seats(8, changes)

    def total(strategy: str, method: str = "CHARGE_CONSUMED", included: int = 0) -> str:
        structure = SeatBased(D(30), proration_strategy=strategy, charge_method=method, included_seats=included)
        return str(price(structure, currency="GBP", seats=seats, period=APRIL).total)

    assert total("USE_FIRST") == "240.00"  # 8 × 30
    assert total("USE_MAXIMUM") == "360.00"  # 12 × 30
    assert total("PRORATE_INCREMENTS") == "320.00"  # 240 + 4 × 30 × 20/30
    assert total("PRORATE_ALL_CHANGES") == "260.00"  # 240 + 80 − 6 × 30 × 10/30
    assert total("USE_MAXIMUM", "CHARGE_FIXED", included=10) == "300.00"  # 10 × 30, whatever the usage
    assert total("USE_MAXIMUM", "CHARGE_OVERAGES", included=10) == "60.00"  # (12 − 10) × 30
    assert total("USE_FIRST", "CHARGE_MINIMUM", included=10) == "300.00"  # max(10, 8) × 30
    assert total("PRORATE_INCREMENTS", "CHARGE_MINIMUM", included=10) == "340.00"  # 300 + 2 × 30 × 20/30


def test_seat_tiers_are_graduated_over_seats_with_fees_once() -> None:
    """§9: "graduated tiers (e.g. first 15 seats £12, then £15)"."""
    structure = SeatBased(D(0), proration_strategy="USE_MAXIMUM", tiers=(Tier(D(15), D(12), D(5)), Tier(None, D(15))))
    priced = price(structure, currency="GBP", seats=Seats(20), period=APRIL)
    assert lines(priced) == [
        ("Seats – Tier 1 (up to 15)", "15", "12", "180.00"),
        ("Seats – Tier 1 flat fee", "1", "5", "5.00"),
        ("Seats – Tier 2 (over 15)", "5", "15", "75.00"),
    ]


def test_bad_facts_are_refused() -> None:
    with pytest.raises(PricingError):
        price(Linear(D(1)), currency="GBP")
    with pytest.raises(PricingError):
        price(Linear(D(1)), currency="GBP", usage=Usage(2.5))  # type: ignore[arg-type]
    with pytest.raises(PricingError):
        price(SeatBased(D(1)), currency="GBP", seats=Seats(1, (SeatChange(date(2024, 5, 1), 2),)), period=APRIL)
    with pytest.raises(PricingError):
        price(Volume((Tier(D(10), D(1)),)), currency="GBP", usage=Usage(D(11)))


def test_usage_windows() -> None:
    july = Period(date(2024, 7, 1), date(2024, 8, 1))
    start = date(2024, 1, 15)
    assert usage_window("BILLING_PERIOD", period=july, schedule_start=start) == (date(2024, 7, 1), date(2024, 8, 1))
    assert usage_window("CUMULATIVE", period=july, schedule_start=start) == (start, date(2024, 8, 1))
    assert usage_window("PERIODIC", period=july, schedule_start=start, frequency="QUARTERLY",
                        interval=1) == (date(2024, 4, 15), date(2024, 8, 1))
    assert usage_window("PERIODIC", period=july, schedule_start=start, frequency="MONTHLY",
                        interval=3) == (date(2024, 4, 15), date(2024, 8, 1))
    with pytest.raises(PricingError):
        usage_window("PERIODIC", period=july, schedule_start=start)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


# --- properties --------------------------------------------------------------------------------------

amounts = st.decimals(min_value=D(0), max_value=D(10_000), places=4, allow_nan=False, allow_infinity=False)
usages = st.decimals(min_value=D(0), max_value=D(100_000), places=3, allow_nan=False, allow_infinity=False)
currencies = st.sampled_from(CURRENCIES)


@st.composite
def tier_lists(draw: st.DrawFn, *, fees: bool = True) -> tuple[Tier, ...]:
    bounds = sorted(set(draw(st.lists(st.integers(min_value=1, max_value=50_000), min_size=0, max_size=5))))
    prices = draw(st.lists(amounts, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    fee_values = draw(st.lists(amounts if fees else st.just(D(0)), min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    uppers: list[Decimal | None] = [D(b) for b in bounds] + [None]
    return tuple(Tier(u, p, f) for u, p, f in zip(uppers, prices, fee_values, strict=True))


def half_units(priced: Priced) -> Decimal:
    """The most that rounding each line once can move a total away from the exact sum."""
    return D(len(priced.lines)) * D(1).scaleb(-minor_units(priced.currency)) / 2


@given(tiers=tier_lists(fees=False), usage=usages, currency=currencies)
def test_graduated_lies_between_volume_at_the_cheapest_and_dearest_reached_rate(
    tiers: tuple[Tier, ...], usage: Decimal, currency: str
) -> None:
    """Graduated (no fees) charges each unit at some reached tier's rate, so usage × min(rate) ≤ graduated ≤
    usage × max(rate); and it never exceeds volume at the top tier reached when rates rise with the tiers."""
    graduated = price(Graduated(tiers), currency=currency, usage=Usage(usage))
    reached = [tiers[0].price] + [t.price for i, t in enumerate(tiers[1:], start=1) if usage > (tiers[i - 1].upper_bound or 0)]
    slack = half_units(graduated)
    assert usage * min(reached) - slack <= graduated.total <= usage * max(reached) + slack
    volume = price(Volume(tiers), currency=currency, usage=Usage(usage))
    rates = [t.price for t in tiers]
    if rates == sorted(rates):
        assert graduated.total <= volume.total + slack + half_units(volume)
    if rates == sorted(rates, reverse=True):
        assert volume.total <= graduated.total + slack + half_units(volume)


#: A package price that is an exact tie at the penny: (2k + ½) pence, where half-even would round down.
tie_pennies = st.integers(min_value=0, max_value=10**6).map(lambda k: (D(2 * k) + D("0.5")) * D("0.01"))


@given(size=st.decimals(min_value=D("0.5"), max_value=D(1000), places=2), per=amounts | tie_pennies, usage=usages)
@example(size=D(1), per=D("0.005"), usage=D(1))  # 0.005 → 0.01
@example(size=D(10), per=D("0.025"), usage=D("9.5"))  # one package: 0.025 → 0.03 (half-even: 0.02)
def test_package_rounds_up_to_whole_packages(size: Decimal, per: Decimal, usage: Decimal) -> None:
    priced = price(Package(size, per), currency="GBP", usage=Usage(usage))
    [line] = priced.lines
    packages = line.quantity
    assert packages == (usage / size).to_integral_value(rounding=ROUND_CEILING)
    assert packages * size >= usage
    assert packages == 0 or (packages - 1) * size < usage
    assert packages == packages.to_integral_value()
    assert str(line.amount) == str((packages * per).quantize(D("0.01"), rounding="ROUND_HALF_UP"))


@st.composite
def usage_structures(draw: st.DrawFn) -> Linear | Package | Volume | Graduated:
    kind = draw(st.sampled_from(["LINEAR", "PACKAGE", "VOLUME", "GRADUATED"]))
    if kind == "LINEAR":
        return Linear(draw(amounts), is_percentage=draw(st.booleans()))
    if kind == "PACKAGE":
        return Package(draw(st.decimals(min_value=D("0.1"), max_value=D(500), places=1)), draw(amounts))
    tiers = draw(tier_lists())
    if kind == "GRADUATED":
        return Graduated(tiers)
    # Volume is monotone only when rates and fees do not fall from tier to tier (see the cliff test).
    ordered = tuple(
        Tier(t.upper_bound, p, f)
        for t, p, f in zip(tiers, sorted(t.price for t in tiers), sorted(t.fee or D(0) for t in tiers), strict=True)
    )
    return Volume(ordered)


@given(structure=usage_structures(), a=usages, b=usages, currency=currencies)
def test_amounts_never_fall_as_usage_grows(structure: Linear | Package | Volume | Graduated, a: Decimal, b: Decimal,
                                           currency: str) -> None:
    low, high = sorted((a, b))
    assert price(structure, currency=currency, usage=Usage(low)).total <= price(structure, currency=currency,
                                                                                 usage=Usage(high)).total


@given(tiers=tier_lists(), splits=st.lists(usages, min_size=1, max_size=4), currency=currencies)
def test_cumulative_periods_add_up_to_one_period_of_the_whole(tiers: tuple[Tier, ...], splits: list[Decimal],
                                                              currency: str) -> None:
    cumulative = Graduated(tiers, usage_calculation_mode="CUMULATIVE")
    prior, billed, line_count = D(0), D(0), 0
    for part in splits:
        priced = price(cumulative, currency=currency, usage=Usage(part, prior=prior))
        billed += priced.total
        line_count += len(priced.lines)
        prior += part
    whole = price(Graduated(tiers), currency=currency, usage=Usage(prior))
    slack = D(line_count + len(whole.lines)) * D(1).scaleb(-minor_units(currency)) / 2
    assert abs(billed - whole.total) <= slack


@st.composite
def any_priced(draw: st.DrawFn) -> Priced:
    currency = draw(currencies)
    start = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
    period = Period(start, start + timedelta(days=draw(st.integers(1, 31))), full_days=draw(st.sampled_from([None, 28, 30, 31])))
    kind = draw(st.sampled_from(["ONE_TIME", "FIXED", "USAGE", "SEATS"]))
    if kind == "ONE_TIME":
        return price(OneTime(draw(amounts)), currency=currency, period=period)
    if kind == "FIXED":
        return price(Fixed(draw(amounts)), currency=currency, period=period)
    if kind == "USAGE":
        return price(draw(usage_structures()), currency=currency, usage=Usage(draw(usages)))
    days = draw(st.lists(st.integers(0, period.days - 1), max_size=4))
    changes = tuple(SeatChange(start + timedelta(days=d), draw(st.integers(0, 500))) for d in days)
    structure = SeatBased(
        draw(amounts),
        proration_strategy=draw(st.sampled_from(["USE_FIRST", "USE_MAXIMUM", "PRORATE_INCREMENTS", "PRORATE_ALL_CHANGES"])),
        charge_method=draw(st.sampled_from(["CHARGE_FIXED", "CHARGE_OVERAGES", "CHARGE_CONSUMED", "CHARGE_MINIMUM"])),
        included_seats=draw(st.integers(0, 100)),
        tiers=draw(st.one_of(st.just(()), tier_lists())),
    )
    return price(structure, currency=currency, seats=Seats(draw(st.integers(0, 500)), changes), period=period)


@given(priced=any_priced())
def test_results_are_decimal_and_rounded_to_the_currency(priced: Priced) -> None:
    assert_decimals(priced)
    for line in priced.lines:
        assert isinstance(line, PricedLine)
        assert line.amount.as_tuple().exponent == -minor_units(priced.currency)
        assert line.title
        exact = line.quantity * line.rate
        if line.proration is not None:
            exact = exact * line.proration.days / line.proration.full_days
        assert abs(line.amount - exact) <= D(1).scaleb(-minor_units(priced.currency)) / 2
    assert priced.total == sum((line.amount for line in priced.lines), D(0))


@given(quantity=st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_refused(quantity: float) -> None:
    with pytest.raises(PricingError):
        price(Linear(D(1)), currency="GBP", usage=Usage(quantity))  # type: ignore[arg-type]
