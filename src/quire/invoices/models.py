"""Invoice tables. Totals are integer minor units (exact and sortable on both databases);
quantities and rates are exact decimals (NUMERIC on PostgreSQL, decimal text on SQLite)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, ExactDecimal, UTCDateTime


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_account_created", "account_id", "created_at", "id"),
        Index("ix_invoices_account_status_created", "account_id", "status", "created_at", "id"),
        Index("ix_invoices_account_customer_created", "account_id", "customer_id", "created_at", "id"),
        Index("ix_invoices_account_gross", "account_id", "gross_total_minor", "id"),
        Index("ix_invoices_account_name", "account_id", "customer_legal_company_name", "id"),
        Index("ix_invoices_account_accounting_date", "account_id", "accounting_date", "id"),
        # The date and payment-status filters of GET /invoices (migration 0008).
        Index("ix_invoices_account_due_date", "account_id", "due_date"),
        Index("ix_invoices_account_issue_date", "account_id", "issue_date"),
        Index("ix_invoices_account_sent_date", "account_id", "sent_date"),
        Index("ix_invoices_account_payment_created", "account_id", "payment_status", "created_at", "id"),
        UniqueConstraint("account_id", "invoice_number", name="uq_invoices_account_number"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    billing_schedule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    billing_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    payment_status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    invoice_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    accounting_date: Mapped[date] = mapped_column(Date)
    purchase_order_number: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    customer_emails: Mapped[list[str]] = mapped_column(JSON)
    customer_legal_company_name: Mapped[str] = mapped_column(String(255))
    customer_billing_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    customer_shipping_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    customer_tax_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    customer_tax_status: Mapped[str] = mapped_column(String(32))
    payment_options: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    billing_period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    billing_period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    metadata_: Mapped[list[dict[str, str]]] = mapped_column("metadata", JSON)
    credit_balances: Mapped[str | None] = mapped_column(Text, nullable=True)
    render_settings: Mapped[dict[str, str]] = mapped_column(JSON)
    merchant_details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    credit_note_ids: Mapped[list[str]] = mapped_column(JSON)
    net_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # For the excludeZeroQuantity filter: true once any line has a non-zero quantity.
    has_quantity: Mapped[bool] = mapped_column(Boolean, default=False)
    next_line_index: Mapped[int] = mapped_column(Integer, default=0)
    next_group_index: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # for sentBefore/sentAfter
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class InvoiceLineItemGroup(Base):
    __tablename__ = "invoice_line_item_groups"
    __table_args__ = (Index("ix_invoice_groups_invoice_index", "invoice_id", "index"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    net_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InvoiceLineItem(Base):
    __tablename__ = "invoice_line_items"
    __table_args__ = (Index("ix_invoice_lines_invoice_index", "invoice_id", "index"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    group_id: Mapped[str | None] = mapped_column(ForeignKey("invoice_line_item_groups.id"), nullable=True, index=True)
    index: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    tax_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    service_period_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    service_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    service_period: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    price_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rate_display: Mapped[str] = mapped_column(String(16))
    external_ids: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    revenue_classification: Mapped[str | None] = mapped_column(String(16), nullable=True)
    credit_grant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    net_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InvoiceSettings(Base):
    __tablename__ = "invoice_settings"
    __table_args__ = (UniqueConstraint("account_id", "invoice_id", name="uq_invoice_settings_invoice"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    customer_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    payment_provider: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
