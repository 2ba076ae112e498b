"""Customer tables: customers, their aliases, their payment settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime
from quire.core.tables import AccountRow, Timestamps, created_index


class Customer(AccountRow, Timestamps, Base):
    __tablename__ = "customers"
    __table_args__ = (
        created_index("customers"),
        Index("ix_customers_account_legal_name", "account_id", "legal_name", "id"),
        Index("ix_customers_account_parent", "account_id", "parent_id"),
    )

    legal_name: Mapped[str] = mapped_column(String(255))
    contact_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    address: Mapped[dict[str, Any]] = mapped_column(JSON)
    email: Mapped[str] = mapped_column(String(254))
    billing_emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    telephone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    label: Mapped[str | None] = mapped_column(String(255), nullable=True)
    tax_status: Mapped[str] = mapped_column(String(32))
    external_ids: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Extension: the customer whose roll-up schedules bill this one's usage (docs/billing-engine.md#roll-up-billing).
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class CustomerAlias(AccountRow, Base):
    __tablename__ = "customer_aliases"
    __table_args__ = (
        UniqueConstraint("account_id", "value", name="uq_customer_alias_value"),
        created_index("customer_aliases"),
    )

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CustomerSettings(AccountRow, Base):
    __tablename__ = "customer_settings"
    __table_args__ = (UniqueConstraint("account_id", "customer_id", name="uq_customer_settings_customer"),)

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    payment_provider: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
