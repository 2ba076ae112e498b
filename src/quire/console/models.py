"""The console's tables: server-side sign-in sessions, and recent failed sign-ins (the rate limit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime


class ConsoleSession(Base):
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is stored (``id``), so a
    copy of the database opens no session. Deleting the row signs the browser out at once."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256 of the cookie's token
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str] = mapped_column(String(64))


class ConsoleSignInFailure(Base):
    """A refused sign-in, kept for the rate limit's window (per email and per client address)."""

    __tablename__ = "console_sign_in_failures"
    __table_args__ = (
        Index("ix_console_sign_in_failures_email", "email_key", "at"),
        Index("ix_console_sign_in_failures_ip", "ip", "at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email_key: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
