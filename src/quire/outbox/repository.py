"""Outbox queries. The API's are scoped by account; the delivery jobs' scan every account on purpose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
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


async def due_ids(session: AsyncSession, now: datetime, limit: int = 1000) -> list[str]:
    """Messages that should be in flight: PENDING and due, or SENDING with an expired lease (the sweep)."""
    stmt = select(OutboxEmail.id).where(_due(now)).order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(limit)
    return list((await session.scalars(stmt)).all())


async def get_any(session: AsyncSession, email_id: str) -> OutboxEmail | None:
    stmt = select(OutboxEmail).where(OutboxEmail.id == email_id).with_for_update()
    return (await session.scalars(stmt)).first()
