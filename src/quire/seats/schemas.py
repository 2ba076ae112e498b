"""Wire shapes of the Seat Types, Seat Snapshots and Seat Metrics operations, version 2024-01-01."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from quire.core.pages import ListPage
from quire.core.schemas import AccountObject, ApiModel, LongText, RequiredText, ShortText, Timestamp, strict_str
from quire.seats.models import SeatChange, SeatSnapshot, SeatType
from quire.usage.schemas import StorableRequest

# The contract's SeatChangeType schema (tests/unit/test_usage_values.py checks it).
SeatChangeType = Literal["SEAT_ADDED", "SEAT_REMOVED"]
MAX_SEATS = 2_147_483_647


Identifier = Annotated[str, BeforeValidator(strict_str), Field(min_length=1, max_length=255)]
TimestampText = Annotated[str, BeforeValidator(strict_str), Field(max_length=64)]


class SnapshotSortBy(StrEnum):
    CREATED_AT = "createdAt"
    SNAPSHOT_TIMESTAMP = "snapshotTimestamp"


class SeatTypeCreate(StorableRequest):
    key: Identifier
    label: RequiredText
    description: LongText | None = None
    sequence_user_id: ShortText | None = None


class SeatTypeUpdate(StorableRequest):
    """PUT: ``label`` replaces; ``description`` replaces when given (``key`` is immutable)."""

    label: RequiredText
    description: LongText | None = None


class SeatTypeRead(AccountObject):
    key: str
    description: str | None = None
    label: str
    sequence_user_id: str | None = None
    created_at: Timestamp
    updated_at: Timestamp


class SeatTypePage(ListPage[SeatTypeRead]):
    pass


def present_seat_type(seat_type: SeatType) -> SeatTypeRead:
    return SeatTypeRead.of_row(seat_type)


class SeatChangeRequest(StorableRequest):
    external_id: ShortText | None = None
    timestamp: TimestampText
    description: LongText | None = None
    reason: LongText | None = None
    change_type: SeatChangeType


class SeatSnapshotCreate(StorableRequest):
    customer_snapshot_id: Identifier | None = None
    customer_alias: Identifier
    seat_type: Identifier
    snapshot_timestamp: TimestampText
    total: Annotated[int, Field(strict=True, ge=0, le=MAX_SEATS)]
    seat_changes: Annotated[list[SeatChangeRequest], Field(max_length=1000)]


class SeatChangeRead(ApiModel):
    id: str
    seat_snapshot_id: str
    external_id: str | None = None
    timestamp: Timestamp
    description: str | None = None
    reason: str | None = None
    change_type: SeatChangeType


class DetailedSeatChangeRead(SeatChangeRead):
    customer_alias: str
    seat_type: str


class SeatSnapshotRead(ApiModel):
    id: str
    customer_snapshot_id: str
    customer_alias: str
    seat_type: str
    sequence_account_id: str
    snapshot_timestamp: Timestamp
    total: int
    seat_changes: list[SeatChangeRead]


class SeatSnapshotPage(ListPage[SeatSnapshotRead]):
    pass


class SeatChangePage(ListPage[DetailedSeatChangeRead]):
    pass


class SeatBalanceRead(ApiModel):
    seat_type: str
    total: int
    change_timestamp: Timestamp


class CustomerSeatBalancesRead(AccountObject):
    legal_name: str
    customer_aliases: list[str]
    total: int
    change_timestamp: Timestamp
    balances: list[SeatBalanceRead]


class SeatBalancePage(ListPage[CustomerSeatBalancesRead]):
    pass


def present_change(change: SeatChange, *, detailed: bool = False) -> SeatChangeRead:
    """``detailed`` (the /seat-changes list) adds the snapshot's customer alias and seat type."""
    return (DetailedSeatChangeRead if detailed else SeatChangeRead).of_row(change, seat_snapshot_id=change.snapshot_id)


def present_snapshot(snapshot: SeatSnapshot, changes: list[SeatChange]) -> SeatSnapshotRead:
    return SeatSnapshotRead.of_row(snapshot, seat_changes=[present_change(c) for c in changes])
