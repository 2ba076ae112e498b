"""The engine's tables: billing runs, and the one row per (schedule, invoice date) that makes every
schedule invoice exist exactly once (docs/billing-engine.md#exactly-once)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime
from quire.core.tables import AccountRow, Timestamps, created_index


class BillingRun(AccountRow, Timestamps, Base):
    """One account's part of a run. A run over every account writes one row per account it billed,
    all with the same ``batch_id`` (the run's id as the CLI prints it)."""

    __tablename__ = "billing_runs"
    __table_args__ = (created_index("billing_runs"), Index("ix_billing_runs_batch", "batch_id"))

    batch_id: Mapped[str] = mapped_column(String(36))
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # IN_PROGRESS | COMPLETED | FAILED
    schedules_seen: Mapped[int] = mapped_column(Integer, default=0)
    invoices_created: Mapped[int] = mapped_column(Integer, default=0)
    invoices_updated: Mapped[int] = mapped_column(Integer, default=0)
    invoices_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ScheduleInvoice(AccountRow, Timestamps, Base):
    """The engine's claim on one invoice of a schedule: UNIQUE (schedule, invoice date), inserted and
    row-locked before the invoice is written, in the same transaction."""

    __tablename__ = "billing_schedule_invoices"
    __table_args__ = (
        UniqueConstraint("billing_schedule_id", "invoice_date", name="uq_billing_schedule_invoices_date"),
        Index("ix_billing_schedule_invoices_invoice", "invoice_id"),
    )

    billing_schedule_id: Mapped[str] = mapped_column(ForeignKey("billing_schedules.id", ondelete="CASCADE"))
    invoice_date: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    invoice_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    billing_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
