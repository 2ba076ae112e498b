"""billing schedules, phases, discounts, minimums, billing-schedule settings

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-07 06:30:00.000000

Schedules continue the catalogue chain (they name prices); docs/billing-schedules.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.core.db import ExactDecimal
from quire.migrations.columns import account_row, at, created_index, index, key, reference, timestamps

revision = "0010"
down_revision = "0005"


def _schedule() -> sa.Column[str]:
    return reference("billing_schedule_id", "billing_schedules", cascade=True)


def _phase() -> sa.Column[str]:
    return reference("phase_id", "billing_schedule_phases", cascade=True)


def _of_schedule(table: str) -> None:
    """A table of the schedules' phases' rows: indexed by phase and by schedule."""
    index(table, "phase", "phase_id")
    index(table, "schedule", "billing_schedule_id")


def upgrade() -> None:
    op.create_table(
        "billing_schedules",
        *account_row(),
        reference("customer_id", "customers"),
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
        key("last_invoice_id", nullable=True),
        at("archived_at", nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id"),
    )
    created_index("billing_schedules")
    index("billing_schedules", "account_customer", "account_id", "customer_id")
    index("billing_schedules", "status_id", "status", "id")

    op.create_table(
        "billing_schedule_phases",
        *account_row(),
        _schedule(),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("price_ids", sa.JSON(), nullable=False),
        at("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    index("billing_schedule_phases", "schedule", "billing_schedule_id", "start_date")

    op.create_table(
        "billing_schedule_discounts",
        *account_row(),
        _schedule(),
        _phase(),
        sa.Column("price_ids", sa.JSON(), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("calculation_type", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("separate_line_item", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id"),
    )
    created_index("billing_schedule_discounts")
    _of_schedule("billing_schedule_discounts")

    op.create_table(
        "billing_schedule_minimums",
        *account_row(),
        _schedule(),
        _phase(),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("restrict_to_prices", sa.JSON(), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("id"),
    )
    _of_schedule("billing_schedule_minimums")

    op.create_table(
        "billing_schedule_settings",
        *account_row(),
        _schedule(),
        sa.Column("payment_provider", sa.String(length=16), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "billing_schedule_id", name="uq_billing_schedule_settings_schedule"),
    )


def downgrade() -> None:
    for table in ("billing_schedule_settings", "billing_schedule_minimums", "billing_schedule_discounts",
                  "billing_schedule_phases", "billing_schedules"):
        op.drop_table(table)
