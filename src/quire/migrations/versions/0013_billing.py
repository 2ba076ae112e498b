"""billing engine: billing runs and the (schedule, invoice date) → invoice claim

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-07 06:40:00.000000

docs/billing-engine.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import quire.core.db

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None


def _account() -> sa.Column[str]:
    return sa.Column("account_id", sa.String(length=36), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, quire.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "billing_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        _account(),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("schedules_seen", sa.Integer(), nullable=False),
        sa.Column("invoices_created", sa.Integer(), nullable=False),
        sa.Column("invoices_updated", sa.Integer(), nullable=False),
        sa.Column("invoices_unchanged", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _at("started_at"),
        _at("finished_at", nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_billing_runs_account_created", "billing_runs", ["account_id", "created_at", "id"])
    op.create_index("ix_billing_runs_batch", "billing_runs", ["batch_id"])

    op.create_table(
        "billing_schedule_invoices",
        sa.Column("id", sa.String(length=36), nullable=False),
        _account(),
        sa.Column("billing_schedule_id", sa.String(length=36),
                  sa.ForeignKey("billing_schedules.id", ondelete="CASCADE"), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("billing_run_id", sa.String(length=36), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("billing_schedule_id", "invoice_date", name="uq_billing_schedule_invoices_date"),
    )
    op.create_index("ix_billing_schedule_invoices_invoice", "billing_schedule_invoices", ["invoice_id"])


def downgrade() -> None:
    op.drop_table("billing_schedule_invoices")
    op.drop_table("billing_runs")
