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

from quire.migrations.columns import cascade_fk, index, owned, stored_file

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_note_documents",
        *owned("credit_note_id"),
        *stored_file(),
        cascade_fk("credit_note_id", "credit_notes"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_note_id", "kind", name="uq_credit_note_documents_note_kind"),
    )
    index("credit_note_documents", "account_note", "account_id", "credit_note_id")


def downgrade() -> None:
    op.drop_table("credit_note_documents")
