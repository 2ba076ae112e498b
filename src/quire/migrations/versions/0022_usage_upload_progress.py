"""usage CSV uploads: the file's row total, so an import's progress reads "rows done of total"

Revision ID: 0022
Revises: 0011 (the last migration of the usage branch, after 0007 which made ``usage_event_uploads``)
Create Date: 2026-12-07

An upload is processed a batch of rows per transaction, each recording ``row_count`` (rows done so far);
``row_total`` is counted when processing starts (docs/usage.md#post-usage-eventscsv, docs/console.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0011"


def upgrade() -> None:
    with op.batch_alter_table("usage_event_uploads") as batch:
        batch.add_column(sa.Column("row_total", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("usage_event_uploads") as batch:
        batch.drop_column("row_total")
