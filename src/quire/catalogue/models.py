"""Catalogue tables: products, list prices, prices (variants), plans and their versions.

A price's ``structure`` is stored as its canonical wire JSON (decimals as strings, never floats), so it
is echoed exactly and re-parsed losslessly by ``structures.parse_structure`` for pricing. Plans keep
one row per version (``plan_versions``) and the prices of each version in ``plan_version_prices``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, ExactDecimal, UTCDateTime
from quire.core.tables import AccountRow, Timestamps, created_index


class Product(AccountRow, Timestamps, Base):
    __tablename__ = "products"
    __table_args__ = (
        created_index("products"),
        Index("ix_products_account_name", "account_id", "name"),
    )

    name: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))


class PricingColumns(AccountRow, Timestamps):
    """What a list price and a price variant both are: a product's price in a currency, with its
    ``structure`` (canonical wire JSON) and billing frequency and type."""

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    pricing_type: Mapped[str] = mapped_column(String(16))
    structure: Mapped[dict[str, Any]] = mapped_column(JSON)
    billing_frequency: Mapped[str] = mapped_column(String(16))
    billing_type: Mapped[str] = mapped_column(String(16))
    usage_calculation_period: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ListPrice(PricingColumns, Base):
    __tablename__ = "list_prices"
    __table_args__ = (
        created_index("list_prices"),
        Index("ix_list_prices_account_product", "account_id", "product_id"),
    )

    integration_ids: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    custom_metric_parameters: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Price(PricingColumns, Base):
    """A price variant (``/prices``). Immutable after creation except ``name``; deletion is soft."""

    __tablename__ = "prices"
    __table_args__ = (
        created_index("prices"),
        Index("ix_prices_account_product", "account_id", "product_id", "created_at"),
    )

    list_price_id: Mapped[str | None] = mapped_column(ForeignKey("list_prices.id"), nullable=True)
    external_ids: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    parameters: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Plan(AccountRow, Timestamps, Base):
    """The stable identity of a plan. ``name`` and ``current_version`` mirror the latest version (for
    the list's filter and sort); everything else of a version lives in ``plan_versions``."""

    __tablename__ = "plans"
    __table_args__ = (
        created_index("plans"),
        Index("ix_plans_account_name", "account_id", "name", "id"),
    )

    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    current_version: Mapped[int] = mapped_column(Integer)


class PlanVersion(Base):
    """One immutable version of a plan: written by POST (version 1) and by each PUT (n + 1)."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_plan_versions_plan_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    minimum: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    eligible_customer_ids: Mapped[list[str]] = mapped_column(JSON)
    version_effective_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    version_change_behaviour: Mapped[str] = mapped_column(String(24))
    effective_from_outset: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlanVersionPrice(Base):
    __tablename__ = "plan_version_prices"
    __table_args__ = (Index("ix_plan_version_prices_account_price", "account_id", "price_id"),)

    plan_version_id: Mapped[str] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    price_id: Mapped[str] = mapped_column(ForeignKey("prices.id"))
