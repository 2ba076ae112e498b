"""The job queue (quire.jobs, docs/jobs.md) on a migrated SQLite file and a fresh PostgreSQL database, with
real ``quire worker`` processes: transactional defer, exactly-once with racing workers, SIGKILL
mid-job and stalled-job recovery, a periodic job deferred once per tick whatever the number of
workers, graceful SIGTERM. The jobs are in tests/jobs_support.py."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.jobs_support  # noqa: F401 - declares the test jobs in this process too
from quire.config import Settings
from quire.core.db import make_engine, make_sessionmaker, sqlite_write_transaction
from quire.core.migrate import upgrade
from quire.jobs import defer, run_pending_inline
from tests.support import drop_pg_database, required_pg_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    if request.param == "sqlite":
        settings = Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('jobs') / 'quire.db'}")
        upgrade(settings)
        yield settings
        return
    url = required_pg_database()
    settings = Settings(database_url=url)
    upgrade(settings)
    yield settings
    drop_pg_database(url)


def in_transaction(settings: Settings, work: Callable[[Any], Any], *, commit: bool) -> Any:
    async def run() -> Any:
        engine = make_engine(settings)
        token = sqlite_write_transaction.set(True)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                if commit:
                    await session.commit()
                else:
                    await session.rollback()
                return result
        finally:
            sqlite_write_transaction.reset(token)
            await engine.dispose()

    try:
        return asyncio.run(run())
    except Exception as error:
        if "database is locked" not in str(error) or not settings.is_sqlite:
            raise
        raise AssertionError(f"{error}; processes holding the file: {holders(settings)}") from error


def holders(settings: Settings) -> list[str]:
    """The processes that have the SQLite file (or its -wal/-journal) open, with their command lines: CI saw
    every BEGIN IMMEDIATE of this module time out on a fresh file. The cause was in this process (a worker's
    periodic deferrer cancelled mid-transaction left its connection holding the write lock until garbage
    collection; fixed by quire.core.cancellation.to_the_end); this stays to name any other holder."""
    path = settings.database_url.split("///", 1)[1]
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and any(
                    os.readlink(fd).startswith(path) for fd in (proc / "fd").iterdir()):
                found.append(f"{proc.name}: {(proc / 'cmdline').read_bytes().replace(bytes(1), b' ').decode()[:200]}")
        except OSError:
            continue
    return found


def defer_all(settings: Settings, *jobs: tuple[str, dict[str, Any]], commit: bool = True) -> list[int | None]:
    async def work(session: Any) -> list[int | None]:
        return [await defer(session, name, **args) for name, args in jobs]

    return in_transaction(settings, work, commit=commit)  # type: ignore[no-any-return]


def start_worker(settings: Settings, *args: str, tick_file: Path | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QUIRE_DATABASE_URL": settings.database_url, "QUIRE_JOB_MODULES": "tests.jobs_support",
           "PYTHONPATH": str(ROOT)}
    env.pop("QUIRE_SMTP_URL", None)
    if tick_file is not None:
        env["QUIRE_TEST_TICK_FILE"] = str(tick_file)
    return subprocess.Popen(
        [sys.executable, "-m", "quire.cli", "worker", "--heartbeat", "0.3", "--poll", "0.2", *args],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def registered_workers(settings: Settings) -> int:
    """Rows of the queue's worker table: a worker adds its own once it is up and fetching."""
    from sqlalchemy import text

    table = "quire_job_workers" if settings.is_sqlite else "procrastinate_workers"

    async def work(session: Any) -> int:
        return int(await session.scalar(text(f"SELECT count(*) FROM {table}")))

    return in_transaction(settings, work, commit=False)  # type: ignore[no-any-return]


def lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return result


def stop(*workers: subprocess.Popen[bytes]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            assert worker.wait(timeout=15) == 0, worker.stderr.read().decode() if worker.stderr else ""
        finally:
            if worker.poll() is None:
                worker.kill()


def test_a_rolled_back_defer_never_runs_and_a_committed_one_runs_after_commit(database: Settings, tmp_path: Path) -> None:
    out = tmp_path / "runs.txt"
    defer_all(database, ("test.record", {"path": str(out), "label": "rolled-back"}), commit=False)
    [job_id] = defer_all(database, ("test.record", {"path": str(out), "label": "committed"}))
    assert isinstance(job_id, int)
    asyncio.run(run_pending_inline(database))
    assert [line[0] for line in lines(out)] == ["committed"]
    asyncio.run(run_pending_inline(database))  # nothing left: it ran once
    assert [line[0] for line in lines(out)] == ["committed"]


def test_a_queueing_lock_keeps_one_waiting_job(database: Settings, tmp_path: Path) -> None:
    out = tmp_path / "runs.txt"
    args = {"path": str(out), "label": "once", "queueing_lock": f"lock-{tmp_path.name}"}
    first, second = defer_all(database, ("test.record", args), ("test.record", args))
    assert isinstance(first, int) and second is None
    assert defer_all(database, ("test.record", args)) == [None]  # in a later transaction too
    asyncio.run(run_pending_inline(database))
    assert [line[0] for line in lines(out)] == ["once"]


def test_committed_jobs_run_exactly_once_with_two_workers_racing(database: Settings, tmp_path: Path) -> None:
    out = tmp_path / "runs.txt"
    count = 60
    before = registered_workers(database)
    workers = [start_worker(database, "--concurrency", "4", "--queues", "default") for _ in range(2)]
    try:
        # Both workers up and fetching (however slow a loaded machine starts them): they race for every job.
        wait_for(lambda: registered_workers(database) >= before + 2)
        defer_all(database, *[("test.record", {"path": str(out), "label": f"job-{n}", "sleep": 0.02}) for n in range(count)])
        wait_for(lambda: len(lines(out)) >= count)
        time.sleep(0.5)  # a duplicate would land now
    finally:
        stop(*workers)  # SIGTERM: both exit 0
    runs = Counter(line[0] for line in lines(out))
    assert runs == Counter({f"job-{n}": 1 for n in range(count)})
    assert len({line[1] for line in lines(out)}) == 2, "both workers took jobs"


def test_jobs_sharing_a_lock_never_overlap_and_sigterm_lets_the_running_job_finish(database: Settings, tmp_path: Path) -> None:
    out = tmp_path / "spans.txt"
    workers = [start_worker(database, "--concurrency", "4", "--queues", "default") for _ in range(2)]
    try:
        time.sleep(1.0)
        defer_all(database, *[("test.span", {"path": str(out), "label": f"locked-{n}", "sleep": 0.2,
                                             "lock": f"lock-{tmp_path.name}"}) for n in range(4)])
        wait_for(lambda: sum(line[0] == "end" for line in lines(out)) == 4)
        spans = sorted((float(start[2]), float(end[2])) for start in lines(out) if start[0] == "start"
                       for end in lines(out) if end[0] == "end" and end[1] == start[1])
        assert len(spans) == 4 and all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), spans  # one at a time
        defer_all(database, ("test.span", {"path": str(out), "label": "long", "sleep": 1.5}))
        [started] = wait_for(lambda: [line for line in lines(out) if line[:2] == ["start", "long"]])
        running = next(w for w in workers if str(w.pid) == started[3])
    finally:
        stop(*workers)  # SIGTERM while "long" runs: it finishes, then the worker exits 0
    assert [line[:2] for line in lines(out)][-1] == ["end", "long"] and lines(out)[-1][3] == str(running.pid)


def test_a_job_whose_worker_is_killed_is_retried_by_another_worker(database: Settings, tmp_path: Path) -> None:
    out = tmp_path / "runs.txt"
    first = start_worker(database, "--queues", "default", "--stalled-after", "1.5")
    try:
        defer_all(database, ("test.crash_once", {"path": str(out)}))
        [started] = wait_for(lambda: [line for line in lines(out) if line[0] == "started"])
        assert started[1] == str(first.pid)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    second = start_worker(database, "--queues", "default", "--stalled-after", "1.5")
    try:
        [done] = wait_for(lambda: [line for line in lines(out) if line[0] == "done"])
        assert done[1] == str(second.pid) and done[2] == "1"  # the second attempt
    finally:
        stop(second)
    assert [line[0] for line in lines(out)] == ["started", "done"]


def test_a_periodic_job_is_deferred_once_per_tick_with_two_workers(database: Settings, tmp_path: Path) -> None:
    ticks = tmp_path / "ticks.txt"
    since = time.time()
    workers = [start_worker(database, "--queues", "ticks", tick_file=ticks) for _ in range(2)]
    try:
        wait_for(lambda: len([line for line in lines(ticks) if int(line[0]) > since + 2]) >= 3)
    finally:
        stop(*workers)
    per_tick = Counter(line[0] for line in lines(ticks))
    assert per_tick and set(per_tick.values()) == {1}, per_tick


def test_the_daily_billing_run_is_deferred_once_by_two_workers(database: Settings) -> None:
    """Two workers' periodic deferrers reach the same daily tick of ``billing.run_due`` at once: one job."""
    from procrastinate.periodic import PeriodicDeferrer
    from sqlalchemy import text

    from quire.jobs.runner import JobRunner, WorkerOptions

    table = "quire_jobs" if database.is_sqlite else "procrastinate_jobs"
    tick = int(time.time()) // 86400 * 86400 + 2 * 3600  # today, 02:00 UTC: the cron "0 2 * * *"

    async def run() -> int:
        engines = [make_engine(database) for _ in range(2)]
        runners = [JobRunner(database, engine, make_sessionmaker(engine), None, WorkerOptions(queues=("billing",)))
                   for engine in engines]
        try:
            for runner in runners:
                await runner.app.open_async()
            [daily] = [[task for task in runner.app.periodic_registry.periodic_tasks.values()
                        if task.task.name == "billing.run_due"] for runner in runners[:1]]
            assert [task.cron for task in daily] == ["0 2 * * *"]
            deferrers = [PeriodicDeferrer(registry=runner.app.periodic_registry) for runner in runners]
            await asyncio.gather(*(
                deferrer.defer_jobs([(task, tick) for task in runner.app.periodic_registry.periodic_tasks.values()
                                     if task.task.name == "billing.run_due"])
                for deferrer, runner in zip(deferrers, runners, strict=True)))
            async with engines[0].begin() as conn:
                count = await conn.scalar(text(f"SELECT count(*) FROM {table} WHERE task_name = 'billing.run_due'"))
                await conn.execute(text(f"DELETE FROM {table} WHERE task_name = 'billing.run_due'"))
            return int(count)
        finally:
            for runner in runners:
                await runner.app.close_async()
            for engine in engines:
                await engine.dispose()

    assert asyncio.run(run()) == 1


def test_the_in_process_worker_gives_way_to_requests_and_never_starves(database: Settings, tmp_path: Path) -> None:
    """A request in flight for the whole run (the gate of quire.jobs.giveway held): the jobs still run, each
    on a forced turn (docs/webhooks.md#throughput)."""
    from quire.jobs import JobRunner
    from quire.jobs.giveway import RequestGate
    from quire.jobs.runner import WorkerOptions

    out = tmp_path / "gave-way.txt"
    defer_all(database, *(("test.record", {"path": str(out), "label": f"job{i}"}) for i in range(3)))

    async def main() -> RequestGate:
        engine = make_engine(database)
        gate = RequestGate(max_wait=0.02)
        gate.enter()  # a request that never ends
        try:
            write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
            runner = JobRunner(database, engine, make_sessionmaker(engine), write_lock, WorkerOptions(), gate)
            await asyncio.wait_for(runner.run_pending(), timeout=60)
        finally:
            await engine.dispose()
        return gate

    gate = asyncio.run(main())
    assert sorted(line[0] for line in lines(out)) == ["job0", "job1", "job2"]
    assert gate.forced >= 3 and gate.forced == gate.turns  # every job went on a forced turn, none was lost
