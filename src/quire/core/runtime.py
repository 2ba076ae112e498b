"""What the app hands to every session it opens: its settings, and services to call after commit.

``create_app(settings)`` may run with settings other than the environment's (tests run several
servers side by side), so code below the routers reads them from the session rather than from
``get_settings()``. Work enqueued inside a transaction (the email outbox) is started by an
``after_commit`` callback, so nothing runs for a transaction that rolls back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from quire.config import Settings, get_settings

_SETTINGS = "quire.settings"


def configure_sessions(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, **services: Any) -> None:
    """Every session of ``sessionmaker`` carries ``settings`` and the named ``services``."""
    sessionmaker.configure(info={_SETTINGS: settings, **services})


def settings_of(session: AsyncSession) -> Settings:
    settings = session.info.get(_SETTINGS)
    return settings if isinstance(settings, Settings) else get_settings()


def service_of(session: AsyncSession, name: str) -> Any:
    """A service the app attached to its sessions, or None (scripts and the CLI attach none)."""
    return session.info.get(name)


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call ``callback`` once, after the session's current transaction commits (never on rollback)."""
    event.listen(session.sync_session, "after_commit", lambda _session: callback(), once=True)
