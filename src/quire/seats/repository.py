"""Seat queries, each scoped to an account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.repository import Criterion, above, below, equal, one_of
from quire.customers.models import Customer, CustomerAlias
from quire.seats.models import SeatChange, SeatSnapshot, SeatType


async def seat_type_by_key(session: AsyncSession, account_id: str, key: str) -> SeatType | None:
    stmt = select(SeatType).where(SeatType.account_id == account_id, SeatType.key == key)
    return (await session.scalars(stmt)).one_or_none()


async def current_snapshot(session: AsyncSession, account_id: str, customer_snapshot_id: str) -> SeatSnapshot | None:
    stmt = (
        select(SeatSnapshot)
        .where(SeatSnapshot.account_id == account_id, SeatSnapshot.customer_snapshot_id == customer_snapshot_id)
        .with_for_update()
    )
    return (await session.scalars(stmt)).one_or_none()


async def delete_snapshot(session: AsyncSession, snapshot_id: str) -> None:
    await session.execute(delete(SeatChange).where(SeatChange.snapshot_id == snapshot_id))
    await session.execute(delete(SeatSnapshot).where(SeatSnapshot.id == snapshot_id))


async def changes_of(session: AsyncSession, account_id: str, snapshot_ids: Sequence[str]) -> dict[str, list[SeatChange]]:
    if not snapshot_ids:
        return {}
    stmt = (
        select(SeatChange)
        .where(SeatChange.account_id == account_id, SeatChange.snapshot_id.in_(list(snapshot_ids)))
        .order_by(SeatChange.snapshot_id, SeatChange.position)
    )
    out: dict[str, list[SeatChange]] = {sid: [] for sid in snapshot_ids}
    for change in (await session.scalars(stmt)).all():
        out[change.snapshot_id].append(change)
    return out


@dataclass(frozen=True)
class SnapshotFilters:
    alias_values: Any = None
    seat_type: str | None = None
    customer_snapshot_id: str | None = None
    before: datetime | None = None
    after: datetime | None = None


def snapshot_filters(f: SnapshotFilters) -> list[Criterion]:
    S = SeatSnapshot
    return [one_of(S.customer_alias, f.alias_values), equal(S.seat_type, f.seat_type),
            equal(S.customer_snapshot_id, f.customer_snapshot_id), below(S.snapshot_timestamp, f.before),
            above(S.snapshot_timestamp, f.after)]


def change_filters(f: SnapshotFilters) -> list[Criterion]:
    C = SeatChange
    return [one_of(C.customer_alias, f.alias_values), equal(C.seat_type, f.seat_type), below(C.timestamp, f.before),
            above(C.timestamp, f.after)]


def _alias_map(account_id: str) -> Any:
    return (
        select(Customer.id.label("alias"), Customer.id.label("customer_id"))
        .where(Customer.account_id == account_id)
        .union_all(
            select(CustomerAlias.value.label("alias"), CustomerAlias.customer_id.label("customer_id")).where(
                CustomerAlias.account_id == account_id
            )
        )
        .subquery("alias_map")
    )


@dataclass(frozen=True)
class BalanceRow:
    customer_id: str
    seat_type: str
    total: int
    timestamp: datetime


async def latest_balances(
    session: AsyncSession, account_id: str, *, customer_ids: Sequence[str] | None, at: datetime | None = None
) -> list[BalanceRow]:
    """Per customer and seat type, the total of the latest snapshot (by ``snapshotTimestamp``, then by
    arrival) whose alias maps to the customer, optionally as of ``at`` (inclusive)."""
    mapping = _alias_map(account_id)
    rank = func.row_number().over(
        partition_by=(mapping.c.customer_id, SeatSnapshot.seat_type),
        order_by=(SeatSnapshot.snapshot_timestamp.desc(), SeatSnapshot.id.desc()),
    )
    inner = (
        select(
            mapping.c.customer_id.label("customer_id"),
            SeatSnapshot.seat_type.label("seat_type"),
            SeatSnapshot.total.label("total"),
            SeatSnapshot.snapshot_timestamp.label("ts"),
            rank.label("rank"),
        )
        .join_from(SeatSnapshot, mapping, mapping.c.alias == SeatSnapshot.customer_alias)
        .where(SeatSnapshot.account_id == account_id)
    )
    if customer_ids is not None:
        inner = inner.where(mapping.c.customer_id.in_(list(customer_ids)))
    if at is not None:
        inner = inner.where(SeatSnapshot.snapshot_timestamp <= at)
    sub = inner.subquery("ranked")
    stmt = select(sub.c.customer_id, sub.c.seat_type, sub.c.total, sub.c.ts).where(sub.c.rank == 1)
    rows = (await session.execute(stmt)).all()
    return [BalanceRow(r.customer_id, r.seat_type, int(r.total), r.ts) for r in rows]


async def balance_customers(
    session: AsyncSession, account_id: str, customer_ids: Sequence[str] | None
) -> list[Customer]:
    stmt = select(Customer).where(Customer.account_id == account_id)
    if customer_ids is None:
        stmt = stmt.where(Customer.archived_at.is_(None))
    else:
        stmt = stmt.where(Customer.id.in_(list(customer_ids)))
    return list((await session.scalars(stmt.order_by(Customer.created_at.desc(), Customer.id.desc()))).all())


async def aliases_by_customer(
    session: AsyncSession, account_id: str, customer_ids: Sequence[str] | None
) -> dict[str, list[str]]:
    """Alias values per customer (of the given customers, or of the whole account)."""
    out: dict[str, list[str]] = {cid: [] for cid in customer_ids or []}
    stmt = (
        select(CustomerAlias.customer_id, CustomerAlias.value)
        .where(CustomerAlias.account_id == account_id)
        .order_by(CustomerAlias.created_at, CustomerAlias.id)
    )
    if customer_ids is not None:
        if not customer_ids:
            return out
        stmt = stmt.where(CustomerAlias.customer_id.in_(list(customer_ids)))
    for customer_id, value in (await session.execute(stmt)).all():
        out.setdefault(customer_id, []).append(value)
    return out
