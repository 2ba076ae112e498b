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

import quire.core.db


revision = '0011'
down_revision = '0007'
branch_labels = None
depends_on = None

UTC = quire.core.db.UTCDateTime(timezone=True)


def _account() -> sa.Column:
    return sa.Column('account_id', sa.String(length=36), sa.ForeignKey('accounts.id', ondelete='CASCADE'), nullable=False)


def upgrade() -> None:
    op.create_table('credit_grants',
    sa.Column('id', sa.String(length=36), nullable=False),
    _account(),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.Column('customer_id', sa.String(length=36), sa.ForeignKey('customers.id'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('credit_unit_type', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('metric_id', sa.String(length=36), nullable=True),
    sa.Column('amount', quire.core.db.ExactDecimal(length=64), nullable=False),
    sa.Column('cost_of_credit', quire.core.db.ExactDecimal(length=64), nullable=True),
    sa.Column('tax_rate_id', sa.String(length=36), nullable=True),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('invoice_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_credit_grants_account_created', 'credit_grants', ['account_id', 'created_at', 'id'])
    op.create_index('ix_credit_grants_account_customer', 'credit_grants', ['account_id', 'customer_id', 'created_at', 'id'])

    op.create_table('credit_transactions',
    sa.Column('id', sa.String(length=36), nullable=False),
    _account(),
    sa.Column('grant_id', sa.String(length=36), sa.ForeignKey('credit_grants.id', ondelete='CASCADE'), nullable=False),
    sa.Column('type', sa.String(length=8), nullable=False),
    sa.Column('amount', quire.core.db.ExactDecimal(length=64), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.Column('invoice_id', sa.String(length=36), nullable=False),
    sa.Column('billing_run_id', sa.String(length=64), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('grant_id', 'invoice_id', 'type', name='uq_credit_transactions_grant_invoice_type'),
    )
    op.create_index('ix_credit_transactions_account_invoice', 'credit_transactions', ['account_id', 'invoice_id'])
    op.create_index('ix_credit_transactions_grant_id', 'credit_transactions', ['grant_id'])


def downgrade() -> None:
    op.drop_table('credit_transactions')
    op.drop_table('credit_grants')
