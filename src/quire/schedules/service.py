"""Billing schedules, discounts and billing-schedule settings. Services flush, never commit.

Rules (docs/billing-schedules.md): the customer and every price and tax rate belong to the account
(400 naming the field otherwise); all prices share one currency; phases are contiguous, start on the
schedule's start date, and only the last may be open-ended; a create with ``priceIds`` is stored as one
phase; ``PUT`` with ``effectiveFrom`` starts a new phase on that date. DRAFT → (activate) PENDING or
ACTIVE by the start date; archive → CANCELLED; COMPLETED is set by the engine (``mark_completed``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.catalogue import repository as catalogue_repo
from quire.catalogue.models import Price
from quire.core import clock
from quire.core.errors import InvalidStateTransition, NotFound, ValidationFailed
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams
from quire.core.references import resolve, unknown_reference
from quire.core.repository import equal, insert, list_page, loader, remove
from quire.customers.service import get_active_customer
from quire.schedules import hooks
from quire.schedules.models import (
    BillingSchedule,
    BillingScheduleDiscount,
    BillingScheduleMinimum,
    BillingSchedulePhase,
    BillingScheduleSettings,
    ScheduleDetail,
)
from quire.notifications.events import record_event
from quire.schedules.present import schedule as present_schedule
from quire.schedules.schemas import (
    DiscountCreate,
    DiscountUpdate,
    InlineDiscount,
    PhaseRequest,
    ScheduleCreate,
    ScheduleUpdate,
    SettingsCreate,
    SettingsUpdate,
)
from quire.tax.models import TaxRate

get_schedule = loader(BillingSchedule)
get_discount = loader(BillingScheduleDiscount, kind="Discount")
get_settings = loader(BillingScheduleSettings)

#: States whose schedule can no longer change (nor its discounts).
FINAL = ("COMPLETED", "CANCELLED")
ONE_DAY = timedelta(days=1)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field=field)


@dataclasses.dataclass
class PhasePlan:
    """A phase to store: where its fields came from (for the 400's field names), and its children."""

    start_date: date
    end_date: date | None
    price_ids: list[str]
    field: str  # "priceIds" or "phases[i]"
    request: PhaseRequest | None = None


# --- checks shared by create and update --------------------------------------------------------------


def _check_dates(start: date, end: date | None, recurrence: int | None) -> None:
    if end is not None and end < start:
        raise _invalid("endDate", "must not be before startDate")
    if recurrence is not None and not 1 <= recurrence <= 31:
        raise _invalid("recurrenceDayOfMonth", "must be between 1 and 31")


def _phases_from_request(phases: Sequence[PhaseRequest], start: date, end: date | None) -> tuple[list[PhasePlan], date | None]:
    """Phases must be given in order, contiguous (each starts the day after the previous ends), the
    first on ``startDate``, only the last open-ended, all inside [startDate, endDate]. An open-ended
    last phase ends with the schedule; a schedule without ``endDate`` whose last phase ends takes that
    end. Answers the plans and the schedule's (possibly derived) end date."""
    if not phases:
        raise _invalid("phases", "must hold at least one phase")
    plans: list[PhasePlan] = []
    for i, phase in enumerate(phases):
        here = f"phases[{i}]"
        last = i == len(phases) - 1
        if phase.end_date is None and not last:
            raise _invalid(f"{here}.endDate", "only the last phase may be open-ended")
        if phase.end_date is not None and phase.end_date < phase.start_date:
            raise _invalid(f"{here}.endDate", "must not be before the phase's startDate")
        if i == 0 and phase.start_date != start:
            raise _invalid(f"{here}.startDate", "the first phase must start on the schedule's startDate")
        if i > 0:
            previous = plans[-1].end_date
            assert previous is not None
            if phase.start_date <= previous:
                raise _invalid(f"{here}.startDate", "phases must not overlap: start after the previous phase ends")
            if phase.start_date != previous + ONE_DAY:
                raise _invalid(f"{here}.startDate", "phases must be contiguous: start the day after the previous phase ends")
        if end is not None and phase.end_date is not None and phase.end_date > end:
            raise _invalid(f"{here}.endDate", "must not be after the schedule's endDate")
        if end is not None and phase.start_date > end:
            raise _invalid(f"{here}.startDate", "must not be after the schedule's endDate")
        if not phase.price_ids:
            raise _invalid(f"{here}.priceIds", "must name at least one price")
        plans.append(PhasePlan(phase.start_date, phase.end_date, list(dict.fromkeys(phase.price_ids)), here, phase))
    tail = plans[-1]
    if end is None:
        end = tail.end_date
    elif tail.end_date is None:
        tail.end_date = end
    elif tail.end_date != end:
        raise _invalid(f"{tail.field}.endDate", "the last phase must end on the schedule's endDate (or be open-ended)")
    return plans, end


async def _prices_of(session: AsyncSession, account_id: str, plans: Sequence[PhasePlan]) -> tuple[dict[str, Price], str]:
    """Every price named must be a live price of the account, all in one currency: the prices and it."""
    wanted = [p for plan in plans for p in plan.price_ids]
    found = await catalogue_repo.live_prices_by_id(session, account_id, wanted)
    currency: str | None = None
    for plan in plans:
        for j, price_id in enumerate(plan.price_ids):
            field = f"{plan.field}[{j}]" if plan.field == "priceIds" else f"{plan.field}.priceIds[{j}]"
            price = found.get(price_id)
            if price is None:
                raise unknown_reference(field, f"Price {price_id!r} was not found")
            if currency is None:
                currency = price.currency
            elif price.currency != currency:
                raise _invalid(field, f"every price of a schedule must be in one currency: {price.currency} is not {currency}")
    assert currency is not None
    return found, currency


async def _check_tax_rates(session: AsyncSession, account_id: str, entries: Sequence[Any], price_ids: set[str]) -> list[dict[str, str]]:
    rates = {r.id: r for r in await session.scalars(select(TaxRate).where(
        TaxRate.account_id == account_id, TaxRate.id.in_({e.tax_rate_id for e in entries})))} if entries else {}
    seen: set[str] = set()
    out = []
    for i, entry in enumerate(entries):
        if entry.price_id not in price_ids:
            raise unknown_reference(f"taxRates[{i}].priceId", f"Price {entry.price_id!r} is not a price of this schedule")
        if entry.price_id in seen:
            raise _invalid(f"taxRates[{i}].priceId", "a price may have one tax rate only")
        seen.add(entry.price_id)
        rate = rates.get(entry.tax_rate_id)
        if rate is None:
            raise unknown_reference(f"taxRates[{i}].taxRateId", f"TaxRate {entry.tax_rate_id!r} was not found")
        if rate.archived_at is not None:
            raise _invalid(f"taxRates[{i}].taxRateId", f"TaxRate {entry.tax_rate_id!r} is archived")
        out.append({"priceId": entry.price_id, "taxRateId": entry.tax_rate_id})
    return out


def _check_amount(field: str, calculation: str, amount: Decimal) -> None:
    if amount < 0:
        raise _invalid(f"{field}.amount" if field else "amount", "must not be negative")
    if calculation == "PERCENTAGE" and amount > 100:
        raise _invalid(f"{field}.amount" if field else "amount", "a percentage must be between 0 and 100")


def _check_subset(field: str, ids: Sequence[str], allowed: Sequence[str]) -> list[str]:
    for j, price_id in enumerate(ids):
        if price_id not in allowed:
            raise unknown_reference(f"{field}[{j}]", f"Price {price_id!r} is not a price of the phase")
    return list(dict.fromkeys(ids))


def _check_validity(prefix: str, valid_from: date | None, valid_to: date | None) -> None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise _invalid(f"{prefix}validTo", "must not be before validFrom")


def _check_cover(phases: Sequence[BillingSchedulePhase], start: date, end: date | None) -> None:
    """After an update: the phases still cover [startDate, endDate] contiguously, in order."""
    for i, phase in enumerate(phases):
        expected = start if i == 0 else phases[i - 1].end_date + ONE_DAY  # type: ignore[operator]
        last = i == len(phases) - 1
        if (phase.start_date != expected or (phase.end_date is not None and phase.end_date < phase.start_date)
                or (not last and phase.end_date is None) or (last and phase.end_date != end)):
            raise _invalid("startDate", "the new dates do not fit the schedule's phases: send its phases too")


def _status_on_start(start: date) -> str:
    return "PENDING" if start > clock.today() else "ACTIVE"


def current_phase(phases: Sequence[BillingSchedulePhase]) -> BillingSchedulePhase:
    """The phase holding today; before the first, the first; after the last, the last."""
    ordered = sorted(phases, key=lambda p: p.start_date)
    today = clock.today()
    for phase in ordered:
        if phase.start_date <= today and (phase.end_date is None or today <= phase.end_date):
            return phase
    return ordered[0] if today < ordered[0].start_date else ordered[-1]


# --- loading -----------------------------------------------------------------------------------------


async def _event(session: AsyncSession, detail: ScheduleDetail, notification_type: str) -> ScheduleDetail:
    """``BILLING_SCHEDULE_CREATED``, ``_UPDATED`` (a PUT, activation, completion) or ``_DELETED`` (archive;
    2024-07-30 calls it BILLING_SCHEDULE_ARCHIVED); docs/webhooks.md#types. Answers ``detail``."""
    await record_event(session, detail.schedule.account_id, notification_type, "BillingSchedule", detail.schedule.id,
                       lambda: present_schedule(detail))
    return detail


async def details(session: AsyncSession, account_id: str, schedules: Sequence[BillingSchedule]) -> list[ScheduleDetail]:
    """Details of many schedules in four queries (a list page)."""
    if not schedules:
        return []
    ids = [s.id for s in schedules]
    phases = list(await session.scalars(select(BillingSchedulePhase).where(
        BillingSchedulePhase.account_id == account_id, BillingSchedulePhase.billing_schedule_id.in_(ids))
        .order_by(BillingSchedulePhase.start_date)))
    discounts = list(await session.scalars(select(BillingScheduleDiscount).where(
        BillingScheduleDiscount.account_id == account_id, BillingScheduleDiscount.billing_schedule_id.in_(ids))
        .order_by(BillingScheduleDiscount.created_at, BillingScheduleDiscount.id)))
    minimums = list(await session.scalars(select(BillingScheduleMinimum).where(
        BillingScheduleMinimum.account_id == account_id, BillingScheduleMinimum.billing_schedule_id.in_(ids))
        .order_by(BillingScheduleMinimum.created_at, BillingScheduleMinimum.id)))
    prices = await catalogue_repo.prices_by_id(session, account_id, [p for s in schedules for p in s.price_ids])
    out = []
    for s in schedules:
        mine = [p for p in phases if p.billing_schedule_id == s.id]
        out.append(ScheduleDetail(
            schedule=s, phases=mine,
            discounts={p.id: [d for d in discounts if d.phase_id == p.id] for p in mine},
            minimums={p.id: [m for m in minimums if m.phase_id == p.id] for p in mine},
            prices={i: prices[i] for i in s.price_ids if i in prices},
        ))
    return out


async def detail(session: AsyncSession, account_id: str, schedule: BillingSchedule) -> ScheduleDetail:
    [one] = await details(session, account_id, [schedule])
    return one


async def read_schedule(session: AsyncSession, account_id: str, schedule_id: str) -> ScheduleDetail:
    return await detail(session, account_id, await get_schedule(session, account_id, schedule_id))


async def _phases_of(session: AsyncSession, schedule: BillingSchedule) -> list[BillingSchedulePhase]:
    return list(await session.scalars(select(BillingSchedulePhase).where(
        BillingSchedulePhase.billing_schedule_id == schedule.id).order_by(BillingSchedulePhase.start_date)))


# --- writing phases ----------------------------------------------------------------------------------


async def _store_phase(session: AsyncSession, schedule: BillingSchedule, plan: PhasePlan) -> BillingSchedulePhase:
    now = clock.now()
    phase = BillingSchedulePhase(
        id=uuid7(), account_id=schedule.account_id, billing_schedule_id=schedule.id, start_date=plan.start_date,
        end_date=plan.end_date, price_ids=plan.price_ids, created_at=now,
    )
    session.add(phase)
    await session.flush()  # before its discounts and minimums (no ORM relationship orders the inserts)
    request = plan.request
    if request is not None:
        for k, d in enumerate(request.discounts):
            here = f"{plan.field}.discounts[{k}]"
            _check_amount(here, d.type, d.amount)
            session.add(BillingScheduleDiscount(
                id=uuid7(), account_id=schedule.account_id, billing_schedule_id=schedule.id, phase_id=phase.id,
                price_ids=_check_subset(f"{here}.restrictToPrices", d.restrict_to_prices, plan.price_ids),
                amount=d.amount, calculation_type=d.type, message=d.message, separate_line_item=d.separate_line_item,
                valid_from=None, valid_to=None, created_at=now, updated_at=now,
            ))
        for k, m in enumerate(request.minimums):
            here = f"{plan.field}.minimums[{k}]"
            if m.amount < 0:
                raise _invalid(f"{here}.amount", "must not be negative")
            session.add(BillingScheduleMinimum(
                id=uuid7(), account_id=schedule.account_id, billing_schedule_id=schedule.id, phase_id=phase.id,
                amount=m.amount, restrict_to_prices=_check_subset(f"{here}.restrictToPrices", m.restrict_to_prices, plan.price_ids),
                created_at=now, updated_at=now,
            ))
    return phase


def _union(plans: Sequence[PhasePlan] | Sequence[BillingSchedulePhase]) -> list[str]:
    return list(dict.fromkeys(p for plan in plans for p in plan.price_ids))


def _new_discount(schedule: BillingSchedule, phase: BillingSchedulePhase, data: InlineDiscount | DiscountCreate,
                  prefix: str = "") -> BillingScheduleDiscount:
    _check_amount(prefix.rstrip("."), data.discount_calculation_type, data.amount)
    _check_validity(prefix, data.valid_from, data.valid_to)
    now = clock.now()
    return BillingScheduleDiscount(
        id=uuid7(), account_id=schedule.account_id, billing_schedule_id=schedule.id, phase_id=phase.id,
        price_ids=_check_subset(f"{prefix}priceIds", data.price_ids, phase.price_ids), amount=data.amount,
        calculation_type=data.discount_calculation_type, message=data.message,
        separate_line_item=data.separate_line_item, valid_from=data.valid_from, valid_to=data.valid_to,
        created_at=now, updated_at=now,
    )


# --- schedules -----------------------------------------------------------------------------------------


async def create_schedule(session: AsyncSession, account_id: str, data: ScheduleCreate) -> ScheduleDetail:
    customer = await resolve("customerId", get_active_customer(session, account_id, data.customer_id))
    _check_dates(data.start_date, data.end_date, data.recurrence_day_of_month)
    if (data.price_ids is None) == (data.phases is None):
        raise _invalid("priceIds", "give either priceIds (with prices) or phases (with phases), not both or neither")
    end = data.end_date
    if data.phases is not None:
        plans, end = _phases_from_request(data.phases, data.start_date, end)
    else:
        assert data.price_ids is not None
        if not data.price_ids:
            raise _invalid("priceIds", "must name at least one price")
        plans = [PhasePlan(data.start_date, end, list(dict.fromkeys(data.price_ids)), "priceIds")]
    _, currency = await _prices_of(session, account_id, plans)
    price_ids = _union(plans)
    tax_rates = await _check_tax_rates(session, account_id, data.tax_rates, set(price_ids))
    now = clock.now()
    schedule = BillingSchedule(
        id=uuid7(), account_id=account_id, customer_id=customer.id, type=data.type,
        status="DRAFT" if data.create_as_draft else _status_on_start(data.start_date),
        start_date=data.start_date, end_date=end, recurrence_day_of_month=data.recurrence_day_of_month,
        auto_issue_invoices=data.auto_issue_invoices, roll_up_billing=data.roll_up_billing,
        purchase_order_number=data.purchase_order_number, reference=None, label=None,
        collection_payment_provider=data.collection_payment_provider, currency=currency, price_ids=price_ids,
        tax_rates=tax_rates, last_invoice_id=None, archived_at=None, created_at=now, updated_at=now,
    )
    session.add(schedule)
    await session.flush()
    phases = [await _store_phase(session, schedule, plan) for plan in plans]
    if data.discounts:
        target = current_phase(phases)
        for k, d in enumerate(data.discounts):
            session.add(_new_discount(schedule, target, d, f"discounts[{k}]."))
    if data.collection_payment_provider is not None:
        session.add(BillingScheduleSettings(
            id=uuid7(), account_id=account_id, billing_schedule_id=schedule.id,
            payment_provider=data.collection_payment_provider, created_at=now, updated_at=now,
        ))
    await session.flush()
    return await _event(session, await detail(session, account_id, schedule), "BILLING_SCHEDULE_CREATED")


def _editable(schedule: BillingSchedule) -> None:
    if schedule.status in FINAL:
        raise InvalidStateTransition(
            f"Billing schedule {schedule.id!r} is {schedule.status} and can no longer be changed")


async def _drop_phases(session: AsyncSession, phases: Sequence[BillingSchedulePhase]) -> None:
    ids = [p.id for p in phases]
    if not ids:
        return
    await session.execute(delete(BillingScheduleDiscount).where(BillingScheduleDiscount.phase_id.in_(ids)))
    await session.execute(delete(BillingScheduleMinimum).where(BillingScheduleMinimum.phase_id.in_(ids)))
    for phase in phases:
        await session.delete(phase)
    await session.flush()


async def _check_kept_discounts(session: AsyncSession, phase: BillingSchedulePhase) -> None:
    """Discounts and minimums kept on a phase whose prices changed must still name its prices."""
    for d in await session.scalars(select(BillingScheduleDiscount).where(BillingScheduleDiscount.phase_id == phase.id)):
        if any(p not in phase.price_ids for p in d.price_ids):
            raise _invalid("priceIds", f"discount {d.id!r} applies to a price this change removes; update or delete it first")
    for m in await session.scalars(select(BillingScheduleMinimum).where(BillingScheduleMinimum.phase_id == phase.id)):
        if any(p not in phase.price_ids for p in m.restrict_to_prices):
            raise _invalid("priceIds", f"minimum {m.id!r} applies to a price this change removes")


async def update_schedule(session: AsyncSession, account_id: str, schedule_id: str, data: ScheduleUpdate) -> ScheduleDetail:
    schedule = await get_schedule(session, account_id, schedule_id, lock=True)
    _editable(schedule)
    _check_dates(data.start_date, data.end_date, data.recurrence_day_of_month)
    if data.price_ids is not None and data.phases is not None:
        raise _invalid("priceIds", "give either priceIds (with prices) or phases (with phases), not both")
    if data.effective_from is not None and data.price_ids is None:
        raise _invalid("effectiveFrom", "needs priceIds: the prices that apply from that date")
    start, end = data.start_date, data.end_date
    existing = await _phases_of(session, schedule)
    if data.phases is not None:
        plans, end = _phases_from_request(data.phases, start, end)
        await _prices_of(session, account_id, plans)
        await _drop_phases(session, existing)
        phases = [await _store_phase(session, schedule, plan) for plan in plans]
    elif data.price_ids is not None:
        if not data.price_ids:
            raise _invalid("priceIds", "must name at least one price")
        new_prices = list(dict.fromkeys(data.price_ids))
        effective = data.effective_from
        if effective is not None and (effective < start or (end is not None and effective > end)):
            raise _invalid("effectiveFrom", "must be between the schedule's startDate and endDate")
        if effective is None or effective == start:
            # The prices apply from the start: one phase (the first, keeping its discounts and minimums).
            plan = PhasePlan(start, end, new_prices, "priceIds")
            await _prices_of(session, account_id, [plan])
            first, rest = existing[0], existing[1:]
            await _drop_phases(session, rest)
            first.start_date, first.end_date, first.price_ids = start, end, new_prices
            await session.flush()
            await _check_kept_discounts(session, first)
            phases = [first]
        else:
            # From effectiveFrom: phases before it stay, the one running then ends the day before, later
            # ones are replaced by one new phase [effectiveFrom, endDate] with the new prices.
            kept = [p for p in existing if p.start_date < effective]
            await _drop_phases(session, [p for p in existing if p.start_date >= effective])
            kept[0].start_date = start
            kept[-1].end_date = effective - ONE_DAY
            plan = PhasePlan(effective, end, new_prices, "priceIds")
            await _prices_of(session, account_id, [PhasePlan(k.start_date, k.end_date, list(k.price_ids), "priceIds") for k in kept] + [plan])
            phases = kept + [await _store_phase(session, schedule, plan)]
    else:
        # Dates and options only: the phases stretch to the new bounds, and must still fit them.
        phases = existing
        if end is not None and phases[-1].start_date > end:
            raise _invalid("endDate", "must not end before the schedule's last phase starts")
        if len(phases) > 1 and start > phases[0].end_date:  # type: ignore[operator]
            raise _invalid("startDate", "must not start after the schedule's first phase ends")
        phases[0].start_date = start
        phases[-1].end_date = end
    _check_cover(phases, start, end)
    await session.flush()
    plans_now = [PhasePlan(p.start_date, p.end_date, list(p.price_ids), "priceIds") for p in phases]
    _, currency = await _prices_of(session, account_id, plans_now)
    price_ids = _union(plans_now)
    schedule.tax_rates = await _check_tax_rates(session, account_id, data.tax_rates, set(price_ids))
    schedule.type, schedule.start_date, schedule.end_date = data.type, start, end
    schedule.recurrence_day_of_month = data.recurrence_day_of_month
    schedule.auto_issue_invoices = data.auto_issue_invoices
    schedule.purchase_order_number = data.purchase_order_number
    schedule.roll_up_billing = data.roll_up_billing
    schedule.price_ids, schedule.currency = price_ids, currency
    if schedule.status in ("PENDING", "ACTIVE"):
        schedule.status = _status_on_start(start)
    schedule.updated_at = clock.now()
    await session.flush()
    return await _event(session, await detail(session, account_id, schedule), "BILLING_SCHEDULE_UPDATED")


async def activate_schedule(session: AsyncSession, account_id: str, schedule_id: str) -> ScheduleDetail:
    schedule = await get_schedule(session, account_id, schedule_id, lock=True)
    if schedule.status != "DRAFT":
        raise InvalidStateTransition(f"Only a DRAFT billing schedule can be activated; this one is {schedule.status}")
    schedule.status = _status_on_start(schedule.start_date)
    schedule.updated_at = clock.now()
    await session.flush()
    return await _event(session, await detail(session, account_id, schedule), "BILLING_SCHEDULE_UPDATED")


async def archive_schedule(session: AsyncSession, account_id: str, schedule_id: str) -> ScheduleDetail:
    """archivedAt and CANCELLED (a COMPLETED schedule keeps its status); again: unchanged. The engine's
    hook removes the schedule's IN_PROGRESS invoices in the same transaction."""
    schedule = await get_schedule(session, account_id, schedule_id, lock=True)
    if schedule.archived_at is None:
        now = clock.now()
        schedule.archived_at = now
        schedule.updated_at = now
        if schedule.status != "COMPLETED":
            schedule.status = "CANCELLED"
        await session.flush()
        await hooks.on_schedule_archived(session, account_id, schedule.id)
        return await _event(session, await detail(session, account_id, schedule), "BILLING_SCHEDULE_DELETED")
    return await detail(session, account_id, schedule)


async def mark_completed(session: AsyncSession, schedule_id: str) -> bool:
    """The engine, after a schedule's last billing period: ACTIVE (or PENDING) → COMPLETED. Answers
    whether it changed (False for a draft, an archived or an already completed schedule)."""
    schedule = await session.get(BillingSchedule, schedule_id, with_for_update=True)
    if schedule is None or schedule.status not in ("ACTIVE", "PENDING"):
        return False
    schedule.status = "COMPLETED"
    schedule.updated_at = clock.now()
    await session.flush()
    await record_event(session, schedule.account_id, "BILLING_SCHEDULE_UPDATED", "BillingSchedule", schedule.id,
                       lambda: _presented(session, schedule))
    return True


async def _presented(session: AsyncSession, schedule: BillingSchedule) -> Any:
    return present_schedule(await detail(session, schedule.account_id, schedule))


async def list_schedules(
    session: AsyncSession, account_id: str, *, params: PageParams, label: str | None, plan_id: str | None,
    customer_id: str | None, status: str | None, auto_send: bool | None, include_archived: bool,
) -> Page[BillingSchedule]:
    """``planId``: 2024-01-01 cannot link a schedule to a plan, so that filter matches none."""
    criteria = [
        equal(BillingSchedule.label, label or None), equal(BillingSchedule.customer_id, customer_id or None),
        equal(BillingSchedule.status, status), equal(BillingSchedule.auto_issue_invoices, auto_send),
        None if include_archived else BillingSchedule.archived_at.is_(None),
        BillingSchedule.id.is_(None) if plan_id else None,
    ]
    return await list_page(session, BillingSchedule, account_id, params, *criteria)


# --- discounts -----------------------------------------------------------------------------------------


async def _schedule_reference(session: AsyncSession, account_id: str, schedule_id: str) -> BillingSchedule:
    return await resolve("billingScheduleId", get_schedule(session, account_id, schedule_id, lock=True))


async def create_discount(session: AsyncSession, account_id: str, data: DiscountCreate) -> BillingScheduleDiscount:
    schedule = await _schedule_reference(session, account_id, data.billing_schedule_id)
    _editable(schedule)
    phases = await _phases_of(session, schedule)
    if data.phase_id is not None:
        phase = next((p for p in phases if p.id == data.phase_id), None)
        if phase is None:
            raise unknown_reference("phaseId", f"Phase {data.phase_id!r} is not a phase of this billing schedule")
    else:
        phase = current_phase(phases)
    return await insert(session, _new_discount(schedule, phase, data))


async def update_discount(session: AsyncSession, account_id: str, discount_id: str, data: DiscountUpdate) -> BillingScheduleDiscount:
    discount = await get_discount(session, account_id, discount_id, lock=True)
    if data.billing_schedule_id != discount.billing_schedule_id:
        await _schedule_reference(session, account_id, data.billing_schedule_id)
        raise _invalid("billingScheduleId", "a discount cannot move to another billing schedule")
    schedule = await get_schedule(session, account_id, discount.billing_schedule_id, lock=True)
    _editable(schedule)
    phase = await session.get(BillingSchedulePhase, discount.phase_id)
    assert phase is not None
    _check_amount("", data.discount_calculation_type, data.amount)
    _check_validity("", data.valid_from, data.valid_to)
    discount.price_ids = _check_subset("priceIds", data.price_ids, phase.price_ids)
    discount.separate_line_item = data.separate_line_item
    discount.amount = data.amount
    discount.calculation_type = data.discount_calculation_type
    discount.message = data.message
    discount.valid_from, discount.valid_to = data.valid_from, data.valid_to
    discount.updated_at = clock.now()
    await session.flush()
    return discount


async def delete_discount(session: AsyncSession, account_id: str, discount_id: str) -> BillingScheduleDiscount:
    discount = await get_discount(session, account_id, discount_id, lock=True)
    _editable(await get_schedule(session, account_id, discount.billing_schedule_id))
    return await remove(session, discount)


async def list_discounts(session: AsyncSession, account_id: str, params: PageParams) -> Page[BillingScheduleDiscount]:
    return await list_page(session, BillingScheduleDiscount, account_id, params)


# --- billing-schedule settings -------------------------------------------------------------------------


async def create_settings(session: AsyncSession, account_id: str, data: SettingsCreate) -> BillingScheduleSettings:
    await resolve("billingScheduleId", get_schedule(session, account_id, data.billing_schedule_id, lock=True))
    if await _settings_of(session, account_id, data.billing_schedule_id) is not None:
        raise _invalid("billingScheduleId", "this billing schedule already has settings; update them instead")
    now = clock.now()
    return await insert(session, BillingScheduleSettings(
        id=uuid7(), account_id=account_id, billing_schedule_id=data.billing_schedule_id,
        payment_provider=data.payment_provider, created_at=now, updated_at=now,
    ))


async def _settings_of(session: AsyncSession, account_id: str, schedule_id: str) -> BillingScheduleSettings | None:
    return (await session.scalars(select(BillingScheduleSettings).where(
        BillingScheduleSettings.account_id == account_id,
        BillingScheduleSettings.billing_schedule_id == schedule_id))).one_or_none()


async def settings_for_schedule(session: AsyncSession, account_id: str, schedule_id: str) -> BillingScheduleSettings:
    await get_schedule(session, account_id, schedule_id)
    found = await _settings_of(session, account_id, schedule_id)
    if found is None:
        raise NotFound(f"Billing schedule {schedule_id!r} has no settings", resource="BillingScheduleSettings")
    return found


async def update_settings(session: AsyncSession, account_id: str, settings_id: str, data: SettingsUpdate) -> BillingScheduleSettings:
    settings = await get_settings(session, account_id, settings_id, lock=True)
    settings.payment_provider = data.payment_provider
    settings.updated_at = clock.now()
    await session.flush()
    return settings


async def delete_settings(session: AsyncSession, account_id: str, settings_id: str) -> BillingScheduleSettings:
    return await remove(session, await get_settings(session, account_id, settings_id))

