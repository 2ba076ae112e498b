"""What the billing engine reads of a schedule: plain frozen dataclasses, streamed in batches.

``load_schedule_views`` yields ``ScheduleView`` objects in id order. It reads one batch of schedules
(keyset on id, ``batch_size`` rows) and then the phases, discounts and minimums of that whole batch in
three ``IN`` queries: no query per schedule and never the whole table in memory, so a run over 100,000
schedules holds one batch at a time.

Meanings (docs/billing-schedules.md):
- every schedule has phases, sorted by start date; a schedule created with ``priceIds`` has one phase
  spanning ``start_date`` → ``end_date`` (``None``: open-ended), and each ``PUT`` with ``effectiveFrom``
  adds one; only the last phase may have ``end_date=None``. Dates are inclusive.
- ``DiscountView.price_ids`` and ``MinimumView.restrict_to_prices`` are resolved: an empty list on the
  wire ("every price") is given here as the phase's ``price_ids``.
- ``DiscountView.amount``: PERCENTAGE in percent points (``Decimal("10")`` is 10 %, 0..100); NOMINAL in
  the schedule's currency units (``Decimal("100")`` is 100.00 off), applied in full.
- ``valid_from``/``valid_to``: inclusive dates or ``None`` (unbounded; the phase bounds still apply).
- ``tax_rates``: price id → tax rate id, for the prices that have one.
- ``roll_up_customer_ids``: with ``roll_up_billing``, the customer's children (``parentId``, an
  extension) whose usage the schedule bills with its customer's; one more query, only for a batch that
  has such a schedule (docs/billing-engine.md#roll-up-billing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.customers.service import child_customers
from quire.schedules.models import (
    BillingSchedule,
    BillingScheduleDiscount,
    BillingScheduleMinimum,
    BillingSchedulePhase,
)


@dataclass(frozen=True)
class DiscountView:
    id: str
    price_ids: tuple[str, ...]
    amount: Decimal
    calculation_type: str  # "PERCENTAGE" | "NOMINAL"
    message: str
    separate_line_item: bool
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class MinimumView:
    id: str
    amount: Decimal
    restrict_to_prices: tuple[str, ...]


@dataclass(frozen=True)
class PhaseView:
    id: str
    start_date: date
    end_date: date | None
    price_ids: tuple[str, ...]
    discounts: tuple[DiscountView, ...]
    minimums: tuple[MinimumView, ...]


@dataclass(frozen=True)
class ScheduleView:
    id: str
    account_id: str
    customer_id: str
    status: str
    start_date: date
    end_date: date | None
    recurrence_day_of_month: int | None
    auto_issue_invoices: bool
    roll_up_billing: bool
    purchase_order_number: str | None
    reference: str | None
    label: str | None
    phases: tuple[PhaseView, ...]
    tax_rates: dict[str, str] = field(default_factory=dict)
    currency: str = ""
    type: str = "CUSTOM"
    roll_up_customer_ids: tuple[str, ...] = ()


def discount_view(row: BillingScheduleDiscount, phase_prices: Iterable[str]) -> DiscountView:
    return DiscountView(
        id=row.id, price_ids=tuple(row.price_ids or phase_prices), amount=row.amount,
        calculation_type=row.calculation_type, message=row.message, separate_line_item=row.separate_line_item,
        valid_from=row.valid_from, valid_to=row.valid_to,
    )


def minimum_view(row: BillingScheduleMinimum, phase_prices: Iterable[str]) -> MinimumView:
    return MinimumView(id=row.id, amount=row.amount, restrict_to_prices=tuple(row.restrict_to_prices or phase_prices))


async def views_of(session: AsyncSession, schedules: list[BillingSchedule]) -> list[ScheduleView]:
    """The views of these schedules (three queries, whatever their number)."""
    if not schedules:
        return []
    ids = [s.id for s in schedules]
    phases: dict[str, list[BillingSchedulePhase]] = defaultdict(list)
    for phase in await session.scalars(
        select(BillingSchedulePhase).where(BillingSchedulePhase.billing_schedule_id.in_(ids))
        .order_by(BillingSchedulePhase.billing_schedule_id, BillingSchedulePhase.start_date)
    ):
        phases[phase.billing_schedule_id].append(phase)
    discounts: dict[str, list[BillingScheduleDiscount]] = defaultdict(list)
    for d in await session.scalars(
        select(BillingScheduleDiscount).where(BillingScheduleDiscount.billing_schedule_id.in_(ids))
        .order_by(BillingScheduleDiscount.created_at, BillingScheduleDiscount.id)
    ):
        discounts[d.phase_id].append(d)
    minimums: dict[str, list[BillingScheduleMinimum]] = defaultdict(list)
    for m in await session.scalars(
        select(BillingScheduleMinimum).where(BillingScheduleMinimum.billing_schedule_id.in_(ids))
        .order_by(BillingScheduleMinimum.created_at, BillingScheduleMinimum.id)
    ):
        minimums[m.phase_id].append(m)
    children = await _children(session, [s for s in schedules if s.roll_up_billing])
    return [
        ScheduleView(
            id=s.id, account_id=s.account_id, customer_id=s.customer_id, status=s.status,
            start_date=s.start_date, end_date=s.end_date, recurrence_day_of_month=s.recurrence_day_of_month,
            auto_issue_invoices=s.auto_issue_invoices, roll_up_billing=s.roll_up_billing,
            purchase_order_number=s.purchase_order_number, reference=s.reference, label=s.label,
            phases=tuple(
                PhaseView(
                    id=p.id, start_date=p.start_date, end_date=p.end_date, price_ids=tuple(p.price_ids),
                    discounts=tuple(discount_view(d, p.price_ids) for d in discounts[p.id]),
                    minimums=tuple(minimum_view(m, p.price_ids) for m in minimums[p.id]),
                )
                for p in phases[s.id]
            ),
            tax_rates={t["priceId"]: t["taxRateId"] for t in s.tax_rates or []},
            currency=s.currency, type=s.type,
            roll_up_customer_ids=tuple(children.get((s.account_id, s.customer_id), ())) if s.roll_up_billing else (),
        )
        for s in schedules
    ]


async def _children(session: AsyncSession, rolled_up: list[BillingSchedule]) -> dict[tuple[str, str], list[str]]:
    """(account, customer) -> the customer's children, for the roll-up schedules of a batch."""
    parents: dict[str, set[str]] = defaultdict(set)
    for s in rolled_up:
        parents[s.account_id].add(s.customer_id)
    out: dict[tuple[str, str], list[str]] = {}
    for account_id, customer_ids in parents.items():
        for parent, kids in (await child_customers(session, account_id, sorted(customer_ids))).items():
            out[(account_id, parent)] = kids
    return out


async def load_schedule_views(
    session: AsyncSession, *, account_id: str | None = None, schedule_ids: Iterable[str] | None = None,
    statuses: Iterable[str] | None = ("ACTIVE", "PENDING"), batch_size: int = 500,
) -> AsyncIterator[ScheduleView]:
    """Stream the schedules (of one account, or of all; only ``schedule_ids`` when given; of
    ``statuses``, or every status for ``None``) in id order, ``batch_size`` schedules per round trip."""
    criteria = []
    if account_id is not None:
        criteria.append(BillingSchedule.account_id == account_id)
    if schedule_ids is not None:
        wanted = sorted(set(schedule_ids))
        if not wanted:
            return
        criteria.append(BillingSchedule.id.in_(wanted))
    if statuses is not None:
        criteria.append(BillingSchedule.status.in_(tuple(statuses)))
    last: str | None = None
    while True:
        stmt = select(BillingSchedule).where(*criteria)
        if last is not None:
            stmt = stmt.where(BillingSchedule.id > last)
        batch = list(await session.scalars(stmt.order_by(BillingSchedule.id).limit(batch_size)))
        if not batch:
            return
        for view in await views_of(session, batch):
            yield view
        if len(batch) < batch_size:
            return
        last = batch[-1].id
