"""Accounts (Sequence's ``sequenceAccountId``) and their API credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Merchant settings (legal name, address, bank details, numbering, terms): a Quire extension,
    # edited through GET/PUT /merchant-settings and snapshotted onto each invoice.
    merchant_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ApiCredential(Base):
    __tablename__ = "api_credentials"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the 256-bit random secret; the secret itself is never stored.
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
