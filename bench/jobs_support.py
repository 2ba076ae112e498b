"""The no-op job bench/jobs.py measures."""

from __future__ import annotations

import time

from quire.jobs import JobContext, job


@job("bench.noop", queue="bench")
async def noop(ctx: JobContext, t: float | None = None, path: str | None = None) -> None:  # noqa: ARG001
    if t is not None and path:
        with open(path, "a") as out:
            out.write(f"{time.time() - t}\n")
