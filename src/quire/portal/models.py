"""The portal link of a customer (migration 0017): only the SHA-256 of its token is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime


class CustomerPortalLink(Base):
    """One row per customer that ever had a link, read by its customer (the key) or by the token's
    digest (unique). ``token_sha256`` is NULL while the link is disabled; rotating replaces it, so the
    previous URL stops working when that commits. ``changed_at``: the last rotation or disable."""

    __tablename__ = "customer_portal_links"
    __table_args__ = (UniqueConstraint("token_sha256", name="uq_customer_portal_links_token_sha256"),)

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    token_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
