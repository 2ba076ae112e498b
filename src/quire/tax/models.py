"""Tax tables: tax rates (with their sub-rates), which documents used a rate, and tax registrations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, ExactDecimal, UTCDateTime
from quire.core.tables import AccountRow, Timestamps, created_index


class TaxRate(AccountRow, Timestamps, Base):
    """One row per rate; a PUT makes a new version in place (``version`` + 1, new ``version_id``)."""

    __tablename__ = "tax_rates"
    __table_args__ = (created_index("tax_rates"),)

    version_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(255))
    invoice_name: Mapped[str] = mapped_column(String(255))
    invoice_short_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A fraction: "0.2" is 20% (BEHAVIOUR.md §1.8, §15).
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(255), nullable=True)
    tax_category_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # [{"name": str, "amount": canonical decimal string}], summing exactly to ``amount``.
    sub_rates: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TaxRateUse(Base):
    """A document (invoice) that had a line written with this rate: it may keep using the rate once
    archived, and the rate can no longer be deleted."""

    __tablename__ = "tax_rate_uses"

    tax_rate_id: Mapped[str] = mapped_column(ForeignKey("tax_rates.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TaxRegistration(AccountRow, Timestamps, Base):
    """A tax id of a customer (``customer_id``) or of the merchant (``merchant_id`` = the account id)."""

    __tablename__ = "tax_registrations"
    __table_args__ = (
        created_index("tax_registrations"),
        Index("ix_tax_registrations_account_customer", "account_id", "customer_id", "created_at"),
        Index("ix_tax_registrations_account_merchant", "account_id", "merchant_id", "created_at"),
    )

    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=True)
    merchant_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    tax_identifier: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    state: Mapped[str | None] = mapped_column(String(2), nullable=True)
