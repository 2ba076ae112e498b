"""Accounts (Sequence's ``sequenceAccountId``) and their API credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, text, true
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
    # GET/PUT /sequence-accounts (docs/accounts.md). False: Quire emails no customer of this account
    # (invoice and credit note emails are recorded SUPPRESSED, reminders are not sent); statuses still change.
    send_customer_notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    alert_email_addresses: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # Accounts of one organisation see each other's ids in a user's sequenceAccountIds; None: the account
    # is an organisation of its own, whose id is the account's.
    organisation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class ApiCredential(Base):
    __tablename__ = "api_credentials"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the 256-bit random secret; the secret itself is never stored.
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
