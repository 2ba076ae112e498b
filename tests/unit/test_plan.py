"""The engine's invoice plan (quire.billing.plan) with worked numbers from BEHAVIOUR.md §6.2, §7.4, §7.5."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from quire.billing.plan import TRUE_UP_TITLE, PriceFacts, due_slots, last_invoice_date, plan_invoice, slots, usage_ranges
from quire.catalogue.pricing import Seats, SeatChange, Usage
from quire.catalogue.structures import Fixed, Graduated, Linear, OneTime, SeatBased, Tier
from quire.schedules.read import DiscountView, MinimumView, PhaseView, ScheduleView

FIXED = PriceFacts("p-fixed", "Platform fee", "GBP", Fixed(D("500")), "MONTHLY", "IN_ADVANCE")
FIXED_ARREARS = PriceFacts("p-arrears", "Support", "GBP", Fixed(D("300")), "MONTHLY", "IN_ARREARS")
QUARTERLY = PriceFacts("p-q", "Quarterly review", "GBP", Fixed(D("900")), "QUARTERLY", "IN_ARREARS")
SETUP = PriceFacts("p-setup", "Setup", "GBP", OneTime(D("1000")), "ONE_TIME", "IN_ADVANCE")
API_CALLS = PriceFacts("p-api", "API calls", "GBP", Linear(D("0.1"), usage_metric_id="m1"), "MONTHLY", "IN_ARREARS")
TIERS = (Tier(D("100"), D("1"), D("20")), Tier(None, D("0.75"), D("50")))
GRADUATED = PriceFacts("p-grad", "Messages", "GBP", Graduated(TIERS, "BILLING_PERIOD", "m2"), "MONTHLY", "IN_ARREARS")
PRICES = {p.id: p for p in (FIXED, FIXED_ARREARS, QUARTERLY, SETUP, API_CALLS, GRADUATED)}


def schedule(price_ids: tuple[str, ...], *, start: date = date(2026, 1, 1), end: date | None = None,
             day: int | None = None, discounts: tuple[DiscountView, ...] = (), minimums: tuple[MinimumView, ...] = (),
             tax_rates: dict[str, str] | None = None) -> ScheduleView:
    phase = PhaseView("ph1", start, end, price_ids, discounts, minimums)
    return ScheduleView(id="s1", account_id="a1", customer_id="c1", status="ACTIVE", start_date=start, end_date=end,
                        recurrence_day_of_month=day, auto_issue_invoices=False, roll_up_billing=False,
                        purchase_order_number=None, reference=None, label=None, phases=(phase,),
                        tax_rates=tax_rates or {}, currency="GBP")


def discount(amount: str, kind: str = "PERCENTAGE", *, separate: bool = False, valid_from: date | None = None,
             valid_to: date | None = None, prices: tuple[str, ...] = ("p-fixed",)) -> DiscountView:
    return DiscountView("d1", prices, D(amount), kind, "Launch offer", separate, valid_from, valid_to)


def amounts(plan) -> list[tuple[str, D]]:  # type: ignore[no-untyped-def]
    return [(line.title, line.amount("GBP")) for line in plan.all_lines()]


def test_prorated_first_period_in_advance_docs_example() -> None:
    # £500 monthly, start 16 April on day 1: the 15 days of April are 15/30 of the price = £250, dated 16 April.
    s = schedule(("p-fixed",), start=date(2026, 4, 16), day=1)
    first = slots(s, PRICES, date(2026, 4, 16))[0]
    plan = plan_invoice(s, first, PRICES)
    assert first.invoice_date == date(2026, 4, 16)
    assert (plan.period_start, plan.period_end) == (date(2026, 4, 16), date(2026, 4, 30))
    assert plan.groups[0].title == "Platform fee"
    assert plan.net_total == D("250.00")
    assert plan.groups[0].lines[0].description == "1 × 500 × 15/30 days"


def test_percentage_discount_on_the_prorated_amount_nominal_in_full() -> None:
    # BEHAVIOUR §7.5: £250 prorated charge: 10% → £25 off; £100 fixed → £100 off.
    s = schedule(("p-fixed",), start=date(2026, 4, 16), day=1, discounts=(discount("10"),))
    plan = plan_invoice(s, slots(s, PRICES, date(2026, 4, 16))[0], PRICES)
    assert amounts(plan) == [("Fixed fee (15/30 days)", D("250.00")), ("Launch offer", D("-25.00"))]
    s = schedule(("p-fixed",), start=date(2026, 4, 16), day=1, discounts=(discount("100", "NOMINAL"),))
    plan = plan_invoice(s, slots(s, PRICES, date(2026, 4, 16))[0], PRICES)
    assert plan.net_total == D("150.00")


def test_separate_discount_line_is_ungrouped() -> None:
    s = schedule(("p-fixed",), discounts=(discount("10", separate=True),))
    plan = plan_invoice(s, slots(s, PRICES, date(2026, 1, 1))[0], PRICES)
    assert [line.title for line in plan.groups[0].lines] == ["Fixed fee"]
    assert [(line.title, line.amount("GBP")) for line in plan.lines] == [("Launch offer", D("-50.00"))]


def test_nominal_discount_never_makes_the_price_negative() -> None:
    s = schedule(("p-fixed",), discounts=(discount("800", "NOMINAL"),))
    plan = plan_invoice(s, slots(s, PRICES, date(2026, 1, 1))[0], PRICES)
    assert plan.net_total == D("0.00")


def test_discount_valid_two_months() -> None:
    s = schedule(("p-fixed",), discounts=(discount("10", valid_from=date(2026, 1, 1), valid_to=date(2026, 2, 28)),))
    totals = [plan_invoice(s, slot, PRICES).net_total for slot in slots(s, PRICES, date(2026, 4, 1))]
    assert totals == [D("450.00"), D("450.00"), D("500.00"), D("500.00")]


def test_monthly_and_quarterly_in_arrears_combine_on_the_same_date() -> None:
    s = schedule(("p-arrears", "p-q"))
    got = slots(s, PRICES, date(2026, 6, 30))
    assert [x.invoice_date for x in got] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
                                           date(2026, 5, 31), date(2026, 6, 30)]
    march = plan_invoice(s, got[2], PRICES)
    assert [g.title for g in march.groups] == ["Support", "Quarterly review"]
    assert (march.period_start, march.period_end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert march.net_total == D("1200.00")


def test_in_arrears_running_period_is_due_not_final() -> None:
    s = schedule(("p-arrears",))
    [jan] = due_slots(s, PRICES, date(2026, 1, 20))
    assert jan.due(date(2026, 1, 20)) and not jan.final(date(2026, 1, 20))
    assert not jan.final(date(2026, 1, 31)) and jan.final(date(2026, 2, 1))
    assert len(due_slots(s, PRICES, date(2026, 2, 1))) == 2  # January final, February running


def test_in_advance_is_final_on_its_date() -> None:
    s = schedule(("p-fixed",))
    assert [x.final(date(2026, 2, 1)) for x in due_slots(s, PRICES, date(2026, 2, 1))] == [True, True]


def test_one_time_price_charged_once() -> None:
    s = schedule(("p-setup", "p-fixed"))
    got = slots(s, PRICES, date(2026, 3, 1))
    assert [g.title for g in plan_invoice(s, got[0], PRICES).groups] == ["Setup", "Platform fee"]
    assert [g.title for g in plan_invoice(s, got[1], PRICES).groups] == ["Platform fee"]
    assert plan_invoice(s, got[0], PRICES).net_total == D("1500.00")


def test_linear_usage_docs_example() -> None:
    s = schedule(("p-api",))
    slot = slots(s, PRICES, date(2026, 1, 31))[0]
    plan = plan_invoice(s, slot, PRICES, usage={slot.charges[0]: Usage(D("550"))})
    assert plan.net_total == D("55.00")
    assert usage_ranges(s, slot.charges[0], API_CALLS) == (None, (date(2026, 1, 1), date(2026, 2, 1)))


def test_graduated_usage_with_a_minimum_true_up() -> None:
    # 125 units → 100 × 1 + 20 + 25 × 0.75 + 50 = £188.75 (BEHAVIOUR §6.2); minimum £250 → true-up £61.25.
    s = schedule(("p-grad",), minimums=(MinimumView("m", D("250"), ("p-grad",)),))
    slot = slots(s, PRICES, date(2026, 1, 31))[0]
    plan = plan_invoice(s, slot, PRICES, usage={slot.charges[0]: Usage(D("125"))})
    assert [line.amount("GBP") for line in plan.groups[0].lines] == [D("100.00"), D("20.00"), D("18.75"), D("50.00")]
    assert [(line.title, line.amount("GBP")) for line in plan.lines] == [(TRUE_UP_TITLE, D("61.25"))]
    assert plan.net_total == D("250.00")
    above = plan_invoice(s, slot, PRICES, usage={slot.charges[0]: Usage(D("300"))})
    assert above.lines == ()  # 100 + 20 + 150 + 50 = 270 ≥ 250


def test_missing_usage_is_refused() -> None:
    from quire.catalogue.pricing import PricingError
    s = schedule(("p-api",))
    with pytest.raises(PricingError):
        plan_invoice(s, slots(s, PRICES, date(2026, 1, 31))[0], PRICES)


def test_tax_rate_of_the_price_unless_the_customer_is_not_taxed() -> None:
    s = schedule(("p-fixed",), tax_rates={"p-fixed": "tr-1"})
    slot = slots(s, PRICES, date(2026, 1, 1))[0]
    assert plan_invoice(s, slot, PRICES).groups[0].lines[0].tax_rate_id == "tr-1"
    assert plan_invoice(s, slot, PRICES, taxed=False).groups[0].lines[0].tax_rate_id is None


def test_last_period_ends_at_end_date_and_last_invoice_date() -> None:
    s = schedule(("p-arrears",), end=date(2026, 3, 15))
    got = slots(s, PRICES, date(2026, 12, 31))
    assert got[-1].charges[0].end == date(2026, 3, 15) and got[-1].invoice_date == date(2026, 3, 15)
    assert plan_invoice(s, got[-1], PRICES).net_total == D("145.16")  # 300 × 15/31 = 145.161…
    assert last_invoice_date(s, PRICES) == date(2026, 3, 15)


def test_fingerprint_is_stable_and_changes_with_the_lines() -> None:
    s = schedule(("p-api",))
    slot = slots(s, PRICES, date(2026, 1, 31))[0]
    a = plan_invoice(s, slot, PRICES, usage={slot.charges[0]: Usage(D("5"))})
    b = plan_invoice(s, slot, PRICES, usage={slot.charges[0]: Usage(D("5"))})
    c = plan_invoice(s, slot, PRICES, usage={slot.charges[0]: Usage(D("6"))})
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_a_grouped_metric_gives_a_linear_price_a_line_per_group() -> None:
    s = schedule(("p-api",))
    slot = slots(s, PRICES, date(2026, 1, 31))[0]
    groups = {slot.charges[0]: (("eu", D("300")), ("us", D("250")))}
    plan = plan_invoice(s, slot, PRICES, usage={slot.charges[0]: Usage(D("550"))}, usage_groups=groups)
    assert amounts(plan) == [("Usage – eu", D("30.00")), ("Usage – us", D("25.00"))]


def test_a_minimum_over_every_price_is_settled_on_the_in_arrears_invoice_only() -> None:
    # restrictToPrices empty = every price of the phase (schedules.read resolves it): the in-advance fee
    # invoiced on 1 January does not get a true-up; the 31 January usage invoice settles the minimum.
    s = schedule(("p-fixed", "p-grad"), minimums=(MinimumView("m", D("250"), ("p-fixed", "p-grad")),))
    advance, arrears = slots(s, PRICES, date(2026, 1, 31))
    assert plan_invoice(s, advance, PRICES).lines == ()
    plan = plan_invoice(s, arrears, PRICES, usage={arrears.charges[0]: Usage(D("125"))})
    assert [(line.title, line.amount("GBP")) for line in plan.lines] == [(TRUE_UP_TITLE, D("61.25"))]


def test_a_nominal_discount_over_advance_and_arrears_prices_is_taken_once_a_period() -> None:
    s = schedule(("p-fixed", "p-arrears"), discounts=(discount("100", "NOMINAL", prices=("p-fixed", "p-arrears")),))
    advance, arrears = slots(s, PRICES, date(2026, 1, 31))
    assert plan_invoice(s, advance, PRICES).net_total == D("400.00")   # 500 − 100, on 1 January
    assert plan_invoice(s, arrears, PRICES).net_total == D("300.00")   # not again on 31 January


# --- seat overages on their own frequency (overagesBillingFrequency, BEHAVIOUR.md §9) ---------------

def seat_price(method: str = "CHARGE_MINIMUM", *, per_seat: str = "120", included: int = 10, overages: str | None = "MONTHLY",
               frequency: str = "YEARLY", strategy: str = "PRORATE_INCREMENTS", tiers: tuple[Tier, ...] = ()) -> PriceFacts:
    structure = SeatBased(D(per_seat), strategy, included, method, tiers, overages, "users")
    return PriceFacts("p-seats", "Users", "GBP", structure, frequency, "IN_ADVANCE")


def test_annual_seats_with_monthly_overages_split_into_two_grids() -> None:
    # £120 a seat a year, 10 contracted, in advance; overages above 10 monthly in arrears at £120/12 = £10.
    price = seat_price()
    s = schedule(("p-seats",))
    every = slots(s, {price.id: price}, date(2026, 12, 31))
    assert [slot.invoice_date for slot in every] == [date(2026, 1, 1)] + [
        date(2026, m, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]) for m in range(1, 13)]
    year = plan_invoice(s, every[0], {price.id: price}, seats={every[0].charges[0]: Seats(8)})
    assert [g.title for g in year.groups] == ["Users"]
    assert amounts(year) == [("Seats", D("1200.00"))]  # the contracted 10 even with 8 in use
    february = every[2]
    [charge] = february.charges
    assert charge.overages and not charge.in_advance and (charge.start, charge.end) == (date(2026, 2, 1), date(2026, 2, 28))
    plan = plan_invoice(s, february, {price.id: price}, seats={charge: Seats(8, (SeatChange(date(2026, 2, 10), 12),))})
    assert [g.title for g in plan.groups] == ["Users – overages"]
    # 2 seats above 10 from 10 February: 2 × £120 × 1/12 × 19/28 = £13.5714… → £13.57, rounded once.
    [line] = plan.groups[0].lines
    assert (line.quantity, line.rate, line.description) == (D(1), D("13.57"), "2 × 120 × 1/12 months × 19/28 days")
    march = plan_invoice(s, every[3], {price.id: price}, seats={every[3].charges[0]: Seats(12)})
    [line] = march.groups[0].lines
    assert (line.title, line.quantity, line.rate, line.amount("GBP")) == ("Seats", D(2), D(10), D("20.00"))


def test_an_overage_rate_that_is_not_exact_is_written_as_its_rounded_amount() -> None:
    price = seat_price(per_seat="100", included=1)
    s = schedule(("p-seats",))
    january = slots(s, {price.id: price}, date(2026, 1, 31))[1]
    plan = plan_invoice(s, january, {price.id: price}, seats={january.charges[0]: Seats(4)})
    [line] = plan.groups[0].lines  # 3 × £100/12 = £25.00 exactly, though £8.333… a seat is not
    assert (line.quantity, line.rate, line.description) == (D(1), D("25.00"), "3 × 100 × 1/12 months")


def test_overages_on_a_longer_frequency_and_the_methods_without_a_split() -> None:
    # The contract's example: a monthly price with yearly overages, billed at the year's end at 12 × the rate.
    price = seat_price(per_seat="10", included=5, frequency="MONTHLY", overages="YEARLY")
    s = schedule(("p-seats",))
    every = slots(s, {price.id: price}, date(2026, 12, 31))
    assert [slot.invoice_date for slot in every] == [date(2026, m, 1) for m in range(1, 13)] + [date(2026, 12, 31)]
    [overage] = every[-1].charges  # the contracted seats monthly in advance, the year's overages at its end
    assert overage.overages and (overage.start, overage.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert amounts(plan_invoice(s, every[0], {price.id: price}, seats={every[0].charges[0]: Seats(7)})) == [
        ("Seats", D("50.00"))]  # 5 × 10
    plan = plan_invoice(s, every[-1], {price.id: price}, seats={overage: Seats(7)})
    assert amounts(plan) == [("Seats", D("240.00"))]  # 2 × 10 × 12/1
    # CHARGE_OVERAGES: no contracted part, only the overage grid; CHARGE_FIXED has no overages: no split.
    only = seat_price("CHARGE_OVERAGES")
    assert all(c.overages for slot in slots(s, {only.id: only}, date(2026, 3, 31)) for c in slot.charges)
    fixed = seat_price("CHARGE_FIXED")
    assert [slot.invoice_date for slot in slots(s, {fixed.id: fixed}, date(2026, 3, 31))] == [date(2026, 1, 1)]
    same = seat_price(overages="YEARLY")  # the price's own frequency: nothing apart
    assert not any(c.overages for slot in slots(s, {same.id: same}, date(2026, 3, 31)) for c in slot.charges)


def test_a_phase_starting_mid_month_keeps_the_grid() -> None:
    # Phase 1 to 15 July: £500 in advance and £300 in arrears; phase 2 from 16 July: £800 in advance and the
    # same £300 in arrears. The grid stays on the 1st: July's in-arrears invoice (31 July) charges the £300
    # price once per phase, 300 × 15/31 = 145.16 and 300 × 16/31 = 154.84; the new in-advance price cannot be
    # charged before it applies, so its partial July (800 × 16/31 = 412.90) is dated 16 July, then the 1st.
    advance2 = PriceFacts("p-fixed2", "Platform fee (Premium)", "GBP", Fixed(D("800")), "MONTHLY", "IN_ADVANCE")
    prices = {**PRICES, advance2.id: advance2}
    one = PhaseView("ph1", date(2026, 1, 1), date(2026, 7, 15), ("p-fixed", "p-arrears"), (), ())
    two = PhaseView("ph2", date(2026, 7, 16), None, ("p-fixed2", "p-arrears"), (), ())
    s = replace(schedule(()), phases=(one, two))
    july = [slot for slot in slots(s, prices, date(2026, 8, 31)) if slot.invoice_date.month in (7, 8)]
    assert [slot.invoice_date for slot in july] == [date(2026, 7, 1), date(2026, 7, 16), date(2026, 7, 31),
                                                    date(2026, 8, 1), date(2026, 8, 31)]
    assert amounts(plan_invoice(s, july[0], prices)) == [("Fixed fee (15/31 days)", D("241.94"))]  # 500 × 15/31
    assert amounts(plan_invoice(s, july[1], prices)) == [("Fixed fee (16/31 days)", D("412.90"))]
    assert amounts(plan_invoice(s, july[2], prices)) == [("Fixed fee (15/31 days)", D("145.16")),
                                                         ("Fixed fee (16/31 days)", D("154.84"))]
    assert amounts(plan_invoice(s, july[3], prices)) == [("Fixed fee", D("800.00"))]
    assert plan_invoice(s, july[2], prices).period_start == date(2026, 7, 1)  # the invoice spans its charges


def test_a_nominal_discount_on_a_seat_price_with_separate_overages() -> None:
    # Taken once per period of the price, off the contracted seats (£1,200 − £100), never off the monthly
    # overages; a price billing only overages (CHARGE_OVERAGES) takes it off each overage period instead.
    price = seat_price()
    off = discount("100", "NOMINAL", prices=("p-seats",))
    s = schedule(("p-seats",), discounts=(off,))
    year, january = slots(s, {price.id: price}, date(2026, 1, 31))[:2]
    assert plan_invoice(s, year, {price.id: price}, seats={year.charges[0]: Seats(8)}).net_total == D("1100.00")
    assert plan_invoice(s, january, {price.id: price}, seats={january.charges[0]: Seats(25)}).net_total == D("150.00")
    only = seat_price("CHARGE_OVERAGES")
    [january] = slots(s, {only.id: only}, date(2026, 1, 31))
    assert plan_invoice(s, january, {only.id: only}, seats={january.charges[0]: Seats(25)}).net_total == D("50.00")
