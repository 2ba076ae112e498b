"""The delivery task: one asyncio task per app process that sends due outbox messages over SMTP.

It wakes when a transaction that enqueued a message commits (``notify``), when the next retry is
due, and at least every ``POLL_SECONDS`` (messages enqueued by other processes, expired leases).
On start-up it first delivers whatever is due: messages left PENDING by a stopped process, and
SENDING ones whose lease ran out (the process died mid-attempt; they are sent again, so delivery is
at least once, under the same Message-ID).

Each attempt is three short steps, and no database transaction stays open during SMTP:
claim (``SENDING``, attempts + 1, a lease) → send in a worker thread → record the outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from quire.config import Settings
from quire.core import clock
from quire.core.db import sqlite_write_transaction
from quire.outbox import repository as repo
from quire.outbox import smtp
from quire.outbox.models import EmailStatus

log = logging.getLogger("quire.outbox")

POLL_SECONDS = 60.0
ERROR_PAUSE_SECONDS = 5.0


@dataclass(frozen=True)
class _Claim:
    id: str
    attempt: int
    sender: str
    recipients: list[str]
    mime: bytes


def backoff(attempt: int, settings: Settings) -> float:
    """Seconds before the next attempt after failed attempt number ``attempt`` (1, 2, …):
    base, 2·base, 4·base, … capped at the maximum."""
    return float(min(settings.mail_retry_base_seconds * (2 ** max(attempt - 1, 0)), settings.mail_retry_max_seconds))


class Dispatcher:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, write_lock: asyncio.Lock | None
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.write_lock = write_lock
        self.target = smtp.parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
        self.lease = timedelta(seconds=max(120.0, 4 * settings.smtp_timeout_seconds))
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start delivering (nothing to do without SMTP: messages are then NOT_CONFIGURED)."""
        if self.target is not None and self._task is None:
            self._task = asyncio.create_task(self._run(), name="quire-outbox")

    def notify(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database may be briefly away; never let the task die
                log.exception("outbox: delivery pass failed; trying again shortly")
                delay = ERROR_PAUSE_SECONDS
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def deliver_due(self) -> float:
        """Send every message that is due, one at a time; return seconds until the next one is."""
        assert self.target is not None
        while (claim := await self._claim()) is not None:
            try:
                note = await asyncio.to_thread(
                    smtp.send, self.target, claim.mime, sender=claim.sender, recipients=claim.recipients,
                    timeout=self.settings.smtp_timeout_seconds,
                )
            except smtp.DeliveryFailed as failure:
                await self._record(claim, failure=failure)
            except Exception as exc:  # noqa: BLE001 - an unexpected error is one more failed attempt
                await self._record(claim, failure=smtp.DeliveryFailed(f"{type(exc).__name__}: {exc}", permanent=False))
            else:
                await self._record(claim, note=note)
        async with self.sessionmaker() as session:
            wake_at = await repo.next_wake_up(session)
        if wake_at is None:
            return POLL_SECONDS
        return min(POLL_SECONDS, max(0.0, (wake_at - clock.now()).total_seconds()) + 0.01)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncSession]:
        """A short write transaction, queued behind the app's SQLite writers like a request."""
        token = sqlite_write_transaction.set(True)
        try:
            async with self.write_lock or nullcontext(), self.sessionmaker() as session:
                yield session
                await session.commit()
        finally:
            sqlite_write_transaction.reset(token)

    async def _claim(self) -> _Claim | None:
        async with self._write() as session:
            now = clock.now()
            row = await repo.claim_next_due(session, now)
            if row is None:
                return None
            row.status = EmailStatus.SENDING.value
            row.attempts += 1
            row.lease_until = now + self.lease
            row.last_attempt_at = now
            row.updated_at = now
            claim = _Claim(row.id, row.attempts, row.from_address, [*row.to_addresses, *row.cc_addresses], row.mime)
        return claim

    async def _record(self, claim: _Claim, *, note: str | None = None, failure: smtp.DeliveryFailed | None = None) -> None:
        async with self._write() as session:
            row = await repo.get_any(session, claim.id)
            if row is None or row.status != EmailStatus.SENDING.value or row.attempts != claim.attempt:
                return  # deleted with its account, or the lease expired and another attempt took over
            now = clock.now()
            row.lease_until = None
            row.updated_at = now
            if failure is None:
                row.status = EmailStatus.SENT.value
                row.sent_at = now
                row.next_attempt_at = None
                row.last_error = note
                log.info("outbox: sent %s (attempt %d)", row.id, row.attempts)
                return
            row.last_error = failure.message[:2000]
            if failure.permanent or row.attempts >= row.max_attempts:
                row.status = EmailStatus.FAILED.value
                row.next_attempt_at = None
                log.warning("outbox: %s FAILED after %d attempt(s): %s", row.id, row.attempts, failure.message)
            else:
                row.status = EmailStatus.PENDING.value
                row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts, self.settings))
                log.info("outbox: %s attempt %d failed, next at %s: %s", row.id, row.attempts, row.next_attempt_at, failure.message)


def start_outbox(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, write_lock: asyncio.Lock | None) -> Dispatcher:
    """Attach the settings and a started dispatcher to every session of ``sessionmaker`` (app start-up)."""
    from quire.core.runtime import configure_sessions
    from quire.outbox.service import DISPATCHER

    dispatcher = Dispatcher(sessionmaker, settings, write_lock)
    configure_sessions(sessionmaker, settings, **{DISPATCHER: dispatcher})
    dispatcher.start()
    return dispatcher
