"""Invoice tables: the billing-document columns (``quire.billing_documents.models``) and what only an
invoice has (payment status, due date, reference, render settings, credit notes against it)."""

from __future__ import annotations

from datetime import date, datetime
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.billing_documents.kind import Kind
from quire.billing_documents.models import DocumentColumns, GroupColumns, LineColumns
from quire.core.db import Base, UTCDateTime
from quire.core.tables import created_index
from quire.invoices.lifecycle import Action, check


class Invoice(DocumentColumns, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        created_index("invoices"),
        Index("ix_invoices_account_status_created", "account_id", "status", "created_at", "id"),
        Index("ix_invoices_account_customer_created", "account_id", "customer_id", "created_at", "id"),
        Index("ix_invoices_account_gross", "account_id", "gross_total_minor", "id"),
        Index("ix_invoices_account_name", "account_id", "customer_legal_company_name", "id"),
        Index("ix_invoices_account_accounting_date", "account_id", "accounting_date", "id"),
        # The date and payment-status filters of GET /invoices (migration 0008); each date in creation order,
        # read one day at a time, and the currency filter (migration 0019, docs/performance.md).
        Index("ix_invoices_account_due_date", "account_id", "due_date", "created_at", "id"),
        Index("ix_invoices_account_issue_date", "account_id", "issue_date", "created_at", "id"),
        Index("ix_invoices_account_sent_date", "account_id", "sent_date", "created_at", "id"),
        Index("ix_invoices_account_payment_created", "account_id", "payment_status", "created_at", "id"),
        Index("ix_invoices_account_currency_status_created", "account_id", "currency", "status", "created_at", "id"),
        UniqueConstraint("account_id", "invoice_number", name="uq_invoices_account_number"),
    )

    billing_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payment_status: Mapped[str] = mapped_column(String(16))
    invoice_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    accounting_date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    customer_tax_status: Mapped[str] = mapped_column(String(32))
    payment_options: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    billing_period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    billing_period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    credit_balances: Mapped[str | None] = mapped_column(Text, nullable=True)
    render_settings: Mapped[dict[str, str]] = mapped_column(JSON)
    credit_note_ids: Mapped[list[str]] = mapped_column(JSON)
    # For the excludeZeroQuantity filter: true once any line has a non-zero quantity.
    has_quantity: Mapped[bool] = mapped_column(Boolean, default=False)


class InvoiceLineItemGroup(GroupColumns, Base):
    __tablename__ = "invoice_line_item_groups"
    __table_args__ = (Index("ix_invoice_groups_invoice_index", "invoice_id", "index"),)
    __document_key__ = "invoice_id"

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))


class InvoiceLineItem(LineColumns, Base):
    __tablename__ = "invoice_line_items"
    __table_args__ = (Index("ix_invoice_lines_invoice_index", "invoice_id", "index"),)
    __document_key__ = "invoice_id"

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    group_id: Mapped[str | None] = mapped_column(ForeignKey("invoice_line_item_groups.id"), nullable=True, index=True)
    service_period_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    service_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    service_period: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    revenue_classification: Mapped[str | None] = mapped_column(String(16), nullable=True)
    credit_grant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class InvoiceSettings(Base):
    __tablename__ = "invoice_settings"
    __table_args__ = (UniqueConstraint("account_id", "invoice_id", name="uq_invoice_settings_invoice"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    customer_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    payment_provider: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _check_editable(invoice: Invoice) -> None:
    check(Action.EDIT, invoice.status, invoice.payment_status)


#: The invoice as a kind of billing document (``quire.billing_documents``).
KIND: Kind[Invoice, InvoiceLineItem, InvoiceLineItemGroup] = Kind(
    document=Invoice, line=InvoiceLineItem, group=InvoiceLineItemGroup, a_noun="an invoice",
    line_name="LineItem", group_name="LineItemGroup", check_editable=_check_editable, counts_quantity=True,
    sorts={"createdAt": Invoice.created_at, "CUSTOMER_LEGAL_COMPANY_NAME": Invoice.customer_legal_company_name,
           "GROSS_TOTAL": Invoice.gross_total_minor, "ACCOUNTING_DATE": Invoice.accounting_date},
)
