"""The overview's figures: invoiced, collected and outstanding per month, overdue invoices, the billing
runs. Read-only aggregates over the same tables the API lists (docs/console.md#overview says exactly
what each figure counts).

- **invoiced** (a month): gross totals of FINAL and SENT invoices issued that month (voided ones are not);
- **collected**: of those, the ones whose payment status is PAID (Quire records no payment date: an
  invoice counts as collected in the month it was issued);
- **outstanding**: of those, the ones neither PAID nor UNCOLLECTIBLE (PARTIALLY_PAID counts in full: no
  partial amount is recorded);
- **overdue**: outstanding invoices whose due date is before today (UTC);
- **MRR**: the FIXED prices of the current phase of every ACTIVE schedule, each divided by the months of its
  billing frequency (a YEARLY 1,200.00 is 100.00 a month). Usage, seats, one-time fees and discounts are
  not in it: it is the recurring fixed revenue the schedules promise, not a forecast.

Amounts are per currency, in minor units, never added across currencies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing.models import BillingRun
from quire.billing.periods import FREQUENCY_MONTHS
from quire.catalogue.models import Price
from quire.catalogue.structures import Fixed, Flavour, parse_structure
from quire.core import clock
from quire.core.money import quantize
from quire.invoices.models import Invoice
from quire.schedules.models import BillingSchedule, BillingSchedulePhase
from quire.schedules.service import current_phase

ISSUED = ("FINAL", "SENT")
NOT_OWED = ("PAID", "UNCOLLECTIBLE")
MONTHS = 12
#: The daily billing run's time (quire.billing.jobs: cron "0 2 * * *").
DAILY_RUN = time(2, 0, tzinfo=UTC)


def _month_sql(dialect: str) -> Any:
    """``YYYY-MM`` of the issue date, in the database's own spelling (grouping by month there returns a
    dozen rows per currency instead of one per day)."""
    if dialect == "postgresql":
        return func.to_char(Invoice.issue_date, "YYYY-MM")
    return func.strftime("%Y-%m", Invoice.issue_date)


def month_starts(today: date, count: int = MONTHS) -> list[date]:
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def month_end(first: date) -> date:
    """The last day of the month that starts on ``first``."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@dataclass
class Series:
    currency: str
    months: list[date]
    invoiced: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    collected: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    outstanding: dict[date, int] = field(default_factory=lambda: defaultdict(int))

    def total(self, name: str) -> int:
        return sum(getattr(self, name).values())


@dataclass
class Overview:
    today: date
    series: list[Series]
    overdue: list[Invoice]
    overdue_totals: dict[str, tuple[int, int]]  # currency → (count, gross minor)
    active_schedules: int
    mrr: dict[str, Decimal]  # currency → monthly recurring fixed revenue
    last_run: BillingRun | None
    next_run: datetime


async def overview(session: AsyncSession, account_id: str, *, overdue_limit: int = 10) -> Overview:
    today = clock.today()
    months = month_starts(today)
    month_of = _month_sql(session.get_bind().dialect.name)
    rows = await session.execute(
        select(Invoice.currency, month_of, Invoice.payment_status, func.sum(Invoice.gross_total_minor))
        .where(Invoice.account_id == account_id, Invoice.status.in_(ISSUED), Invoice.issue_date >= months[0])
        .group_by(Invoice.currency, month_of, Invoice.payment_status))
    by_currency: dict[str, Series] = {}
    for currency, issued_month, payment_status, gross in rows:
        series = by_currency.setdefault(currency, Series(currency, months))
        month = date.fromisoformat(f"{issued_month}-01")
        series.invoiced[month] += int(gross or 0)
        if payment_status == "PAID":
            series.collected[month] += int(gross or 0)
        elif payment_status not in NOT_OWED:
            series.outstanding[month] += int(gross or 0)
    ordered = sorted(by_currency.values(), key=lambda s: (-s.total("invoiced"), s.currency))

    owed = (Invoice.account_id == account_id, Invoice.status.in_(ISSUED), Invoice.payment_status.not_in(NOT_OWED),
            Invoice.due_date < today)
    overdue = list(await session.scalars(select(Invoice).where(*owed).order_by(Invoice.due_date, Invoice.id)
                                         .limit(overdue_limit)))
    totals = {c: (int(n), int(g or 0)) for c, n, g in await session.execute(
        select(Invoice.currency, func.count(), func.sum(Invoice.gross_total_minor)).where(*owed)
        .group_by(Invoice.currency))}
    active, mrr = await recurring(session, account_id)
    last_run = (await session.scalars(select(BillingRun).where(BillingRun.account_id == account_id)
                                      .order_by(BillingRun.started_at.desc(), BillingRun.id.desc()).limit(1))).first()
    now = clock.now()
    next_run = datetime.combine(now.date(), DAILY_RUN)
    if next_run <= now:
        next_run += timedelta(days=1)
    return Overview(today, ordered, overdue, totals, active, mrr, last_run, next_run)


async def recurring(session: AsyncSession, account_id: str) -> tuple[int, dict[str, Decimal]]:
    """The number of ACTIVE schedules, and their MRR per currency (the module's docstring says what counts)."""
    schedules = {s.id: s for s in await session.scalars(select(BillingSchedule).where(
        BillingSchedule.account_id == account_id, BillingSchedule.status == "ACTIVE",
        BillingSchedule.archived_at.is_(None)))}
    phases: dict[str, list[BillingSchedulePhase]] = defaultdict(list)
    if schedules:
        for phase in await session.scalars(select(BillingSchedulePhase).where(
                BillingSchedulePhase.account_id == account_id,
                BillingSchedulePhase.billing_schedule_id.in_(list(schedules)))):
            phases[phase.billing_schedule_id].append(phase)
    current = {sid: current_phase(found).price_ids for sid, found in phases.items() if found}
    wanted = sorted({p for ids in current.values() for p in ids})
    prices = {p.id: p for p in await session.scalars(
        select(Price).where(Price.account_id == account_id, Price.id.in_(wanted)))} if wanted else {}
    mrr: dict[str, Decimal] = defaultdict(Decimal)
    for sid, price_ids in current.items():
        for price_id in price_ids:
            price = prices.get(price_id)
            months = FREQUENCY_MONTHS.get(price.billing_frequency) if price is not None else None
            if price is None or not months:
                continue
            structure = parse_structure(price.structure, Flavour.PRICE)
            if isinstance(structure, Fixed):
                mrr[schedules[sid].currency] += structure.price / months
    return len(schedules), {c: quantize(v, c) for c, v in sorted(mrr.items())}


def chart(series: Series, width: int = 720, height: int = 240) -> dict[str, object]:
    """A grouped bar chart as SVG geometry (drawn by the template; no script, no library)."""
    names = ("invoiced", "collected", "outstanding")
    return bar_chart(series.months, {n: getattr(series, n) for n in names}, width, height)


def bar_chart(months: list[date], values: dict[str, Mapping[date, int | Decimal]], width: int = 720,
              height: int = 240) -> dict[str, object]:
    """Bars per month, one per name of ``values`` side by side, as SVG geometry (the overview's chart, and
    a usage metric's usage per month)."""
    pad_left, pad_bottom, pad_top = 8, 28, 10
    peak = max([max(v.values(), default=0) for v in values.values()] + [1])
    slot = (width - pad_left) / len(months)
    bar = slot / (len(values) + 1)
    plot = height - pad_bottom - pad_top
    bars = []
    for i, month in enumerate(months):
        for j, (name, by_month) in enumerate(values.items()):
            value = by_month.get(month, 0)
            h = round(plot * float(value) / float(peak), 1)
            bars.append({"x": round(pad_left + i * slot + (j + 0.5) * bar, 1), "y": round(pad_top + plot - h, 1),
                         "w": round(bar, 1), "h": h, "name": name, "month": month, "value": value})
    labels = [{"x": round(pad_left + (i + 0.5) * slot, 1), "month": m} for i, m in enumerate(months)]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "baseline": height - pad_bottom}
