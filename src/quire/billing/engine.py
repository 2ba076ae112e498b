"""One schedule's invoices: every due (schedule, invoice date) up to ``as_of``, each exactly once.

``bill_schedule`` plans a schedule's due invoices (``plan``) and writes each one **in its own
transaction** (``bill_slot``); ``run.run_billing`` calls it for what ``bulk.bill_batch`` leaves:

1. claim the invoice: ``INSERT … ON CONFLICT DO NOTHING`` the (schedule, invoice date) row of
   ``billing_schedule_invoices`` (UNIQUE), then ``SELECT … FOR UPDATE`` it. Two runs at once queue on
   that row; the second finds the first's invoice. A run killed mid-way rolled its transaction back:
   no claim, no invoice, and the next run writes it. A retried or repeated run finds the claim.
2. with the claim held: create the invoice through ``invoices.service.create_invoice`` (billing
   schedule, run and period set), its groups and lines through the billing-document core
   (``add_group``, ``invoices.lines.add_line``); or, for an IN_PROGRESS invoice whose plan changed,
   replace its lines. A final period's invoice becomes DRAFT: credits are drawn down (``quire.credits``,
   when installed), and with ``autoIssueInvoices`` it is finalized and sent (``invoices.actions``).

Invoices the engine has finished with (DRAFT or later, or deleted by the merchant) are never touched
again. Time comes only from ``as_of`` (and ``quire.core.clock`` for stamps). docs/billing-engine.md.
"""

from __future__ import annotations

import logging
import traceback
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from quire.accounts.customer_emails import customer_notifications_on
from quire.billing import plan as planning
from quire.billing.models import ScheduleInvoice
from quire.billing.plan import Charge, InvoicePlan, PriceFacts, Slot
from quire.billing_documents import lines as core_lines
from quire.billing_documents import service as core_service
from quire.catalogue import pricing
from quire.catalogue.structures import SeatBased
from quire.core import clock
from quire.core.db import sqlite_write_transaction
from quire.core.errors import QuireError
from quire.core.ids import uuid7
from quire.core.money import decimal_str
from quire.core.runtime import settings_of
from quire.invoices import actions as invoice_actions
from quire.invoices import lines as invoice_lines
from quire.invoices import repository as invoice_repo
from quire.invoices import service as invoices
from quire.invoices.lifecycle import Action, InvoiceStatus
from quire.invoices.models import KIND, Invoice
from quire.invoices.schemas import InvoiceCreate, LineItemWrite
from quire.schedules.models import BillingSchedule
from quire.schedules.read import ScheduleView
from quire.tax.rules import effective_tax_rate

log = logging.getLogger("quire.billing")

BILLED_STATUSES = ("ACTIVE", "PENDING")

Factory = async_sessionmaker[AsyncSession]
Progress = Callable[[int], None]


@dataclass
class Counts:
    schedules_seen: int = 0
    invoices_created: int = 0
    invoices_updated: int = 0
    invoices_unchanged: int = 0
    errors: int = 0

    def add(self, other: Counts) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class RunResult:
    batch_id: str
    as_of: date
    counts: Counts = field(default_factory=Counts)
    runs: dict[str, str] = field(default_factory=dict)  # account id → billing run id
    errors: list[str] = field(default_factory=list)


# --- transactions ---------------------------------------------------------------------------------


@asynccontextmanager
async def write(factory: Factory, write_lock: Any = None) -> AsyncIterator[AsyncSession]:
    """One write transaction (SQLite: ``BEGIN IMMEDIATE``, behind the app's write lock when given)."""
    token = sqlite_write_transaction.set(True)
    try:
        async with write_lock or nullcontext(), factory() as session:
            async with session.begin():
                yield session
    finally:
        sqlite_write_transaction.reset(token)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _reason(exc: Exception) -> str:
    """What a run records (and ``GET /billing-runs`` shows) of a failure: Quire's own refusals as they
    are; anything else by its class only, the details staying in the server log."""
    if isinstance(exc, (QuireError, pricing.PricingError)):
        return f"{type(exc).__name__}: {exc}"
    return f"{type(exc).__name__} (details in the server log)"


# --- one schedule ---------------------------------------------------------------------------------


async def bill_schedule(factory: Factory, view: ScheduleView, prices: dict[str, PriceFacts], as_of: date,
                        run_id: str, counts: Counts, errors: list[str], write_lock: Any = None) -> None:
    slots = planning.due_slots(view, prices, as_of)
    settled, running = await _claimed_dates(factory, view.id)
    stale = running - {slot.invoice_date for slot in planning.slots(view, prices, max([as_of, *running]))} \
        if running else set()
    if stale:  # the schedule was edited so that no charge falls on these dates any more
        async with write(factory, write_lock) as session:
            await session.get(BillingSchedule, view.id, with_for_update=True)  # the archive's lock order
            await delete_in_progress_invoices(session, view.account_id, view.id, only=stale)
        counts.invoices_updated += len(stale)
    failed = False
    for slot in slots:
        if slot.invoice_date in settled:
            counts.invoices_unchanged += 1
            continue
        failed = not await bill_slot_alone(factory, view, prices, slot, as_of, run_id, counts, errors, write_lock) or failed
    await settle_schedule(factory, view, prices, slots, as_of, failed, write_lock)


async def bill_slot_alone(factory: Factory, view: ScheduleView, prices: dict[str, PriceFacts], slot: Slot,
                          as_of: date, run_id: str, counts: Counts, errors: list[str], write_lock: Any = None) -> bool:
    """``bill_slot`` in a transaction of its own, counted; False (and the error recorded) when it failed."""
    try:
        async with write(factory, write_lock) as session:
            outcome = await bill_slot(session, view, prices, slot, as_of, run_id)
    except Exception as exc:  # noqa: BLE001 - this invoice rolled back; the next run retries it
        counts.errors += 1
        errors.append(f"schedule {view.id} invoice of {slot.invoice_date}: {_reason(exc)}")
        log.warning("billing %s %s failed:\n%s", view.id, slot.invoice_date, traceback.format_exc())
        return False
    setattr(counts, f"invoices_{outcome}", getattr(counts, f"invoices_{outcome}") + 1)
    return True


async def settle_schedule(factory: Factory, view: ScheduleView, prices: dict[str, PriceFacts], slots: list[Slot],
                          as_of: date, failed: bool, write_lock: Any = None) -> None:
    """A PENDING schedule whose start has come becomes ACTIVE; a schedule whose last period's invoice is
    final (without error) becomes COMPLETED (only a schedule with an end date has a last one)."""
    last = planning.last_invoice_date(view, prices)
    done = not failed and last is not None and bool(slots) and slots[-1].invoice_date == last and slots[-1].final(as_of)
    starts = view.status == "PENDING" and view.start_date <= as_of
    if starts or done:
        from quire.schedules.service import mark_completed

        async with write(factory, write_lock) as session:
            schedule = await session.get(BillingSchedule, view.id, with_for_update=True)
            if schedule is not None and starts and schedule.status == "PENDING":
                schedule.status = "ACTIVE"
                schedule.updated_at = clock.now()
                await session.flush()
            if done:
                await mark_completed(session, view.id)


async def _claimed_dates(factory: Factory, schedule_id: str) -> tuple[set[date], set[date]]:
    """The schedule's claimed invoice dates: those the engine is done with (the invoice is no longer
    IN_PROGRESS, or the merchant deleted it), and those still IN_PROGRESS."""
    async with factory() as session:
        rows = (await session.execute(
            select(ScheduleInvoice.invoice_date, Invoice.status)
            .join(Invoice, Invoice.id == ScheduleInvoice.invoice_id, isouter=True)
            .where(ScheduleInvoice.billing_schedule_id == schedule_id, ScheduleInvoice.invoice_id.is_not(None))
        )).all()
    running = {day for day, status in rows if status == InvoiceStatus.IN_PROGRESS.value}
    return {day for day, _ in rows} - running, running


async def _claim(session: AsyncSession, view: ScheduleView, slot: Slot) -> ScheduleInvoice:
    """The (schedule, invoice date) row, inserted if new, locked until this transaction ends."""
    now = clock.now()
    values = dict(id=uuid7(), account_id=view.account_id, billing_schedule_id=view.id, invoice_date=slot.invoice_date,
                  period_start=slot.period_start, period_end=slot.period_end, created_at=now, updated_at=now)
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    await session.execute(insert(ScheduleInvoice).values(**values).on_conflict_do_nothing(
        index_elements=["billing_schedule_id", "invoice_date"]))
    claim = await session.scalar(
        select(ScheduleInvoice).where(ScheduleInvoice.billing_schedule_id == view.id,
                                      ScheduleInvoice.invoice_date == slot.invoice_date)
        .with_for_update().execution_options(populate_existing=True))
    assert claim is not None
    return claim


async def bill_slot(session: AsyncSession, view: ScheduleView, prices: dict[str, PriceFacts], slot: Slot,
                    as_of: date, run_id: str) -> str:
    """Create or refresh one invoice; answers ``created``, ``updated`` or ``unchanged``.

    Locks the schedule row first (as its archive does before deleting IN_PROGRESS invoices: the same
    order, so no deadlock), then the claim: a schedule archived since the run read it is left alone."""
    schedule = await session.get(BillingSchedule, view.id, with_for_update=True, populate_existing=True)
    if schedule is None or schedule.status not in BILLED_STATUSES:
        return "unchanged"
    claim = await _claim(session, view, slot)
    invoice: Invoice | None = None
    if claim.invoice_id is not None:
        invoice = await invoice_repo.get_invoice(session, view.account_id, claim.invoice_id, lock=True)
        if invoice is None or invoice.status != InvoiceStatus.IN_PROGRESS.value:
            return "unchanged"  # finished with, or deleted by the merchant: never rewritten
    final = slot.final(as_of)
    usage, groups = await _usage(session, view, slot, prices)
    planned = planning.plan_invoice(view, slot, prices, usage=usage, usage_groups=groups,
                                    seats=await _seats(session, view, slot, prices))
    fingerprint = planned.fingerprint()
    if invoice is not None and claim.fingerprint == fingerprint and not final:
        return "unchanged"
    outcome = "updated" if invoice is not None else "created"
    if invoice is None:
        invoice = await invoices.create_invoice(session, view.account_id, _invoice_body(view, planned, run_id))
        claim.invoice_id = invoice.id
        invoice.status = InvoiceStatus.IN_PROGRESS.value  # recalculated by each run until its period ends
        await _add_lines(session, view.account_id, invoice.id, planned)
    elif claim.fingerprint != fingerprint:
        await _replace_lines(session, invoice, view.account_id, planned, run_id)
    claim.fingerprint = fingerprint
    claim.billing_run_id = run_id
    claim.period_start, claim.period_end = planned.period_start, planned.period_end
    claim.updated_at = clock.now()
    schedule.last_invoice_id = invoice.id
    if final:
        await _finish(session, view, invoice, slot, run_id)
    await session.flush()
    return outcome


def _invoice_body(view: ScheduleView, planned: InvoicePlan, run_id: str) -> InvoiceCreate:
    body: dict[str, Any] = {
        "currency": planned.currency, "customerId": view.customer_id, "billingScheduleId": view.id,
        "billingRunId": run_id, "accountingDate": planned.invoice_date.isoformat(),
        "billingPeriod": {"start": planned.period_start.isoformat(), "endInclusive": planned.period_end.isoformat()},
    }
    if view.purchase_order_number:
        body["purchaseOrderNumber"] = view.purchase_order_number
    if view.reference:
        body["reference"] = view.reference
    return InvoiceCreate.model_validate(body)


async def _add_lines(session: AsyncSession, account_id: str, invoice_id: str, planned: InvoicePlan) -> None:
    """The plan's groups and lines through the document core, one write each (``add_group``, ``add_line``)."""
    for group in planned.groups:
        _, row = await core_lines.add_group(session, KIND, account_id, invoice_id, title=group.title, description=None)
        for line in group.lines:
            await invoice_lines.add_line(session, account_id, invoice_id, _line_body(line, row.id))
    for line in planned.lines:
        await invoice_lines.add_line(session, account_id, invoice_id, _line_body(line, None))


async def _write_lines(rows: Any, invoice: Invoice, planned: InvoicePlan) -> None:
    """The plan's groups and lines of a new ``invoice`` (no tax rate ids), added to ``rows`` (anything with
    ``add``) as the document core writes them (``new_line``, ``invoices.lines``' fill, ``add_group``'s
    columns), and the totals ``recalculate`` would store: the batch path's writer (``bulk``), in memory."""
    rate = effective_tax_rate(invoice.customer_tax_status, Decimal(0))
    sums: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0, 0])

    def add(line: planning.LinePlan, group_id: str | None) -> None:
        assert line.tax_rate_id is None, "lines with a tax rate id are written by add_line"
        body = _line_body(line, group_id)
        row = core_lines.new_line(rows, KIND, invoice)
        invoice_lines._fill(row, body, rate, invoice.currency)
        total = sums[group_id]
        for i, value in enumerate((row.net_total_minor, row.total_tax_minor, row.gross_total_minor, body.quantity != 0)):
            total[i] += value

    for plan_group in planned.groups:
        group = KIND.group(id=uuid7(), account_id=invoice.account_id, document_id=invoice.id,
                           index=invoice.next_group_index, title=plan_group.title, description=None,
                           net_total_minor=0, total_tax_minor=0, gross_total_minor=0, created_at=clock.now())
        invoice.next_group_index += 1
        rows.add(group)
        for line in plan_group.lines:
            add(line, group.id)
        core_lines.store(group, core_lines.storable((sums[group.id][0], sums[group.id][1], sums[group.id][2]),
                                                    invoice.currency))
    for line in planned.lines:
        add(line, None)
    totals = list(sums.values())
    core_lines.store(invoice, core_lines.storable(
        (sum(v[0] for v in totals), sum(v[1] for v in totals), sum(v[2] for v in totals)), invoice.currency))
    invoice.has_quantity = any(v[3] for v in totals)
    invoice.updated_at = clock.now()


def _line_body(line: planning.LinePlan, group_id: str | None) -> LineItemWrite:
    body: dict[str, Any] = {"title": line.title, "quantity": decimal_str(line.quantity), "rate": decimal_str(line.rate),
                            "externalIds": []}
    if line.description:
        body["description"] = line.description
    if line.tax_rate_id:
        body["taxRateId"] = line.tax_rate_id
    else:
        body["taxRate"] = "0"
    if line.price_id:
        body["priceId"] = line.price_id
    if group_id:
        body["groupId"] = group_id
    if line.service_start and line.service_end:
        body["servicePeriod"] = {"startDate": line.service_start.isoformat(), "endDate": line.service_end.isoformat()}
    return LineItemWrite.model_validate(body)


async def _replace_lines(session: AsyncSession, invoice: Invoice, account_id: str, planned: InvoicePlan,
                         run_id: str) -> None:
    """An IN_PROGRESS invoice recalculated: its lines and groups replaced by the new plan's."""
    from quire.billing_documents import repository as parts

    await parts.delete_lines_and_groups(session, KIND, invoice.id)
    await session.flush()
    invoice.billing_run_id = run_id
    invoice.billing_period_start, invoice.billing_period_end = planned.period_start, planned.period_end
    await core_lines.recalculate(session, KIND, invoice)
    await _add_lines(session, account_id, invoice.id, planned)


async def _finish(session: AsyncSession, view: ScheduleView, invoice: Invoice, slot: Slot, run_id: str, *,
                  credits: bool = True) -> None:
    """The period is over: DRAFT, credits drawn down, and issued when the schedule says so. ``credits``
    False: the caller knows the customer has no credit grant (the drawdown would draw nothing)."""
    if invoice.status != InvoiceStatus.DRAFT.value:  # the batch path sets its invoices DRAFT together
        invoice.status = InvoiceStatus.DRAFT.value
        invoice.updated_at = clock.now()
        await session.flush()
    if credits:
        await _drawdown()(session, view.account_id, invoice.id, view.customer_id, slot.invoice_date, run_id)
    if view.auto_issue_invoices:
        # Sent as well when Quire sends email (QUIRE_SMTP_URL), the invoice has an address and the account
        # lets Quire email its customers (sendCustomerNotifications, docs/accounts.md); else finalized.
        sends = (settings_of(session).smtp_url is not None and bool(invoice.customer_emails)
                 and await customer_notifications_on(session, view.account_id))
        await invoice_actions.transition(session, view.account_id, invoice.id,
                                         Action.FINALIZE_AND_SEND if sends else Action.FINALIZE)


def _drawdown() -> Any:
    """The credits drawdown service (``quire.credits`` builds on invoices; imported when used)."""
    from quire.credits.service import apply_drawdown

    return apply_drawdown


# --- facts: usage and seats -----------------------------------------------------------------------


async def _usage(session: AsyncSession, view: ScheduleView, slot: Slot, prices: dict[str, PriceFacts]
                 ) -> tuple[dict[Charge, pricing.Usage], dict[Charge, tuple[tuple[str | None, Any], ...]]]:
    """Usage of the slot's usage charges (the metric over the charged days, and the earlier part of the
    price's calculation window), and a GROUPED metric's value per group."""
    from quire.usage.calculation import MetricSpec, calculate
    from quire.usage.models import UsageMetric

    out: dict[Charge, pricing.Usage] = {}
    grouped: dict[Charge, tuple[tuple[str | None, Any], ...]] = {}
    customers = [view.customer_id, *view.roll_up_customer_ids]  # roll-up: the children's usage too, tiers on the sum
    for charge in slot.charges:
        price = prices[charge.price_id]
        if not price.usage_based or price.metric_id is None:
            continue
        metric = await session.get(UsageMetric, price.metric_id)
        if metric is None or metric.account_id != view.account_id:
            raise pricing.PricingError(f"usage metric {price.metric_id} of price {price.id} was not found")
        spec = MetricSpec.of(metric)
        prior_range, own = planning.usage_ranges(view, charge, price)

        async def measure(lo: date, hi: date) -> Any:
            return await calculate(session, view.account_id, spec, customers, _midnight(lo), _midnight(hi))

        prior = (await measure(*prior_range)).total.value if prior_range else pricing.ZERO
        result = await measure(*own)
        out[charge] = pricing.Usage(quantity=result.total.value, prior=prior)
        if result.groups:
            grouped[charge] = tuple((g.group, g.value) for g in result.groups)
    return out, grouped


async def _seats(session: AsyncSession, view: ScheduleView, slot: Slot, prices: dict[str, PriceFacts]
                 ) -> dict[Charge, pricing.Seats]:
    """Seat facts of the slot's seat charges, from the customer's seat snapshots (by its id or any alias)
    for the price's seat type (its key): in advance, the balance as the period starts; in arrears, that
    balance and each day's last snapshot during the charged days (the price's proration strategy then
    decides what they cost, ``catalogue.pricing``)."""
    from quire.customers.models import CustomerAlias
    from quire.seats.models import SeatSnapshot, SeatType

    out: dict[Charge, pricing.Seats] = {}
    aliases: list[str] | None = None
    for charge in slot.charges:
        structure = prices[charge.price_id].structure
        if not isinstance(structure, SeatBased):
            continue
        if aliases is None:
            aliases = [view.customer_id, *await session.scalars(
                select(CustomerAlias.value).where(CustomerAlias.account_id == view.account_id,
                                                  CustomerAlias.customer_id == view.customer_id))]
        seat_type = await session.get(SeatType, structure.seat_ref)
        key = seat_type.key if seat_type is not None and seat_type.account_id == view.account_id else structure.seat_ref
        start, stop = _midnight(charge.start), _midnight(charge.end + timedelta(days=1))
        snapshots = SeatSnapshot.account_id == view.account_id, SeatSnapshot.seat_type == key, \
            SeatSnapshot.customer_alias.in_(aliases)
        before = await session.scalar(
            select(SeatSnapshot.total).where(*snapshots, SeatSnapshot.snapshot_timestamp < start)
            .order_by(SeatSnapshot.snapshot_timestamp.desc(), SeatSnapshot.id.desc()).limit(1))
        changes: dict[date, int] = {}
        if not charge.in_advance:
            for at, total in (await session.execute(
                    select(SeatSnapshot.snapshot_timestamp, SeatSnapshot.total)
                    .where(*snapshots, SeatSnapshot.snapshot_timestamp >= start, SeatSnapshot.snapshot_timestamp < stop)
                    .order_by(SeatSnapshot.snapshot_timestamp, SeatSnapshot.id))).all():
                changes[at.astimezone(UTC).date()] = int(total)  # a day's last snapshot wins
        out[charge] = pricing.Seats(opening=int(before or 0),
                                    changes=tuple(pricing.SeatChange(on, n) for on, n in sorted(changes.items())))
    return out


# --- archive hook ---------------------------------------------------------------------------------


async def delete_in_progress_invoices(session: AsyncSession, account_id: str, schedule_id: str, *,
                                      only: Iterable[date] | None = None) -> None:
    """A schedule archived: its IN_PROGRESS invoices (periods not over yet; ``only`` those of these invoice
    dates) are deleted with their claims; issued and draft invoices stay (BEHAVIOUR.md §7.3)."""
    stmt = (
        select(ScheduleInvoice, Invoice)
        .join(Invoice, Invoice.id == ScheduleInvoice.invoice_id)
        .where(ScheduleInvoice.account_id == account_id, ScheduleInvoice.billing_schedule_id == schedule_id,
               Invoice.status == InvoiceStatus.IN_PROGRESS.value)
        .with_for_update()
    )
    if only is not None:
        stmt = stmt.where(ScheduleInvoice.invoice_date.in_(sorted(only)))
    rows = (await session.execute(stmt)).all()
    for claim, invoice in rows:
        await invoice_repo.delete_settings(session, invoice.id)
        await core_service.delete_draft(session, KIND, invoice)
        await session.delete(claim)
    await session.flush()


def register() -> None:
    """Plug the engine into the schedules package (idempotent)."""
    from quire.schedules.hooks import register_archive_hook

    register_archive_hook(delete_in_progress_invoices)


register()
