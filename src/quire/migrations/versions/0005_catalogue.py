"""catalogue: products, list prices, prices, plans, plan versions and their prices

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import quire.core.db

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def _account() -> sa.Column[str]:
    return sa.Column("account_id", sa.String(length=36), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, quire.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.String(length=36), primary_key=True),
        _account(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        _at("created_at"),
        _at("updated_at"),
    )
    op.create_index("ix_products_account_created", "products", ["account_id", "created_at", "id"])
    op.create_index("ix_products_account_name", "products", ["account_id", "name"])

    op.create_table(
        "list_prices",
        sa.Column("id", sa.String(length=36), primary_key=True),
        _account(),
        sa.Column("product_id", sa.String(length=36), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("pricing_type", sa.String(length=16), nullable=False),
        sa.Column("structure", sa.JSON(), nullable=False),
        sa.Column("billing_frequency", sa.String(length=16), nullable=False),
        sa.Column("billing_type", sa.String(length=16), nullable=False),
        sa.Column("integration_ids", sa.JSON(), nullable=False),
        sa.Column("custom_metric_parameters", sa.JSON(), nullable=False),
        sa.Column("usage_calculation_period", sa.JSON(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        _at("archived_at", nullable=True),
    )
    op.create_index("ix_list_prices_account_created", "list_prices", ["account_id", "created_at", "id"])
    op.create_index("ix_list_prices_account_product", "list_prices", ["account_id", "product_id"])

    op.create_table(
        "prices",
        sa.Column("id", sa.String(length=36), primary_key=True),
        _account(),
        sa.Column("product_id", sa.String(length=36), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("list_price_id", sa.String(length=36), sa.ForeignKey("list_prices.id"), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("pricing_type", sa.String(length=16), nullable=False),
        sa.Column("structure", sa.JSON(), nullable=False),
        sa.Column("billing_frequency", sa.String(length=16), nullable=False),
        sa.Column("billing_type", sa.String(length=16), nullable=False),
        sa.Column("external_ids", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("usage_calculation_period", sa.JSON(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        _at("deleted_at", nullable=True),
    )
    op.create_index("ix_prices_account_created", "prices", ["account_id", "created_at", "id"])
    op.create_index("ix_prices_account_product", "prices", ["account_id", "product_id", "created_at"])

    op.create_table(
        "plans",
        sa.Column("id", sa.String(length=36), primary_key=True),
        _account(),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
    )
    op.create_index("ix_plans_account_created", "plans", ["account_id", "created_at", "id"])
    op.create_index("ix_plans_account_name", "plans", ["account_id", "name", "id"])

    op.create_table(
        "plan_versions",
        sa.Column("id", sa.String(length=36), primary_key=True),
        _account(),
        sa.Column("plan_id", sa.String(length=36), sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("minimum", quire.core.db.ExactDecimal(length=64), nullable=True),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("eligible_customer_ids", sa.JSON(), nullable=False),
        sa.Column("version_effective_from", sa.Date(), nullable=True),
        sa.Column("version_change_behaviour", sa.String(length=24), nullable=False),
        sa.Column("effective_from_outset", sa.Boolean(), nullable=False),
        _at("created_at"),
        sa.UniqueConstraint("plan_id", "version", name="uq_plan_versions_plan_version"),
    )
    op.create_index("ix_plan_versions_account_id", "plan_versions", ["account_id"])

    op.create_table(
        "plan_version_prices",
        sa.Column("plan_version_id", sa.String(length=36), sa.ForeignKey("plan_versions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        _account(),
        sa.Column("price_id", sa.String(length=36), sa.ForeignKey("prices.id"), nullable=False),
    )
    op.create_index("ix_plan_version_prices_account_price", "plan_version_prices", ["account_id", "price_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_version_prices_account_price", table_name="plan_version_prices")
    op.drop_table("plan_version_prices")
    op.drop_index("ix_plan_versions_account_id", table_name="plan_versions")
    op.drop_table("plan_versions")
    op.drop_index("ix_plans_account_name", table_name="plans")
    op.drop_index("ix_plans_account_created", table_name="plans")
    op.drop_table("plans")
    op.drop_index("ix_prices_account_product", table_name="prices")
    op.drop_index("ix_prices_account_created", table_name="prices")
    op.drop_table("prices")
    op.drop_index("ix_list_prices_account_product", table_name="list_prices")
    op.drop_index("ix_list_prices_account_created", table_name="list_prices")
    op.drop_table("list_prices")
    op.drop_index("ix_products_account_name", table_name="products")
    op.drop_index("ix_products_account_created", table_name="products")
    op.drop_table("products")
