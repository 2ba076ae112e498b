"""catalogue: products, list prices, prices, plans, plan versions and their prices

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.core.db import ExactDecimal
from quire.migrations.columns import account, account_row, at, created_index, index, key, reference, timestamps

revision = "0005"
down_revision = "0002"


def _priced() -> list[sa.Column[object]]:
    """What a list price and a price both say about their charge."""
    return [
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("pricing_type", sa.String(length=16), nullable=False),
        sa.Column("structure", sa.JSON(), nullable=False),
        sa.Column("billing_frequency", sa.String(length=16), nullable=False),
        sa.Column("billing_type", sa.String(length=16), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "products",
        *account_row(primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        *timestamps(),
    )
    created_index("products")
    index("products", "account_name", "account_id", "name")

    op.create_table(
        "list_prices",
        *account_row(primary_key=True),
        reference("product_id", "products"),
        *_priced(),
        sa.Column("integration_ids", sa.JSON(), nullable=False),
        sa.Column("custom_metric_parameters", sa.JSON(), nullable=False),
        sa.Column("usage_calculation_period", sa.JSON(), nullable=True),
        *timestamps(),
        at("archived_at", nullable=True),
    )
    created_index("list_prices")
    index("list_prices", "account_product", "account_id", "product_id")

    op.create_table(
        "prices",
        *account_row(primary_key=True),
        reference("product_id", "products"),
        reference("list_price_id", "list_prices", nullable=True),
        *_priced(),
        sa.Column("external_ids", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("usage_calculation_period", sa.JSON(), nullable=True),
        *timestamps(),
        at("deleted_at", nullable=True),
    )
    created_index("prices")
    index("prices", "account_product", "account_id", "product_id", "created_at")

    op.create_table(
        "plans",
        *account_row(primary_key=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        *timestamps(),
    )
    created_index("plans")
    index("plans", "account_name", "account_id", "name", "id")

    op.create_table(
        "plan_versions",
        *account_row(primary_key=True),
        reference("plan_id", "plans", cascade=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("minimum", ExactDecimal(length=64), nullable=True),
        key("parent_id", nullable=True),
        sa.Column("eligible_customer_ids", sa.JSON(), nullable=False),
        sa.Column("version_effective_from", sa.Date(), nullable=True),
        sa.Column("version_change_behaviour", sa.String(length=24), nullable=False),
        sa.Column("effective_from_outset", sa.Boolean(), nullable=False),
        at("created_at"),
        sa.UniqueConstraint("plan_id", "version", name="uq_plan_versions_plan_version"),
    )
    index("plan_versions", "account_id", "account_id")

    op.create_table(
        "plan_version_prices",
        sa.Column("plan_version_id", sa.String(length=36), sa.ForeignKey("plan_versions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        account(),
        reference("price_id", "prices"),
    )
    index("plan_version_prices", "account_price", "account_id", "price_id")


def downgrade() -> None:
    for table in ("plan_version_prices", "plan_versions", "plans", "prices", "list_prices", "products"):
        op.drop_table(table)
