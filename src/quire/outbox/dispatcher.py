"""Email delivery as jobs of the queue (quire.jobs, docs/jobs.md), on the ``email`` queue.

The outbox row stays the source of truth (status, attempts, next attempt, last error); the job only
says "look at this row now". ``schedule`` defers ``outbox.send`` in the transaction that writes the
row (so nothing is sent for a transaction that rolls back), and only workers of processes with
``QUIRE_SMTP_URL`` take the ``email`` queue. One attempt is three short steps, and no database
transaction stays open during SMTP: claim (``SENDING``, attempts + 1, a lease) → send in a thread →
record the outcome. A transient failure puts the row back to ``PENDING`` and defers the next attempt,
after the backoff, in the same transaction.

Jobs of one email share a lock (never two attempts at once) and a queueing lock (one waiting job). A
worker killed mid-send leaves the row ``SENDING``: the queue retries the job (stalled-job recovery) and
the sweep (``outbox.sweep``: at every worker start and every minute) re-queues rows left ``PENDING``
or with an expired lease without a job, e.g. from before the queue existed. Delivery is therefore at
least once, under the same Message-ID.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.config import Settings
from quire.core import clock
from quire.jobs import JobContext, defer, job, periodic
from quire.jobs.api import at_worker_start
from quire.outbox import repository as repo
from quire.outbox import smtp
from quire.outbox.models import EmailStatus, OutboxEmail

log = logging.getLogger("quire.outbox")

SEND = "outbox.send"
SWEEP = "outbox.sweep"


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


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=max(120.0, 4 * settings.smtp_timeout_seconds))


async def schedule(session: AsyncSession, email_id: str, *, delay: float | None = None) -> None:
    """Deliver ``email_id`` after ``session``'s transaction commits (and ``delay`` seconds)."""
    key = f"email:{email_id}"
    await defer(session, SEND, email_id=email_id, lock=key, queueing_lock=key, delay=delay)


@job(SEND, queue="email")
async def send(ctx: JobContext, email_id: str) -> None:
    if ctx.settings.smtp_url is None:  # a worker given the email queue by hand, without SMTP
        raise RuntimeError("this worker has no SMTP server configured (QUIRE_SMTP_URL)")
    target = smtp.parse_smtp_url(ctx.settings.smtp_url)
    claim = await _claim(ctx, email_id)
    if claim is None:
        return  # sent, failed, retried elsewhere, or deleted with its account
    try:
        note = await asyncio.to_thread(
            smtp.send, target, claim.mime, sender=claim.sender, recipients=claim.recipients,
            timeout=ctx.settings.smtp_timeout_seconds,
        )
    except smtp.DeliveryFailed as failure:
        await _record(ctx, claim, failure=failure)
    except Exception as exc:  # noqa: BLE001 - an unexpected error is one more failed attempt
        await _record(ctx, claim, failure=smtp.DeliveryFailed(f"{type(exc).__name__}: {exc}", permanent=False))
    else:
        await _record(ctx, claim, note=note)


async def _claim(ctx: JobContext, email_id: str) -> _Claim | None:
    async with ctx.write() as session:
        row = await repo.get_any(session, email_id)
        # SENDING here means an attempt whose worker died: the job's lock keeps attempts of one email apart.
        if row is None or row.status not in (EmailStatus.PENDING.value, EmailStatus.SENDING.value):
            return None
        now = clock.now()
        row.status = EmailStatus.SENDING.value
        row.attempts += 1
        row.lease_until = now + _lease(ctx.settings)
        row.last_attempt_at = now
        row.updated_at = now
        return _Claim(row.id, row.attempts, row.from_address, [*row.to_addresses, *row.cc_addresses], row.mime)


async def _record(ctx: JobContext, claim: _Claim, *, note: str | None = None, failure: smtp.DeliveryFailed | None = None) -> None:
    async with ctx.write() as session:
        row = await repo.get_any(session, claim.id)
        if row is None or row.status != EmailStatus.SENDING.value or row.attempts != claim.attempt:
            return  # deleted with its account, or another attempt took over
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
            await _alert_failed(session, row)
            return
        delay = backoff(row.attempts, ctx.settings)
        row.status = EmailStatus.PENDING.value
        row.next_attempt_at = now + timedelta(seconds=delay)
        await session.flush()
        await schedule(session, row.id, delay=delay)
        log.info("outbox: %s attempt %d failed, next at %s: %s", row.id, row.attempts, row.next_attempt_at, failure.message)


#: Called with (session, row) in the transaction that marks an email FAILED for good: what else should
#: happen then (quire.notifications.alerts registers the alert to the account's alert addresses; the outbox
#: imports no domain).
on_given_up: list[Callable[[AsyncSession, OutboxEmail], Awaitable[None]]] = []


async def _alert_failed(session: AsyncSession, row: OutboxEmail) -> None:
    for hook in list(on_given_up):
        await hook(session, row)


@job(SWEEP)
async def sweep(ctx: JobContext, **_tick: Any) -> None:
    """Queue a send for every message that is due and may have no job: PENDING and due, or SENDING with
    an expired lease. A message that has a waiting job is left alone (its queueing lock)."""
    async with ctx.write() as session:
        for email_id in await repo.due_ids(session, clock.now()):
            await schedule(session, email_id)


periodic(SWEEP, cron="* * * * *")
at_worker_start(SWEEP)
