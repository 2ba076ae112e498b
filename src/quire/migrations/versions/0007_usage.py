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

import quire.core.db


revision = '0007'
down_revision = '0002'
branch_labels = None
depends_on = None

UTC = quire.core.db.UTCDateTime(timezone=True)
JSON_DOCUMENT = sa.Text().with_variant(postgresql.JSONB(), 'postgresql')


def _account() -> sa.Column:
    return sa.Column('account_id', sa.String(length=36), sa.ForeignKey('accounts.id', ondelete='CASCADE'), nullable=False)


def upgrade() -> None:
    op.create_table('usage_events',
    sa.Column('id', sa.String(length=36), nullable=False),
    _account(),
    sa.Column('customer_event_id', sa.String(length=255), nullable=False),
    sa.Column('customer_alias', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=255), nullable=False),
    sa.Column('event_timestamp', UTC, nullable=False),
    sa.Column('event_properties', JSON_DOCUMENT, nullable=False),
    sa.Column('received_at', UTC, nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'customer_event_id', name='uq_usage_events_customer_event_id'),
    )
    op.create_index('ix_usage_events_alias_type_time', 'usage_events', ['account_id', 'customer_alias', 'event_type', 'event_timestamp'])
    op.create_index('ix_usage_events_account_id', 'usage_events', ['account_id', 'id'])
    op.create_index('ix_usage_events_account_time', 'usage_events', ['account_id', 'event_timestamp', 'id'])

    op.create_table('usage_metrics',
    sa.Column('id', sa.String(length=36), nullable=False),
    _account(),
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
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.Column('deleted_at', UTC, nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_usage_metrics_account_created', 'usage_metrics', ['account_id', 'created_at', 'id'])

    op.create_table('usage_event_uploads',
    sa.Column('id', sa.String(length=36), nullable=False),
    _account(),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('accepted_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('claimed_at', UTC, nullable=True),
    sa.Column('completed_at', UTC, nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_usage_event_uploads_account_created', 'usage_event_uploads', ['account_id', 'created_at', 'id'])
    op.create_index('ix_usage_event_uploads_status', 'usage_event_uploads', ['status', 'created_at'])

    op.create_table('seat_types',
    sa.Column('id', sa.String(length=36), nullable=False),
    _account(),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('sequence_user_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'key', name='uq_seat_types_key'),
    )
    op.create_index('ix_seat_types_account_created', 'seat_types', ['account_id', 'created_at', 'id'])

    op.create_table('seat_snapshots',
    sa.Column('id', sa.String(length=36), nullable=False),
    _account(),
    sa.Column('customer_snapshot_id', sa.String(length=255), nullable=False),
    sa.Column('customer_alias', sa.String(length=255), nullable=False),
    sa.Column('seat_type', sa.String(length=255), nullable=False),
    sa.Column('snapshot_timestamp', UTC, nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('received_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'customer_snapshot_id', name='uq_seat_snapshots_customer_snapshot_id'),
    )
    op.create_index('ix_seat_snapshots_alias_type_time', 'seat_snapshots', ['account_id', 'customer_alias', 'seat_type', 'snapshot_timestamp'])
    op.create_index('ix_seat_snapshots_account_id', 'seat_snapshots', ['account_id', 'id'])

    op.create_table('seat_changes',
    sa.Column('id', sa.String(length=36), nullable=False),
    _account(),
    sa.Column('snapshot_id', sa.String(length=36), sa.ForeignKey('seat_snapshots.id', ondelete='CASCADE'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('customer_alias', sa.String(length=255), nullable=False),
    sa.Column('seat_type', sa.String(length=255), nullable=False),
    sa.Column('change_type', sa.String(length=16), nullable=False),
    sa.Column('timestamp', UTC, nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_seat_changes_account_id', 'seat_changes', ['account_id', 'id'])
    op.create_index('ix_seat_changes_snapshot', 'seat_changes', ['snapshot_id', 'position'])
    op.create_index('ix_seat_changes_alias_type_time', 'seat_changes', ['account_id', 'customer_alias', 'seat_type', 'timestamp'])


def downgrade() -> None:
    for table in ('seat_changes', 'seat_snapshots', 'seat_types', 'usage_event_uploads', 'usage_metrics', 'usage_events'):
        op.drop_table(table)
