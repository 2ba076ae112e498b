"""Credit note tables, shaped like the invoice ones (docs/credit-notes.md).

Totals are integer minor units; quantities and rates exact decimals. A credit note may be linked to one
invoice (``invoice_id``) and its lines to the invoice lines they credit (``invoice_line_item_id``): the
sums of those links are what the creditable-amount rule checks.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, ExactDecimal, UTCDateTime
from quire.core.stored_documents import StoredDocument


class CreditNote(Base):
    __tablename__ = "credit_notes"
    __table_args__ = (
        Index("ix_credit_notes_account_created", "account_id", "created_at", "id"),
        Index("ix_credit_notes_account_status", "account_id", "status", "id"),
        Index("ix_credit_notes_account_customer_created", "account_id", "customer_id", "created_at", "id"),
        Index("ix_credit_notes_account_gross", "account_id", "gross_total_minor", "id"),
        Index("ix_credit_notes_account_number_seq", "account_id", "number_seq", "id"),
        Index("ix_credit_notes_invoice", "invoice_id"),
        UniqueConstraint("account_id", "credit_note_number", name="uq_credit_notes_account_number"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)
    invoice_number: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the invoice's, at creation
    billing_schedule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    credit_note_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The counter value behind credit_note_number (0 until numbered): sortBy=CREDIT_NOTE_NUMBER.
    number_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    billing_period_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    billing_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    purchase_order_number: Mapped[str | None] = mapped_column(String(255), nullable=True)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    customer_emails: Mapped[list[str]] = mapped_column(JSON)
    customer_legal_company_name: Mapped[str] = mapped_column(String(255))
    customer_billing_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    customer_shipping_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    customer_tax_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    metadata_: Mapped[list[dict[str, str]]] = mapped_column("metadata", JSON)
    merchant_details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    net_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    next_line_index: Mapped[int] = mapped_column(Integer, default=0)
    next_group_index: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # for sentBefore/sentAfter
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CreditNoteLineItemGroup(Base):
    __tablename__ = "credit_note_line_item_groups"
    __table_args__ = (Index("ix_credit_note_groups_note_index", "credit_note_id", "index"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    credit_note_id: Mapped[str] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"))
    invoice_line_item_group_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    index: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    net_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CreditNoteLineItem(Base):
    __tablename__ = "credit_note_line_items"
    __table_args__ = (
        Index("ix_credit_note_lines_note_index", "credit_note_id", "index"),
        Index("ix_credit_note_lines_invoice_line", "invoice_line_item_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    credit_note_id: Mapped[str] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"))
    group_id: Mapped[str | None] = mapped_column(ForeignKey("credit_note_line_item_groups.id"), nullable=True, index=True)
    invoice_line_item_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    index: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    tax_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    price_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rate_display: Mapped[str] = mapped_column(String(16))
    external_ids: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    net_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CreditNoteDocument(StoredDocument, Base):
    """A credit note's stored PDF (``quire.core.stored_documents``, as for invoices): ISSUED when it is
    numbered, VOIDED when it is voided; one per credit note and kind."""

    __tablename__ = "credit_note_documents"
    __table_args__ = (
        UniqueConstraint("credit_note_id", "kind", name="uq_credit_note_documents_note_kind"),
        Index("ix_credit_note_documents_account_note", "account_id", "credit_note_id"),
    )

    credit_note_id: Mapped[str] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"))
