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

from quire.migrations.columns import at, cascade_fk, create_document_store, index, key, keys, owned, timestamps

revision = "0006"
down_revision = "0002"


def upgrade() -> None:
    create_document_store("invoice_documents", "invoice_id", "invoices", "invoice")

    links = op.create_table(
        "invoice_hosted_links",
        key("invoice_id"),
        key("account_id"),
        sa.Column("token", sa.String(length=64), nullable=False),
        at("created_at"),
        at("rotated_at", nullable=True),
        cascade_fk("invoice_id", "invoices"),
        sa.PrimaryKeyConstraint("invoice_id"),
        sa.UniqueConstraint("token", name="uq_invoice_hosted_links_token"),
    )
    index("invoice_hosted_links", "account_invoice", "account_id", "invoice_id")

    op.create_table(
        "email_outbox",
        *owned(),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        key("subject_id"),
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
        at("next_attempt_at", nullable=True),
        at("lease_until", nullable=True),
        at("last_attempt_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        at("sent_at", nullable=True),
        *timestamps(),
        *keys(),
    )
    index("email_outbox", "account_subject_created", "account_id", "subject_id", "created_at", "id")
    index("email_outbox", "status_next_attempt", "status", "next_attempt_at")

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
    for table in ("email_outbox", "invoice_hosted_links", "invoice_documents"):
        op.drop_table(table)
