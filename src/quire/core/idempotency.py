"""``Idempotency-Key`` on every write: run the work once, replay the answer afterwards.

The key row is inserted in the *same* transaction as the work. A concurrent request with the same
key blocks on that insert (PostgreSQL's unique index; SQLite's BEGIN IMMEDIATE lock) until the
first transaction ends, then finds the committed row and replays it. If the first one failed, its
row rolled back with it and the second runs the work itself. See docs/idempotency.md.
"""

from __future__ import annotations

import hashlib
import logging
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.responses import Response

from quire.core import clock
from quire.core.cancellation import to_the_end
from quire.core.db import Base, UTCDateTime
from quire.core.errors import IdempotencyKeyReused, ValidationFailed
from quire.core.ids import uuid7

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("account_id", "key", name="uq_idempotency_account_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


@dataclass
class Claim:
    record_id: str
    replay: Response | None = None


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """Identify a request: method, path, query and body; a JSON body counts by content, not formatting.

    Total: any bytes give a fingerprint. A body that is not JSON, or that is too deep or too odd to
    canonicalise (10,000 nested arrays raise ``RecursionError``), counts by its raw bytes; the route
    then refuses it with 400 after the claim, which it rolls back.
    """
    try:
        canonical = json.loads(body, parse_float=Decimal)  # exact: 0.1 and 0.10000000000000001 stay apart
        body = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str).encode() if body else body
    except (ValueError, TypeError, RecursionError, OverflowError):
        pass  # not JSON, or not canonicalisable: the raw bytes
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(errors="surrogatepass"), query.encode(errors="surrogatepass"), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters", field=HEADER
        )


async def claim(session: AsyncSession, *, account_id: str, key: str, print_: str, ttl: timedelta) -> Claim:
    """Reserve ``key`` for this request, or return the stored response to replay."""
    check_key(key)
    now = clock.now()
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    record_id = uuid7()
    for _ in range(2):
        inserted = await session.scalar(
            insert(IdempotencyRecord)
            .values(id=record_id, account_id=account_id, key=key, fingerprint=print_, created_at=now)
            .on_conflict_do_nothing(index_elements=["account_id", "key"])
            .returning(IdempotencyRecord.id)
        )
        if inserted is not None:
            return Claim(record_id=record_id)
        existing = await session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.account_id == account_id, IdempotencyRecord.key == key)
        )
        if existing is None:
            continue  # vanished between the two statements (expired and purged); try again
        if existing.created_at < now - ttl:
            await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == existing.id))
            continue
        if existing.fingerprint != print_:
            raise IdempotencyKeyReused(
                f"{HEADER} {key!r} was already used with a different request; use a new key for a new request"
            )
        if existing.status_code is None:  # only possible if a writer crashed mid-way without rollback
            raise IdempotencyKeyReused(f"A request with {HEADER} {key!r} is still in progress")
        response = Response(
            content=existing.body or b"",
            status_code=existing.status_code,
            media_type=existing.content_type,
            headers={"Idempotent-Replayed": "true"},
        )
        return Claim(record_id=existing.id, replay=response)
    raise IdempotencyKeyReused(f"Could not reserve {HEADER} {key!r}; retry")


async def complete(session: AsyncSession, claim_: Claim, response: Response) -> None:
    record = await session.get(IdempotencyRecord, claim_.record_id)
    assert record is not None
    record.status_code = response.status_code
    record.content_type = response.headers.get("content-type")
    record.body = bytes(response.body)
    await session.flush()


async def purge_expired(session: AsyncSession, ttl: timedelta) -> int:
    result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < clock.now() - ttl))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def purge_forever(sessionmaker: Any, ttl: timedelta, every_seconds: float = 3600) -> None:
    """Background task of the app: drop expired keys now and every hour (claim() also ignores them).
    Cancelled (the app stopping), a purge under way finishes first (``to_the_end``)."""
    import asyncio

    async def purge_once() -> None:
        async with sessionmaker() as session:
            await purge_expired(session, ttl)
            await session.commit()

    while True:
        try:
            await to_the_end(purge_once())
        except Exception:  # noqa: BLE001 - a failed purge must not kill the app; the next run retries
            logging.getLogger("quire").exception("purging expired idempotency keys failed")
        await asyncio.sleep(every_seconds)
