"""Pricing: ``(structure, usage or seats, period facts) → priced lines``. Pure: no session, clock or I/O.

Every line has a title, a quantity, a rate and an amount. Arithmetic is exact ``Decimal`` (100 digits of
precision, so no intermediate product is ever rounded); the only rounding is ``money.quantize`` (half-up
to the currency's minor units), applied **once per line**:

    amount = quantize(quantity × rate)                        # most lines
    amount = quantize(quantity × rate × days / full_days)     # prorated lines (``proration`` is set)

A price's total is the sum of its rounded line amounts (never re-rounded). Tier lines name their tier
(``tier`` is 1-based) and a tier's flat fee is a line of its own. The worked examples of BEHAVIOUR.md §6.2
are reproduced in tests/unit/test_pricing.py; the rules are in docs/pricing.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum

from quire.catalogue.enums import FREQUENCY_MONTHS
from quire.catalogue.structures import Fixed, Graduated, Linear, OneTime, Package, SeatBased, Structure, Tier, Volume
from quire.core.money import decimal_str, quantize

_EXACT = Context(prec=100, rounding=ROUND_HALF_UP)
ZERO = Decimal(0)
ONE = Decimal(1)


class PricingError(ValueError):
    """The facts given cannot be priced (missing usage, a seat change outside the period, a float...)."""


class LineKind(StrEnum):
    ONE_TIME = "ONE_TIME"
    FIXED = "FIXED"
    USAGE = "USAGE"
    PACKAGE = "PACKAGE"
    TIER = "TIER"
    TIER_FEE = "TIER_FEE"
    SEATS = "SEATS"


@dataclass(frozen=True)
class Proration:
    """``days`` of a full period of ``full_days``: the line is charged ``days / full_days`` of its rate."""

    days: int
    full_days: int


@dataclass(frozen=True)
class PricedLine:
    title: str
    quantity: Decimal
    rate: Decimal
    amount: Decimal
    kind: LineKind
    tier: int | None = None
    proration: Proration | None = None


@dataclass(frozen=True)
class Priced:
    currency: str
    lines: tuple[PricedLine, ...]

    @property
    def total(self) -> Decimal:
        return quantize(sum((line.amount for line in self.lines), ZERO), self.currency)


@dataclass(frozen=True)
class Usage:
    """The metric's value for the period. ``prior`` is the usage already billed earlier in the same
    calculation window (CUMULATIVE and PERIODIC graduated prices; 0 otherwise and ignored by others)."""

    quantity: Decimal
    prior: Decimal = ZERO


@dataclass(frozen=True)
class Period:
    """A billing period, half-open ``[start, end)``. ``full_days`` is the length of a full period of the
    price's frequency when this one is partial (first or last period of a schedule); ``None`` = full.
    ``first`` is whether it is the schedule's first billing period (ONE_TIME prices charge only then)."""

    start: date
    end: date
    full_days: int | None = None
    first: bool = True

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def full(self) -> int:
        return self.full_days if self.full_days is not None else self.days


@dataclass(frozen=True)
class SeatChange:
    on: date
    balance: int  # the seat balance from this day on


@dataclass(frozen=True)
class Seats:
    """Seat balance at the start of the period and the changes during it (any order)."""

    opening: int
    changes: tuple[SeatChange, ...] = field(default=())


# --- entry point ----------------------------------------------------------------------------------


def price(
    structure: Structure,
    *,
    currency: str,
    usage: Usage | None = None,
    seats: Seats | None = None,
    period: Period | None = None,
) -> Priced:
    """Price one structure for one period. Raises ``PricingError`` when a needed fact is missing."""
    with localcontext(_EXACT):
        lines = list(_lines(structure, currency, usage, seats, period))
    return Priced(currency=currency, lines=tuple(lines))


def _lines(structure: Structure, currency: str, usage: Usage | None, seats: Seats | None,
           period: Period | None) -> Iterator[PricedLine]:
    line = _Maker(currency)
    match structure:
        case OneTime():
            if period is None or period.first:
                yield line("One-time fee", ONE, _dec(structure.price), LineKind.ONE_TIME)
        case Fixed():
            proration = _partial(period)
            yield line(f"Fixed fee{_suffix(proration)}", ONE, _dec(structure.price), LineKind.FIXED, proration=proration)
        case Linear():
            quantity = _usage(usage).quantity
            title = f"Usage at {_percent(structure.price_per_unit)}" if structure.is_percentage else "Usage"
            yield line(title, quantity, _dec(structure.price_per_unit), LineKind.USAGE)
        case Package():
            yield _package(structure, _usage(usage).quantity, line)
        case Volume():
            yield from _volume(structure, _usage(usage).quantity, line)
        case Graduated():
            facts = _usage(usage)
            prior = facts.prior if structure.usage_calculation_mode != "BILLING_PERIOD" else ZERO
            yield from _graduated(structure.tiers, max(prior, ZERO), max(prior, ZERO) + max(facts.quantity, ZERO), line)
        case SeatBased():
            if seats is None:
                raise PricingError("a SEAT_BASED price needs the seat facts")
            yield from _seat_lines(structure, seats, period, line)


class _Maker:
    """Builds lines; the one place a line's amount is computed and rounded."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def __call__(self, title: str, quantity: Decimal, rate: Decimal, kind: LineKind, *, tier: int | None = None,
                 proration: Proration | None = None) -> PricedLine:
        exact = quantity * rate
        if proration is not None:
            exact = exact * proration.days / proration.full_days
        return PricedLine(title=title, quantity=quantity + 0, rate=rate + 0, amount=quantize(exact, self.currency),
                          kind=kind, tier=tier, proration=proration)


# --- usage models ---------------------------------------------------------------------------------


def _package(structure: Package, quantity: Decimal, line: _Maker) -> PricedLine:
    """ceil(usage / packageSize) packages; usage ≤ 0 buys no package."""
    packages = (max(quantity, ZERO) / _dec(structure.package_size)).to_integral_value(rounding=ROUND_CEILING)
    size = decimal_str(structure.package_size)
    return line(f"{decimal_str(packages)} × package of {size}", packages, _dec(structure.price_per_package), LineKind.PACKAGE)


def _bounds(tiers: tuple[Tier, ...]) -> Iterator[tuple[int, Tier, Decimal, Decimal | None]]:
    lower = ZERO
    for index, tier in enumerate(tiers, start=1):
        yield index, tier, lower, None if tier.upper_bound is None else _dec(tier.upper_bound)
        lower = tier.upper_bound if tier.upper_bound is not None else lower


def _tier_title(index: int, tier: Tier, lower: Decimal, upper: Decimal | None) -> str:
    if upper is None:
        span = f"over {decimal_str(lower)}"
    elif lower == 0:
        span = f"up to {decimal_str(upper)}"
    else:
        span = f"{decimal_str(lower)}–{decimal_str(upper)}"
    rate = f" at {_percent(tier.price)}" if tier.is_percentage else ""
    return f"Tier {index} ({span}){rate}"


def _volume(structure: Volume, quantity: Decimal, line: _Maker) -> Iterator[PricedLine]:
    """All usage at the rate of the tier it falls in (upper bounds inclusive), plus that tier's fee.
    Zero usage: a zero line for tier 1 and no fee."""
    used = max(quantity, ZERO)
    for index, tier, lower, upper in _bounds(structure.tiers):
        if upper is None or used <= upper:
            yield line(_tier_title(index, tier, lower, upper), used, _dec(tier.price), LineKind.TIER, tier=index)
            if used > 0 and tier.fee:
                yield line(f"Tier {index} flat fee", ONE, _dec(tier.fee), LineKind.TIER_FEE, tier=index)
            return
    raise PricingError(f"usage {decimal_str(used)} is above the last tier's upper bound")


def _graduated(tiers: tuple[Tier, ...], start: Decimal, end: Decimal, line: _Maker, *, prefix: str = "",
               kind: LineKind = LineKind.TIER, proration: Proration | None = None, fees: set[int] | None = None,
               charge_fees: bool = True, zero_line: bool = True) -> Iterator[PricedLine]:
    """Units in ``(start, end]`` band by band, each at its tier's rate (upper bounds inclusive).

    A tier's flat fee is charged when the running total enters the tier in this range (``start <= lower <
    end``); ``fees`` remembers the tiers already charged across several ranges of one period (seats).
    With nothing in range and ``zero_line``: a zero line for tier 1, so the charge still shows.
    """
    emitted = False
    for index, tier, lower, upper in _bounds(tiers):
        top = end if upper is None else min(end, upper)
        units = top - max(start, lower)
        if units <= 0:
            continue
        emitted = True
        yield line(prefix + _tier_title(index, tier, lower, upper), units, _dec(tier.price), kind, tier=index,
                   proration=proration)
        if charge_fees and tier.fee and start <= lower and (fees is None or index not in fees):
            if fees is not None:
                fees.add(index)
            yield line(f"{prefix}Tier {index} flat fee", ONE, _dec(tier.fee), LineKind.TIER_FEE, tier=index)
    last = tiers[-1].upper_bound if tiers else None
    if last is not None and end > last:
        raise PricingError(f"usage {decimal_str(end)} is above the last tier's upper bound {decimal_str(last)}")
    if not emitted and zero_line and tiers:
        first = tiers[0]
        yield line(prefix + _tier_title(1, first, ZERO, first.upper_bound), ZERO, _dec(first.price), kind, tier=1,
                   proration=proration)


# --- seats ----------------------------------------------------------------------------------------


def _billable(structure: SeatBased) -> Callable[[int], int]:
    included = structure.included_seats
    match structure.charge_method:
        case "CHARGE_FIXED":
            return lambda _n: included
        case "CHARGE_OVERAGES":
            return lambda n: max(0, n - included)
        case "CHARGE_MINIMUM":
            return lambda n: max(included, n)
        case _:  # CHARGE_CONSUMED
            return lambda n: n


def _seat_lines(structure: SeatBased, seats: Seats, period: Period | None, line: _Maker) -> Iterator[PricedLine]:
    """Seats billed for the period under the price's charge method and proration strategy.

    USE_FIRST: the opening balance. USE_MAXIMUM: the highest balance of the period, no proration.
    PRORATE_INCREMENTS: the opening balance, plus each rise above the highest balance so far charged
    from its day to the period end. PRORATE_ALL_CHANGES: the opening balance, plus every change (rises
    and falls, the latter as credits) from its day to the period end.
    """
    changes = _checked_changes(seats, period)
    billable = _billable(structure)
    base = _partial(period)
    fees: set[int] = set()
    strategy = structure.proration_strategy
    if structure.charge_method == "CHARGE_FIXED" or strategy == "USE_FIRST":
        yield from _seat_range(structure, 0, billable(seats.opening), line, base, fees, "Seats")
        return
    if strategy == "USE_MAXIMUM":
        highest = max([seats.opening, *(c.balance for c in changes)])
        yield from _seat_range(structure, 0, billable(highest), line, base, fees, "Seats")
        return
    opening = billable(seats.opening)
    produced = False
    if opening > 0 or not changes:
        produced = True
        yield from _seat_range(structure, 0, opening, line, base, fees, "Seats")
    reference = seats.opening
    for change in changes:
        if strategy == "PRORATE_INCREMENTS" and change.balance <= reference:
            continue
        lo, hi = billable(reference), billable(change.balance)
        reference = change.balance
        if lo == hi:
            continue
        assert period is not None  # _checked_changes requires it when there are changes
        proration = Proration((period.end - change.on).days, period.full)
        verb = "added" if hi > lo else "removed"
        label = f"Seats {verb} on {change.on.isoformat()} ({proration.days}/{proration.full_days} days)"
        produced = True
        yield from _seat_range(structure, lo, hi, line, proration, fees, label)
    if not produced:
        yield from _seat_range(structure, 0, 0, line, None, fees, "Seats")


def _seat_range(structure: SeatBased, lo: int, hi: int, line: _Maker, proration: Proration | None, fees: set[int],
                label: str) -> Iterator[PricedLine]:
    """Seats from ``lo`` to ``hi`` billable seats; ``hi < lo`` is a credit (negative quantity, no fees)."""
    credit = hi < lo
    start, end = Decimal(min(lo, hi)), Decimal(max(lo, hi))
    if not structure.tiers:
        quantity = start - end if credit else end - start
        yield line(label, quantity, _dec(structure.price_per_seat), LineKind.SEATS, proration=proration)
        return
    for tier_line in _graduated(structure.tiers, start, end, line, prefix=f"{label} – ", kind=LineKind.SEATS,
                                proration=proration, fees=fees, charge_fees=not credit):
        if credit:
            tier_line = line(tier_line.title, -tier_line.quantity, tier_line.rate, tier_line.kind,
                             tier=tier_line.tier, proration=tier_line.proration)
        yield tier_line


def _checked_changes(seats: Seats, period: Period | None) -> list[SeatChange]:
    if seats.opening < 0 or any(c.balance < 0 for c in seats.changes):
        raise PricingError("seat balances cannot be negative")
    if not seats.changes:
        return []
    if period is None:
        raise PricingError("seat changes need the billing period")
    for change in seats.changes:
        if not period.start <= change.on < period.end:
            raise PricingError(f"seat change on {change.on} is outside the period [{period.start}, {period.end})")
    return sorted(seats.changes, key=lambda c: c.on)


# --- calculation windows (CUMULATIVE and PERIODIC graduated prices) ---------------------------------


def usage_window(mode: str, *, period: Period, schedule_start: date, frequency: str | None = None,
                 interval: int | None = None) -> tuple[date, date]:
    """``[window_start, period.end)``: the usage the tiers see at the end of ``period``.

    ``Usage.prior`` is then the usage in ``[window_start, period.start)`` and ``Usage.quantity`` the usage
    in the period. BILLING_PERIOD: the period itself (prior 0). CUMULATIVE: since the schedule started.
    PERIODIC: since the start of the current window of ``interval`` × ``frequency`` (MONTHLY, QUARTERLY,
    YEARLY) counted from the schedule start, after which usage restarts at 0.
    """
    if mode == "BILLING_PERIOD":
        return period.start, period.end
    if mode == "CUMULATIVE":
        return min(schedule_start, period.start), period.end
    if mode != "PERIODIC" or frequency not in FREQUENCY_MONTHS or not interval or interval < 1:
        raise PricingError("PERIODIC usage needs usageCalculationPeriod {frequency, interval >= 1}")
    step = FREQUENCY_MONTHS[frequency] * interval
    windows = 0
    while add_months(schedule_start, (windows + 1) * step) <= period.start:
        windows += 1
    return add_months(schedule_start, windows * step), period.end


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _month_days(year, month)))


def _month_days(year: int, month: int) -> int:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (nxt - date(year, month, 1)).days


# --- helpers --------------------------------------------------------------------------------------


def _partial(period: Period | None) -> Proration | None:
    if period is None or period.full_days is None or period.days == period.full_days:
        return None
    if period.days <= 0 or period.full_days <= 0:
        raise PricingError("a period must last at least one day")
    return Proration(period.days, period.full_days)


def _suffix(proration: Proration | None) -> str:
    return f" ({proration.days}/{proration.full_days} days)" if proration else ""


def _usage(usage: Usage | None) -> Usage:
    if usage is None:
        raise PricingError("a usage-based price needs the usage")
    _dec(usage.quantity)
    _dec(usage.prior)
    return usage


def _dec(value: Decimal) -> Decimal:
    """Refuse floats (and anything else that is not a finite Decimal) at the door."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PricingError(f"expected a finite Decimal, got {type(value).__name__} {value!r}")
    return value


def _percent(fraction: Decimal) -> str:
    return f"{decimal_str(fraction * 100)}%"
