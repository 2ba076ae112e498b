"""HTTP routes of the Seat Types, Seat Snapshots and Seat Metrics tags (2024-01-01). Thin by design."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from quire.core.http import Account, Session, api_router
from quire.core.pagination import PageQuery, present_page, whole_list_meta
from quire.core.routing import ObjectRoutes
from quire.seats import service
from quire.seats.schemas import (
    CustomerSeatBalancesRead,
    SeatBalancePage,
    SeatBalanceRead,
    SeatChangePage,
    SeatSnapshotCreate,
    SeatSnapshotPage,
    SeatSnapshotRead,
    SeatTypeCreate,
    SeatTypePage,
    SeatTypeRead,
    SeatTypeUpdate,
    SnapshotSortBy,
    present_change,
    present_seat_type,
    present_snapshot,
)

router = api_router()
SNAPSHOTS = ["Seat Snapshots"]
CustomerAlias = Annotated[str | None, Query(alias="customerAlias", max_length=255)]
SeatTypeName = Annotated[str | None, Query(alias="seatType", max_length=255)]


types = ObjectRoutes(router, ["Seat Types"], SeatTypeRead, present_seat_type)
types.list("/seat-types", "getSeatTypes", "get_seat_types", SeatTypePage, service.list_seat_types)
types.create("/seat-types", "postSeatTypes", "post_seat_type", SeatTypeCreate, service.create_seat_type)
types.get("/seat-types/{id}", "getSeatTypesById", "get_seat_type", service.get_seat_type)
types.update("/seat-types/{id}", "putSeatTypesById", "put_seat_type", SeatTypeUpdate, service.update_seat_type)
types.delete("/seat-types/{id}", "deleteSeatTypesById", "delete_seat_type", service.delete_seat_type)


@router.post("/seat-snapshots", status_code=201, response_model=SeatSnapshotRead, operation_id="postSeatSnapshots", tags=SNAPSHOTS)
async def post_seat_snapshot(body: SeatSnapshotCreate, session: Session, account: Account) -> SeatSnapshotRead:
    snapshot, changes = await service.create_snapshot(session, account, body)
    return present_snapshot(snapshot, changes)


@router.get("/seat-snapshots", response_model=SeatSnapshotPage, operation_id="getSeatSnapshots", tags=SNAPSHOTS)
async def get_seat_snapshots(
    session: Session, account: Account, params: PageQuery,
    customer_alias: CustomerAlias = None,
    seat_type: SeatTypeName = None,
    customer_snapshot_id: Annotated[str | None, Query(alias="customerSnapshotId", max_length=255)] = None,
    snapshot_timestamp_before: Annotated[str | None, Query(alias="snapshotTimestampBefore", max_length=64)] = None,
    snapshot_timestamp_after: Annotated[str | None, Query(alias="snapshotTimestampAfter", max_length=64)] = None,
    sort_by: Annotated[SnapshotSortBy, Query(alias="sortBy")] = SnapshotSortBy.CREATED_AT,
) -> SeatSnapshotPage:
    page, changes = await service.list_snapshots(
        session, account, params=params, sort_by=sort_by, customer_alias=customer_alias, seat_type=seat_type,
        customer_snapshot_id=customer_snapshot_id, before=snapshot_timestamp_before, after=snapshot_timestamp_after,
    )
    return present_page(SeatSnapshotPage, page, lambda s: present_snapshot(s, changes[s.id]))


types.list("/seat-changes", "getSeatChanges", "get_seat_changes", SeatChangePage, service.list_changes,
           query=PageQuery, present=lambda c: present_change(c, detailed=True), filters={
               "customer_alias": CustomerAlias, "seat_type": SeatTypeName,
               "before": Annotated[str | None, Query(alias="timestampBefore", max_length=64)],
               "after": Annotated[str | None, Query(alias="timestampAfter", max_length=64)]})


@router.get("/seat-balances", response_model=SeatBalancePage, operation_id="getSeatBalances", tags=["Seat Metrics"])
async def get_seat_balances(
    session: Session,
    account: Account,
    exclude_zero_quantity: Annotated[bool, Query(alias="excludeZeroQuantity")] = False,
    customer_aliases: Annotated[str | None, Query(alias="customerAliases", max_length=10_000)] = None,
) -> SeatBalancePage:
    """Every matching customer in one page (the contract gives this list no cursor parameters)."""
    found = await service.seat_balances(
        session, account, customer_aliases=customer_aliases, exclude_zero=exclude_zero_quantity
    )
    items = [
        CustomerSeatBalancesRead(
            id=b.customer.id, sequence_account_id=b.customer.account_id, legal_name=b.customer.legal_name,
            customer_aliases=b.aliases, total=b.total, change_timestamp=b.change_timestamp,
            balances=[SeatBalanceRead(seat_type=x.seat_type, total=x.total, change_timestamp=x.change_timestamp) for x in b.balances],
        )
        for b in found
    ]
    return SeatBalancePage(items=items, pagination=whole_list_meta(len(items)))
