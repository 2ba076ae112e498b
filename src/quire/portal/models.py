"""The portal link of a customer (migration 0017): only the SHA-256 of its token is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime


class CustomerPortalLink(Base):
    """One row per customer that ever had a link. ``token_sha256`` is NULL while the link is disabled;
    rotating replaces it, so the previous URL stops working when that commits."""

    __tablename__ = "customer_portal_links"
    __table_args__ = (
        UniqueConstraint("token_sha256", name="uq_customer_portal_links_token_sha256"),
        Index("ix_customer_portal_links_account_customer", "account_id", "customer_id"),
    )

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    token_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
