"""portal: customer portal links (only the SHA-256 of each token)

Revision ID: 0017
Revises: 0001
Create Date: 2026-12-07

``customer_portal_links``: one row per customer that was given a portal link; ``token_sha256`` is NULL
while the link is disabled, ``changed_at`` is its last rotation or disable (docs/portal.md). The account-level switch is a merchant setting
(``customerPortalEnabled``, stored in ``accounts.merchant_settings``): no column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.migrations.columns import at, cascade_fk, key

revision = "0017"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "customer_portal_links",
        key("customer_id"),
        key("account_id"),
        at("created_at"),
        at("changed_at", nullable=True),
        sa.Column("token_sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("customer_id"),
        cascade_fk("customer_id", "customers"),
        sa.UniqueConstraint("token_sha256", name="uq_customer_portal_links_token_sha256"),
    )


def downgrade() -> None:
    op.drop_table("customer_portal_links")
