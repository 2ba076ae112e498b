"""Procrastinate on SQLite: a connector that keeps procrastinate's queue in three tables of Quire's file.

Procrastinate's worker, retries, locks, periodic deferrer and stalled-job recovery are used unchanged;
they talk to their database through a *connector* that runs named queries (``sql/queries.sql``). Its
own PostgreSQL connector runs them as SQL functions; this one answers the same names, in the same
shapes, from the tables below, the way procrastinate's own ``testing.InMemoryConnector`` does from
dictionaries. Every write is one short ``BEGIN IMMEDIATE`` transaction (queued behind the app's SQLite
writers on the app's write lock when it runs in-process), so two workers in two processes never fetch
the same job: the fetch's select-and-update holds the database's write lock.

There is no LISTEN on SQLite: the in-process worker is woken by ``notify()`` after a transaction that
deferred a job commits; other processes poll (``fetch_job_polling_interval``).

Every query runs to its end even when its caller is cancelled (``to_the_end``): a stopping worker
cancels its periodic deferrer and heartbeat wherever they are, and a transaction cut off there left
its connection holding SQLite's write lock (below).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from procrastinate import connector, exceptions, manager, sql, types
from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text, and_, delete, func, insert,
    or_, select, text, update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from quire.core.cancellation import to_the_end
from quire.core.db import UTCDateTime, sqlite_write_transaction

#: Not in ``quire.models.Base``: these exist on SQLite only (PostgreSQL has procrastinate's own schema).
metadata = MetaData()

jobs_table = Table(
    "quire_jobs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("queue_name", String(128), nullable=False),
    Column("task_name", String(128), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("lock", Text, nullable=True),
    Column("queueing_lock", Text, nullable=True),
    Column("args", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # todo, doing, succeeded, failed, cancelled, aborted
    Column("scheduled_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("abort_requested", Boolean, nullable=False, default=False),
    Column("worker_id", BigInteger, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # The fetch: todo jobs by queue, priority, id.
    Index("ix_quire_jobs_fetch", "status", "queue_name", "priority", "id"),
    # At most one waiting job per queueing lock, and one running job per lock (procrastinate's rules).
    Index("uq_quire_jobs_queueing_lock_todo", "queueing_lock", unique=True,
          sqlite_where=text("status = 'todo' AND queueing_lock IS NOT NULL")),
    Index("uq_quire_jobs_lock_doing", "lock", unique=True, sqlite_where=text("status = 'doing' AND lock IS NOT NULL")),
)

workers_table = Table(
    "quire_job_workers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("last_heartbeat", UTCDateTime(), nullable=False),
)

periodic_table = Table(
    "quire_job_periodic_defers", metadata,
    Column("task_name", String(128), primary_key=True),
    Column("periodic_id", String(128), primary_key=True),
    Column("defer_timestamp", BigInteger, nullable=False),
    Column("job_id", Integer, nullable=True),
)

TABLES = tuple(metadata.tables)
_TASK_COLUMNS = (
    jobs_table.c.id, jobs_table.c.status, jobs_table.c.task_name, jobs_table.c.priority, jobs_table.c.lock,
    jobs_table.c.queueing_lock, jobs_table.c.args, jobs_table.c.scheduled_at, jobs_table.c.queue_name,
    jobs_table.c.attempts, jobs_table.c.abort_requested, jobs_table.c.worker_id,
)


def _now() -> datetime:
    # The queue's own time (heartbeats, due jobs) is wall-clock time, as procrastinate's SQL uses NOW():
    # tests move quire.core.clock to walk billing through a year without making the queue wait a year.
    return datetime.now(UTC)


class SqliteConnector(connector.BaseAsyncConnector):
    """Procrastinate's queries on Quire's SQLite file, through the app's async engine."""

    def __init__(self, engine: AsyncEngine, write_lock: asyncio.Lock | None = None, gate: Any = None) -> None:
        self.engine = engine
        self.write_lock = write_lock
        self.gate = gate  # the app's RequestGate (quire.jobs.giveway): claim a job only when requests let it
        self.reverse_queries = {value: key for key, value in sql.queries.items()}
        self.on_notification: connector.Notify | None = None
        self.channels: list[str] = []

    # --- procrastinate's connector interface ---------------------------------------------------------

    def get_sync_connector(self) -> connector.BaseConnector:
        return self

    def open(self, pool: Any = None) -> None:  # noqa: ARG002 - the engine is the app's
        return None

    def close(self) -> None:
        return None

    async def open_async(self, pool: Any = None) -> None:  # noqa: ARG002
        return None

    async def close_async(self) -> None:
        return None

    async def _dispatch(self, query: str, suffix: str, arguments: dict[str, Any]) -> Any:
        name = self.reverse_queries.get(query)
        method = getattr(self, f"{name}_{suffix}", None) if name else None
        if method is None:
            raise exceptions.ConnectorException(f"procrastinate query {name or query[:60]!r} is not supported on SQLite")
        return await to_the_end(method(**arguments), getattr(self, f"{name}_{suffix}_undo", None))

    async def execute_query_async(self, query: str, **arguments: Any) -> None:  # type: ignore[override]
        await self._dispatch(query, "run", arguments)

    async def execute_query_one_async(self, query: str, **arguments: Any) -> dict[str, Any]:  # type: ignore[override]
        return await self._dispatch(query, "one", arguments)  # type: ignore[no-any-return]

    async def execute_query_all_async(self, query: str, **arguments: Any) -> list[dict[str, Any]]:  # type: ignore[override]
        return await self._dispatch(query, "all", arguments)  # type: ignore[no-any-return]

    async def listen_notify(self, on_notification: connector.Notify, channels: Iterable[str]) -> None:
        self.on_notification = on_notification
        self.channels = list(channels)

    async def notify(self, queue_name: str) -> None:
        """Wake this process's worker: a job was committed on ``queue_name`` (called after commit)."""
        if self.on_notification is None:
            return
        for channel in {"procrastinate_any_queue_v1", f"procrastinate_queue_v1#{queue_name}"} & set(self.channels):
            await self.on_notification(channel=channel, payload=json.dumps({"type": "job_inserted"}))

    # --- transactions --------------------------------------------------------------------------------

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        token = sqlite_write_transaction.set(True)
        try:
            async with self.write_lock or nullcontext(), self.engine.begin() as conn:
                yield conn
        finally:
            sqlite_write_transaction.reset(token)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    # --- the queries ---------------------------------------------------------------------------------

    async def defer_jobs_all(self, jobs: list[types.JobToDefer]) -> list[dict[str, Any]]:
        async with self._write() as conn:
            ids = [await insert_job(conn, job) for job in jobs]
        for job in jobs:
            await self.notify(job.queue_name)
        return [{"id": job_id} for job_id in ids]

    async def defer_periodic_job_one(
        self, queue: str, task_name: str, priority: int, args: types.JSONDict, defer_timestamp: int,
        lock: str | None, queueing_lock: str | None, periodic_id: str,
    ) -> dict[str, Any]:
        async with self._write() as conn:
            key = and_(periodic_table.c.task_name == task_name, periodic_table.c.periodic_id == periodic_id)
            last = await conn.scalar(select(periodic_table.c.defer_timestamp).where(key))
            if last is not None and last >= defer_timestamp:
                return {"id": None}  # another worker deferred this tick (or a later one) already
            job_id = await insert_job(conn, types.JobToDefer(
                queue_name=queue, task_name=task_name, priority=priority, lock=lock, queueing_lock=queueing_lock,
                args=args, scheduled_at=None))
            if last is None:
                await conn.execute(insert(periodic_table).values(
                    task_name=task_name, periodic_id=periodic_id, defer_timestamp=defer_timestamp, job_id=job_id))
            else:
                await conn.execute(update(periodic_table).where(key).values(defer_timestamp=defer_timestamp, job_id=job_id))
        await self.notify(queue)
        return {"id": job_id}

    async def fetch_job_one(self, queues: Iterable[str] | None, worker_id: int) -> dict[str, Any]:
        if self.gate is not None:
            await self.gate.turn()
        now = _now()
        due = or_(jobs_table.c.scheduled_at.is_(None), jobs_table.c.scheduled_at <= now)
        probe = select(jobs_table.c.id).where(jobs_table.c.status == "todo", due).limit(1)
        if queues is not None:
            probe = probe.where(jobs_table.c.queue_name.in_(list(queues)))
        async with self._read() as conn:  # a WAL read: an idle poll never takes the database's write lock
            if await conn.scalar(probe) is None:
                return {"id": None}
        async with self._write() as conn:
            held = select(jobs_table.c.lock).where(jobs_table.c.status == "doing", jobs_table.c.lock.is_not(None))
            stmt = (
                select(*_TASK_COLUMNS)
                .where(jobs_table.c.status == "todo", due,
                       or_(jobs_table.c.lock.is_(None), jobs_table.c.lock.not_in(held)))
                .order_by(jobs_table.c.priority.desc(), jobs_table.c.id)
                .limit(1)
            )
            if queues is not None:
                stmt = stmt.where(jobs_table.c.queue_name.in_(list(queues)))
            row = (await conn.execute(stmt)).mappings().first()
            if row is None:
                return {"id": None}
            await conn.execute(update(jobs_table).where(jobs_table.c.id == row["id"]).values(
                status="doing", worker_id=worker_id, updated_at=now))
        return {**row, "status": "doing", "worker_id": worker_id}

    async def fetch_job_one_undo(self, claimed: dict[str, Any]) -> None:
        """A job claimed for a worker cancelled meanwhile goes back to the queue, as if never fetched."""
        if claimed.get("id") is not None:
            async with self._write() as conn:
                await conn.execute(update(jobs_table).where(jobs_table.c.id == claimed["id"], jobs_table.c.status == "doing")
                                   .values(status="todo", worker_id=None, updated_at=_now()))

    async def finish_job_run(self, job_id: int, status: str, delete_job: bool) -> None:
        async with self._write() as conn:
            where = and_(jobs_table.c.id == job_id, jobs_table.c.status.in_(("todo", "doing")))
            if delete_job:
                done = await conn.execute(delete(jobs_table).where(where))
            else:
                done = await conn.execute(update(jobs_table).where(where).values(
                    status=status, abort_requested=False, updated_at=_now(),
                    attempts=jobs_table.c.attempts + (jobs_table.c.status == "doing").cast(Integer)))
            if done.rowcount == 0:
                raise exceptions.ConnectorException(f'Job was not found or not in "doing" or "todo" status (job id: {job_id})')

    async def retry_job_run(
        self, job_id: int, retry_at: datetime, new_priority: int | None = None, new_queue_name: str | None = None,
        new_lock: str | None = None,
    ) -> None:
        async with self._write() as conn:
            row = (await conn.execute(select(jobs_table.c.status, jobs_table.c.abort_requested).where(
                jobs_table.c.id == job_id, jobs_table.c.status.in_(("doing", "failed"))))).first()
            if row is None:
                raise exceptions.ConnectorException(f"Job was not found or has an invalid status to retry (job id: {job_id})")
            values: dict[str, Any] = {"updated_at": _now()}
            if row.status == "doing" and row.abort_requested:
                values["status"] = "failed"
            else:
                values.update(status="todo", attempts=jobs_table.c.attempts + 1, scheduled_at=retry_at)
                if new_priority is not None:
                    values["priority"] = new_priority
                if new_queue_name is not None:
                    values["queue_name"] = new_queue_name
                if new_lock is not None:
                    values["lock"] = new_lock
            await conn.execute(update(jobs_table).where(jobs_table.c.id == job_id).values(**values))

    async def cancel_job_one(self, job_id: int, abort: bool, delete_job: bool) -> dict[str, Any]:
        async with self._write() as conn:
            todo = and_(jobs_table.c.id == job_id, jobs_table.c.status == "todo")
            if delete_job:
                done = await conn.execute(delete(jobs_table).where(todo))
            else:
                done = await conn.execute(update(jobs_table).where(todo).values(status="cancelled", updated_at=_now()))
            if done.rowcount:
                return {"id": job_id}
            if abort:
                done = await conn.execute(update(jobs_table).where(jobs_table.c.id == job_id, jobs_table.c.status == "doing")
                                          .values(abort_requested=True, updated_at=_now()))
                if done.rowcount:
                    return {"id": job_id}
        return {"id": None}

    async def get_job_status_one(self, job_id: int) -> dict[str, Any]:
        async with self._read() as conn:
            return {"status": await conn.scalar(select(jobs_table.c.status).where(jobs_table.c.id == job_id))}

    async def select_stalled_jobs_by_heartbeat_all(
        self, queue: str | None, task_name: str | None, seconds_since_heartbeat: float
    ) -> list[dict[str, Any]]:
        cutoff = _now() - timedelta(seconds=seconds_since_heartbeat)
        alive = select(workers_table.c.id).where(workers_table.c.last_heartbeat >= cutoff)
        stmt = select(*_TASK_COLUMNS).where(
            jobs_table.c.status == "doing", or_(jobs_table.c.worker_id.is_(None), jobs_table.c.worker_id.not_in(alive)))
        if queue is not None:
            stmt = stmt.where(jobs_table.c.queue_name == queue)
        if task_name is not None:
            stmt = stmt.where(jobs_table.c.task_name == task_name)
        async with self._read() as conn:
            return [dict(row) for row in (await conn.execute(stmt)).mappings()]

    async def delete_old_jobs_run(self, nb_hours: int, queue: str | None, statuses: Iterable[str]) -> None:
        stmt = delete(jobs_table).where(jobs_table.c.status.in_(list(statuses)),
                                        jobs_table.c.updated_at < _now() - timedelta(hours=nb_hours))
        if queue is not None:
            stmt = stmt.where(jobs_table.c.queue_name == queue)
        async with self._write() as conn:
            await conn.execute(stmt)

    async def list_jobs_to_abort_all(self, queue_name: str | None) -> list[dict[str, Any]]:
        stmt = select(jobs_table.c.id).where(jobs_table.c.status == "doing", jobs_table.c.abort_requested.is_(True))
        if queue_name is not None:
            stmt = stmt.where(jobs_table.c.queue_name == queue_name)
        async with self._read() as conn:
            return [{"id": row.id} for row in await conn.execute(stmt)]

    async def check_connection_one(self) -> dict[str, Any]:
        async with self._read() as conn:
            exists = await conn.scalar(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'quire_jobs'"))
        return {"check": exists}

    async def register_worker_one(self) -> dict[str, Any]:
        async with self._write() as conn:
            result = await conn.execute(insert(workers_table).values(last_heartbeat=_now()))
            return {"worker_id": result.inserted_primary_key[0]}

    async def unregister_worker_run(self, worker_id: int) -> None:
        async with self._write() as conn:
            await conn.execute(delete(workers_table).where(workers_table.c.id == worker_id))
            await conn.execute(update(jobs_table).where(jobs_table.c.worker_id == worker_id).values(worker_id=None))

    async def update_heartbeat_run(self, worker_id: int) -> None:
        async with self._write() as conn:
            await conn.execute(update(workers_table).where(workers_table.c.id == worker_id).values(last_heartbeat=_now()))

    async def prune_stalled_workers_all(self, seconds_since_heartbeat: float) -> list[dict[str, Any]]:
        cutoff = _now() - timedelta(seconds=seconds_since_heartbeat)
        async with self._write() as conn:
            stale = [row.id for row in await conn.execute(select(workers_table.c.id).where(workers_table.c.last_heartbeat < cutoff))]
            if stale:
                await conn.execute(delete(workers_table).where(workers_table.c.id.in_(stale)))
                await conn.execute(update(jobs_table).where(jobs_table.c.worker_id.in_(stale)).values(worker_id=None))
        return [{"worker_id": worker_id} for worker_id in stale]

    async def count_jobs_status_all(self) -> list[dict[str, Any]]:
        async with self._read() as conn:
            rows = await conn.execute(select(jobs_table.c.status, func.count()).group_by(jobs_table.c.status))
            return [{"status": status, "count": count} for status, count in rows]


async def insert_job(conn: Any, job: types.JobToDefer) -> int:
    """One job row, in the caller's transaction (``conn`` may be an AsyncConnection or AsyncSession).
    A waiting job with the same queueing lock makes it raise procrastinate's ``UniqueViolation``."""
    now = _now()
    stmt = insert(jobs_table).values(
        queue_name=job.queue_name, task_name=job.task_name, priority=job.priority, lock=job.lock,
        queueing_lock=job.queueing_lock, args=job.args, status="todo", scheduled_at=job.scheduled_at, attempts=0,
        abort_requested=False, created_at=now, updated_at=now,
    )
    if job.queueing_lock is not None:
        # Only the partial unique index on waiting queueing locks can make this insert conflict.
        stmt = stmt.prefix_with("OR IGNORE")
    result = await conn.execute(stmt)
    if result.rowcount == 0:
        raise exceptions.UniqueViolation(constraint_name=manager.QUEUEING_LOCK_CONSTRAINT, queueing_lock=job.queueing_lock)
    return int(result.inserted_primary_key[0])
