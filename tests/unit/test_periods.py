"""Billing periods (quire.billing.periods): anchors, clamping, partial first/last periods, tiling."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from quire.billing.periods import BillingPeriod, anchor, first_anchor, periods
from quire.billing.plan import prorate

FREQUENCIES = ("MONTHLY", "QUARTERLY", "YEARLY")


def test_monthly_on_start_day_has_no_partial_period() -> None:
    got = list(periods(date(2026, 1, 1), date(2026, 3, 31), "MONTHLY"))
    assert [(p.start, p.end, p.partial) for p in got] == [
        (date(2026, 1, 1), date(2026, 1, 31), False),
        (date(2026, 2, 1), date(2026, 2, 28), False),
        (date(2026, 3, 1), date(2026, 3, 31), False),
    ]


def test_partial_first_period_up_to_the_recurrence_day() -> None:
    got = list(periods(date(2026, 4, 16), date(2026, 6, 30), "MONTHLY", recurrence_day=1))
    assert got[0] == BillingPeriod(date(2026, 4, 16), date(2026, 4, 30), 30, 0)
    assert got[0].days == 15 and got[0].partial
    assert got[1] == BillingPeriod(date(2026, 5, 1), date(2026, 5, 31), 31, 1)


def test_partial_last_period_ends_at_end_date_inclusive() -> None:
    got = list(periods(date(2026, 1, 1), date(2026, 2, 14), "MONTHLY"))
    assert got[-1] == BillingPeriod(date(2026, 2, 1), date(2026, 2, 14), 28, 1)


def test_clamped_31st_anchor_in_february_and_back_to_31_in_march() -> None:
    got = list(periods(date(2026, 1, 31), date(2026, 5, 30), "MONTHLY", recurrence_day=31))
    assert [(p.start, p.end) for p in got] == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 30)),
        (date(2026, 3, 31), date(2026, 4, 29)),
        (date(2026, 4, 30), date(2026, 5, 30)),
    ]
    assert anchor(date(2028, 1, 31), 31, 1) == date(2028, 2, 29)  # leap year


def test_quarterly_starting_mid_quarter() -> None:
    got = list(periods(date(2026, 2, 15), date(2026, 12, 31), "QUARTERLY", recurrence_day=1))
    # Stub up to the first anchor (1 March), prorated over the quarter Dec–Feb (90 days).
    assert got[0] == BillingPeriod(date(2026, 2, 15), date(2026, 2, 28), 90, 0)
    assert (got[1].start, got[1].end) == (date(2026, 3, 1), date(2026, 5, 31))
    assert (got[-1].start, got[-1].end, got[-1].partial) == (date(2026, 12, 1), date(2026, 12, 31), True)


def test_open_ended_stops_at_until() -> None:
    got = list(periods(date(2026, 1, 1), None, "MONTHLY", until=date(2026, 3, 5)))
    assert [p.start for p in got] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


def test_one_time_has_one_period() -> None:
    assert len(list(periods(date(2026, 1, 10), None, "ONE_TIME", until=date(2030, 1, 1)))) == 1


def test_proration_docs_example() -> None:
    # BEHAVIOUR.md §7.4: £500 monthly over 15 of 30 days = £250.
    assert prorate(Decimal("500"), 15, 30, "GBP") == Decimal("250.00")


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@given(start=days, length=st.integers(0, 1500), freq=st.sampled_from(FREQUENCIES),
       day=st.one_of(st.none(), st.integers(1, 31)))
def test_periods_tile_start_to_end(start: date, length: int, freq: str, day: int | None) -> None:
    end = start + timedelta(days=length)
    got = list(periods(start, end, freq, recurrence_day=day))
    assert got[0].start == start and got[-1].end == end
    for a, b in zip(got, got[1:]):
        assert b.start == a.end + timedelta(days=1)  # no gap, no overlap
    for p in got:
        assert 1 <= p.days <= p.full_days
        assert p.start <= p.end
    assert all(not p.partial for p in got[1:-1])
    assert [p.index for p in got] == list(range(len(got)))


@given(start=days, day=st.integers(1, 31), k=st.integers(0, 40))
def test_anchors_clamp_to_month_length(start: date, day: int, k: int) -> None:
    a = anchor(start, day, k)
    import calendar
    assert a.day == min(day, calendar.monthrange(a.year, a.month)[1])
    assert first_anchor(start, day) >= start


@given(price=st.decimals(min_value=0, max_value=10**9, places=2), full=st.integers(28, 366),
       cut=st.integers(1, 365))
def test_proration_of_the_two_parts_sums_to_the_price(price: Decimal, full: int, cut: int) -> None:
    cut = min(cut, full)
    assert prorate(price, full, full, "GBP") == price
    first, second = prorate(price, cut, full, "GBP"), prorate(price, full - cut, full, "GBP")
    assert abs(first + second - price) <= Decimal("0.01")  # each part rounded once, half-up
