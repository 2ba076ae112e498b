"""A batch of schedules billed in one transaction: the engine's path at scale (docs/billing-engine.md#scale).

``bill_batch`` takes a batch of schedule views (``run._batches``: 500 at a time) and:

1. reads the batch's claims in **one** query: settled dates count as unchanged (as ``bill_schedule``);
2. measures the usage of every usage charge of the batch with **one aggregate query per (metric, date
   range)** for all the batch's customers (``usage.calculation``'s own statement, per customer), and plans
   each invoice (``plan.plan_invoice``, the same pure function);
3. an IN_PROGRESS invoice whose plan has the fingerprint its claim records, and whose period is still
   running, is unchanged: nothing is written (what ``bill_slot`` answers after locking; a run writing it
   at the same moment writes the same plan);
4. the batch's writes happen in **one transaction**: its schedule rows locked in id order (the archive's
   lock order); the new (schedule, invoice date) claims inserted with ``INSERT … ON CONFLICT DO NOTHING
   RETURNING`` (executemany: only the pairs this transaction claimed are written; another run's go to
   ``bill_slot``); every invoice, group and line added at once and flushed as multi-row INSERTs. The rows
   are the document core's: ``new_document``, ``new_line`` and ``invoices.lines``' fill, totals through
   ``billing_documents.calculation`` (``line_minor``) summed as ``recalculate`` sums them
   (``engine._write_lines``; a test compares them column by column with ``add_line``'s). An unchanged
   IN_PROGRESS invoice whose period is over is locked with its claim and re-checked. The final invoices
   become DRAFT together, then each is finished as ``bill_slot`` finishes it (credits drawn, for the
   customers that have a credit grant: one query for the batch; auto-issue), in the same transaction.
   An invoice that cannot be built (an amount too large to store, an archived customer) is that
   invoice's error only; it is not claimed.

Anything else goes through ``engine.bill_schedule`` one schedule at a time, unchanged: a schedule with
seat prices, tax rates or children to roll up, stale IN_PROGRESS dates, an IN_PROGRESS invoice whose
plan changed, a planning error, or a batch whose transaction failed (then each of its schedules is
billed one by one, which records each error where it belongs); a claim another run took meanwhile goes
to ``bill_slot``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts import merchant
from quire.accounts.models import Account
from quire.billing import engine
from quire.billing import plan as planning
from quire.billing.models import ScheduleInvoice
from quire.billing.plan import Charge, InvoicePlan, PriceFacts, Slot
from quire.billing_documents.service import new_document
from quire.catalogue import pricing
from quire.catalogue.models import Price
from quire.catalogue.structures import SeatBased
from quire.core import clock
from quire.core.ids import uuid7
from quire.customers.models import Customer
from quire.customers.service import billable
from quire.invoices.lifecycle import InvoiceStatus, PaymentStatus
from quire.invoices.models import KIND, Invoice
from quire.invoices.service import DEFAULT_PAYMENT_OPTIONS, DEFAULT_RENDER_SETTINGS, invoice_event
from quire.schedules.models import BillingSchedule
from quire.schedules.read import ScheduleView
from quire.tax.models import TaxRegistration

IN_PROGRESS = InvoiceStatus.IN_PROGRESS.value
CLAIM_ROWS = 500  # claims per INSERT (SQLite binds at most 32,766 values in a statement)


@dataclass
class _New:
    view: ScheduleView
    slot: Slot
    planned: InvoicePlan
    fingerprint: str
    running: bool = False  # an IN_PROGRESS invoice of this plan exists: it is only finished
    invoice_id: str = field(default_factory=uuid7)


@dataclass
class Outcome:
    """What the batch did by itself (counts by schedule id), and the schedules left to the one-by-one path."""

    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    one_by_one: list[ScheduleView] = field(default_factory=list)
    slots_alone: list[tuple[ScheduleView, Slot]] = field(default_factory=list)  # e.g. claimed by another run meanwhile
    slots_of: dict[str, list[Slot]] = field(default_factory=dict)               # the due slots of the others
    failed: list[tuple[ScheduleView, Slot, Exception]] = field(default_factory=list)  # invoices not written

    def failed_of(self, schedule_id: str) -> list[tuple[ScheduleView, Slot, Exception]]:
        return [f for f in self.failed if f[0].id == schedule_id]


async def bill_batch(factory: engine.Factory, views: Sequence[ScheduleView], prices: dict[str, PriceFacts],
                     as_of: date, run_ids: dict[str, str], write_lock: Any = None) -> Outcome:
    """Bill what the batch can in bulk (see the module docstring); the rest is named in the outcome."""
    out = Outcome()
    async with factory() as session:
        claims = await _claims(session, [v.id for v in views])
        owners = await _price_owners(session, prices)
        candidates: list[tuple[ScheduleView, Slot]] = []
        running: dict[tuple[str, date], str | None] = {}  # IN_PROGRESS (schedule, date) → fingerprint
        for view in views:
            every = planning.slots(view, prices, as_of)
            slots = [slot for slot in every if slot.due(as_of)]  # planning.due_slots
            mine = claims.get(view.id, {})
            if not _simple(view, every, slots, prices, owners, mine, as_of):
                out.one_by_one.append(view)
                continue
            out.slots_of[view.id] = slots
            for slot in slots:
                claim = mine.get(slot.invoice_date)
                if claim is None:
                    candidates.append((view, slot))
                elif claim[0] == IN_PROGRESS:
                    candidates.append((view, slot))
                    running[(view.id, slot.invoice_date)] = claim[1]
                else:
                    out.unchanged[view.id] += 1  # settled: finished with, or deleted by the merchant
        planned = await _plan(session, candidates, prices, out)
    new: list[_New] = []
    alone: set[str] = set()  # schedules with an invoice to replace: billed one by one, in date order
    for view, slot, plan in planned:
        fingerprint = plan.fingerprint()
        key = (view.id, slot.invoice_date)
        if key not in running:
            new.append(_New(view, slot, plan, fingerprint))
        elif running[key] != fingerprint:
            alone.add(view.id)
        elif slot.final(as_of):  # unchanged, and its period is over: it becomes DRAFT here
            new.append(_New(view, slot, plan, fingerprint, running=True))
        else:
            out.unchanged[view.id] += 1
    if alone:
        out.one_by_one += [view for view in views if view.id in alone]
        new = [item for item in new if item.view.id not in alone]
        for schedule_id in alone:
            out.unchanged.pop(schedule_id, None)
            out.slots_of.pop(schedule_id, None)
    if new:
        try:
            async with engine.write(factory, write_lock) as session:
                await _write(session, new, as_of, run_ids, out)
        except Exception:  # noqa: BLE001 - rolled back whole: each of these schedules is billed one by one
            engine.log.warning("bulk billing of %d invoices failed; billing them one by one", len(new), exc_info=True)
            failed = {item.view.id for item in new}
            out.one_by_one += [view for view in views if view.id in failed]
            for schedule_id in failed:
                out.created.pop(schedule_id, None)
                out.updated.pop(schedule_id, None)
                out.unchanged.pop(schedule_id, None)
                out.slots_of.pop(schedule_id, None)
            out.slots_alone = [(v, s) for v, s in out.slots_alone if v.id not in failed]
            out.failed = [(v, s, e) for v, s, e in out.failed if v.id not in failed]
    return out


def _simple(view: ScheduleView, every: list[Slot], slots: list[Slot], prices: dict[str, PriceFacts],
            owners: dict[str, str], claims: dict[date, tuple[str | None, str | None]], as_of: date) -> bool:
    """Whether the batch path bills this schedule: no seat price, no tax rate, no child customer to roll up
    (the batch measures usage per customer), every price the account's, every claim with its invoice, and
    no IN_PROGRESS date the schedule no longer charges."""
    if view.tax_rates or view.roll_up_customer_ids:
        return False
    for phase in view.phases:
        for price_id in phase.price_ids:
            price = prices.get(price_id)
            if price is None or owners.get(price_id) != view.account_id or isinstance(price.structure, SeatBased):
                return False
    if any(status is _NO_INVOICE for status, _ in claims.values()):
        return False
    running = {day for day, (status, _) in claims.items() if status == IN_PROGRESS}
    if running:
        until = max([as_of, *running])
        charged = {slot.invoice_date for slot in (every if until == as_of else planning.slots(view, prices, until))}
        if running - charged:
            return False
        if running - {slot.invoice_date for slot in slots}:
            return False
    return True


_NO_INVOICE: Any = object()  # a claim without its invoice id (left to bill_slot)
_PLANNER = ("SELECT set_config('enable_seqscan', '{value}', true), set_config('enable_hashjoin', '{value}', true), "
            "set_config('enable_mergejoin', '{value}', true)")


async def _claims(session: AsyncSession, schedule_ids: list[str]) -> dict[str, dict[date, tuple[Any, str | None]]]:
    """Per schedule: invoice date → (its invoice's status, None when deleted; the claim's fingerprint)."""
    postgresql = session.bind.dialect.name == "postgresql"
    if postgresql:
        # Index lookups (claims by schedule, invoices by id) whatever the statistics say: right after a run
        # that wrote the claims and invoices, before ANALYZE has seen them, the planner hashed both whole
        # tables for every batch (100,000 invoices: 130-150 ms a batch instead of 2 ms; most of a rerun's
        # PostgreSQL time). Only for this statement: set back below, in the same transaction.
        await session.execute(text(_PLANNER.format(value="off")))
    rows = (await session.execute(
        select(ScheduleInvoice.billing_schedule_id, ScheduleInvoice.invoice_date, ScheduleInvoice.invoice_id,
               Invoice.status, ScheduleInvoice.fingerprint)
        .join(Invoice, Invoice.id == ScheduleInvoice.invoice_id, isouter=True)
        .where(ScheduleInvoice.billing_schedule_id.in_(schedule_ids))
    )).all()
    if postgresql:
        await session.execute(text(_PLANNER.format(value="on")))
    out: dict[str, dict[date, tuple[Any, str | None]]] = defaultdict(dict)
    for schedule_id, day, invoice_id, status, fingerprint in rows:
        out[schedule_id][day] = (_NO_INVOICE if invoice_id is None else status, fingerprint)
    return out


async def _price_owners(session: AsyncSession, prices: dict[str, PriceFacts]) -> dict[str, str]:
    """Price id → account id (a line's priceId must be a price of the invoice's account)."""
    if not prices:
        return {}
    return dict((await session.execute(select(Price.id, Price.account_id).where(Price.id.in_(sorted(prices))))).all())


# --- usage and plans ------------------------------------------------------------------------------


async def _plan(session: AsyncSession, candidates: list[tuple[ScheduleView, Slot]], prices: dict[str, PriceFacts],
                out: Outcome) -> list[tuple[ScheduleView, Slot, InvoicePlan]]:
    """Each candidate's plan, the usage of all of them measured with one query per (metric, range); a
    schedule whose usage or plan fails goes one by one (which records the error)."""
    from quire.usage.calculation import MetricSpec, MetricResult, _result
    from quire.usage.models import UsageMetric

    wanted: dict[tuple[str, str, date, date], set[str]] = defaultdict(set)  # (account, metric, lo, hi) → customers
    needs: dict[tuple[str, Charge], tuple[tuple[date, date] | None, tuple[date, date]]] = {}
    for view, slot in candidates:
        for charge in slot.charges:
            price = prices[charge.price_id]
            if not price.usage_based or price.metric_id is None:
                continue
            prior, own = planning.usage_ranges(view, charge, price)
            needs[(view.id, charge)] = prior, own
            for lo, hi in filter(None, (prior, own)):
                wanted[(view.account_id, price.metric_id, lo, hi)].add(view.customer_id)
    metric_ids = sorted({metric_id for _, metric_id, _, _ in wanted})
    metrics = {m.id: m for m in await session.scalars(select(UsageMetric).where(UsageMetric.id.in_(metric_ids)))} \
        if metric_ids else {}
    measured: dict[tuple[str, str, date, date], dict[str, MetricResult]] = {}
    for (account_id, metric_id, lo, hi), customers in wanted.items():
        metric = metrics.get(metric_id)
        if metric is None or metric.account_id != account_id:
            continue  # bill_slot refuses it with its message
        measured[(account_id, metric_id, lo, hi)] = await _measure(session, account_id, MetricSpec.of(metric),
                                                                   sorted(customers), lo, hi)
    planned: list[tuple[ScheduleView, Slot, InvoicePlan]] = []
    broken: set[str] = set()
    for view, slot in candidates:
        if view.id in broken:
            continue
        usage: dict[Charge, pricing.Usage] = {}
        groups: dict[Charge, tuple[tuple[str | None, Any], ...]] = {}
        try:
            for charge in slot.charges:
                if (view.id, charge) not in needs:
                    continue
                price = prices[charge.price_id]
                prior_range, own = needs[(view.id, charge)]
                if (view.account_id, price.metric_id, *own) not in measured:
                    raise LookupError(price.metric_id)

                def value(lo: date, hi: date) -> MetricResult:
                    key = (view.account_id, price.metric_id, lo, hi)
                    found = measured[key].get(view.customer_id) if key in measured else None
                    return found if found is not None else _result(MetricSpec.of(metrics[price.metric_id]), [])

                result = value(*own)
                prior = value(*prior_range).total.value if prior_range else pricing.ZERO
                usage[charge] = pricing.Usage(quantity=result.total.value, prior=prior)
                if result.groups:
                    groups[charge] = tuple((g.group, g.value) for g in result.groups)
            planned.append((view, slot, planning.plan_invoice(view, slot, prices, usage=usage, usage_groups=groups)))
        except Exception:  # noqa: BLE001 - bill_schedule meets the same failure and records it
            broken.add(view.id)
    if broken:
        out.one_by_one += [v for v in {view.id: view for view, _ in candidates}.values() if v.id in broken]
        planned = [p for p in planned if p[0].id not in broken]
    return planned


async def _measure(session: AsyncSession, account_id: str, spec: Any, customer_ids: list[str], lo: date, hi: date
                   ) -> dict[str, Any]:
    """``calculation.calculate`` for each of ``customer_ids`` over ``[lo, hi)``, in one query: the account's
    per-customer statement (``calculate_all``'s) restricted to these customers (PostgreSQL pushes the
    restriction down to the alias map, so only their events are read)."""
    from quire.usage.calculation import _props, _result, _rows, _statement

    if session.bind.dialect.name == "postgresql":
        # Planned for these customers each time: after five runs PostgreSQL would keep a generic plan of the
        # prepared statement that aggregates every customer's events (2-3 s instead of 0.1 s for 500).
        # No parallel workers either: starting them costs more than this batch's index lookups.
        await session.execute(text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                                   "set_config('max_parallel_workers_per_gather', '0', true)"))
    stmt = _statement(_props(session), spec, account_id, engine._midnight(lo), engine._midnight(hi), customer_ids=None)
    sub = stmt.subquery("per_customer")
    rows = await _rows(session, select(sub).where(sub.c.customer_id.in_(customer_ids)))
    by_customer: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_customer[row.customer_id].append(row)
    return {customer: _result(spec, found) for customer, found in by_customer.items()}


# --- the write ------------------------------------------------------------------------------------


async def _write(session: AsyncSession, new: list[_New], as_of: date, run_ids: dict[str, str], out: Outcome) -> None:
    schedule_ids = sorted({item.view.id for item in new})
    billed = set(await session.scalars(
        select(BillingSchedule.id).where(BillingSchedule.id.in_(schedule_ids),
                                         BillingSchedule.status.in_(engine.BILLED_STATUSES))
        .order_by(BillingSchedule.id).with_for_update()))
    for item in new:
        if item.view.id not in billed:  # archived or completed since the batch was read: left alone
            out.unchanged[item.view.id] += 1
    new = [item for item in new if item.view.id in billed]
    finishing = await _lock_running(session, [item for item in new if item.running], run_ids, out)
    new = [item for item in new if not item.running]
    facts = await _facts(session, new) if new else None
    built: list[tuple[_New, Invoice, _Rows]] = []
    for item in new:  # in memory: an invoice that cannot be built is this invoice's error only
        rows = _Rows()
        try:
            invoice = _invoice(rows, item, run_ids[item.view.account_id], facts)
            await engine._write_lines(rows, invoice, item.planned)
            if item.slot.final(as_of):  # inserted DRAFT, as bill_slot leaves it before finishing it
                invoice.status = InvoiceStatus.DRAFT.value
        except Exception as exc:  # noqa: BLE001 - recorded as bill_slot's failure would be
            out.failed.append((item.view, item.slot, exc))
            continue
        built.append((item, invoice, rows))
    mine = await _insert_claims(session, [item for item, _, _ in built], run_ids)
    out.slots_alone += [(item.view, item.slot) for item, _, _ in built if (item.view.id, item.slot.invoice_date) not in mine]
    invoices = [(item, invoice) for item, invoice, _ in built if (item.view.id, item.slot.invoice_date) in mine]
    ours = [rows for item, _, rows in built if (item.view.id, item.slot.invoice_date) in mine]
    for kind in ("invoices", "groups", "lines"):  # in foreign-key order: the tables have no relationship()
        session.add_all([row for rows in ours for row in getattr(rows, kind)])
        await session.flush()
    for item, invoice in invoices:
        out.created[item.view.id] += 1
        await invoice_event(session, invoice, "INVOICE_CREATED")  # as create_invoice records it
    for item, _ in finishing:
        out.updated[item.view.id] += 1
    written = sorted([*invoices, *finishing], key=lambda pair: (pair[0].view.id, pair[0].slot.invoice_date))
    last = {item.view.id: invoice.id for item, invoice in written}  # the last written, as bill_slot leaves it
    if last:
        await session.execute(update(BillingSchedule), [{"id": sid, "last_invoice_id": iid}
                                                          for sid, iid in last.items()])
    final = [(item, invoice) for item, invoice in written if item.slot.final(as_of)]
    for item, invoice in final:  # DRAFT together (one batched UPDATE), then finished one by one
        if invoice.status != InvoiceStatus.DRAFT.value:
            invoice.status = InvoiceStatus.DRAFT.value
            invoice.updated_at = clock.now()
    await session.flush()
    granted = await _with_grants(session, {(item.view.account_id, item.view.customer_id) for item, _ in final})
    for item, invoice in final:
        await engine._finish(session, item.view, invoice, item.slot, run_ids[item.view.account_id],
                             credits=(item.view.account_id, item.view.customer_id) in granted)
    await session.flush()


async def _with_grants(session: AsyncSession, customers: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (account, customer) pairs with any credit grant: only their invoices have credits to draw
    (``credits.service.apply_drawdown`` draws nothing for a customer without one)."""
    if not customers:
        return set()
    from quire.credits.models import CreditGrant

    rows = await session.execute(select(CreditGrant.account_id, CreditGrant.customer_id).distinct().where(
        CreditGrant.account_id.in_(sorted({a for a, _ in customers})),
        CreditGrant.customer_id.in_(sorted({c for _, c in customers}))))
    return {(a, c) for a, c in rows.all()} & customers


async def _lock_running(session: AsyncSession, items: list[_New], run_ids: dict[str, str], out: Outcome
                        ) -> list[tuple[_New, Invoice]]:
    """The unchanged IN_PROGRESS invoices whose period is over, with their claims, locked (as ``bill_slot``
    locks them) and re-checked: still IN_PROGRESS with the same fingerprint; the claim is stamped as
    ``bill_slot`` stamps it. Any other is left to ``bill_slot``."""
    if not items:
        return []
    wanted = {(item.view.id, item.slot.invoice_date): item for item in items}
    claims = {(c.billing_schedule_id, c.invoice_date): c for c in await session.scalars(
        select(ScheduleInvoice).where(ScheduleInvoice.billing_schedule_id.in_(sorted({k[0] for k in wanted})),
                                      ScheduleInvoice.invoice_date.in_(sorted({k[1] for k in wanted})))
        .order_by(ScheduleInvoice.billing_schedule_id, ScheduleInvoice.invoice_date).with_for_update())
        if (c.billing_schedule_id, c.invoice_date) in wanted}
    invoice_ids = sorted(c.invoice_id for c in claims.values() if c.invoice_id)
    invoices = {i.id: i for i in await session.scalars(
        select(Invoice).where(Invoice.id.in_(invoice_ids)).order_by(Invoice.id).with_for_update())} if invoice_ids else {}
    now = clock.now()
    locked: list[tuple[_New, Invoice]] = []
    for key, item in wanted.items():
        claim = claims.get(key)
        invoice = invoices.get(claim.invoice_id) if claim is not None and claim.invoice_id else None
        if claim is None or invoice is None or invoice.status != IN_PROGRESS or claim.fingerprint != item.fingerprint:
            out.slots_alone.append((item.view, item.slot))
            continue
        claim.billing_run_id = run_ids[item.view.account_id]
        claim.period_start, claim.period_end = item.planned.period_start, item.planned.period_end
        claim.updated_at = now
        locked.append((item, invoice))
    return locked


async def _insert_claims(session: AsyncSession, new: list[_New], run_ids: dict[str, str]) -> set[tuple[str, date]]:
    """Insert every claim not taken yet; the (schedule, date) pairs this transaction claimed."""
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = clock.now()
    table = ScheduleInvoice.__table__
    stmt = insert(table).on_conflict_do_nothing(index_elements=["billing_schedule_id", "invoice_date"]) \
        .returning(table.c.billing_schedule_id, table.c.invoice_date)
    claimed: set[tuple[str, date]] = set()
    for start in range(0, len(new), CLAIM_ROWS):  # executemany: one statement compiled once, sent as multi-row INSERTs
        rows = [dict(id=uuid7(), account_id=item.view.account_id, billing_schedule_id=item.view.id,
                     invoice_date=item.slot.invoice_date, period_start=item.planned.period_start,
                     period_end=item.planned.period_end, invoice_id=item.invoice_id, fingerprint=item.fingerprint,
                     billing_run_id=run_ids[item.view.account_id], created_at=now, updated_at=now)
                for item in new[start:start + CLAIM_ROWS]]
        if rows:
            result = await session.execute(stmt, rows)
            claimed |= {(sid, day) for sid, day in result.all()}
    return claimed


@dataclass
class _Facts:
    customers: dict[str, Customer]
    customer_tax_ids: dict[str, str]
    merchant_details: dict[str, dict[str, Any] | None]  # by account


async def _facts(session: AsyncSession, items: list[_New]) -> _Facts:
    """``invoices.repository.creation_facts`` for the whole batch: customers, first tax registrations of
    the customers and merchants, merchant settings (four queries)."""
    customer_ids = sorted({item.view.customer_id for item in items})
    accounts = sorted({item.view.account_id for item in items})
    customers = {c.id: c for c in await session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
    registrations = (await session.execute(
        select(TaxRegistration.account_id, TaxRegistration.customer_id, TaxRegistration.merchant_id,
               TaxRegistration.tax_identifier)
        .where(TaxRegistration.account_id.in_(accounts),
               TaxRegistration.customer_id.in_(customer_ids) | TaxRegistration.merchant_id.in_(accounts))
        .order_by(TaxRegistration.created_at.desc(), TaxRegistration.id.desc()))).all()
    customer_tax: dict[str, str] = {}
    merchant_tax: dict[str, str] = {}
    for account_id, customer_id, merchant_id, identifier in registrations:  # newest first: the first one wins
        if customer_id is not None and customer_id in customers and customers[customer_id].account_id == account_id:
            customer_tax[customer_id] = identifier
        if merchant_id is not None and merchant_id == account_id:
            merchant_tax[account_id] = identifier
    details: dict[str, dict[str, Any] | None] = {}
    for account_id, settings in (await session.execute(
            select(Account.id, Account.merchant_settings).where(Account.id.in_(accounts)))).all():
        found = merchant.merchant_details(merchant.parse_settings(settings))
        if found is not None and "taxId" not in found and account_id in merchant_tax:
            found["taxId"] = merchant_tax[account_id]
        details[account_id] = found
    return _Facts(customers, customer_tax, details)


class _Rows:
    """Collects what ``new_document``/``new_line`` add (they take anything with ``add``), by table."""

    def __init__(self) -> None:
        self.invoices: list[Any] = []
        self.groups: list[Any] = []
        self.lines: list[Any] = []

    def add(self, row: Any) -> None:
        {Invoice: self.invoices, KIND.group: self.groups}.get(type(row), self.lines).append(row)


def _invoice(rows: Any, item: _New, run_id: str, facts: _Facts) -> Invoice:
    """The invoice ``invoices.service.create_invoice`` makes of the engine's body, IN_PROGRESS, with its
    groups and lines as ``add_group``/``add_line`` write them and the totals ``recalculate`` stores."""
    view, planned = item.view, item.planned
    found = facts.customers.get(view.customer_id)
    customer = billable(found if found is not None and found.account_id == view.account_id else None, view.customer_id)
    data = engine._invoice_body(view, planned, run_id)
    now = clock.now()
    details = facts.merchant_details.get(view.account_id)
    invoice = new_document(
        rows, KIND, data, account_id=view.account_id, customer_id=customer.id, status=IN_PROGRESS,
        emails=customer.billing_emails or [customer.email], name=customer.legal_name, billing=customer.address, now=now,
        billing_schedule_id=data.billing_schedule_id, billing_run_id=data.billing_run_id,
        payment_status=PaymentStatus.UNPAID.value, due_date=data.due_date,
        accounting_date=data.accounting_date or now.date(), purchase_order_number=data.purchase_order_number,
        reference=data.reference, customer_tax_id=data.customer_tax_id or facts.customer_tax_ids.get(customer.id),
        customer_tax_status=customer.tax_status, payment_options=list(DEFAULT_PAYMENT_OPTIONS),
        billing_period_start=data.billing_period.start if data.billing_period else None,
        billing_period_end=data.billing_period.end_inclusive if data.billing_period else None,
        credit_balances=data.credit_balances, render_settings=dict(DEFAULT_RENDER_SETTINGS),
        merchant_details=None if details is None else dict(details), credit_note_ids=[], has_quantity=False,
    )
    invoice.id = item.invoice_id
    return invoice
