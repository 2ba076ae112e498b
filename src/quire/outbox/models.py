"""The outbox table: one row per email, holding the exact bytes that are (or will be) sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime
from quire.core.tables import AccountRow, Timestamps


class EmailStatus(StrEnum):
    """``PENDING`` → ``SENDING`` → ``SENT``; or back to ``PENDING`` after a transient failure, and
    ``FAILED`` once attempts run out or the server refuses for good. ``NOT_CONFIGURED``: enqueued
    while no SMTP server was configured; it waits for an explicit retry. ``SUPPRESSED``: an email to a
    customer of an account whose ``sendCustomerNotifications`` is false: recorded, never sent."""

    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    NOT_CONFIGURED = "NOT_CONFIGURED"
    SUPPRESSED = "SUPPRESSED"


class OutboxEmail(AccountRow, Timestamps, Base):
    __tablename__ = "email_outbox"
    __table_args__ = (
        Index("ix_email_outbox_account_subject_created", "account_id", "subject_id", "created_at", "id"),
        # The delivery sweep's scan (outbox/dispatcher.py): due PENDING rows, and SENDING rows whose lease ran out.
        Index("ix_email_outbox_status_next_attempt", "status", "next_attempt_at"),
    )

    # What the message is about: ("invoice", invoice id) or ("credit_note", credit note id).
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(255))
    from_address: Mapped[str] = mapped_column(Text)  # the envelope sender (addr-spec)
    sender_name: Mapped[str | None] = mapped_column(Text, nullable=True)  # display name asked by the domain
    reply_to: Mapped[str | None] = mapped_column(Text, nullable=True)
    to_addresses: Mapped[list[str]] = mapped_column(JSON)
    cc_addresses: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{filename, contentType, size}]
    mime: Mapped[bytes] = mapped_column(LargeBinary)  # the RFC 5322 message as composed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
