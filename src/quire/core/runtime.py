"""What the app hands to every session it opens: its settings, and services to call after commit.

``create_app(settings)`` may run with settings other than the environment's (tests run several
servers side by side), so code below the routers reads them from the session rather than from
``get_settings()``. Work enqueued inside a transaction (the email outbox) is started by an
``after_commit`` callback, so nothing runs for a transaction that rolls back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from quire.config import Settings, get_settings

_SETTINGS = "quire.settings"


def configure_sessions(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, **services: Any) -> None:
    """Every session of ``sessionmaker`` carries ``settings`` and the named ``services`` (added to those
    attached before)."""
    sessionmaker.configure(info={**sessionmaker.kw.get("info", {}), _SETTINGS: settings, **services})


def settings_of(session: AsyncSession) -> Settings:
    settings = session.info.get(_SETTINGS)
    return settings if isinstance(settings, Settings) else get_settings()


def service_of(session: AsyncSession, name: str) -> Any:
    """A service the app attached to its sessions, or None (scripts and the CLI attach none)."""
    return session.info.get(name)


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call ``callback`` once, after the session's current transaction commits (never on rollback)."""
    event.listen(session.sync_session, "after_commit", lambda _session: callback(), once=True)


BACKGROUND = "quire.background"


class Background:
    """Work the app runs after a request's transaction commits, in sessions of its own.

    Each job gets the app's sessionmaker and SQLite write lock; failures are logged, never raised into
    a request. Work that must survive a crash goes on the job queue instead (quire.jobs); a request
    that must write outside its own transaction (a first download storing its document:
    quire.core.stored_documents) uses the same sessionmaker and lock.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], write_lock: asyncio.Lock | None) -> None:
        self.sessionmaker = sessionmaker
        self.write_lock = write_lock
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, job: Callable[[Background], Awaitable[None]], name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(job, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, job: Callable[[Background], Awaitable[None]], name: str) -> None:
        try:
            await job(self)
        except Exception:  # noqa: BLE001 - background work must not take the app down
            logging.getLogger("quire").exception("background job %s failed", name)

    async def drain(self) -> None:
        """Wait for the jobs in flight (app shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
