"""Workers: procrastinate's, over PostgreSQL (its psycopg connector) or SQLite (``quire.jobs.sqlite``).

One :class:`JobRunner` per process: it builds the procrastinate app for the database, registers the
declared jobs, and runs a worker plus the stalled-job recovery loop. ``quire worker`` runs one until
SIGTERM/SIGINT (graceful: running jobs finish); every app process runs one in-process too unless
``QUIRE_JOBS_IN_APP=false`` (``make run`` needs nothing else).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import procrastinate
from procrastinate import exceptions as procrastinate_exceptions
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from quire.config import Settings
from quire.core.db import make_engine, make_sessionmaker, sqlite_write_transaction
from quire.core.runtime import configure_sessions
from quire.jobs.api import RUNNER, JobContext, JobSpec, defer, load_job_modules, started_jobs
from quire.jobs.giveway import RequestGate
from quire.jobs.sqlite import SqliteConnector

log = logging.getLogger("quire.jobs")

#: Jobs of this queue send email: only processes with QUIRE_SMTP_URL take them.
EMAIL_QUEUE = "email"


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 4
    queues: tuple[str, ...] | None = None  # None: every declared queue (email only with SMTP configured)
    poll_seconds: float = 1.0  # fallback polling (PostgreSQL also LISTENs; SQLite polls other processes' jobs)
    heartbeat_seconds: float = 5.0
    periodic: bool = True  # defer the periodic jobs (the daily billing run) of the queues worked
    stalled_after_seconds: float = 30.0  # a worker silent this long is dead: its running jobs are retried
    recover_every_seconds: float = 10.0


def _flag(name: str) -> bool:
    return os.environ.get(name, "true").strip().lower() not in {"0", "false", "no", "off"}


def jobs_in_app() -> bool:
    return _flag("QUIRE_JOBS_IN_APP")


def periodic_in_app() -> bool:
    """Whether the app's in-process worker also defers periodic jobs (QUIRE_PERIODIC_IN_APP, default true;
    the test suite turns it off so a server started near 02:00 UTC never bills its test data by itself)."""
    return _flag("QUIRE_PERIODIC_IN_APP")


def _psycopg_conninfo(settings: Settings) -> str:
    url = settings.async_database_url
    return "postgresql://" + url.split("://", 1)[1]


class JobRunner:
    def __init__(
        self, settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession],
        write_lock: asyncio.Lock | None, options: WorkerOptions = WorkerOptions(), gate: RequestGate | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.write_lock = write_lock
        self.options = options
        self.gate = gate  # the app's requests in flight: its in-process worker gives way to them (giveway.py)
        self.specs = load_job_modules()
        self.sqlite = engine.dialect.name == "sqlite"
        self.connector: Any = (
            SqliteConnector(engine, write_lock, gate) if self.sqlite
            else procrastinate.PsycopgConnector(conninfo=_psycopg_conninfo(settings), min_size=1,
                                                max_size=options.concurrency + 4)
        )
        self.app = procrastinate.App(connector=self.connector)
        for spec in self.specs.values():
            self._register(spec)
        self._tasks: list[asyncio.Task[Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        configure_sessions(sessionmaker, settings, **{RUNNER: self})

    def _register(self, spec: JobSpec) -> None:
        runner = self

        async def run(context: procrastinate.JobContext, **kwargs: Any) -> Any:
            assert context.job is not None and context.job.id is not None
            ctx = JobContext(settings=runner.settings, sessionmaker=runner.sessionmaker, write_lock=runner.write_lock,
                             job_id=context.job.id, name=spec.name, attempts=context.job.attempts, gate=runner.gate)
            if runner.gate is not None and not runner.sqlite:
                await runner.gate.turn()  # SQLite's connector waits before it claims; procrastinate's cannot
            return await spec.function(ctx, **kwargs)

        run.__name__ = run.__qualname__ = spec.name.replace(".", "_")
        retry: Any = False
        if spec.retry:
            retry = procrastinate.RetryStrategy(
                max_attempts=spec.retry,
                **({"exponential_wait": max(int(spec.retry_wait), 2)} if spec.retry_exponential else {"wait": int(spec.retry_wait)}),
            )
        task = self.app.task(name=spec.name, queue=spec.queue, retry=retry, pass_context=True)(run)
        if spec.queue not in self.queues() or not self.options.periodic:
            return  # a worker defers the periodic jobs of the queues it works, no others
        for cron, periodic_id in spec.schedules:
            self.app.periodic(cron=cron, periodic_id=periodic_id)(task)

    # --- which queues --------------------------------------------------------------------------------

    def queues(self) -> list[str]:
        if self.options.queues is not None:
            return list(self.options.queues)
        declared = {spec.queue for spec in self.specs.values()}
        if self.settings.smtp_url is None:
            declared.discard(EMAIL_QUEUE)
        return sorted(declared)

    # --- waking the in-process worker ----------------------------------------------------------------

    def wake(self, queue: str) -> None:
        """After a commit that deferred a job on ``queue``: PostgreSQL's NOTIFY wakes every listening worker
        by itself; on SQLite, wake this process's worker (others poll)."""
        if not self.sqlite or self._loop is None:
            return
        with suppress(RuntimeError):  # the loop is closing
            self._loop.call_soon_threadsafe(lambda: self._loop.create_task(self.connector.notify(queue)))  # type: ignore[union-attr]

    # --- running -------------------------------------------------------------------------------------

    def _worker_kwargs(self, *, wait: bool, signals: bool) -> dict[str, Any]:
        return {
            "queues": self.queues(), "concurrency": self.options.concurrency, "wait": wait,
            "name": f"quire-{os.getpid()}", "fetch_job_polling_interval": self.options.poll_seconds,
            "install_signal_handlers": signals, "update_heartbeat_interval": self.options.heartbeat_seconds,
            "stalled_worker_timeout": self.options.stalled_after_seconds, "delete_jobs": "successful",
            "listen_notify": True,  # SQLite: our connector keeps the callback, which wake() calls
        }

    async def run(self, *, signals: bool = False) -> None:
        """Work until stopped: SIGTERM/SIGINT when ``signals``, else cancellation (app shutdown)."""
        self._loop = asyncio.get_running_loop()
        async with self.app.open_async():
            for name in started_jobs():
                if self.specs[name].queue in self.queues():
                    await self.defer(name, queueing_lock=name)
            recovery = asyncio.create_task(self._recover_forever(), name="quire-jobs-recovery")
            try:
                await self.app.run_worker_async(**self._worker_kwargs(wait=True, signals=signals))
            finally:
                recovery.cancel()
                with suppress(asyncio.CancelledError):
                    await recovery

    async def run_pending(self) -> None:
        """Run every job that is due now, then return (SQLite, tests, scripts)."""
        self._loop = asyncio.get_running_loop()
        async with self.app.open_async():
            await self.app.run_worker_async(**self._worker_kwargs(wait=False, signals=False))

    def start(self) -> None:
        """Run in the background of the current event loop (the app's in-process worker)."""
        task = asyncio.create_task(self.run(), name="quire-jobs")
        task.add_done_callback(_log_failure)
        self._tasks.append(task)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def recover_stalled(self) -> int:
        """Retry the running jobs of workers silent for ``stalled_after_seconds`` (killed mid-job)."""
        stalled = await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=self.options.stalled_after_seconds)
        retried = 0
        for job in stalled:
            try:
                await self.app.job_manager.retry_job(job)
            except procrastinate_exceptions.ConnectorException:
                continue  # another worker retried it first
            log.warning("jobs: retrying %s[%s], whose worker stopped mid-job", job.task_name, job.id)
            retried += 1
        return retried

    async def _recover_forever(self) -> None:
        while True:
            try:
                await self.recover_stalled()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database may be briefly away; try again later
                log.exception("jobs: stalled-job recovery failed")
            await asyncio.sleep(self.options.recover_every_seconds)

    async def defer(self, name: str, **kwargs: Any) -> int | None:
        """Defer ``name`` in a transaction of its own (CLI, start-up)."""
        token = sqlite_write_transaction.set(True)
        try:
            async with self.sessionmaker() as session:
                job_id = await defer(session, name, **kwargs)
                await session.commit()
            return job_id
        finally:
            sqlite_write_transaction.reset(token)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("jobs: the in-process worker stopped", exc_info=task.exception())


async def start_in_process(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings,
    write_lock: asyncio.Lock | None, gate: RequestGate | None = None,
) -> JobRunner:
    """The app's runner: its sessions can defer jobs; it works them in-process unless QUIRE_JOBS_IN_APP=false,
    giving way to the app's requests in flight (``gate``)."""
    runner = JobRunner(settings, engine, sessionmaker, write_lock, WorkerOptions(periodic=periodic_in_app()), gate)
    if jobs_in_app():
        runner.start()
    return runner


def run_worker(
    settings: Settings, *, concurrency: int = 4, queues: Iterable[str] | None = None, signals: bool = True,
    **options: Any,
) -> None:
    """``quire worker``: run until SIGTERM/SIGINT; running jobs finish first."""

    async def main() -> None:
        engine = make_engine(settings)
        write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        runner = JobRunner(settings, engine, make_sessionmaker(engine), write_lock,
                           WorkerOptions(concurrency=concurrency, queues=tuple(queues) if queues else None, **options))
        try:
            await runner.run(signals=signals)
        finally:
            await engine.dispose()

    asyncio.run(main())


async def run_pending_inline(settings: Settings, **options: Any) -> None:
    """Run every due job in this process and return (tests, scripts, ``--now`` style CLI commands)."""
    engine = make_engine(settings)
    try:
        write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        runner = JobRunner(settings, engine, make_sessionmaker(engine), write_lock, WorkerOptions(**options))
        await runner.run_pending()
    finally:
        await engine.dispose()


async def recover_stalled(settings: Settings, **options: Any) -> int:
    """One pass of stalled-job recovery (tests, operators)."""
    engine = make_engine(settings)
    try:
        runner = JobRunner(settings, engine, make_sessionmaker(engine), None, WorkerOptions(**options))
        async with runner.app.open_async():
            return await runner.recover_stalled()
    finally:
        await engine.dispose()
