"""credit grants and the credit ledger (issue 14)

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-07 06:30:00.000000

Credits have their own chain after usage (METRIC grants name a usage metric). Amounts are exact
decimals (NUMERIC on PostgreSQL, decimal text on SQLite: ExactDecimal); balances are derived from the
ledger, never stored (docs/credits.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.core.db import ExactDecimal
from quire.migrations.columns import account_row, at, created_index, index, key, reference, timestamps

revision = '0011'
down_revision = '0007'


def upgrade() -> None:
    op.create_table('credit_grants',
    *account_row(),
    *timestamps(),
    reference('customer_id', 'customers'),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('credit_unit_type', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    key('metric_id', nullable=True),
    sa.Column('amount', ExactDecimal(length=64), nullable=False),
    sa.Column('cost_of_credit', ExactDecimal(length=64), nullable=True),
    key('tax_rate_id', nullable=True),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    key('invoice_id', nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    created_index('credit_grants')
    index('credit_grants', 'account_customer', 'account_id', 'customer_id', 'created_at', 'id')

    op.create_table('credit_transactions',
    *account_row(),
    reference('grant_id', 'credit_grants', cascade=True),
    sa.Column('type', sa.String(length=8), nullable=False),
    sa.Column('amount', ExactDecimal(length=64), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    key('invoice_id'),
    sa.Column('billing_run_id', sa.String(length=64), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    at('created_at'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('grant_id', 'invoice_id', 'type', name='uq_credit_transactions_grant_invoice_type'),
    )
    index('credit_transactions', 'account_invoice', 'account_id', 'invoice_id')
    index('credit_transactions', 'grant_id', 'grant_id')


def downgrade() -> None:
    op.drop_table('credit_transactions')
    op.drop_table('credit_grants')
