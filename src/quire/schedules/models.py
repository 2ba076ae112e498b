"""Tables of billing schedules: the schedule, its phases, the discounts and minimums of a phase, and the
schedule's payment settings.

Every schedule has at least one phase: a schedule created with ``priceIds`` (CUSTOM or PLAN) is stored
as phases too (docs/billing-schedules.md#storage), so the engine sees only phases. Price id lists are JSON
arrays in the order given; ``billing_schedules.price_ids`` is the union over the phases, in first-seen
order (what ``priceIds`` answers). Discount and minimum amounts are exact decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.catalogue.models import Price
from quire.core.db import Base, ExactDecimal, UTCDateTime
from quire.core.tables import AccountRow, Timestamps, created_index


class BillingSchedule(AccountRow, Timestamps, Base):
    __tablename__ = "billing_schedules"
    __table_args__ = (
        created_index("billing_schedules"),
        Index("ix_billing_schedules_account_customer", "account_id", "customer_id"),
        # The engine streams ACTIVE/PENDING schedules of every account in id order.
        Index("ix_billing_schedules_status_id", "status", "id"),
    )

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    type: Mapped[str] = mapped_column(String(16))  # CUSTOM | PLAN | PHASES
    status: Mapped[str] = mapped_column(String(16))  # DRAFT | PENDING | ACTIVE | SUSPENDED | CANCELLED | COMPLETED
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    recurrence_day_of_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    auto_issue_invoices: Mapped[bool] = mapped_column(Boolean)
    roll_up_billing: Mapped[bool] = mapped_column(Boolean)
    purchase_order_number: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    label: Mapped[str | None] = mapped_column(String(255), nullable=True)
    collection_payment_provider: Mapped[str | None] = mapped_column(String(16), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    price_ids: Mapped[list[str]] = mapped_column(JSON)
    #: ``[{"priceId": …, "taxRateId": …}]`` as given (each price at most once).
    tax_rates: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    last_invoice_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BillingSchedulePhase(AccountRow, Base):
    __tablename__ = "billing_schedule_phases"
    __table_args__ = (Index("ix_billing_schedule_phases_schedule", "billing_schedule_id", "start_date"),)

    billing_schedule_id: Mapped[str] = mapped_column(ForeignKey("billing_schedules.id", ondelete="CASCADE"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    price_ids: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BillingScheduleDiscount(AccountRow, Timestamps, Base):
    """A discount of one phase: from ``POST /discounts``, a create's ``discounts``, or a phase's own."""

    __tablename__ = "billing_schedule_discounts"
    __table_args__ = (
        created_index("billing_schedule_discounts"),
        Index("ix_billing_schedule_discounts_phase", "phase_id"),
        Index("ix_billing_schedule_discounts_schedule", "billing_schedule_id"),
    )

    billing_schedule_id: Mapped[str] = mapped_column(ForeignKey("billing_schedules.id", ondelete="CASCADE"))
    phase_id: Mapped[str] = mapped_column(ForeignKey("billing_schedule_phases.id", ondelete="CASCADE"))
    price_ids: Mapped[list[str]] = mapped_column(JSON)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    calculation_type: Mapped[str] = mapped_column(String(16))  # PERCENTAGE | NOMINAL
    message: Mapped[str] = mapped_column(Text)
    separate_line_item: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)


class BillingScheduleMinimum(AccountRow, Timestamps, Base):
    __tablename__ = "billing_schedule_minimums"
    __table_args__ = (
        Index("ix_billing_schedule_minimums_phase", "phase_id"),
        Index("ix_billing_schedule_minimums_schedule", "billing_schedule_id"),
    )

    billing_schedule_id: Mapped[str] = mapped_column(ForeignKey("billing_schedules.id", ondelete="CASCADE"))
    phase_id: Mapped[str] = mapped_column(ForeignKey("billing_schedule_phases.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    restrict_to_prices: Mapped[list[str]] = mapped_column(JSON)


class BillingScheduleSettings(AccountRow, Timestamps, Base):
    """``/billing-schedule-settings``: at most one per schedule."""

    __tablename__ = "billing_schedule_settings"
    __table_args__ = (
        UniqueConstraint("account_id", "billing_schedule_id", name="uq_billing_schedule_settings_schedule"),
    )

    billing_schedule_id: Mapped[str] = mapped_column(ForeignKey("billing_schedules.id", ondelete="CASCADE"))
    payment_provider: Mapped[str] = mapped_column(String(16))


@dataclass
class ScheduleDetail:
    """A schedule with its phases (by start date), their discounts and minimums, and its prices."""

    schedule: BillingSchedule
    phases: list[BillingSchedulePhase]
    discounts: dict[str, list[BillingScheduleDiscount]]
    minimums: dict[str, list[BillingScheduleMinimum]]
    prices: dict[str, Price]
