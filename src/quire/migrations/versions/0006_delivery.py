"""delivery: stored invoice documents, hosted invoice links, the email outbox

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-26

Invoices numbered before this revision get a hosted-page token here, so ``GET /invoices/{id}/hosted-link``
answers for every numbered invoice. Their PDF is stored at their next action (send, void); until then
downloads render it on demand, as before.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import quire.core.db

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", quire.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", "kind", name="uq_invoice_documents_invoice_kind"),
    )
    with op.batch_alter_table("invoice_documents", schema=None) as batch_op:
        batch_op.create_index("ix_invoice_documents_account_invoice", ["account_id", "invoice_id"], unique=False)

    links = op.create_table(
        "invoice_hosted_links",
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", quire.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", quire.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("invoice_id"),
        sa.UniqueConstraint("token", name="uq_invoice_hosted_links_token"),
    )
    with op.batch_alter_table("invoice_hosted_links", schema=None) as batch_op:
        batch_op.create_index("ix_invoice_hosted_links_account_invoice", ["account_id", "invoice_id"], unique=False)

    op.create_table(
        "email_outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("from_address", sa.Text(), nullable=False),
        sa.Column("sender_name", sa.Text(), nullable=True),
        sa.Column("reply_to", sa.Text(), nullable=True),
        sa.Column("to_addresses", sa.JSON(), nullable=False),
        sa.Column("cc_addresses", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("mime", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", quire.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", quire.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", quire.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", quire.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", quire.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quire.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_email_outbox_account_subject_created", ["account_id", "subject_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_email_outbox_status_next_attempt", ["status", "next_attempt_at"], unique=False)

    # A hosted-page token for every invoice numbered before this revision.
    invoices = sa.table(
        "invoices", sa.column("id", sa.String), sa.column("account_id", sa.String), sa.column("invoice_number", sa.String)
    )
    connection = op.get_bind()
    numbered = connection.execute(
        sa.select(invoices.c.id, invoices.c.account_id).where(invoices.c.invoice_number.is_not(None))
    ).all()
    if numbered:
        now = datetime.now(UTC)
        op.bulk_insert(links, [
            {"invoice_id": row.id, "account_id": row.account_id, "token": secrets.token_urlsafe(24), "created_at": now}
            for row in numbered
        ])


def downgrade() -> None:
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_email_outbox_status_next_attempt")
        batch_op.drop_index("ix_email_outbox_account_subject_created")
    op.drop_table("email_outbox")
    with op.batch_alter_table("invoice_hosted_links", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_hosted_links_account_invoice")
    op.drop_table("invoice_hosted_links")
    with op.batch_alter_table("invoice_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_documents_account_invoice")
    op.drop_table("invoice_documents")
