"""Gap-free document numbers, one counter per (account, document kind).

``next_number`` increments the counter row inside the caller's transaction. On PostgreSQL the
UPDATE takes the row lock, so concurrent finalizations queue and each gets the next value; on
SQLite the write transaction (BEGIN IMMEDIATE) already serialises them. If the transaction rolls
back, the increment rolls back with it: no number is ever skipped or used twice.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base


class DocumentCounter(Base):
    __tablename__ = "document_counters"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)


async def next_number(session: AsyncSession, *, account_id: str, kind: str) -> int:
    """The counter's next value: one upsert (the first number creates the row at 1), which takes the
    row lock on PostgreSQL until the caller's transaction ends."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    table = DocumentCounter.__table__
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(account_id=account_id, kind=kind, last_value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["account_id", "kind"], set_={"last_value": table.c.last_value + 1}
    ).returning(table.c.last_value)
    value = (await session.execute(stmt)).scalar()
    assert value is not None
    return int(value)


def format_number(prefix: str, value: int, width: int) -> str:
    """``INV`` + 5 digits by default: ``INV00001``; wider numbers simply grow (``INV100000``)."""
    return f"{prefix}{value:0{width}d}"
