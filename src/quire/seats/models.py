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


class SeatType(Base):
    __tablename__ = "seat_types"
    __table_args__ = (
        UniqueConstraint("account_id", "key", name="uq_seat_types_key"),
        Index("ix_seat_types_account_created", "account_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    sequence_user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SeatSnapshot(Base):
    __tablename__ = "seat_snapshots"
    __table_args__ = (
        UniqueConstraint("account_id", "customer_snapshot_id", name="uq_seat_snapshots_customer_snapshot_id"),
        Index("ix_seat_snapshots_alias_type_time", "account_id", "customer_alias", "seat_type", "snapshot_timestamp"),
        Index("ix_seat_snapshots_account_id", "account_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    customer_snapshot_id: Mapped[str] = mapped_column(String(255))
    customer_alias: Mapped[str] = mapped_column(String(255))
    seat_type: Mapped[str] = mapped_column(String(255))
    snapshot_timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    total: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SeatChange(Base):
    __tablename__ = "seat_changes"
    __table_args__ = (
        Index("ix_seat_changes_account_id", "account_id", "id"),
        Index("ix_seat_changes_snapshot", "snapshot_id", "position"),
        Index("ix_seat_changes_alias_type_time", "account_id", "customer_alias", "seat_type", "timestamp"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
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
