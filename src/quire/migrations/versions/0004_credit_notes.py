"""credit notes, their line items and line item groups

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-26 06:00:00

A branch of its own from 0002 (tax is 0003, also from 0002); ``quire migrate`` upgrades to ``heads``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import quire.core.db

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=True),
        sa.Column("invoice_number", sa.String(length=64), nullable=True),
        sa.Column("billing_schedule_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("credit_note_number", sa.String(length=64), nullable=True),
        sa.Column("number_seq", sa.BigInteger(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("billing_period_start", quire.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("billing_period_end", quire.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("purchase_order_number", sa.String(length=255), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("customer_emails", sa.JSON(), nullable=False),
        sa.Column("customer_legal_company_name", sa.String(length=255), nullable=False),
        sa.Column("customer_billing_address", sa.JSON(), nullable=False),
        sa.Column("customer_shipping_address", sa.JSON(), nullable=False),
        sa.Column("customer_tax_id", sa.String(length=64), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("merchant_details", sa.JSON(), nullable=True),
        sa.Column("net_total_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_total_minor", sa.BigInteger(), nullable=False),
        sa.Column("next_line_index", sa.Integer(), nullable=False),
        sa.Column("next_group_index", sa.Integer(), nullable=False),
        sa.Column("created_at", quire.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quire.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finalized_at", quire.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", quire.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_date", sa.Date(), nullable=True),
        sa.Column("voided_at", quire.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "credit_note_number", name="uq_credit_notes_account_number"),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index("ix_credit_notes_account_created", ["account_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_credit_notes_account_customer_created", ["account_id", "customer_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_credit_notes_account_gross", ["account_id", "gross_total_minor", "id"], unique=False)
        batch_op.create_index("ix_credit_notes_account_number_seq", ["account_id", "number_seq", "id"], unique=False)
        batch_op.create_index("ix_credit_notes_account_status", ["account_id", "status", "id"], unique=False)
        batch_op.create_index("ix_credit_notes_invoice", ["invoice_id"], unique=False)

    op.create_table(
        "credit_note_line_item_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("credit_note_id", sa.String(length=36), nullable=False),
        sa.Column("invoice_line_item_group_id", sa.String(length=36), nullable=True),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("net_total_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_total_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", quire.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["credit_note_id"], ["credit_notes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_note_line_item_groups", schema=None) as batch_op:
        batch_op.create_index("ix_credit_note_groups_note_index", ["credit_note_id", "index"], unique=False)

    op.create_table(
        "credit_note_line_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("credit_note_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("invoice_line_item_id", sa.String(length=36), nullable=True),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", quire.core.db.ExactDecimal(length=64), nullable=False),
        sa.Column("rate", quire.core.db.ExactDecimal(length=64), nullable=False),
        sa.Column("tax_rate", quire.core.db.ExactDecimal(length=64), nullable=False),
        sa.Column("price_id", sa.String(length=64), nullable=True),
        sa.Column("rate_display", sa.String(length=16), nullable=False),
        sa.Column("external_ids", sa.JSON(), nullable=False),
        sa.Column("net_total_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_total_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", quire.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["credit_note_id"], ["credit_notes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["credit_note_line_item_groups.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_note_line_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_note_line_items_group_id"), ["group_id"], unique=False)
        batch_op.create_index("ix_credit_note_lines_invoice_line", ["invoice_line_item_id"], unique=False)
        batch_op.create_index("ix_credit_note_lines_note_index", ["credit_note_id", "index"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_note_line_items", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_note_lines_note_index")
        batch_op.drop_index("ix_credit_note_lines_invoice_line")
        batch_op.drop_index(batch_op.f("ix_credit_note_line_items_group_id"))
    op.drop_table("credit_note_line_items")
    with op.batch_alter_table("credit_note_line_item_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_note_groups_note_index")
    op.drop_table("credit_note_line_item_groups")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_notes_invoice")
        batch_op.drop_index("ix_credit_notes_account_status")
        batch_op.drop_index("ix_credit_notes_account_number_seq")
        batch_op.drop_index("ix_credit_notes_account_gross")
        batch_op.drop_index("ix_credit_notes_account_customer_created")
        batch_op.drop_index("ix_credit_notes_account_created")
    op.drop_table("credit_notes")
