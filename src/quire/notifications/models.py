"""Notification tables: policies, the events recorded for them, and one delivery per (event, webhook URL)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime
from quire.core.tables import AccountRow, Timestamps, created_index


class NotificationPolicy(AccountRow, Timestamps, Base):
    """``notification_types`` None: every type (the contract's "absent"). ``webhook_secret`` is kept in clear:
    Quire signs with it (HMAC), so it cannot be a hash (docs/webhooks.md#secrets)."""

    __tablename__ = "notification_policies"
    __table_args__ = (created_index("notification_policies"),)

    name: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(16))
    notification_types: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    webhook_secret: Mapped[str | None] = mapped_column(String(255), nullable=True)


class Event(AccountRow, Base):
    """Something that happened to a resource, recorded in the transaction that made it happen, with the
    resource as the API answered it then. Recorded only while a policy of the account wants its type."""

    __tablename__ = "events"
    __table_args__ = (created_index("events"),)

    notification_type: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(64))
    resource: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeliveryStatus(StrEnum):
    """``PENDING`` (due at ``next_attempt_at``; being sent while ``claimed_until`` is ahead) → ``DELIVERED``
    (a 2xx answer); ``DEAD`` once it failed past the retry window; ``CANCELLED`` when its policy or URL was
    removed before it could be delivered."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"
    CANCELLED = "CANCELLED"


class WebhookDelivery(AccountRow, Timestamps, Base):
    """One event to one webhook URL of one policy. ``endpoint`` names (policy, URL): deliveries to one
    endpoint are sent by one job at a time, oldest event first (docs/webhooks.md#ordering)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        created_index("webhook_deliveries"),
        UniqueConstraint("event_id", "policy_id", "url", name="uq_webhook_deliveries_event_endpoint"),
        Index("ix_webhook_deliveries_endpoint_status", "endpoint", "status", "event_created_at", "id"),
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    )

    event_id: Mapped[str] = mapped_column(String(36))
    event_created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resource_id: Mapped[str] = mapped_column(String(64))
    notification_type: Mapped[str] = mapped_column(String(64))
    policy_id: Mapped[str] = mapped_column(String(36))
    url: Mapped[str] = mapped_column(Text)
    endpoint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Start of the retry window (creation, or a redelivery/replay): DEAD once it failed this long after.
    retry_since: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
