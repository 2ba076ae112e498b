"""One row per reminder sent (or decided): its unique (invoice, kind) is what makes a reminder never go twice."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime
from quire.core.tables import AccountRow


class InvoiceReminder(AccountRow, Base):
    __tablename__ = "invoice_reminders"
    # The one index: a reminder is looked up by its invoice (and an invoice has at most one of each kind).
    __table_args__ = (UniqueConstraint("invoice_id", "kind", name="uq_invoice_reminders_invoice_kind"),)

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # BEFORE_DUE or ON_DUE
    due_date: Mapped[date] = mapped_column(Date)  # the due date it reminded of
    email_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # its outbox row
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
