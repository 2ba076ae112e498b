"""tax rates, tax rate uses, tax registrations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:00:00.000000

Tax has its own chain from 0002 (credit notes branch from 0002 too; `quire migrate` upgrades to heads).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import quire.core.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tax_rates',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('version_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('invoice_name', sa.String(length=255), nullable=False),
    sa.Column('invoice_short_name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('amount', quire.core.db.ExactDecimal(length=64), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=255), nullable=True),
    sa.Column('tax_category_id', sa.String(length=64), nullable=True),
    sa.Column('sub_rates', sa.JSON(), nullable=False),
    sa.Column('archived_at', quire.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', quire.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', quire.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tax_rates', schema=None) as batch_op:
        batch_op.create_index('ix_tax_rates_account_created', ['account_id', 'created_at', 'id'], unique=False)

    op.create_table('tax_rate_uses',
    sa.Column('tax_rate_id', sa.String(length=36), nullable=False),
    sa.Column('document_id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', quire.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tax_rate_id'], ['tax_rates.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tax_rate_id', 'document_id')
    )
    op.create_table('tax_registrations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('merchant_id', sa.String(length=36), nullable=True),
    sa.Column('tax_identifier', sa.String(length=64), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=True),
    sa.Column('created_at', quire.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', quire.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tax_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_tax_registrations_account_created', ['account_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_tax_registrations_account_customer', ['account_id', 'customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_tax_registrations_account_merchant', ['account_id', 'merchant_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tax_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_tax_registrations_account_merchant')
        batch_op.drop_index('ix_tax_registrations_account_customer')
        batch_op.drop_index('ix_tax_registrations_account_created')

    op.drop_table('tax_registrations')
    op.drop_table('tax_rate_uses')
    with op.batch_alter_table('tax_rates', schema=None) as batch_op:
        batch_op.drop_index('ix_tax_rates_account_created')

    op.drop_table('tax_rates')
