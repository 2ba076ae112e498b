"""Seat use-cases: seat types, snapshots (superseded by ``customerSnapshotId``), changes, balances.
Services flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.errors import ValidationFailed
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams
from quire.core.references import resolve
from quire.core.repository import insert, list_page, loader, remove
from quire.customers import service as customers
from quire.customers.models import Customer
from quire.seats import repository as repo
from quire.seats.models import SeatChange, SeatSnapshot, SeatType
from quire.seats.schemas import SeatSnapshotCreate, SeatTypeCreate, SeatTypeUpdate, SnapshotSortBy
from quire.usage.values import filter_instant, timestamp_field


class SeatTypeKeyTaken(ValidationFailed):
    error_type = "SeatTypeKeyTaken"


# --- seat types ----------------------------------------------------------------------------------


async def create_seat_type(session: AsyncSession, account_id: str, data: SeatTypeCreate) -> SeatType:
    """``key`` is unique in the account and immutable."""
    if await repo.seat_type_by_key(session, account_id, data.key) is not None:
        raise SeatTypeKeyTaken(f"A seat type with key {data.key!r} already exists", field="key")
    now = clock.now()
    seat_type = SeatType(
        id=uuid7(), account_id=account_id, key=data.key, label=data.label, description=data.description,
        sequence_user_id=data.sequence_user_id, created_at=now, updated_at=now,
    )
    return await insert(session, seat_type)


get_seat_type = loader(SeatType)


async def update_seat_type(session: AsyncSession, account_id: str, seat_type_id: str, data: SeatTypeUpdate) -> SeatType:
    seat_type = await get_seat_type(session, account_id, seat_type_id, lock=True)
    seat_type.label = data.label
    if "description" in data.model_fields_set:
        seat_type.description = data.description
    seat_type.updated_at = clock.now()
    await session.flush()
    return seat_type


async def delete_seat_type(session: AsyncSession, account_id: str, seat_type_id: str) -> SeatType:
    """Delete the type; snapshots already sent keep its key (they store the key, not the id)."""
    return await remove(session, await get_seat_type(session, account_id, seat_type_id, lock=True))


async def list_seat_types(session: AsyncSession, account_id: str, params: PageParams) -> Page[SeatType]:
    return await list_page(session, SeatType, account_id, params)


# --- snapshots -----------------------------------------------------------------------------------


async def create_snapshot(
    session: AsyncSession, account_id: str, data: SeatSnapshotCreate
) -> tuple[SeatSnapshot, list[SeatChange]]:
    """Record a snapshot; one with the ``customerSnapshotId`` of a stored snapshot replaces it (and its
    changes). ``seatType`` must be the key of a seat type of the account; the alias is not checked."""
    if await repo.seat_type_by_key(session, account_id, data.seat_type) is None:
        raise ValidationFailed(f"seatType {data.seat_type!r} is not the key of a seat type of this account", field="seatType")
    snapshot_time = timestamp_field(data.snapshot_timestamp, "snapshotTimestamp")
    times = [timestamp_field(c.timestamp, f"seatChanges[{i}].timestamp") for i, c in enumerate(data.seat_changes)]
    snapshot_id = uuid7()
    customer_snapshot_id = data.customer_snapshot_id or snapshot_id
    previous = await repo.current_snapshot(session, account_id, customer_snapshot_id)
    if previous is not None:
        await repo.delete_snapshot(session, previous.id)
    now = clock.now()
    snapshot = SeatSnapshot(
        id=snapshot_id, account_id=account_id, customer_snapshot_id=customer_snapshot_id,
        customer_alias=data.customer_alias, seat_type=data.seat_type, snapshot_timestamp=snapshot_time,
        total=data.total, received_at=now,
    )
    session.add(snapshot)
    await session.flush()
    changes = [
        SeatChange(
            id=uuid7(), account_id=account_id, snapshot_id=snapshot_id, position=i,
            customer_alias=data.customer_alias, seat_type=data.seat_type, change_type=change.change_type,
            timestamp=times[i], external_id=change.external_id, description=change.description, reason=change.reason,
        )
        for i, change in enumerate(data.seat_changes)
    ]
    session.add_all(changes)
    await session.flush()
    return snapshot, changes


async def list_snapshots(
    session: AsyncSession,
    account_id: str,
    *,
    params: PageParams,
    sort_by: SnapshotSortBy,
    customer_alias: str | None,
    seat_type: str | None,
    customer_snapshot_id: str | None,
    before: str | None,
    after: str | None,
) -> tuple[Page[SeatSnapshot], dict[str, list[SeatChange]]]:
    filters = repo.SnapshotFilters(
        alias_values=await customers.alias_values(session, account_id, customer_alias),
        seat_type=seat_type,
        customer_snapshot_id=customer_snapshot_id,
        before=filter_instant(before, "snapshotTimestampBefore", after=False),
        after=filter_instant(after, "snapshotTimestampAfter", after=True),
    )
    if sort_by is SnapshotSortBy.SNAPSHOT_TIMESTAMP:
        column, name = SeatSnapshot.snapshot_timestamp, "snapshotTimestamp"
    else:
        column, name = SeatSnapshot.id, "createdAt"
    page = await list_page(session, SeatSnapshot, account_id, params, *repo.snapshot_filters(filters), sort=column,
                           sort_name=name)
    return page, await repo.changes_of(session, account_id, [s.id for s in page.items])


async def list_changes(
    session: AsyncSession,
    account_id: str,
    *,
    params: PageParams,
    customer_alias: str | None,
    seat_type: str | None,
    before: str | None,
    after: str | None,
) -> Page[SeatChange]:
    filters = repo.SnapshotFilters(
        alias_values=await customers.alias_values(session, account_id, customer_alias),
        seat_type=seat_type,
        before=filter_instant(before, "timestampBefore", after=False),
        after=filter_instant(after, "timestampAfter", after=True),
    )
    return await list_page(session, SeatChange, account_id, params, *repo.change_filters(filters), sort=SeatChange.id)


# --- balances ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatBalance:
    seat_type: str
    total: int
    change_timestamp: datetime


@dataclass(frozen=True)
class CustomerBalances:
    customer: Customer
    aliases: list[str]
    balances: list[SeatBalance]

    @property
    def total(self) -> int:
        return sum(b.total for b in self.balances)

    @property
    def change_timestamp(self) -> datetime:
        """When the customer's seats last changed (its creation time if it has no snapshot)."""
        return max((b.change_timestamp for b in self.balances), default=self.customer.created_at)


async def seat_balances(
    session: AsyncSession, account_id: str, *, customer_aliases: str | None, exclude_zero: bool
) -> list[CustomerBalances]:
    """``GET /seat-balances``: each customer's latest total per seat type (aliases resolved now).

    Without ``customerAliases``: every customer that is not archived. With it (comma-separated ids or
    aliases): those customers, archived or not; a value that names no customer is 400 naming
    ``customerAliases``."""
    customer_ids: list[str] | None = None
    if customer_aliases is not None:
        customer_ids = []
        names = list(dict.fromkeys(a.strip() for a in customer_aliases.split(",") if a.strip()))
        if len(names) > 100:
            raise ValidationFailed("customerAliases may name at most 100 customers", field="customerAliases")
        for name in names:
            customer = await resolve("customerAliases", customers.get_by_alias(session, account_id, name))
            if customer.id not in customer_ids:
                customer_ids.append(customer.id)
    people = await repo.balance_customers(session, account_id, customer_ids)
    rows = await repo.latest_balances(session, account_id, customer_ids=customer_ids)
    aliases = await repo.aliases_by_customer(session, account_id, customer_ids)
    by_customer: dict[str, list[SeatBalance]] = {}
    for row in sorted(rows, key=lambda r: r.seat_type):
        by_customer.setdefault(row.customer_id, []).append(SeatBalance(row.seat_type, row.total, row.timestamp))
    out = [CustomerBalances(c, aliases.get(c.id, []), by_customer.get(c.id, [])) for c in people]
    return [b for b in out if b.total > 0] if exclude_zero else out


async def seat_balance_at(session: AsyncSession, account_id: str, customer_id: str, seat_type: str, at: datetime) -> int:
    """The customer's seat count of ``seat_type`` at ``at``: the total of the latest snapshot taken at or
    before it (0 before the first). For the billing engine (in-advance / in-arrears seat prices)."""
    rows = await repo.latest_balances(session, account_id, customer_ids=[customer_id], at=at)
    return next((r.total for r in rows if r.seat_type == seat_type), 0)
