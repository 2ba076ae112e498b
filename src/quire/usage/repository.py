"""Usage queries, each scoped to an account. The metric aggregate itself is in ``calculation.py``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.repository import Criterion, above, below, equal, one_of
from quire.customers.models import Customer, CustomerAlias
from quire.usage.models import UsageEvent, UsageEventUpload


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


def event_filters(account_id: str, f: EventFilters) -> list[Criterion]:
    E = UsageEvent
    unmapped = None
    if f.unmapped_only:
        unmapped = and_(
            not_(exists().where(CustomerAlias.account_id == account_id, CustomerAlias.value == E.customer_alias)),
            not_(exists().where(Customer.account_id == account_id, Customer.id == E.customer_alias)),
        )
    by_id = None if f.event_id is None else or_(E.id == f.event_id, E.customer_event_id == f.event_id)
    return [one_of(E.customer_alias, f.alias_values), unmapped, equal(E.event_type, f.event_type), by_id,
            below(E.event_timestamp, f.timestamp_before), above(E.event_timestamp, f.timestamp_after)]


# --- metrics -------------------------------------------------------------------------------------


# --- CSV uploads ---------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class UploadProgress:
    rows: int  # data rows done (stored or refused)
    accepted: int
    errors: list[dict[str, Any]]  # the first MAX_ERRORS_KEPT refusals
    total: int  # the file's data rows


async def record_progress(session: AsyncSession, upload_id: str, rows_before: int, progress: UploadProgress,
                          now: datetime) -> bool:
    """Move the upload from ``rows_before`` done to ``progress`` (and renew the claim); False, changing
    nothing, when it is no longer at ``rows_before``: another worker took it over and stored those rows
    (on PostgreSQL the update waits for that worker's commit, then finds the count moved on), and the
    caller rolls its transaction back, events and all."""
    result = await session.execute(
        update(UsageEventUpload)
        .where(UsageEventUpload.id == upload_id, UsageEventUpload.status == "PROCESSING",
               UsageEventUpload.row_count == rows_before)
        .values(row_count=progress.rows, accepted_count=progress.accepted,
                rejected_count=progress.rows - progress.accepted, errors=progress.errors, row_total=progress.total,
                claimed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def finish_upload(session: AsyncSession, upload_id: str, rows: int, now: datetime) -> bool:
    """COMPLETED, the file's text dropped, if this worker's ``rows`` are still the upload's progress."""
    result = await session.execute(
        update(UsageEventUpload)
        .where(UsageEventUpload.id == upload_id, UsageEventUpload.status == "PROCESSING",
               UsageEventUpload.row_count == rows)
        .values(status="COMPLETED", content=None, completed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
