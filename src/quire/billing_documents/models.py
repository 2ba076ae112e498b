"""The columns every billing document, line and group has, as mixins: a kind's tables add their own
columns, their foreign keys to each other, and their indexes (the migrated tables are unchanged:
tests/test_migrations.py compares them with these models).

Totals are integer minor units (exact and sortable on both databases); quantities and rates exact
decimals (NUMERIC on PostgreSQL, decimal text on SQLite).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, synonym

from quire.core.db import ExactDecimal, UTCDateTime
from quire.core.tables import AccountRow, Timestamps


class Amounts:
    """Net, tax and gross, in minor units of the document's currency."""

    net_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_total_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class DocumentColumns(AccountRow, Timestamps, Amounts):
    """A document's header: the customer as billed (a snapshot), status, dates, counters of its lines."""

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    billing_schedule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    purchase_order_number: Mapped[str | None] = mapped_column(String(255), nullable=True)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    customer_emails: Mapped[list[str]] = mapped_column(JSON)
    customer_legal_company_name: Mapped[str] = mapped_column(String(255))
    customer_billing_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    customer_shipping_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    customer_tax_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    metadata_: Mapped[list[dict[str, str]]] = mapped_column("metadata", JSON)
    merchant_details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # What the PDF and e-invoices print that the row does not hold, frozen when the document is numbered
    # (``quire.billing_documents.snapshot``); null for drafts and documents numbered before 0016.
    document_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Counters of the lines and groups ever added: the next index, and cheap "cannot matter" checks.
    next_line_index: Mapped[int] = mapped_column(Integer, default=0)
    next_group_index: Mapped[int] = mapped_column(Integer, default=0)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # for sentBefore/sentAfter
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class _OfDocument:
    """``document_id``: the kind's own foreign key to its document (``invoice_id``, ``credit_note_id``),
    under one name for the core's queries. The kind names that column in ``__document_key__``."""

    __document_key__: str

    @declared_attr
    def document_id(cls) -> Mapped[str]:
        return synonym(cls.__document_key__)


class _Part(_OfDocument, Amounts):
    """What a line and a group both have: their place in the document, a title and a description."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    index: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupColumns(_Part):
    """A group of lines (its totals are the sums of its lines')."""


class LineColumns(_Part):
    """A line; the kind adds its ``group_id`` (a foreign key to its own groups table)."""

    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    tax_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    price_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rate_display: Mapped[str] = mapped_column(String(16))
    external_ids: Mapped[list[dict[str, str]]] = mapped_column(JSON)
