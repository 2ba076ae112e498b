"""credit note documents: the stored PDFs of issued credit notes

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-03

Continues the credit-notes branch (0004). Credit notes numbered before this revision have no stored
document: their downloads render on demand, as before; the ISSUED copy is stored at their next send,
the VOIDED one when they are voided. Their emails go through ``email_outbox`` (0006) with
``subject_type = 'credit_note'``: no schema change there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import quire.core.db

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_note_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("credit_note_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", quire.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["credit_note_id"], ["credit_notes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_note_id", "kind", name="uq_credit_note_documents_note_kind"),
    )
    with op.batch_alter_table("credit_note_documents", schema=None) as batch_op:
        batch_op.create_index("ix_credit_note_documents_account_note", ["account_id", "credit_note_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_note_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_note_documents_account_note")
    op.drop_table("credit_note_documents")
