"""Which credits an invoice draws, and how much of each: a pure plan (no database), docs/credits.md.

``plan_drawdown(grants, charges, currency=..., on_date=...)`` takes a customer's grants with their
current balances and an invoice's lines, and answers the credit lines to add (``Draw``), in order:

1. **Metric credits first**: each METRIC grant offsets the lines of its usage metric, in units, valued
   at the line's own unit price (a credit line of ``-units × rate``), lines in their order (the first
   units used: the first tiers of a graduated price). Lines with no positive quantity or rate are not
   drawn on (credits are not spent on free units).
2. **Then cash credits** (CURRENCY grants in the invoice's currency) against what remains of the net,
   per tax rate (a credit line per tax rate it offsets, so the tax falls with the net it is due on).

Grants are taken soonest-expiring first, grants without an expiry date last, then the oldest first
(then by id). Only grants effective on ``on_date`` (``effective`` ≤ on_date ≤ ``expiry``, both
inclusive) with a positive balance are drawn. A draw never takes more than a grant's balance, and never
makes the invoice's net, tax or gross, overall or for one tax rate, negative: it is cut down (to the
unit's 10 decimal places, or the currency's minor unit) until it fits, or left out. A draw cut short by
the room left (tax is rounded per line, so a credit can fit where a larger one does not) closes that line
(metric) or tax rate (cash) to later grants: a later grant is drawn only when the earlier ones are spent
or could take nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Context, Decimal, localcontext

from quire.billing_documents.calculation import Totals, line_totals
from quire.core.money import minor_units

CURRENCY = "CURRENCY"
METRIC = "METRIC"
_ZERO = Decimal(0)
#: Units of a metric credit are drawn to at most this many decimal places (a line's quantity has 10).
UNIT = Decimal("1e-10")


@dataclass(frozen=True)
class GrantView:
    """A grant as the planner sees it: ``balance`` is its current balance (amount − debits + restores)."""

    id: str
    name: str
    unit_type: str  # CURRENCY or METRIC
    currency: str
    metric_id: str | None
    balance: Decimal
    effective_date: date  # the first day it can be drawn (effectiveDate, else the day it was granted)
    expiry_date: date | None  # the last day it can be drawn
    created_at: datetime

    def usable_on(self, day: date) -> bool:
        return self.balance > 0 and self.effective_date <= day and (self.expiry_date is None or day <= self.expiry_date)


@dataclass(frozen=True)
class Charge:
    """A line of the invoice: its quantity, rate, tax rate and stored totals; the metric of its price."""

    line_id: str
    quantity: Decimal
    rate: Decimal
    tax_rate: Decimal
    net: Decimal
    tax: Decimal
    metric_id: str | None = None


@dataclass(frozen=True)
class Draw:
    """One credit line: ``amount`` is what the grant loses (units or money); the line is ``quantity`` ×
    ``rate`` (negative) at ``tax_rate``, worth ``totals`` (negative net, tax, gross)."""

    grant_id: str
    title: str
    amount: Decimal
    quantity: Decimal
    rate: Decimal
    tax_rate: Decimal
    totals: Totals
    line_id: str | None = None  # the charge a metric credit was drawn against


def draw_order(grant: GrantView) -> tuple[bool, date, datetime, str]:
    """Soonest expiry first; no expiry last; then the oldest grant; then the id."""
    return (grant.expiry_date is None, grant.expiry_date or date.max, grant.created_at, grant.id)


class _Room:
    """What the invoice can still be credited: net and tax per tax rate, and overall."""

    def __init__(self, charges: Sequence[Charge]) -> None:
        self.net: dict[Decimal, Decimal] = {}
        self.tax: dict[Decimal, Decimal] = {}
        for charge in charges:
            self.net[charge.tax_rate] = self.net.get(charge.tax_rate, _ZERO) + charge.net
            self.tax[charge.tax_rate] = self.tax.get(charge.tax_rate, _ZERO) + charge.tax
        self.total_net = sum(self.net.values(), _ZERO)
        self.total_tax = sum(self.tax.values(), _ZERO)

    def fits(self, tax_rate: Decimal, totals: Totals) -> bool:
        """A credit line of ``totals`` (negative) takes no net, tax or gross below zero, for its tax rate or
        overall; one already below zero it leaves as it is (a zero-tax credit leaves a negative tax)."""
        net, tax = -totals.net, -totals.tax
        bucket_net, bucket_tax = self.net[tax_rate], self.tax[tax_rate]
        return (net <= max(bucket_net, _ZERO) and net <= max(self.total_net, _ZERO)
                and tax <= max(bucket_tax, _ZERO) and tax <= max(self.total_tax, _ZERO)
                and net + tax <= max(bucket_net + bucket_tax, _ZERO)
                and net + tax <= max(self.total_net + self.total_tax, _ZERO))

    def take(self, tax_rate: Decimal, totals: Totals) -> None:
        self.net[tax_rate] += totals.net
        self.tax[tax_rate] += totals.tax
        self.total_net += totals.net
        self.total_tax += totals.tax


def _largest_fitting(most: Decimal, step: Decimal, fits: Callable[[Decimal], bool]) -> Decimal:
    """The largest multiple of ``step`` in [0, most] that ``fits`` (monotone: if x fits, so does less);
    0 when none does."""
    if fits(most):
        return most
    with localcontext(Context(prec=100)):
        low, high = 0, int(most / step)  # high does not fit; low is 0 or fits
        while high - low > 1:
            middle = (low + high) // 2
            if fits(middle * step):
                low = middle
            else:
                high = middle
        return low * step


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros, never in exponent form: 100.0000000000 → 100, 2.50 → 2.5."""
    return Decimal(format(value.normalize(), "f"))


def plan_drawdown(grants: Iterable[GrantView], charges: Sequence[Charge], *, currency: str, on_date: date) -> list[Draw]:
    """The credit lines an invoice in ``currency`` dated ``on_date`` gets from ``grants`` (module docstring)."""
    usable = sorted((g for g in grants if g.usable_on(on_date)), key=draw_order)
    room = _Room(charges)
    draws: list[Draw] = []

    units_left = {c.line_id: c.quantity for c in charges}
    for grant in (g for g in usable if g.unit_type == METRIC):
        balance = grant.balance
        for charge in charges:
            if balance <= 0:
                break
            if charge.metric_id != grant.metric_id or charge.rate <= 0 or units_left[charge.line_id] <= 0:
                continue
            rate, tax_rate = -charge.rate, charge.tax_rate

            def worth(units: Decimal, rate: Decimal = rate, tax_rate: Decimal = tax_rate) -> Totals:
                return line_totals(units, rate, tax_rate, currency)

            most = min(balance, units_left[charge.line_id]).quantize(UNIT, rounding=ROUND_DOWN)
            units = _largest_fitting(most, UNIT, lambda u: room.fits(tax_rate, worth(u)))
            if units < most:  # the invoice has no room for more of this line: later grants keep off it too
                units_left[charge.line_id] = _ZERO
            totals = worth(units)
            if units <= 0 or totals.net == 0:
                continue
            if units_left[charge.line_id] > 0:
                units_left[charge.line_id] -= units
            units = _plain(units)
            draws.append(Draw(grant.id, grant.name, units, units, rate, tax_rate, totals, charge.line_id))
            room.take(tax_rate, totals)
            balance -= units

    minor = Decimal(1).scaleb(-minor_units(currency))
    tax_rates = list(dict.fromkeys(c.tax_rate for c in charges))  # in the order the lines show them
    full: set[Decimal] = set()
    for grant in (g for g in usable if g.unit_type == CURRENCY and g.currency == currency):
        balance = grant.balance
        for tax_rate in tax_rates:
            if tax_rate in full:
                continue
            most = min(balance, room.net[tax_rate], room.total_net).quantize(minor, rounding=ROUND_DOWN)
            if most <= 0:
                continue
            value = _largest_fitting(most, minor, lambda v, r=tax_rate: room.fits(r, line_totals(Decimal(1), -v, r, currency)))
            if value < most:  # cut by the tax's rounding: this tax rate takes no more credit, from any grant
                full.add(tax_rate)
            if value <= 0:
                continue
            totals = line_totals(Decimal(1), -value, tax_rate, currency)
            draws.append(Draw(grant.id, grant.name, value, Decimal(1), -value, tax_rate, totals))
            room.take(tax_rate, totals)
            balance -= value
            if balance <= 0:
                break
    return draws
