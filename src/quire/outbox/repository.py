"""Outbox queries. The API's are scoped by account; the dispatcher's scan every account on purpose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.ids import is_uuid
from quire.outbox.models import EmailStatus, OutboxEmail


def list_stmt(account_id: str, subject_type: str, subject_id: str) -> Select[Any]:
    return select(OutboxEmail).where(
        OutboxEmail.account_id == account_id,
        OutboxEmail.subject_type == subject_type,
        OutboxEmail.subject_id == subject_id,
    )


async def get(
    session: AsyncSession, account_id: str, subject_type: str, subject_id: str, email_id: str, *, lock: bool = False
) -> OutboxEmail | None:
    if not is_uuid(email_id):
        return None
    stmt = list_stmt(account_id, subject_type, subject_id).where(OutboxEmail.id == email_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


def _due(now: datetime) -> Any:
    return or_(
        and_(OutboxEmail.status == EmailStatus.PENDING.value, OutboxEmail.next_attempt_at <= now),
        and_(OutboxEmail.status == EmailStatus.SENDING.value, OutboxEmail.lease_until < now),
    )


async def claim_next_due(session: AsyncSession, now: datetime) -> OutboxEmail | None:
    """The most overdue message, row-locked; other processes' dispatchers skip it (PostgreSQL)
    or wait for this write transaction (SQLite)."""
    stmt = (
        select(OutboxEmail)
        .where(_due(now))
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(stmt)).first()


async def get_any(session: AsyncSession, email_id: str) -> OutboxEmail | None:
    stmt = select(OutboxEmail).where(OutboxEmail.id == email_id).with_for_update()
    return (await session.scalars(stmt)).first()


async def next_wake_up(session: AsyncSession) -> datetime | None:
    """When the next PENDING attempt is due or the next SENDING lease runs out."""
    pending = select(func.min(OutboxEmail.next_attempt_at)).where(OutboxEmail.status == EmailStatus.PENDING.value)
    leased = select(func.min(OutboxEmail.lease_until)).where(OutboxEmail.status == EmailStatus.SENDING.value)
    times = [t for t in ((await session.scalar(pending)), (await session.scalar(leased))) if t is not None]
    return min(times) if times else None
