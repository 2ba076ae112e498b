"""tax rates, tax rate uses, tax registrations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:00:00.000000

Tax has its own chain from 0002 (credit notes branch from 0002 too; `quire migrate` upgrades to heads).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.core.db import ExactDecimal
from quire.migrations.columns import at, cascade_fk, created_index, index, key, keys, owned, timestamps

revision = '0003'
down_revision = '0002'


def upgrade() -> None:
    op.create_table('tax_rates',
    *owned('version_id'),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('invoice_name', sa.String(length=255), nullable=False),
    sa.Column('invoice_short_name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('amount', ExactDecimal(length=64), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=255), nullable=True),
    sa.Column('tax_category_id', sa.String(length=64), nullable=True),
    sa.Column('sub_rates', sa.JSON(), nullable=False),
    at('archived_at', nullable=True),
    *timestamps(),
    *keys()
    )
    created_index('tax_rates')

    op.create_table('tax_rate_uses',
    key('tax_rate_id'),
    key('document_id'),
    key('account_id'),
    at('created_at'),
    cascade_fk('tax_rate_id', 'tax_rates'),
    sa.PrimaryKeyConstraint('tax_rate_id', 'document_id')
    )
    op.create_table('tax_registrations',
    *owned(),
    key('customer_id', nullable=True),
    key('merchant_id', nullable=True),
    sa.Column('tax_identifier', sa.String(length=64), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=True),
    *timestamps(),
    *keys(('customer_id', 'customers'), cascade=True)
    )
    created_index('tax_registrations')
    index('tax_registrations', 'account_customer', 'account_id', 'customer_id', 'created_at')
    index('tax_registrations', 'account_merchant', 'account_id', 'merchant_id', 'created_at')


def downgrade() -> None:
    for table in ('tax_registrations', 'tax_rate_uses', 'tax_rates'):
        op.drop_table(table)
