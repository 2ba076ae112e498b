"""Background work: a small API over procrastinate (docs/jobs.md).

Declare a job (an ``async def`` taking a :class:`JobContext` and JSON keyword arguments)::

    @job("outbox.send", queue="email")
    async def send(ctx: JobContext, email_id: str) -> None: ...

and defer it inside the transaction of the change that causes it::

    await defer(session, "outbox.send", email_id=row.id, queueing_lock=f"email:{row.id}")

The job row is written through ``session``, in the request's transaction: it commits with the change
or vanishes with it. Workers (``quire worker``, or the one every app process runs unless
``QUIRE_JOBS_IN_APP=false``) run it after the commit. PostgreSQL keeps the queue in procrastinate's own
schema (``procrastinate_jobs``…, migration 0012); SQLite in three ``quire_jobs*`` tables worked by the
connector in ``quire.jobs.sqlite``. Either way procrastinate's worker does the fetching, locking,
retrying and periodic deferring.

A job runs **at least once**: a worker killed mid-job leaves it ``doing`` under a worker whose heartbeat
stops, and another worker retries it (``recover_stalled``). Jobs must therefore be idempotent. Two
workers never run the same job at the same time, nor two jobs that share a ``lock``.

Periodic jobs (``periodic("billing.run_due", cron="0 2 * * *")``) are deferred once per tick whatever the
number of workers: the database keeps one row per (job, tick). They receive ``timestamp`` (the tick,
epoch seconds) as an argument.
"""

from __future__ import annotations

from quire.jobs.api import (
    JOB_MODULES, JobContext, JobSpec, defer, job, load_job_modules, periodic, registered,
)
from quire.jobs.runner import JobRunner, recover_stalled, run_pending_inline, run_worker, start_in_process

__all__ = [
    "JOB_MODULES", "JobContext", "JobRunner", "JobSpec", "defer", "job", "load_job_modules", "periodic",
    "recover_stalled", "registered", "run_pending_inline", "run_worker", "start_in_process",
]
