"""invoices, line items, groups, invoice settings, document counters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 22:29:14.910471
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.migrations.columns import (
    amounts, at, cascade_fk, created_index, customer_snapshot, document_tail, index, key, keys, line_price,
    line_rates, owned, titled,
)

revision = '0002'
down_revision = '0001'


def upgrade() -> None:
    op.create_table('document_counters',
    key('account_id'),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('last_value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'kind')
    )
    op.create_table('invoices',
    *owned('customer_id'),
    sa.Column('billing_schedule_id', sa.String(length=64), nullable=True),
    sa.Column('billing_run_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payment_status', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('invoice_number', sa.String(length=64), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('accounting_date', sa.Date(), nullable=False),
    sa.Column('purchase_order_number', sa.String(length=255), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('memo', sa.Text(), nullable=True),
    *customer_snapshot(),
    sa.Column('customer_tax_status', sa.String(length=32), nullable=False),
    sa.Column('payment_options', sa.JSON(), nullable=True),
    sa.Column('billing_period_start', sa.Date(), nullable=True),
    sa.Column('billing_period_end', sa.Date(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('credit_balances', sa.Text(), nullable=True),
    sa.Column('render_settings', sa.JSON(), nullable=False),
    sa.Column('merchant_details', sa.JSON(), nullable=True),
    sa.Column('credit_note_ids', sa.JSON(), nullable=False),
    *amounts(),
    sa.Column('has_quantity', sa.Boolean(), nullable=False),
    *document_tail(),
    *keys(('customer_id', 'customers')),
    sa.UniqueConstraint('account_id', 'invoice_number', name='uq_invoices_account_number')
    )
    index('invoices', 'account_accounting_date', 'account_id', 'accounting_date', 'id')
    created_index('invoices')
    index('invoices', 'account_customer_created', 'account_id', 'customer_id', 'created_at', 'id')
    index('invoices', 'account_gross', 'account_id', 'gross_total_minor', 'id')
    index('invoices', 'account_name', 'account_id', 'customer_legal_company_name', 'id')
    index('invoices', 'account_status_created', 'account_id', 'status', 'created_at', 'id')

    op.create_table('invoice_line_item_groups',
    *owned('invoice_id'),
    *titled(),
    *amounts(),
    at('created_at'),
    cascade_fk('invoice_id', 'invoices'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_invoice_groups_invoice_index', 'invoice_line_item_groups', ['invoice_id', 'index'])

    op.create_table('invoice_settings',
    *owned('invoice_id'),
    key('customer_id', nullable=True),
    sa.Column('payment_provider', sa.String(length=16), nullable=False),
    at('created_at'),
    cascade_fk('invoice_id', 'invoices'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'invoice_id', name='uq_invoice_settings_invoice')
    )
    op.create_table('invoice_line_items',
    *owned('invoice_id'),
    key('group_id', nullable=True),
    *titled(),
    *line_rates(),
    at('service_period_start', nullable=True),
    at('service_period_end', nullable=True),
    sa.Column('service_period', sa.JSON(), nullable=True),
    *line_price(),
    sa.Column('revenue_classification', sa.String(length=16), nullable=True),
    sa.Column('credit_grant_id', sa.String(length=64), nullable=True),
    *amounts(),
    at('created_at'),
    sa.ForeignKeyConstraint(['group_id'], ['invoice_line_item_groups.id'], ),
    cascade_fk('invoice_id', 'invoices'),
    sa.PrimaryKeyConstraint('id')
    )
    index('invoice_line_items', 'group_id', 'group_id')
    op.create_index('ix_invoice_lines_invoice_index', 'invoice_line_items', ['invoice_id', 'index'])


def downgrade() -> None:
    for table in ('invoice_line_items', 'invoice_settings', 'invoice_line_item_groups', 'invoices',
                  'document_counters'):
        op.drop_table(table)
