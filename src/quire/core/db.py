"""Engine, sessions and the column types every domain uses.

SQLite (the embedded default) runs in WAL mode with a busy timeout. Write requests open their
transaction with ``BEGIN IMMEDIATE`` so two writers queue on the database lock instead of one of
them failing with SQLITE_BUSY halfway through; that is what makes numbering and idempotency
serial on SQLite. PostgreSQL uses row locks (``SELECT ... FOR UPDATE``) for the same guarantees.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from quire.config import Settings
from quire.core import textfold

# Set per request by the route class: True for POST/PUT/PATCH/DELETE.
sqlite_write_transaction: ContextVar[bool] = ContextVar("sqlite_write_transaction", default=False)


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite stores naive text; we re-attach UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """Lossless decimals: NUMERIC on PostgreSQL, canonical text on SQLite (never float)."""

    impl = String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(38, 10, asdecimal=True))
        return dialect.type_descriptor(String(64))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal needs a Decimal, got {type(value).__name__}")
        return value if dialect.name == "postgresql" else format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


def make_engine(settings: Settings) -> AsyncEngine:
    url = settings.async_database_url
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    # 20 kept connections: with 10, a 16-client load opened and closed overflow connections on every
    # request (docs/performance.md). Connections are opened lazily, so an idle worker holds few.
    return create_async_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=False)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so we can choose BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # SQLite's lower() folds ASCII only: case-insensitive matching calls this instead (core/textfold.py),
        # so SQLite folds Unicode exactly as the PostgreSQL expression does.
        dbapi_connection.create_function(textfold.SQLITE_FUNCTION, 1, textfold.sqlite_fold, deterministic=True)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if sqlite_write_transaction.get() else "BEGIN")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
