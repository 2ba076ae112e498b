"""customers: a parent customer, for roll-up billing (an extension of 2024-01-01)

Revision ID: 0023
Revises: 0001 (customers are made by the foundation)
Create Date: 2026-12-07

``customers.parent_id``: the customer whose billing schedules with ``rollUpBilling`` bill this customer's
usage with their own (docs/billing-engine.md#roll-up-billing). One level: a parent has no parent. No
foreign key: customers are archived, never deleted, and the service checks the parent is the account's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
    op.create_index("ix_customers_account_parent", "customers", ["account_id", "parent_id"])


def downgrade() -> None:
    op.drop_index("ix_customers_account_parent", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("parent_id")
