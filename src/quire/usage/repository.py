"""Usage queries, each scoped to an account. The metric aggregate itself is in ``calculation.py``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.ids import is_uuid
from quire.customers.models import Customer, CustomerAlias
from quire.usage.models import UsageEvent, UsageEventUpload, UsageMetric


@cache
def upsert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (account_id, customer_event_id) DO UPDATE: the later event replaces the row.
    Built once per dialect (the ingest hot path)."""
    table = UsageEvent.__table__
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    replaced = ("id", "customer_alias", "event_type", "event_timestamp", "event_properties", "received_at")
    return insert.on_conflict_do_update(
        index_elements=[table.c.account_id, table.c.customer_event_id],
        set_={**{name: insert.excluded[name] for name in replaced}, "revision": table.c.revision + 1},
    )


async def upsert_events(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Store events; ``rows`` must have distinct ``customer_event_id`` values (one statement cannot
    update a row twice on PostgreSQL)."""
    if rows:
        await session.execute(upsert_statement(session.get_bind().dialect.name), list(rows))


@dataclass(frozen=True)
class EventFilters:
    alias_values: Any = None  # a subquery of alias values, or a literal list
    unmapped_only: bool = False
    event_type: str | None = None
    event_id: str | None = None
    timestamp_before: datetime | None = None
    timestamp_after: datetime | None = None


def list_events_stmt(account_id: str, f: EventFilters) -> Select[tuple[UsageEvent]]:
    stmt = select(UsageEvent).where(UsageEvent.account_id == account_id)
    if f.alias_values is not None:
        stmt = stmt.where(UsageEvent.customer_alias.in_(f.alias_values))
    if f.unmapped_only:
        stmt = stmt.where(
            not_(exists().where(CustomerAlias.account_id == account_id, CustomerAlias.value == UsageEvent.customer_alias)),
            not_(exists().where(Customer.account_id == account_id, Customer.id == UsageEvent.customer_alias)),
        )
    if f.event_type is not None:
        stmt = stmt.where(UsageEvent.event_type == f.event_type)
    if f.event_id is not None:
        stmt = stmt.where(or_(UsageEvent.id == f.event_id, UsageEvent.customer_event_id == f.event_id))
    if f.timestamp_before is not None:
        stmt = stmt.where(UsageEvent.event_timestamp < f.timestamp_before)
    if f.timestamp_after is not None:
        stmt = stmt.where(UsageEvent.event_timestamp > f.timestamp_after)
    return stmt


def alias_values_of(account_id: str, customer_id: str) -> Any:
    """The values naming a customer in events: its id and every alias (resolved at query time)."""
    return select(CustomerAlias.value).where(
        CustomerAlias.account_id == account_id, CustomerAlias.customer_id == customer_id
    ).union_all(select(Customer.id).where(Customer.account_id == account_id, Customer.id == customer_id))


# --- metrics -------------------------------------------------------------------------------------


async def get_metric(session: AsyncSession, account_id: str, metric_id: str, *, lock: bool = False) -> UsageMetric | None:
    if not is_uuid(metric_id):
        return None
    stmt = select(UsageMetric).where(UsageMetric.account_id == account_id, UsageMetric.id == metric_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


def list_metrics_stmt(account_id: str, *, include_deleted: bool) -> Select[tuple[UsageMetric]]:
    stmt = select(UsageMetric).where(UsageMetric.account_id == account_id)
    return stmt if include_deleted else stmt.where(UsageMetric.deleted_at.is_(None))


# --- CSV uploads ---------------------------------------------------------------------------------


async def get_upload(session: AsyncSession, account_id: str, upload_id: str) -> UsageEventUpload | None:
    if not is_uuid(upload_id):
        return None
    stmt = select(UsageEventUpload).where(UsageEventUpload.account_id == account_id, UsageEventUpload.id == upload_id)
    return (await session.scalars(stmt)).one_or_none()


def list_uploads_stmt(account_id: str) -> Select[tuple[UsageEventUpload]]:
    return select(UsageEventUpload).where(UsageEventUpload.account_id == account_id)


async def claimable_upload_ids(session: AsyncSession, stale_before: datetime, limit: int) -> list[str]:
    """Uploads waiting for the worker (any account): PENDING, or PROCESSING by a worker that died."""
    stmt = (
        select(UsageEventUpload.id)
        .where(
            or_(
                UsageEventUpload.status == "PENDING",
                (UsageEventUpload.status == "PROCESSING") & (UsageEventUpload.claimed_at < stale_before),
            )
        )
        .order_by(UsageEventUpload.created_at, UsageEventUpload.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def claim_upload(session: AsyncSession, upload_id: str, now: datetime, stale_before: datetime) -> bool:
    """Mark the upload PROCESSING if nobody else holds it; True if this worker got it."""
    result = await session.execute(
        update(UsageEventUpload)
        .where(
            UsageEventUpload.id == upload_id,
            or_(
                UsageEventUpload.status == "PENDING",
                (UsageEventUpload.status == "PROCESSING") & (UsageEventUpload.claimed_at < stale_before),
            ),
        )
        .values(status="PROCESSING", claimed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def load_upload(session: AsyncSession, upload_id: str) -> UsageEventUpload | None:
    return (await session.scalars(select(UsageEventUpload).where(UsageEventUpload.id == upload_id))).one_or_none()
