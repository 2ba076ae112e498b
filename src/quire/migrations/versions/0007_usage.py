"""usage events, usage metrics, CSV uploads, seat types, seat snapshots, seat changes

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-26 09:00:00.000000

Usage and seats have their own chain from 0002 (`quire migrate` upgrades to heads).
Event properties are JSONB on PostgreSQL and JSON text on SQLite (docs/usage.md#storage).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from quire.migrations.columns import account_row, at, created_index, index, reference, timestamps

revision = '0007'
down_revision = '0002'

JSON_DOCUMENT = sa.Text().with_variant(postgresql.JSONB(), 'postgresql')


def _id_index(table: str) -> None:
    """The index of a list in id order (core/tables.py ``id_index``)."""
    index(table, 'account_id', 'account_id', 'id')


def upgrade() -> None:
    op.create_table('usage_events',
    *account_row(),
    sa.Column('customer_event_id', sa.String(length=255), nullable=False),
    sa.Column('customer_alias', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=255), nullable=False),
    at('event_timestamp'),
    sa.Column('event_properties', JSON_DOCUMENT, nullable=False),
    at('received_at'),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'customer_event_id', name='uq_usage_events_customer_event_id'),
    )
    index('usage_events', 'alias_type_time', 'account_id', 'customer_alias', 'event_type', 'event_timestamp')
    _id_index('usage_events')
    index('usage_events', 'account_time', 'account_id', 'event_timestamp', 'id')

    op.create_table('usage_metrics',
    *account_row(),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('metric_type', sa.String(length=16), nullable=False),
    sa.Column('event_type', sa.String(length=255), nullable=False),
    sa.Column('aggregation_type', sa.String(length=16), nullable=False),
    sa.Column('aggregation_property', sa.String(length=255), nullable=True),
    sa.Column('grouping_property', sa.String(length=255), nullable=True),
    sa.Column('unit', sa.String(length=255), nullable=True),
    sa.Column('property_filters', sa.JSON(), nullable=False),
    sa.Column('properties_to_negate', sa.JSON(), nullable=False),
    sa.Column('case_sensitive', sa.Boolean(), nullable=False),
    *timestamps(),
    at('deleted_at', nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    created_index('usage_metrics')

    op.create_table('usage_event_uploads',
    *account_row(),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('accepted_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    at('created_at'),
    at('claimed_at', nullable=True),
    at('completed_at', nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    created_index('usage_event_uploads')
    index('usage_event_uploads', 'status', 'status', 'created_at')

    op.create_table('seat_types',
    *account_row(),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('sequence_user_id', sa.String(length=255), nullable=True),
    *timestamps(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'key', name='uq_seat_types_key'),
    )
    created_index('seat_types')

    op.create_table('seat_snapshots',
    *account_row(),
    sa.Column('customer_snapshot_id', sa.String(length=255), nullable=False),
    sa.Column('customer_alias', sa.String(length=255), nullable=False),
    sa.Column('seat_type', sa.String(length=255), nullable=False),
    at('snapshot_timestamp'),
    sa.Column('total', sa.Integer(), nullable=False),
    at('received_at'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'customer_snapshot_id', name='uq_seat_snapshots_customer_snapshot_id'),
    )
    index('seat_snapshots', 'alias_type_time', 'account_id', 'customer_alias', 'seat_type', 'snapshot_timestamp')
    _id_index('seat_snapshots')

    op.create_table('seat_changes',
    *account_row(),
    reference('snapshot_id', 'seat_snapshots', cascade=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('customer_alias', sa.String(length=255), nullable=False),
    sa.Column('seat_type', sa.String(length=255), nullable=False),
    sa.Column('change_type', sa.String(length=16), nullable=False),
    at('timestamp'),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    _id_index('seat_changes')
    index('seat_changes', 'snapshot', 'snapshot_id', 'position')
    index('seat_changes', 'alias_type_time', 'account_id', 'customer_alias', 'seat_type', 'timestamp')


def downgrade() -> None:
    for table in ('seat_changes', 'seat_snapshots', 'seat_types', 'usage_event_uploads', 'usage_metrics', 'usage_events'):
        op.drop_table(table)
