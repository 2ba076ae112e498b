"""console: server-side sign-in sessions and recent failed sign-ins

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-07

``console_sessions`` (one row per signed-in browser, keyed by the SHA-256 of its cookie's token) and
``console_sign_in_failures`` (the sign-in rate limit's window), for the console (docs/console.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.migrations.columns import at, cascade_fk, index, key

revision = "0018"
down_revision = "0015"
#: The hex SHA-256 of a session cookie's token: the session's key (the token itself is never stored).
TOKEN_HASH = sa.String(length=64)


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", TOKEN_HASH, nullable=False),
        key("user_id"),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        at("created_at"),
        at("last_seen_at"),
        sa.Column("ip", sa.String(length=64), nullable=False),
        cascade_fk("user_id", "users"),
        sa.PrimaryKeyConstraint("id"),
    )
    index("console_sessions", "user", "user_id")
    op.create_table(
        "console_sign_in_failures",
        key(),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        at("at"),
        sa.PrimaryKeyConstraint("id"),
    )
    index("console_sign_in_failures", "email", "email_key", "at")
    index("console_sign_in_failures", "ip", "ip", "at")


def downgrade() -> None:
    op.drop_table("console_sign_in_failures")
    op.drop_table("console_sessions")
