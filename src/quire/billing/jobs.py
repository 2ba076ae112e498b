"""The engine on the job queue (``quire.jobs``, docs/jobs.md).

- ``billing.run_due``: periodic, daily at 02:00 UTC, deferred once per day whatever the number of
  workers: splits the billable schedules into chunks and defers one ``billing.run_chunk`` per chunk, as
  of the tick's date.
- ``billing.run_chunk``: ``run_billing`` over one chunk of schedule ids. At least once is enough: the
  engine's claims make a repeated chunk bill nothing twice (docs/billing-engine.md#exactly-once).

``quire billing run --defer`` defers the same chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing.models import BillingRun
from quire.billing.run import _criteria, run_billing
from quire.core.ids import uuid7
from quire.jobs import JobContext, defer, job, periodic
from quire.jobs.api import jobs_with
from quire.schedules.models import BillingSchedule

QUEUE = "billing"
CHUNK = 500


async def schedule_chunks(session: AsyncSession, account_id: str | None, size: int = CHUNK) -> list[list[str]]:
    """The ids of the billable schedules (of one account, or all), in id order, in chunks of ``size``."""
    ids = list(await session.scalars(select(BillingSchedule.id).where(*_criteria(account_id, None))
                                     .order_by(BillingSchedule.id)))
    return [ids[i:i + size] for i in range(0, len(ids), size)]


async def defer_run(session: AsyncSession, as_of: date, account_id: str | None = None, *, size: int = CHUNK) -> tuple[str, int]:
    """Defer one ``billing.run_chunk`` per chunk in ``session``'s transaction; (batch id, jobs deferred)."""
    batch_id = uuid7()
    chunks = await schedule_chunks(session, account_id, size)
    for ids in chunks:
        await defer(session, "billing.run_chunk", as_of=as_of.isoformat(), schedule_ids=ids, batch_id=batch_id,
                    account_id=account_id)
    return batch_id, len(chunks)


@dataclass(frozen=True)
class BatchProgress:
    """How far a batch (a deferred run) has got for one account: its chunks' jobs and the runs they wrote."""

    batch_id: str
    jobs: int  # this account's chunks (a daily run's chunks are every account's: 0 here)
    jobs_waiting: int
    jobs_failed: int
    runs: list[BillingRun]

    @property
    def status(self) -> str:
        """QUEUED (no worker has begun), IN_PROGRESS, FAILED (a chunk failed for good, or an invoice did) or
        COMPLETED."""
        if self.jobs_waiting or any(r.status == "IN_PROGRESS" for r in self.runs):
            return "IN_PROGRESS" if self.runs else "QUEUED"
        return "FAILED" if self.jobs_failed or any(r.status == "FAILED" for r in self.runs) else "COMPLETED"

    def total(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.runs)


async def batch_progress(session: AsyncSession, account_id: str, batch_id: str) -> BatchProgress | None:
    """The batch's progress for ``account_id``, or None when the account has neither a job nor a run of it."""
    jobs = [status for status, args in await jobs_with(session, "billing.run_chunk", "batch_id", batch_id)
            if args.get("account_id") == account_id]
    runs = list(await session.scalars(select(BillingRun).where(
        BillingRun.account_id == account_id, BillingRun.batch_id == batch_id).order_by(BillingRun.started_at)))
    if not jobs and not runs:
        return None
    return BatchProgress(batch_id, len(jobs), sum(s in ("todo", "doing") for s in jobs),
                         sum(s in ("failed", "aborted", "cancelled") for s in jobs), runs)


@job("billing.run_chunk", queue=QUEUE, retry=3, retry_wait=30, retry_exponential=True)
async def run_chunk(ctx: JobContext, *, as_of: str, schedule_ids: list[str], batch_id: str,
                    account_id: str | None = None, **_: Any) -> None:
    await run_billing(ctx.sessionmaker, date.fromisoformat(as_of), account_id, schedule_ids=schedule_ids,
                      batch_id=batch_id, write_lock=ctx.write_lock)


@job("billing.run_due", queue=QUEUE, retry=3, retry_wait=60)
async def run_due(ctx: JobContext, *, timestamp: int | None = None, **_: Any) -> None:
    """The daily run as of the tick's date (UTC)."""
    from quire.core import clock

    as_of = datetime.fromtimestamp(timestamp, UTC).date() if timestamp is not None else clock.today()
    async with ctx.write() as session:
        await defer_run(session, as_of)


periodic("billing.run_due", cron="0 2 * * *")
