"""Cancellation that never cuts a database statement in half (the SQLite job connector, the app's purge).

aiosqlite runs each statement in its connection's thread; a coroutine cancelled while it waits makes
SQLAlchemy invalidate the connection and close it from a task of its own, which a closing event loop
may never finish (the connection then keeps SQLite's write lock, or ``asyncio.run`` waits forever for
that close). Work wrapped in ``to_the_end`` is let finish first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, TypeVar

T = TypeVar("T")


async def to_the_end(work: Awaitable[T], undo: Callable[[T], Awaitable[Any]] | None = None) -> T:
    """Await ``work`` (one database transaction) to its end even if the caller is cancelled
    meanwhile, then let the cancellation through; ``undo`` takes back what the finished work did for a
    caller that is no longer there (a job claimed for a stopping worker goes back to the queue).

    Why: procrastinate cancels a stopping worker's side tasks (the periodic deferrer, the heartbeat)
    wherever they are. Cut off inside a transaction, the aiosqlite connection is invalidated and its
    close left to a task that the closing event loop may never run, so the connection kept SQLite's
    write lock and every later write of the process waited out the busy timeout: "database is locked"
    (tests/test_jobs.py, 1 run in 8 on a quiet machine, every test of the module once it happened). The
    app's idempotency purge, cancelled at shutdown mid-statement, hung the loop's close the same way."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with suppress(asyncio.CancelledError):
                await asyncio.wait({task})
        if undo is not None and not task.cancelled() and task.exception() is None:
            await to_the_end(undo(task.result()))
        raise
