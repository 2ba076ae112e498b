"""What a schedule invoices, and when (BEHAVIOUR.md §7.4-7.5). Pure: no session, clock or I/O.

Two steps, so the engine loads only what a due invoice needs:

1. ``charges(schedule, prices, until)``: every (price, period piece) of the schedule's phases, with its
   invoice date (IN_ADVANCE: the piece's first day; IN_ARREARS and every usage price: the period's last
   day), grouped by invoice date into ``Slot``s: one invoice per (schedule, invoice date), so prices of
   different frequencies falling on the same date share one invoice. A seat price with another
   ``overagesBillingFrequency`` has two grids: its contracted seats on its own, the seats above them in
   arrears on the overage frequency (``Charge.overages``, priced at that period's share of the rate).
2. ``plan_invoice(schedule, slot, prices, usage=..., seats=..., taxed=...)``: the invoice's groups and
   lines: a group per price titled with the price's name holding its priced lines
   (``catalogue.pricing``, all seven structures), discounts (percentage of the prorated amount, nominal
   in full, valid when their ``validFrom``/``validTo`` range meets the piece; inside the group, or an
   ungrouped line with ``separateLineItem``), minimums as an ungrouped true-up line, and the tax rate
   id of ``taxRates[priceId]`` unless the customer is not TAXED.

Schedules are read through duck-typed views (``quire.schedules.read.ScheduleView`` and friends).
Rules and decisions: docs/billing-engine.md.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from quire.billing.periods import FREQUENCY_MONTHS, ONE_TIME, BillingPeriod, overlap, periods
from quire.catalogue import pricing
from quire.catalogue.structures import FIXED_FEE_TYPES, Flavour, Graduated, Linear, SeatBased, Structure, parse_structure
from quire.core.money import decimal_str, quantize

_EXACT = Context(prec=100, rounding=ROUND_HALF_UP)
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
IN_ADVANCE = "IN_ADVANCE"
TRUE_UP_TITLE = "Minimum commitment true-up"


def prorate(amount: Decimal, days: int, full_days: int, currency: str) -> Decimal:
    """``amount × days / full_days``, rounded once (half-up, the currency's minor units)."""
    with localcontext(_EXACT):
        return quantize(amount * days / full_days, currency)


# --- prices as the engine sees them ---------------------------------------------------------------


@dataclass(frozen=True)
class PriceFacts:
    id: str
    name: str
    currency: str
    structure: Structure
    billing_frequency: str
    billing_type: str
    usage_calculation_period: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, row: Any) -> PriceFacts:
        """From a ``catalogue.models.Price`` row."""
        return cls(id=row.id, name=row.name, currency=row.currency,
                   structure=parse_structure(row.structure, Flavour.PRICE), billing_frequency=row.billing_frequency,
                   billing_type=row.billing_type, usage_calculation_period=row.usage_calculation_period)

    @property
    def usage_based(self) -> bool:
        return self.structure.pricing_type not in FIXED_FEE_TYPES

    @property
    def metric_id(self) -> str | None:
        return getattr(self.structure, "usage_metric_id", None) or None

    @property
    def seat_type_id(self) -> str | None:
        return self.structure.seat_ref if isinstance(self.structure, SeatBased) else None

    @property
    def in_advance(self) -> bool:
        """Only fixed fees are charged in advance (usage is known at the period's end, §6.2)."""
        return self.billing_type == IN_ADVANCE and not self.usage_based

    @property
    def overages_frequency(self) -> str | None:
        """The frequency of a seat price's separate overage charges (``overagesBillingFrequency``), when
        they are billed apart from the contracted seats: a recurring price whose overages recur on another
        frequency and whose charge method has both parts (CHARGE_FIXED has no overages). None otherwise."""
        structure = self.structure
        if not isinstance(structure, SeatBased) or structure.overages_billing_frequency is None:
            return None
        frequency = structure.overages_billing_frequency
        if (frequency == self.billing_frequency or frequency not in FREQUENCY_MONTHS
                or self.billing_frequency not in FREQUENCY_MONTHS or structure.charge_method == "CHARGE_FIXED"):
            return None
        return frequency

    @property
    def charged_in_advance(self) -> bool:
        """Whether any charge of the price is in advance (a seat price billing only its overages has none)."""
        return self.in_advance and (self.overages_frequency is None or self.bills_contracted_seats)

    @property
    def bills_contracted_seats(self) -> bool:
        """With separate overages, whether the price's own periods still bill the contracted seats
        (``includedSeats`` as CHARGE_FIXED): not under CHARGE_OVERAGES, nor with no seats included."""
        structure = self.structure
        return isinstance(structure, SeatBased) and structure.charge_method != "CHARGE_OVERAGES" and structure.included_seats > 0


# --- step 1: charges and invoice dates ------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Charge:
    """One price over ``[start, end]`` (inclusive), the part of grid ``period`` inside its phase."""

    invoice_date: date
    price_id: str
    phase_id: str
    start: date
    end: date
    period: BillingPeriod
    in_advance: bool
    one_time: bool = False
    overages: bool = False  # a seat price's overage charge, on its ``overagesBillingFrequency`` grid

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Slot:
    """The charges of one invoice: one schedule, one invoice date."""

    invoice_date: date
    charges: tuple[Charge, ...]

    @property
    def period_start(self) -> date:
        return min(c.start for c in self.charges)

    @property
    def period_end(self) -> date:
        return max(c.end for c in self.charges)

    @property
    def in_arrears(self) -> bool:
        return any(not c.in_advance for c in self.charges)

    def final(self, as_of: date) -> bool:
        """No charge can change any more: in-arrears periods have ended (``as_of`` is past them)."""
        return as_of > self.invoice_date if self.in_arrears else as_of >= self.invoice_date

    def due(self, as_of: date) -> bool:
        """Invoiced by a run as of ``as_of``: final, or running (an in-arrears period that has started:
        its invoice is IN_PROGRESS until the period ends)."""
        return self.final(as_of) or any(not c.in_advance and c.period.start <= as_of for c in self.charges)


def _phase_bounds(schedule: Any, phase: Any) -> tuple[date, date | None]:
    start = max(phase.start_date, schedule.start_date)
    ends = [d for d in (phase.end_date, schedule.end_date) if d is not None]
    return start, (min(ends) if ends else None)


def charges(schedule: Any, prices: Mapping[str, PriceFacts], until: date) -> list[Charge]:
    """Every charge of the schedule whose grid period starts on or before ``until`` (open-ended
    schedules stop there), in invoice-date order."""
    out: list[Charge] = []
    order: dict[tuple[str, str], int] = {}
    for phase in schedule.phases:
        lo, hi = _phase_bounds(schedule, phase)
        if hi is not None and hi < lo:
            continue
        for price_id in phase.price_ids:
            order[(phase.id, price_id)] = len(order)
            price = prices[price_id]
            one_time = price.billing_frequency == ONE_TIME
            frequency = "MONTHLY" if one_time else price.billing_frequency
            overages = price.overages_frequency
            grids = []
            if overages is None or price.bills_contracted_seats:
                grids.append((frequency, price.in_advance, False))
            if overages is not None:  # overages are known at the end of their period: always in arrears
                grids.append((overages, False, True))
            for grid, in_advance, is_overage in grids:
                for period in periods(schedule.start_date, schedule.end_date, grid,
                                      recurrence_day=schedule.recurrence_day_of_month, until=until):
                    if hi is not None and period.start > hi:
                        break
                    piece = overlap(period, lo, hi)
                    if piece is None:
                        continue
                    start, end = piece
                    invoice_date = start if in_advance else period.end
                    out.append(Charge(invoice_date, price_id, phase.id, start, end, period, in_advance, one_time,
                                      is_overage))
                    if one_time:
                        break
    # By date, then in the schedule's own order of phases and prices (the invoice's group order).
    return sorted(out, key=lambda c: (c.invoice_date, order[(c.phase_id, c.price_id)], c.overages, c.start))


def slots(schedule: Any, prices: Mapping[str, PriceFacts], until: date) -> list[Slot]:
    by_date: dict[date, list[Charge]] = defaultdict(list)
    for charge in charges(schedule, prices, until):
        by_date[charge.invoice_date].append(charge)
    return [Slot(day, tuple(by_date[day])) for day in sorted(by_date)]


def due_slots(schedule: Any, prices: Mapping[str, PriceFacts], as_of: date) -> list[Slot]:
    return [s for s in slots(schedule, prices, as_of) if s.due(as_of)]


def last_invoice_date(schedule: Any, prices: Mapping[str, PriceFacts]) -> date | None:
    """The invoice date of a closed schedule's last invoice (None: open-ended)."""
    if schedule.end_date is None:
        return None
    every = slots(schedule, prices, schedule.end_date)
    return every[-1].invoice_date if every else None


def usage_ranges(schedule: Any, charge: Charge, price: PriceFacts) -> tuple[tuple[date, date] | None, tuple[date, date]]:
    """The usage the engine measures for a usage charge, as half-open date ranges ``[a, b)``: the
    calculation window's earlier part (``Usage.prior``; None when the price's mode has none) and the
    charge's own days."""
    own = (charge.start, charge.end + timedelta(days=1))
    structure = price.structure
    if not isinstance(structure, Graduated) or structure.usage_calculation_mode == "BILLING_PERIOD":
        return None, own
    ucp = price.usage_calculation_period or {}
    window_start, _ = pricing.usage_window(
        structure.usage_calculation_mode, period=pricing.Period(own[0], own[1]), schedule_start=schedule.start_date,
        frequency=ucp.get("frequency"), interval=ucp.get("interval"))
    return ((window_start, own[0]) if window_start < own[0] else None), own


# --- step 2: the invoice's lines ------------------------------------------------------------------


@dataclass(frozen=True)
class LinePlan:
    title: str
    quantity: Decimal
    rate: Decimal
    price_id: str | None = None
    tax_rate_id: str | None = None
    service_start: date | None = None
    service_end: date | None = None
    description: str | None = None

    def amount(self, currency: str) -> Decimal:
        with localcontext(_EXACT):
            return quantize(self.quantity * self.rate, currency)


@dataclass(frozen=True)
class GroupPlan:
    title: str
    price_id: str | None
    lines: tuple[LinePlan, ...]


@dataclass(frozen=True)
class InvoicePlan:
    invoice_date: date
    period_start: date
    period_end: date
    currency: str
    groups: tuple[GroupPlan, ...]
    lines: tuple[LinePlan, ...] = field(default=())  # ungrouped, after the groups

    def all_lines(self) -> Iterable[LinePlan]:
        for group in self.groups:
            yield from group.lines
        yield from self.lines

    @property
    def net_total(self) -> Decimal:
        return sum((line.amount(self.currency) for line in self.all_lines()), ZERO)

    def fingerprint(self) -> str:
        """Stable digest of everything written: an unchanged plan is not rewritten."""
        return hashlib.sha256(repr(self).encode()).hexdigest()


def _valid(discount: Any, start: date, end: date) -> bool:
    return (discount.valid_from is None or discount.valid_from <= end) and (discount.valid_to is None or discount.valid_to >= start)


def _applies(discount: Any, price_id: str) -> bool:
    return not discount.price_ids or price_id in discount.price_ids


def plan_invoice(schedule: Any, slot: Slot, prices: Mapping[str, PriceFacts], *,
                 usage: Mapping[Charge, pricing.Usage] | None = None,
                 seats: Mapping[Charge, pricing.Seats] | None = None, taxed: bool = True,
                 usage_groups: Mapping[Charge, tuple[tuple[str | None, Decimal], ...]] | None = None) -> InvoicePlan:
    """The groups and lines of ``slot``'s invoice. ``usage`` and ``seats`` hold the facts of the slot's
    usage and seat charges (``pricing.PricingError`` when one is missing). ``usage_groups``: a GROUPED
    metric's value per group, for a LINEAR price's line per group (BEHAVIOUR.md §8.2)."""
    usage = usage or {}
    seats = seats or {}
    phases = {p.id: p for p in schedule.phases}
    currency = prices[slot.charges[0].price_id].currency

    def tax(price_id: str) -> str | None:
        return schedule.tax_rates.get(price_id) if taxed else None

    groups: list[GroupPlan] = []
    extra: list[LinePlan] = []
    net_by_charge: dict[Charge, Decimal] = {}
    with localcontext(_EXACT):
        for charge in slot.charges:
            price = prices[charge.price_id]
            period = pricing.Period(charge.start, charge.end + timedelta(days=1),
                                    full_days=None if charge.one_time else charge.period.full_days,
                                    first=charge.one_time or charge.period.first)
            structure, share = _structure_of(price, charge)
            priced = pricing.price(structure, currency=currency, usage=usage.get(charge),
                                   seats=seats.get(charge), period=period)
            if share is None:
                lines = [_line(p, charge, tax(charge.price_id), currency) for p in priced.lines]
            else:
                lines = [_overage_line(p, share, charge, tax(charge.price_id), currency) for p in priced.lines]
            if isinstance(price.structure, Linear) and usage_groups and usage_groups.get(charge):
                [whole] = lines  # a linear price has one usage line: one per group instead, same rate
                lines = [replace(whole, title=f"{whole.title} – {group if group is not None else '(none)'}", quantity=value)
                         for group, value in usage_groups[charge]]
            net = sum((line.amount(currency) for line in lines), ZERO)
            phase = phases[charge.phase_id]
            for discount in phase.discounts:
                if not _applies(discount, charge.price_id) or not _valid(discount, charge.start, charge.end):
                    continue
                if discount.calculation_type == "PERCENTAGE":
                    off = quantize(net * discount.amount / HUNDRED, currency)
                    title = discount.message or f"Discount ({decimal_str(discount.amount)}%)"
                else:  # NOMINAL: in full, once per period: on the first price it covers on the period's first invoice
                    if any(_applies(discount, c.price_id) for c in net_by_charge if c.phase_id == charge.phase_id):
                        continue
                    if not charge.in_advance and any(prices[p].charged_in_advance for p in phase.price_ids
                                                     if _applies(discount, p)):
                        continue  # taken off the period's in-advance invoice already
                    if charge.overages and price.bills_contracted_seats:
                        continue  # taken off the contracted seats' charge, once per period of the price
                    off = quantize(discount.amount, currency)
                    title = discount.message or "Discount"
                off = min(off, max(net, ZERO))  # a discount never makes a price negative
                if off <= 0:
                    continue
                line = LinePlan(title, ONE, -off, charge.price_id, tax(charge.price_id), charge.start, charge.end)
                (extra if discount.separate_line_item else lines).append(line)
                net -= off
            net_by_charge[charge] = net
            groups.append(GroupPlan(f"{price.name} – overages" if charge.overages else price.name, charge.price_id,
                                    tuple(lines)))
        extra.extend(_true_ups(slot, phases, prices, net_by_charge, currency, tax))
    return InvoicePlan(slot.invoice_date, slot.period_start, slot.period_end, currency, tuple(groups), tuple(extra))


def _structure_of(price: PriceFacts, charge: Charge) -> tuple[Structure, tuple[int, int] | None]:
    """The structure a charge is priced with, and for an overage charge the share of the price's
    period its own period is (``(overage months, price months)``: ``pricePerSeat`` is per full
    billing period of the price). With separate overages, the price's periods bill the contracted
    seats only (CHARGE_FIXED) and the overage periods the seats above them (CHARGE_OVERAGES)."""
    structure = price.structure
    if price.overages_frequency is None or not isinstance(structure, SeatBased):
        return structure, None
    if not charge.overages:
        return replace(structure, charge_method="CHARGE_FIXED"), None
    share = (FREQUENCY_MONTHS[price.overages_frequency], FREQUENCY_MONTHS[price.billing_frequency])
    return replace(structure, charge_method="CHARGE_OVERAGES"), share


_RATE_DIGITS = Decimal("1e-10")  # a line's rate has at most 10 decimal digits


def _overage_line(p: pricing.PricedLine, share: tuple[int, int], charge: Charge, tax_rate_id: str | None,
                  currency: str) -> LinePlan:
    """An overage line at ``share`` of the price's rate, rounded once: ``quantity × rate × months/months``
    (× days/days when prorated). Written as quantity × the shared rate when that rate is exact, else as
    1 × the amount with a description saying how (as a prorated line)."""
    months, of = share
    rate = p.rate * months / of
    if p.proration is None and rate == rate.quantize(_RATE_DIGITS):
        return LinePlan(p.title, p.quantity, rate, charge.price_id, tax_rate_id, charge.start, charge.end)
    exact = p.quantity * p.rate * months / of
    how = f"{decimal_str(p.quantity)} × {decimal_str(p.rate)} × {months}/{of} months"
    if p.proration is not None:
        exact = exact * p.proration.days / p.proration.full_days
        how += f" × {p.proration.days}/{p.proration.full_days} days"
    return LinePlan(p.title, ONE, quantize(exact, currency), charge.price_id, tax_rate_id, charge.start, charge.end,
                    description=how)


def _line(p: pricing.PricedLine, charge: Charge, tax_rate_id: str | None, currency: str) -> LinePlan:
    if p.proration is None:
        return LinePlan(p.title, p.quantity, p.rate, charge.price_id, tax_rate_id, charge.start, charge.end)
    # A prorated amount is not quantity × rate exactly: the line carries it as 1 × amount, and says how.
    how = f"{decimal_str(p.quantity)} × {decimal_str(p.rate)} × {p.proration.days}/{p.proration.full_days} days"
    return LinePlan(p.title, ONE, p.amount, charge.price_id, tax_rate_id, charge.start, charge.end, description=how)


def _true_ups(slot: Slot, phases: Mapping[str, Any], prices: Mapping[str, PriceFacts],
              net_by_charge: Mapping[Charge, Decimal], currency: str, tax: Any) -> Iterable[LinePlan]:
    """Per phase minimum: when the net of the in-arrears charges of the prices it covers (after their
    discounts) is below it, a true-up line for the difference. It covers ``restrictToPrices``, else every
    usage price of the phase; prorated like the first covered charge's period."""
    for phase_id in sorted({c.phase_id for c in slot.charges}):
        phase = phases[phase_id]
        for minimum in phase.minimums:
            covered_ids = set(minimum.restrict_to_prices) or {p for p in phase.price_ids if prices[p].usage_based}
            # In-advance charges are invoiced before the period's usage is known: the minimum is settled on
            # the in-arrears invoice of the period, by the in-arrears charges it covers.
            covered = [c for c in slot.charges if c.phase_id == phase_id and c.price_id in covered_ids and not c.in_advance]
            if not covered:
                continue
            first = covered[0]
            floor = prorate(minimum.amount, first.days, first.period.full_days, currency)
            short = floor - sum((net_by_charge[c] for c in covered), ZERO)
            if short > 0:
                yield LinePlan(TRUE_UP_TITLE, ONE, short, None, tax(first.price_id), first.start, first.end,
                               description=f"Minimum {decimal_str(quantize(minimum.amount, currency))}")
