"""Seat tables (2024-01-01): seat types, seat snapshots and the seat changes they carry.

A snapshot is keyed by ``customerSnapshotId`` (unique per account): a later snapshot with the same id
replaces the stored one and its changes. Snapshots, like usage events, name the customer by alias,
resolved when balances are read (docs/usage.md#seats).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime
from quire.core.tables import AccountRow, Timestamps, created_index, id_index


class SeatType(AccountRow, Timestamps, Base):
    __tablename__ = "seat_types"
    __table_args__ = (
        UniqueConstraint("account_id", "key", name="uq_seat_types_key"),
        created_index("seat_types"),
    )

    key: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    sequence_user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)


class SeatSnapshot(AccountRow, Base):
    __tablename__ = "seat_snapshots"
    __table_args__ = (
        UniqueConstraint("account_id", "customer_snapshot_id", name="uq_seat_snapshots_customer_snapshot_id"),
        Index("ix_seat_snapshots_alias_type_time", "account_id", "customer_alias", "seat_type", "snapshot_timestamp"),
        id_index("seat_snapshots"),
    )

    customer_snapshot_id: Mapped[str] = mapped_column(String(255))
    customer_alias: Mapped[str] = mapped_column(String(255))
    seat_type: Mapped[str] = mapped_column(String(255))
    snapshot_timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    total: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SeatChange(AccountRow, Base):
    __tablename__ = "seat_changes"
    __table_args__ = (
        id_index("seat_changes"),
        Index("ix_seat_changes_snapshot", "snapshot_id", "position"),
        Index("ix_seat_changes_alias_type_time", "account_id", "customer_alias", "seat_type", "timestamp"),
    )

    snapshot_id: Mapped[str] = mapped_column(ForeignKey("seat_snapshots.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    # Copied from the snapshot for the /seat-changes filters.
    customer_alias: Mapped[str] = mapped_column(String(255))
    seat_type: Mapped[str] = mapped_column(String(255))
    change_type: Mapped[str] = mapped_column(String(16))  # SEAT_ADDED | SEAT_REMOVED
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
