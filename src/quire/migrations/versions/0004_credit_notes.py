"""credit notes, their line items and line item groups

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-26 06:00:00

A branch of its own from 0002 (tax is 0003, also from 0002); ``quire migrate`` upgrades to ``heads``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.migrations.columns import (
    amounts, at, cascade_fk, created_index, customer_snapshot, document_tail, index, key, keys, line_price,
    line_rates, owned, titled,
)

revision = "0004"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "credit_notes",
        *owned("customer_id"),
        key("invoice_id", nullable=True),
        sa.Column("invoice_number", sa.String(length=64), nullable=True),
        sa.Column("billing_schedule_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("credit_note_number", sa.String(length=64), nullable=True),
        sa.Column("number_seq", sa.BigInteger(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        at("billing_period_start", nullable=True),
        at("billing_period_end", nullable=True),
        sa.Column("purchase_order_number", sa.String(length=255), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        *customer_snapshot(),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("merchant_details", sa.JSON(), nullable=True),
        *amounts(),
        *document_tail(),
        *keys(("customer_id", "customers"), ("invoice_id", "invoices")),
        sa.UniqueConstraint("account_id", "credit_note_number", name="uq_credit_notes_account_number"),
    )
    created_index("credit_notes")
    index("credit_notes", "account_customer_created", "account_id", "customer_id", "created_at", "id")
    index("credit_notes", "account_gross", "account_id", "gross_total_minor", "id")
    index("credit_notes", "account_number_seq", "account_id", "number_seq", "id")
    index("credit_notes", "account_status", "account_id", "status", "id")
    index("credit_notes", "invoice", "invoice_id")

    op.create_table(
        "credit_note_line_item_groups",
        *owned("credit_note_id"),
        key("invoice_line_item_group_id", nullable=True),
        *titled(),
        *amounts(),
        at("created_at"),
        cascade_fk("credit_note_id", "credit_notes"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_credit_note_groups_note_index", "credit_note_line_item_groups", ["credit_note_id", "index"])

    op.create_table(
        "credit_note_line_items",
        *owned("credit_note_id"),
        key("group_id", nullable=True),
        key("invoice_line_item_id", nullable=True),
        *titled(),
        *line_rates(),
        *line_price(),
        *amounts(),
        at("created_at"),
        cascade_fk("credit_note_id", "credit_notes"),
        sa.ForeignKeyConstraint(["group_id"], ["credit_note_line_item_groups.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    index("credit_note_line_items", "group_id", "group_id")
    op.create_index("ix_credit_note_lines_invoice_line", "credit_note_line_items", ["invoice_line_item_id"])
    op.create_index("ix_credit_note_lines_note_index", "credit_note_line_items", ["credit_note_id", "index"])


def downgrade() -> None:
    for table in ("credit_note_line_items", "credit_note_line_item_groups", "credit_notes"):
        op.drop_table(table)
