"""accounts, credentials, idempotency keys, customers

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 22:20:34.376175
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.migrations.columns import at, created_index, index, key, keys, owned, timestamps

revision = '0001'
down_revision = None


def upgrade() -> None:
    op.create_table('accounts',
    key(),
    sa.Column('name', sa.String(length=255), nullable=False),
    at('created_at'),
    sa.Column('merchant_settings', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('idempotency_keys',
    *owned(),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    at('created_at'),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'key', name='uq_idempotency_account_key')
    )
    index('idempotency_keys', 'created_at', 'created_at')

    op.create_table('api_credentials',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    key('account_id'),
    sa.Column('secret_sha256', sa.String(length=64), nullable=False),
    at('created_at'),
    at('revoked_at', nullable=True),
    *keys(primary='client_id')
    )
    index('api_credentials', 'account_id', 'account_id')

    op.create_table('customers',
    *owned(),
    *timestamps(),
    sa.Column('legal_name', sa.String(length=255), nullable=False),
    sa.Column('contact_name', sa.String(length=255), nullable=True),
    sa.Column('address', sa.JSON(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('billing_emails', sa.JSON(), nullable=False),
    sa.Column('telephone', sa.String(length=64), nullable=True),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('label', sa.String(length=255), nullable=True),
    sa.Column('tax_status', sa.String(length=32), nullable=False),
    sa.Column('external_ids', sa.JSON(), nullable=False),
    at('archived_at', nullable=True),
    *keys()
    )
    created_index('customers')
    index('customers', 'account_legal_name', 'account_id', 'legal_name', 'id')

    op.create_table('customer_aliases',
    *owned('customer_id'),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=True),
    at('created_at'),
    *keys(('customer_id', 'customers'), cascade=True),
    sa.UniqueConstraint('account_id', 'value', name='uq_customer_alias_value')
    )
    created_index('customer_aliases')
    index('customer_aliases', 'customer_id', 'customer_id')

    op.create_table('customer_settings',
    *owned('customer_id'),
    sa.Column('payment_provider', sa.String(length=16), nullable=False),
    at('created_at'),
    *keys(('customer_id', 'customers'), cascade=True),
    sa.UniqueConstraint('account_id', 'customer_id', name='uq_customer_settings_customer')
    )


def downgrade() -> None:
    for table in ('customer_settings', 'customer_aliases', 'customers', 'api_credentials', 'idempotency_keys',
                  'accounts'):
        op.drop_table(table)
