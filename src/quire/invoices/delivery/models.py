"""Tables of issued invoices: the stored PDF and the hosted page's token (docs/delivery.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime


class DocumentKind(StrEnum):
    """``ISSUED``: rendered once when the invoice is numbered (finalize, finalize-and-send) and never
    changed; it is what emails attach. ``VOIDED``: rendered when the invoice is voided, with the VOID
    mark; from then on downloads serve it. The ISSUED one is kept for the record."""

    ISSUED = "ISSUED"
    VOIDED = "VOIDED"


class InvoiceDocument(Base):
    __tablename__ = "invoice_documents"
    __table_args__ = (
        UniqueConstraint("invoice_id", "kind", name="uq_invoice_documents_invoice_kind"),
        Index("ix_invoice_documents_account_invoice", "account_id", "invoice_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


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
