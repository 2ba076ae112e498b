"""A user and the accounts it belongs to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # The email case-folded: one user per address, whatever its case.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    # ``scrypt$…`` (users/passwords.py); None: no password set, the user cannot sign in.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    state: Mapped[str] = mapped_column(String(16))  # "active" or "deleted"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UserAccount(Base):
    """Membership: ``user_id`` may act for ``account_id``."""

    __tablename__ = "user_accounts"
    __table_args__ = (Index("ix_user_accounts_account_user", "account_id", "user_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
