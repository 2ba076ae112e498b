"""Declaring jobs and deferring them inside a transaction. No worker machinery here."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from quire.config import Settings
from quire.core.db import sqlite_write_transaction
from quire.core.runtime import after_commit, service_of

#: Modules that declare jobs; every worker imports them before it starts (add yours here), plus the
#: comma-separated modules of ``QUIRE_JOB_MODULES`` (extensions, tests).
JOB_MODULES: tuple[str, ...] = ("quire.outbox.dispatcher", "quire.billing.jobs", "quire.notifications.delivery",
                                "quire.reminders.jobs", "quire.invoices.document", "quire.creditnotes.document",
                                "quire.usage.uploads")

#: The name under which the app attaches its job runner to its sessions (quire.core.runtime).
RUNNER = "quire.jobs"

DEFAULT_QUEUE = "default"

JobFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    queue: str = DEFAULT_QUEUE
    #: Retries after a failed attempt (an exception), ``retry_wait`` seconds apart, doubled each time
    #: when ``retry_exponential``.
    retry: int = 0
    retry_wait: float = 0.0
    retry_exponential: bool = False
    #: (cron, periodic id) pairs: the job is deferred at each tick, once whatever the number of workers.
    schedules: tuple[tuple[str, str], ...] = field(default=())


_REGISTRY: dict[str, JobSpec] = {}


def job(
    name: str, *, queue: str = DEFAULT_QUEUE, retry: int = 0, retry_wait: float = 0.0, retry_exponential: bool = False,
) -> Callable[[JobFunction], JobFunction]:
    """Declare ``async def f(ctx: JobContext, **json_args)`` as the job ``name`` on ``queue``."""

    def register(function: JobFunction) -> JobFunction:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.function.__qualname__ != function.__qualname__:
            raise ValueError(f"job {name!r} is declared twice")
        _REGISTRY[name] = JobSpec(name, function, queue, retry, retry_wait, retry_exponential,
                                  existing.schedules if existing else ())
        return function

    return register


def periodic(name: str, *, cron: str, periodic_id: str = "") -> None:
    """Defer the declared job ``name`` at every tick of ``cron`` (5 fields, or 6 with seconds last), once
    per tick across all workers. The job receives ``timestamp`` (the tick, epoch seconds)."""
    spec = _REGISTRY[name]
    if (cron, periodic_id) not in spec.schedules:
        _REGISTRY[name] = JobSpec(spec.name, spec.function, spec.queue, spec.retry, spec.retry_wait,
                                  spec.retry_exponential, (*spec.schedules, (cron, periodic_id)))


_AT_START: list[str] = []


def at_worker_start(name: str) -> None:
    """Defer the declared job ``name`` (no arguments) whenever a worker starts, unless one is waiting."""
    if name not in _AT_START:
        _AT_START.append(name)


def started_jobs() -> list[str]:
    return list(_AT_START)


def registered() -> dict[str, JobSpec]:
    return dict(_REGISTRY)


def load_job_modules() -> dict[str, JobSpec]:
    """Import every module that declares jobs; the registry afterwards."""
    extra = [m.strip() for m in os.environ.get("QUIRE_JOB_MODULES", "").split(",") if m.strip()]
    for module in (*JOB_MODULES, *extra):
        importlib.import_module(module)
    return registered()


@dataclass
class JobContext:
    """What a running job gets: the process's settings and sessions, and which attempt this is."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    write_lock: asyncio.Lock | None
    job_id: int
    name: str
    attempts: int  # earlier attempts of this job (0 on the first run)
    gate: Any = None  # the app's RequestGate when the job runs in the app's process (quire.jobs.giveway)

    async def give_way(self) -> None:
        """Between the steps of a long job (never inside a transaction): wait while the app's requests are
        in flight, at most the gate's ``max_wait`` (a job in ``quire worker`` never waits)."""
        if self.gate is not None:
            await self.gate.turn()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction, committed when the block ends (rolled back if it raises). On SQLite it
        queues behind the app's writers (``BEGIN IMMEDIATE`` and the app's write lock), like a request."""
        token = sqlite_write_transaction.set(True)
        try:
            async with self.write_lock or nullcontext(), self.sessionmaker() as session:
                yield session
                await session.commit()
        finally:
            sqlite_write_transaction.reset(token)

    def read(self) -> AsyncSession:
        """A session for reads (``async with ctx.read() as session``)."""
        return self.sessionmaker()


async def jobs_with(session: AsyncSession, name: str, key: str, value: str) -> list[tuple[str, dict[str, Any]]]:
    """(status, args) of the jobs ``name`` whose argument ``key`` is ``value`` (todo, doing, succeeded,
    failed, cancelled, aborted): how far a piece of deferred work has got."""
    if _is_sqlite(session):
        from sqlalchemy import func, select

        from quire.jobs.sqlite import jobs_table

        rows = await session.execute(select(jobs_table.c.status, jobs_table.c.args).where(
            jobs_table.c.task_name == name, func.json_extract(jobs_table.c.args, f"$.{key}") == value))
    else:
        rows = await session.execute(text("SELECT status::text, args FROM procrastinate_jobs "
                                          "WHERE task_name = :name AND args ->> :key = :value"),
                                     {"name": name, "key": key, "value": value})
    return [(str(status), args if isinstance(args, dict) else json.loads(args)) for status, args in rows]


def _is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


_PG_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:queue AS varchar), CAST(:task AS varchar), CAST(:priority AS integer), CAST(:lock AS text), "
    "CAST(:queueing_lock AS text), CAST(:args AS jsonb), CAST(:scheduled_at AS timestamptz)"
    ")]::procrastinate_job_to_defer_v1[])) AS id"
)


async def defer(
    session: AsyncSession, name: str, *, lock: str | None = None, queueing_lock: str | None = None,
    run_at: datetime | None = None, delay: float | None = None, priority: int = 0, **args: Any,
) -> int | None:
    """Queue the job ``name`` with the JSON ``args`` in ``session``'s transaction; its id.

    ``lock``: jobs sharing it never run at the same time (they run in order). ``queueing_lock``: while a
    job with it waits, deferring another is a no-op that returns None. ``run_at`` / ``delay``: not before.
    """
    spec = _REGISTRY.get(name)
    if spec is None:
        raise KeyError(f"no job named {name!r} is declared (quire.jobs.job)")
    json.dumps(args)  # only JSON arguments: fail here, not in the worker
    if delay is not None:
        from quire.jobs.sqlite import _now

        run_at = _now() + timedelta(seconds=delay)
    if _is_sqlite(session):
        from procrastinate import exceptions, types

        from quire.jobs.sqlite import insert_job

        try:
            job_id: int | None = await insert_job(session, types.JobToDefer(
                queue_name=spec.queue, task_name=name, priority=priority, lock=lock, queueing_lock=queueing_lock,
                args=args, scheduled_at=run_at))
        except exceptions.UniqueViolation:
            return None
    else:
        params = {"queue": spec.queue, "task": name, "priority": priority, "lock": lock,
                  "queueing_lock": queueing_lock, "args": json.dumps(args), "scheduled_at": run_at}
        if queueing_lock is None:
            job_id = (await session.execute(_PG_DEFER, params)).scalar_one()
        else:
            try:
                async with session.begin_nested():  # a duplicate aborts the savepoint, not the request
                    job_id = (await session.execute(_PG_DEFER, params)).scalar_one()
            except IntegrityError:
                return None
    runner = service_of(session, RUNNER)
    if runner is not None:
        after_commit(session, lambda: runner.wake(spec.queue))
    return job_id
