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

from alembic import op

from quire.migrations.columns import create_document_store

revision = "0009"
down_revision = "0004"


def upgrade() -> None:
    create_document_store("credit_note_documents", "credit_note_id", "credit_notes", "note")


def downgrade() -> None:
    op.drop_table("credit_note_documents")
