"""Jobs the queue tests run (tests/test_jobs.py): worker subprocesses import this through
QUIRE_JOB_MODULES. Each job appends a line to a file, so runs are counted across processes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from quire.jobs import JobContext, job, periodic


def _append(path: str, line: str) -> None:
    with open(path, "a") as out:  # one short write per line: appends from several processes stay whole
        out.write(line + "\n")


@job("test.record")
async def record(ctx: JobContext, path: str, label: str, sleep: float = 0.0) -> None:
    if sleep:
        await asyncio.sleep(sleep)
    _append(path, f"{label} {os.getpid()} {ctx.attempts}")


@job("test.span")
async def span(ctx: JobContext, path: str, label: str, sleep: float) -> None:  # noqa: ARG001
    """Records its start and end (wall-clock), so tests can see overlaps and graceful stops."""
    import time

    _append(path, f"start {label} {time.time()} {os.getpid()}")
    await asyncio.sleep(sleep)
    _append(path, f"end {label} {time.time()} {os.getpid()}")


@job("test.crash_once")
async def crash_once(ctx: JobContext, path: str) -> None:
    """The first run announces itself and then hangs (the test SIGKILLs its worker); a retry finishes."""
    if ctx.attempts == 0:
        _append(path, f"started {os.getpid()}")
        await asyncio.sleep(3600)
    _append(path, f"done {os.getpid()} {ctx.attempts}")


@job("test.tick", queue="ticks")
async def tick(ctx: JobContext, timestamp: int) -> None:  # noqa: ARG001
    path = os.environ.get("QUIRE_TEST_TICK_FILE")
    if path:
        _append(path, f"{timestamp} {os.getpid()}")


periodic("test.tick", cron="* * * * * *")  # every second (6th field: seconds)

__all__ = ["Path", "crash_once", "record", "span", "tick"]
