"""billing schedules, phases, discounts, minimums, billing-schedule settings

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-07 06:30:00.000000

Schedules continue the catalogue chain (they name prices); docs/billing-schedules.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import quire.core.db

revision = "0010"
down_revision = "0005"
branch_labels = None
depends_on = None


def _account() -> sa.Column[str]:
    return sa.Column("account_id", sa.String(length=36), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, quire.core.db.UTCDateTime(timezone=True), nullable=nullable)


def _schedule() -> sa.Column[str]:
    return sa.Column("billing_schedule_id", sa.String(length=36),
                     sa.ForeignKey("billing_schedules.id", ondelete="CASCADE"), nullable=False)


def _phase() -> sa.Column[str]:
    return sa.Column("phase_id", sa.String(length=36),
                     sa.ForeignKey("billing_schedule_phases.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "billing_schedules",
        sa.Column("id", sa.String(length=36), nullable=False),
        _account(),
        sa.Column("customer_id", sa.String(length=36), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("recurrence_day_of_month", sa.Integer(), nullable=True),
        sa.Column("auto_issue_invoices", sa.Boolean(), nullable=False),
        sa.Column("roll_up_billing", sa.Boolean(), nullable=False),
        sa.Column("purchase_order_number", sa.String(length=255), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("collection_payment_provider", sa.String(length=16), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("price_ids", sa.JSON(), nullable=False),
        sa.Column("tax_rates", sa.JSON(), nullable=False),
        sa.Column("last_invoice_id", sa.String(length=36), nullable=True),
        _at("archived_at", nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_billing_schedules_account_created", "billing_schedules", ["account_id", "created_at", "id"])
    op.create_index("ix_billing_schedules_account_customer", "billing_schedules", ["account_id", "customer_id"])
    op.create_index("ix_billing_schedules_status_id", "billing_schedules", ["status", "id"])

    op.create_table(
        "billing_schedule_phases",
        sa.Column("id", sa.String(length=36), nullable=False),
        _account(),
        _schedule(),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("price_ids", sa.JSON(), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_billing_schedule_phases_schedule", "billing_schedule_phases", ["billing_schedule_id", "start_date"])

    op.create_table(
        "billing_schedule_discounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        _account(),
        _schedule(),
        _phase(),
        sa.Column("price_ids", sa.JSON(), nullable=False),
        sa.Column("amount", quire.core.db.ExactDecimal(), nullable=False),
        sa.Column("calculation_type", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("separate_line_item", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_billing_schedule_discounts_account_created", "billing_schedule_discounts",
                    ["account_id", "created_at", "id"])
    op.create_index("ix_billing_schedule_discounts_phase", "billing_schedule_discounts", ["phase_id"])
    op.create_index("ix_billing_schedule_discounts_schedule", "billing_schedule_discounts", ["billing_schedule_id"])

    op.create_table(
        "billing_schedule_minimums",
        sa.Column("id", sa.String(length=36), nullable=False),
        _account(),
        _schedule(),
        _phase(),
        sa.Column("amount", quire.core.db.ExactDecimal(), nullable=False),
        sa.Column("restrict_to_prices", sa.JSON(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_billing_schedule_minimums_phase", "billing_schedule_minimums", ["phase_id"])
    op.create_index("ix_billing_schedule_minimums_schedule", "billing_schedule_minimums", ["billing_schedule_id"])

    op.create_table(
        "billing_schedule_settings",
        sa.Column("id", sa.String(length=36), nullable=False),
        _account(),
        _schedule(),
        sa.Column("payment_provider", sa.String(length=16), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "billing_schedule_id", name="uq_billing_schedule_settings_schedule"),
    )


def downgrade() -> None:
    op.drop_table("billing_schedule_settings")
    op.drop_table("billing_schedule_minimums")
    op.drop_table("billing_schedule_discounts")
    op.drop_table("billing_schedule_phases")
    op.drop_table("billing_schedules")
