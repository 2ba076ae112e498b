"""Billing periods (BEHAVIOUR.md §7.4 [INF]). Pure: dates in, periods out; no session, clock or I/O.

A schedule's periods sit on one grid of **anchors**: dates on ``recurrenceDayOfMonth`` (clamped to the
month's length: the 31st is the 28th/29th in February, the 30th in April), or on the start date's day
when the schedule has none. The first anchor is the first such date on or after the start date; a
price of ``N`` months (MONTHLY 1, QUARTERLY 3, YEARLY 12) has periods from anchor to the anchor ``N``
months later, each anchor computed from the first one's month (never chained: a clamp in February does
not move March's anchor). Before the first anchor, the start date opens a **partial first period**
``[start, first anchor − 1]``; an ``endDate`` inside a period closes a **partial last period** there
(``endDate`` inclusive). A partial period keeps the length of the full grid period it is part of
(``full_days``), and is prorated by ``days / full_days``.

All periods here are **inclusive** ``[start, end]``. ``ONE_TIME`` prices have one period: the first
monthly period (charged once, never prorated, docs/billing-engine.md).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

#: Months in one period of each recurring ``billingFrequency`` of the 2024-01-01 contract.
FREQUENCY_MONTHS: dict[str, int] = {"MONTHLY": 1, "QUARTERLY": 3, "YEARLY": 12}
ONE_TIME = "ONE_TIME"
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class BillingPeriod:
    """``[start, end]`` inclusive; ``full_days`` is the length of the full grid period it belongs to."""

    start: date
    end: date
    full_days: int
    index: int = 0  # 0 = the schedule's first period of this frequency

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def partial(self) -> bool:
        return self.days != self.full_days

    @property
    def first(self) -> bool:
        return self.index == 0


def month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def on_day(year: int, month: int, day: int) -> date:
    """``day`` of the month, clamped to its length."""
    return date(year, month, min(day, month_days(year, month)))


def first_anchor(start: date, recurrence_day: int | None) -> date:
    """The first anchor on or after ``start``."""
    day = recurrence_day if recurrence_day else start.day
    here = on_day(start.year, start.month, day)
    if here >= start:
        return here
    year, month = _shift(start.year, start.month, 1)
    return on_day(year, month, day)


def anchor(start: date, recurrence_day: int | None, months: int) -> date:
    """The anchor ``months`` after the first (negative: before it)."""
    first = first_anchor(start, recurrence_day)
    day = recurrence_day if recurrence_day else start.day
    year, month = _shift(first.year, first.month, months)
    return on_day(year, month, day)


def periods(start: date, end: date | None, frequency: str, *, recurrence_day: int | None = None,
            until: date | None = None) -> Iterator[BillingPeriod]:
    """The periods of a price of ``frequency`` on a schedule ``[start, end]`` (``end`` None: open-ended),
    in order; an open-ended schedule needs ``until`` (periods starting after it are not produced)."""
    if end is not None and end < start:
        return
    if end is None and until is None:
        raise ValueError("an open-ended schedule needs `until`")
    if recurrence_day is not None and not 1 <= recurrence_day <= 31:
        raise ValueError("recurrenceDayOfMonth is 1..31")
    if frequency == ONE_TIME:
        months = 1
    elif frequency in FREQUENCY_MONTHS:
        months = FREQUENCY_MONTHS[frequency]
    else:
        raise ValueError(f"unknown billingFrequency {frequency!r}")
    first = first_anchor(start, recurrence_day)
    index = 0
    if first > start:  # partial first period: part of the grid period ending at the first anchor
        full = (first - anchor(start, recurrence_day, -months)).days
        yield _clipped(start, first - ONE_DAY, full, end, index)
        index += 1
        if frequency == ONE_TIME:
            return
    k = 0
    while True:
        lo = anchor(start, recurrence_day, k * months)
        hi = anchor(start, recurrence_day, (k + 1) * months)
        if end is not None and lo > end:
            return
        if until is not None and lo > until:
            return
        yield _clipped(lo, hi - ONE_DAY, (hi - lo).days, end, index)
        if frequency == ONE_TIME:
            return
        index += 1
        k += 1


def _clipped(lo: date, hi: date, full: int, end: date | None, index: int) -> BillingPeriod:
    return BillingPeriod(lo, hi if end is None or hi <= end else end, full, index)


def overlap(period: BillingPeriod, start: date, end: date | None) -> tuple[date, date] | None:
    """The part of ``period`` inside ``[start, end]`` (a phase), or None."""
    lo = max(period.start, start)
    hi = period.end if end is None else min(period.end, end)
    return (lo, hi) if lo <= hi else None
