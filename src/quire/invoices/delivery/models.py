"""Tables of issued invoices: the stored PDF and the hosted page's token (docs/delivery.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime
from quire.core.stored_documents import DocumentKind, StoredDocument

__all__ = ["DocumentKind", "InvoiceDocument", "InvoiceHostedLink"]


class InvoiceDocument(StoredDocument, Base):
    """An invoice's stored PDF (``quire.core.stored_documents``): one per invoice and kind."""

    __tablename__ = "invoice_documents"
    __table_args__ = (
        UniqueConstraint("invoice_id", "kind", name="uq_invoice_documents_invoice_kind"),
        Index("ix_invoice_documents_account_invoice", "account_id", "invoice_id"),
    )

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))


class InvoiceHostedLink(Base):
    """One live token per numbered invoice; rotating replaces it, so the old URL stops working."""

    __tablename__ = "invoice_hosted_links"
    __table_args__ = (
        UniqueConstraint("token", name="uq_invoice_hosted_links_token"),
        Index("ix_invoice_hosted_links_account_invoice", "account_id", "invoice_id"),
    )

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
