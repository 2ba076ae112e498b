"""Measure the job queue (docs/jobs.md): defer cost inside a transaction, jobs/s through one and two
``quire worker`` processes, and enqueue→start latency. Usage:
    .venv/bin/python bench/jobs.py sqlite|postgresql [--jobs 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quire.config import Settings  # noqa: E402
from quire.core.db import make_engine, make_sessionmaker, sqlite_write_transaction  # noqa: E402
from quire.core.migrate import upgrade  # noqa: E402
from quire.jobs import defer  # noqa: E402
import bench.jobs_support  # noqa: E402,F401


async def defer_many(settings: Settings, count: int, per_tx: int, **args: object) -> list[float]:
    """Seconds per defer() call, in transactions of ``per_tx`` defers each."""
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    costs = []
    token = sqlite_write_transaction.set(True)
    try:
        for start in range(0, count, per_tx):
            async with sessions() as session:
                await session.execute(text("SELECT 1"))  # the transaction is open, as in a request
                for _ in range(min(per_tx, count - start)):
                    t0 = time.perf_counter()
                    await defer(session, "bench.noop", **args)
                    costs.append(time.perf_counter() - t0)
                await session.commit()
    finally:
        sqlite_write_transaction.reset(token)
        await engine.dispose()
    return costs


async def purge(settings: Settings) -> None:
    engine = make_engine(settings)
    table = "quire_jobs" if settings.is_sqlite else "procrastinate_jobs"
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"DELETE FROM {table} WHERE queue_name = 'bench'"))
    finally:
        await engine.dispose()


async def in_process_latency(settings: Settings, count: int) -> list[float]:
    """enqueue→start with the worker in the committing process (``quire serve``'s in-process worker)."""
    from quire.jobs.runner import JobRunner, WorkerOptions

    out = Path(tempfile.mkdtemp()) / "latency.txt"
    engine = make_engine(settings)
    write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
    sessions = make_sessionmaker(engine)
    runner = JobRunner(settings, engine, sessions, write_lock, WorkerOptions(queues=("bench",)))
    runner.start()
    await asyncio.sleep(2.0)
    token = sqlite_write_transaction.set(True)
    try:
        for _ in range(count):
            async with write_lock or asyncio.Lock(), sessions() as session:
                await defer(session, "bench.noop", t=time.time(), path=str(out))
                await session.commit()
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
    finally:
        sqlite_write_transaction.reset(token)
        await runner.stop()
        await engine.dispose()
    return sorted(float(line) for line in out.read_text().split())


async def remaining(settings: Settings) -> int:
    engine = make_engine(settings)
    table = "quire_jobs" if settings.is_sqlite else "procrastinate_jobs"
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text(f"SELECT count(*) FROM {table} WHERE status IN ('todo', 'doing') AND queue_name = 'bench'")))
    finally:
        await engine.dispose()


def workers(settings: Settings, n: int, extra: dict[str, str] | None = None) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "QUIRE_DATABASE_URL": settings.database_url, "QUIRE_JOB_MODULES": "bench.jobs_support",
           "PYTHONPATH": str(ROOT), **(extra or {})}
    return [subprocess.Popen([sys.executable, "-m", "quire.cli", "worker", "--queues", "bench", "--concurrency", "8"],
                             cwd=ROOT, env=env, stderr=subprocess.DEVNULL) for _ in range(n)]


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("backend", choices=["sqlite", "postgresql"])
    parser.add_argument("--jobs", type=int, default=2000)
    options = parser.parse_args()
    if options.backend == "sqlite":
        settings = Settings(database_url=f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    else:
        from tests.support import create_pg_database
        settings = Settings(database_url=create_pg_database())
    upgrade(settings)

    costs = asyncio.run(defer_many(settings, 2000, 1))
    print(f"defer, one per transaction: median {statistics.median(costs) * 1e6:.0f} µs, p95 {sorted(costs)[int(len(costs) * .95)] * 1e6:.0f} µs")
    costs = asyncio.run(defer_many(settings, 2000, 100))
    print(f"defer, 100 per transaction: median {statistics.median(costs) * 1e6:.0f} µs")
    asyncio.run(purge(settings))

    for n in (1, 2):
        asyncio.run(defer_many(settings, options.jobs, 500))
        t0 = time.perf_counter()
        procs = workers(settings, n)
        while asyncio.run(remaining(settings)):
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        stop(procs)
        print(f"{n} worker(s), concurrency 8: {options.jobs} no-op jobs in {elapsed:.2f} s incl. start-up "
              f"= {options.jobs / elapsed:.0f} jobs/s")

    out = Path(tempfile.mkdtemp()) / "latency.txt"
    procs = workers(settings, 1)
    time.sleep(2.5)
    for _ in range(40):
        asyncio.run(defer_many(settings, 1, 1, t=time.time(), path=str(out)))
        time.sleep(0.1)
    while asyncio.run(remaining(settings)):
        time.sleep(0.05)
    stop(procs)
    latencies = sorted(float(line) for line in out.read_text().split())
    print(f"enqueue→start, an idle worker in another process: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms (n={len(latencies)})")
    latencies = asyncio.run(in_process_latency(settings, 40))
    print(f"enqueue→start, the in-process worker (quire serve): median {statistics.median(latencies) * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms (n={len(latencies)})")


if __name__ == "__main__":
    main()
