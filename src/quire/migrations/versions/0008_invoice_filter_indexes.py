"""Indexes for the date and payment-status filters of GET /invoices.

Without them a dueBefore/dueAfter page over a million invoices took ~550 ms (docs/performance.md).

Revision ID: 0008
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0002"

INDEXES = {
    "ix_invoices_account_due_date": ["account_id", "due_date"],
    "ix_invoices_account_issue_date": ["account_id", "issue_date"],
    "ix_invoices_account_sent_date": ["account_id", "sent_date"],
    "ix_invoices_account_payment_created": ["account_id", "payment_status", "created_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "invoices", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="invoices")
