"""Usage tables: events (one current row per customerEventId), metrics, CSV uploads.

Indexes are chosen for the three hot paths (docs/usage.md#storage):
- ingest: ``uq_usage_events_customer_event_id`` is the arbiter of the upsert that makes the last
  received event with a ``customerEventId`` the one that counts;
- metric calculation: ``ix_usage_events_alias_type_time`` (account, customer alias, event type,
  timestamp) answers "this customer's events of this type in [start, end)" with one range scan per
  alias of the customer;
- lists: ``ix_usage_events_account_id`` (newest first; ids are UUIDv7, so id order is receipt order)
  and ``ix_usage_events_account_time`` (``sortBy=eventTimestamp`` and the timestamp filters).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint, cast, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

from quire.core.db import Base, UTCDateTime
from quire.core.tables import AccountRow, Timestamps, created_index, id_index


class _JsonbText(UserDefinedType[str]):
    """JSONB in PostgreSQL, exchanged with Python as JSON text (so numbers never become floats)."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "JSONB"

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None

    def bind_expression(self, bindvalue: Any) -> ColumnElement[Any]:
        return cast(type_coerce(bindvalue, Text()), JSONB)

    def column_expression(self, colexpr: Any) -> ColumnElement[Any]:
        return cast(type_coerce(colexpr, JSONB), Text())


class JsonText(TypeDecorator[str]):
    """A JSON document held as text in Python: JSONB on PostgreSQL, TEXT (JSON1 functions) on SQLite.

    Quire parses and writes the text itself (``quire.usage.jsontext``), exactly.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_JsonbText())
        return dialect.type_descriptor(Text())


class UsageEvent(AccountRow, Base):
    __tablename__ = "usage_events"
    __table_args__ = (
        UniqueConstraint("account_id", "customer_event_id", name="uq_usage_events_customer_event_id"),
        Index("ix_usage_events_alias_type_time", "account_id", "customer_alias", "event_type", "event_timestamp"),
        id_index("usage_events"),
        Index("ix_usage_events_account_time", "account_id", "event_timestamp", "id"),
    )

    customer_event_id: Mapped[str] = mapped_column(String(255))
    customer_alias: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(255))
    event_timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    event_properties: Mapped[str] = mapped_column(JsonText())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # How many events with this customerEventId were received (1 = never superseded).
    revision: Mapped[int] = mapped_column(Integer, default=1)


class UsageMetric(AccountRow, Timestamps, Base):
    __tablename__ = "usage_metrics"
    __table_args__ = (created_index("usage_metrics"),)

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    metric_type: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(255))
    aggregation_type: Mapped[str] = mapped_column(String(16))
    aggregation_property: Mapped[str | None] = mapped_column(String(255), nullable=True)
    grouping_property: Mapped[str | None] = mapped_column(String(255), nullable=True)
    unit: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # {property: [value, ...]}: values as the client sent them (strings, integers, floats, booleans).
    property_filters: Mapped[dict[str, list[Any]]] = mapped_column(JSON, default=dict)
    properties_to_negate: Mapped[list[str]] = mapped_column(JSON, default=list)
    case_sensitive: Mapped[bool] = mapped_column(Boolean, default=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class UsageEventUpload(AccountRow, Base):
    """A CSV file of usage events, stored by ``POST /usage-events/csv`` and processed in the background."""

    __tablename__ = "usage_event_uploads"
    __table_args__ = (
        created_index("usage_event_uploads"),
        Index("ix_usage_event_uploads_status", "status", "created_at"),
    )

    status: Mapped[str] = mapped_column(String(16))  # PENDING, PROCESSING, COMPLETED, FAILED
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The CSV text until it is processed (cleared afterwards).
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Rows done so far (stored or refused): the whole file once COMPLETED.
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    # The file's data rows, counted when processing starts (None before; migration 0022).
    row_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
