"""Credit grants and their ledger (migration 0011).

A grant's amount is what was granted (money for CURRENCY, units of a usage metric for METRIC); its
balance is never stored: it is the amount less its DEBIT transactions plus its CREDIT (restore)
transactions, and 0 once past its expiry date (docs/credits.md).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, ExactDecimal, UTCDateTime
from quire.core.tables import AccountRow, Timestamps, created_index


class CreditGrant(AccountRow, Timestamps, Base):
    __tablename__ = "credit_grants"
    __table_args__ = (
        created_index("credit_grants"),
        Index("ix_credit_grants_account_customer", "account_id", "customer_id", "created_at", "id"),
    )

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    name: Mapped[str] = mapped_column(String(255))
    credit_unit_type: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    metric_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    cost_of_credit: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    tax_rate_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    effective_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The DRAFT invoice charging costOfCredit, when there is one.
    invoice_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class CreditTransaction(AccountRow, Base):
    """A DEBIT (drawn on an invoice) or a CREDIT (restored when that invoice was voided or deleted).

    At most one of each type per grant and invoice: a second drawdown of the same invoice, or a second
    restore, cannot be written even by two transactions at once."""

    __tablename__ = "credit_transactions"
    __table_args__ = (
        UniqueConstraint("grant_id", "invoice_id", "type", name="uq_credit_transactions_grant_invoice_type"),
        Index("ix_credit_transactions_account_invoice", "account_id", "invoice_id"),
    )

    grant_id: Mapped[str] = mapped_column(ForeignKey("credit_grants.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    invoice_id: Mapped[str] = mapped_column(String(36))
    billing_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
