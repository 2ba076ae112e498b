"""billing engine: billing runs and the (schedule, invoice date) → invoice claim

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-07 06:40:00.000000

docs/billing-engine.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.migrations.columns import account_row, at, created_index, index, key, reference, timestamps

revision = "0013"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "billing_runs",
        *account_row(),
        key("batch_id"),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *(sa.Column(count, sa.Integer(), nullable=False) for count in (
            "schedules_seen", "invoices_created", "invoices_updated", "invoices_unchanged", "errors")),
        sa.Column("last_error", sa.Text(), nullable=True),
        at("started_at"),
        at("finished_at", nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id"),
    )
    created_index("billing_runs")
    index("billing_runs", "batch", "batch_id")

    op.create_table(
        "billing_schedule_invoices",
        *account_row(),
        reference("billing_schedule_id", "billing_schedules", cascade=True),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        key("invoice_id", nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        key("billing_run_id", nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("billing_schedule_id", "invoice_date", name="uq_billing_schedule_invoices_date"),
    )
    index("billing_schedule_invoices", "invoice", "invoice_id")


def downgrade() -> None:
    op.drop_table("billing_schedule_invoices")
    op.drop_table("billing_runs")
