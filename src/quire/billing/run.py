"""The billing run: every billable schedule, in batches of ``QUIRE_BILLING_BATCH_SIZE`` (500), up to ``as_of``.

``run_billing(session_factory, as_of, account_id=None)`` opens one billing run per account (the rows
``GET /billing-runs`` lists), streams the ACTIVE and PENDING schedules in id batches
(``schedules.read.views_of``: three queries a batch) and bills each batch with ``bulk.bill_batch``
(chunked writes of the new invoices); what the batch leaves (a schedule it cannot write in bulk, an
invoice to refresh) is billed one invoice per transaction by ``engine`` (``bill_schedule``,
``bill_slot_alone``), which also holds the exactly-once rules. Then the runs are closed with their
counts. docs/billing-engine.md.

Layering: ``engine`` (one schedule, one invoice) ← ``bulk`` (a batch of them) ← ``run`` (the whole
run) ← ``jobs`` and the CLI.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select

from quire.billing import bulk
from quire.billing.engine import (
    BILLED_STATUSES, Counts, Factory, Progress, RunResult, _reason, bill_schedule, bill_slot_alone,
    settle_schedule, write,
)
from quire.billing.models import BillingRun
from quire.billing.plan import PriceFacts, Slot
from quire.catalogue.models import Price
from quire.core import clock
from quire.core.ids import uuid7
from quire.core.runtime import settings_of
from quire.notifications.alerts import BILLING_RUN, send_alert
from quire.schedules.models import BillingSchedule
from quire.schedules.read import ScheduleView, views_of

log = logging.getLogger("quire.billing")

async def count_schedules(factory: Factory, account_id: str | None = None,
                          schedule_ids: Iterable[str] | None = None) -> int:
    async with factory() as session:
        stmt = select(func.count()).select_from(BillingSchedule).where(*_criteria(account_id, schedule_ids))
        return int(await session.scalar(stmt) or 0)


def _criteria(account_id: str | None, schedule_ids: Iterable[str] | None) -> list[Any]:
    criteria: list[Any] = [BillingSchedule.status.in_(BILLED_STATUSES)]
    if account_id is not None:
        criteria.append(BillingSchedule.account_id == account_id)
    if schedule_ids is not None:
        criteria.append(BillingSchedule.id.in_(sorted(set(schedule_ids))))
    return criteria


async def _batches(factory: Factory, account_id: str | None, schedule_ids: Iterable[str] | None
                   ) -> AsyncIterator[tuple[list[ScheduleView], dict[str, PriceFacts]]]:
    """Schedule views and their prices, a batch at a time, each read in a short session of its own (no
    read transaction is held open while the invoices are written)."""
    ids = None if schedule_ids is None else sorted(set(schedule_ids))
    last: str | None = None
    size = 0
    while True:
        async with factory() as session:
            size = size or settings_of(session).billing_batch_size
            stmt = select(BillingSchedule).where(*_criteria(account_id, ids))
            if last is not None:
                stmt = stmt.where(BillingSchedule.id > last)
            rows = list(await session.scalars(stmt.order_by(BillingSchedule.id).limit(size)))
            if not rows:
                return
            views = await views_of(session, rows)
            price_ids = {p for v in views for phase in v.phases for p in phase.price_ids}
            prices = {row.id: PriceFacts.of(row)
                      for row in await session.scalars(select(Price).where(Price.id.in_(sorted(price_ids))))}
        yield views, prices
        if len(rows) < size:
            return
        last = rows[-1].id


async def run_billing(factory: Factory, as_of: date, account_id: str | None = None, *,
                      schedule_ids: Iterable[str] | None = None, batch_id: str | None = None,
                      progress: Progress | None = None, write_lock: Any = None, concurrency: int = 1) -> RunResult:
    """Bill every due invoice of the ACTIVE and PENDING schedules (of ``account_id``, or of every
    account; only ``schedule_ids`` when given) up to ``as_of``. ``progress(n)`` is called after each
    schedule; ``concurrency`` schedules are billed at once (useful on PostgreSQL; SQLite serialises
    writes anyway). Safe to repeat and to run concurrently: see the module docstring."""
    result = RunResult(batch_id=batch_id or uuid7(), as_of=as_of)
    per_account: dict[str, Counts] = {}
    opening: dict[str, asyncio.Future[str]] = {}
    if account_id is not None:  # one account's run is recorded even when nothing is due
        result.runs[account_id] = await _open_run(factory, account_id, result, write_lock)
        per_account[account_id] = Counts()
    gate = asyncio.Semaphore(max(1, concurrency))

    async def run_id_of(account: str) -> str:
        if account in result.runs:
            return result.runs[account]
        if account not in opening:  # opened once, even when several schedules of the account start together
            opening[account] = asyncio.ensure_future(_open_run(factory, account, result, write_lock))
        result.runs[account] = run_id = await opening[account]
        return run_id

    async def one(view: ScheduleView, prices: dict[str, PriceFacts], outcome: bulk.Outcome | None = None,
                  alone: Iterable[Slot] = ()) -> None:
        """The schedule one by one (``bill_schedule``), or what the batch left of it (``outcome``): its
        counts, its failed invoices, the slots to bill alone, and its status (``settle_schedule``)."""
        async with gate:
            counts = per_account.setdefault(view.account_id, Counts())
            counts.schedules_seen += 1
            try:
                run_id = await run_id_of(view.account_id)
                if outcome is None:
                    await bill_schedule(factory, view, prices, as_of, run_id, counts, result.errors, write_lock)
                else:
                    await _after_batch(view, prices, outcome, alone, run_id, counts)
            except Exception as exc:  # noqa: BLE001 - one schedule's failure must not stop the run
                counts.errors += 1
                result.errors.append(f"schedule {view.id}: {_reason(exc)}")
                log.exception("billing schedule %s failed", view.id)
            if progress is not None:
                progress(1)

    async def _after_batch(view: ScheduleView, prices: dict[str, PriceFacts], outcome: bulk.Outcome,
                           alone: Iterable[Slot], run_id: str, counts: Counts) -> None:
        counts.invoices_created += outcome.created.get(view.id, 0)
        counts.invoices_updated += outcome.updated.get(view.id, 0)
        counts.invoices_unchanged += outcome.unchanged.get(view.id, 0)
        failed = False
        for _, slot, exc in outcome.failed_of(view.id):
            counts.errors += 1
            failed = True
            result.errors.append(f"schedule {view.id} invoice of {slot.invoice_date}: {_reason(exc)}")
            log.warning("billing %s %s failed: %r", view.id, slot.invoice_date, exc)
        for slot in alone:
            failed = not await bill_slot_alone(factory, view, prices, slot, as_of, run_id, counts, result.errors,
                                               write_lock) or failed
        await settle_schedule(factory, view, prices, outcome.slots_of[view.id], as_of, failed, write_lock)

    async for views, prices in _batches(factory, account_id, schedule_ids):
        for account in sorted({view.account_id for view in views}):
            await run_id_of(account)
        outcome = await bulk.bill_batch(factory, views, prices, as_of, result.runs, write_lock)
        alone: dict[str, list[Slot]] = {}
        for view, slot in outcome.slots_alone:
            alone.setdefault(view.id, []).append(slot)
        singles = {view.id for view in outcome.one_by_one}
        await asyncio.gather(*(one(view, prices) if view.id in singles else
                               one(view, prices, outcome, sorted(alone.get(view.id, []), key=lambda s: s.invoice_date))
                               for view in views))
    for account, counts in per_account.items():
        result.counts.add(counts)
        await _close_run(factory, await run_id_of(account), counts, result.errors, write_lock)
    return result


async def _open_run(factory: Factory, account_id: str, result: RunResult, write_lock: Any) -> str:
    now = clock.now()
    run = BillingRun(id=uuid7(), account_id=account_id,
                     batch_id=result.batch_id, as_of=result.as_of, status="IN_PROGRESS", schedules_seen=0,
                     invoices_created=0, invoices_updated=0, invoices_unchanged=0, errors=0, started_at=now,
                     created_at=now, updated_at=now)
    async with write(factory, write_lock) as session:
        session.add(run)
    return run.id


async def _close_run(factory: Factory, run_id: str, counts: Counts, errors: list[str], write_lock: Any) -> None:
    async with write(factory, write_lock) as session:
        run = await session.get(BillingRun, run_id, with_for_update=True)
        assert run is not None
        for name, value in counts.as_dict().items():
            setattr(run, name, value)
        run.status = "COMPLETED" if not counts.errors else "FAILED"
        run.last_error = errors[-1][:2000] if counts.errors and errors else None
        run.finished_at = run.updated_at = clock.now()
        if run.status == "FAILED":
            await send_alert(session, run.account_id, kind=BILLING_RUN, cause=run.id,
                             subject=f"billing run of {run.as_of.isoformat()} failed ({run.errors} errors)", lines=[
                f"The billing run {run.id} as of {run.as_of.isoformat()} ended FAILED: {run.errors} of its "
                f"schedules or invoices could not be billed.",
                f"Schedules seen: {run.schedules_seen}; invoices created: {run.invoices_created}, updated: "
                f"{run.invoices_updated}, unchanged: {run.invoices_unchanged}.",
                f"Last error: {run.last_error or 'none recorded'}", "",
                f"Details: GET /billing-runs/{run.id}. What failed is billed by the next run "
                "(or run it again: quire billing run).",
            ])
