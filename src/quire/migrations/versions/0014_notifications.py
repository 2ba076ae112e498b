"""notifications: policies, events, webhook deliveries

Revision ID: 0014
Revises: 0001
Create Date: 2026-12-07 12:50:00.000000

docs/webhooks.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.migrations.columns import account_row, at, created_index, index, key, timestamps

revision = "0014"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "notification_policies",
        *account_row(),
        *timestamps(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("notification_types", sa.JSON(), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("webhook_secret", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    created_index("notification_policies")

    op.create_table(
        "events",
        *account_row(),
        sa.Column("notification_type", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.JSON(), nullable=False),
        at("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    created_index("events")

    op.create_table(
        "webhook_deliveries",
        *account_row(),
        *timestamps(),
        key("event_id"),
        at("event_created_at"),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("notification_type", sa.String(length=64), nullable=False),
        key("policy_id"),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        at("next_attempt_at"),
        at("retry_since"),
        at("claimed_until", nullable=True),
        at("last_attempt_at", nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        at("delivered_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "policy_id", "url", name="uq_webhook_deliveries_event_endpoint"),
    )
    created_index("webhook_deliveries")
    index("webhook_deliveries", "endpoint_status", "endpoint", "status", "event_created_at", "id")
    index("webhook_deliveries", "status_next", "status", "next_attempt_at")


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("events")
    op.drop_table("notification_policies")
