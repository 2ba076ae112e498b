"""The inputs of a finalized document's files, frozen when it is numbered: ``document_snapshot`` on
invoices and credit notes (``quire.billing_documents.snapshot``, docs/delivery.md#what-is-frozen).

Documents numbered before this revision keep a null snapshot and render as before (the current
template, the locale of the day, a credit note's tax status looked up).

Revision ID: 0016
Revises: 0004 (credit notes, which follow invoices' 0002)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0004"

TABLES = ("invoices", "credit_notes")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("document_snapshot", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("document_snapshot")
