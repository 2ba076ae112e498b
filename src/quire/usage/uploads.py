"""``POST /usage-events/csv``: the file is stored in the request's transaction and processed after
the response by a background task; ``GET /usage-events/csv/{id}`` shows the outcome (Quire extension).

Processing claims an upload with a conditional UPDATE (so two workers never both take it), then
inserts its events and records the counts in a second transaction: a crash leaves it PROCESSING, and
a claim older than ``STALE_AFTER`` is taken again by the next run (every upload and every read of a
waiting upload starts one). See docs/usage.md#csv-uploads.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from quire.core import clock
from quire.core.db import sqlite_write_transaction
from quire.core.errors import ValidationFailed
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams
from quire.core.repository import insert, list_page, loader
from quire.usage import repository as repo
from quire.usage.models import UsageEventUpload
from quire.usage.service import NewEvent, ingest_events, new_event

log = logging.getLogger("quire.usage")

REQUIRED_COLUMNS = ("eventType", "eventTimestamp", "customerAlias")
PROPERTY_PREFIXES = ("eventProperty#", "eventProperties#")
STALE_AFTER = timedelta(minutes=10)
MAX_ERRORS_KEPT = 100
BATCH = 1000


# --- pure parts ------------------------------------------------------------------------------------


def form_file(content_type: str | None, body: bytes, field: str = "file") -> tuple[str | None, bytes]:
    """(filename, bytes) of the ``field`` part of a multipart/form-data body, or 400."""
    if not content_type or not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise ValidationFailed("Send the CSV as multipart/form-data with a 'file' part", field="file")
    try:
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
        parts = list(message.iter_parts()) if message.is_multipart() else []
        for part in parts:
            if part.get_param("name", header="content-disposition") == field:
                payload = part.get_payload(decode=True)
                return _clean_filename(part.get_filename()), payload if isinstance(payload, bytes) else b""
    except (ValueError, TypeError, UnicodeError, LookupError, IndexError):
        pass
    raise ValidationFailed("The multipart body has no 'file' part", field="file")


def _clean_filename(name: str | None) -> str | None:
    """Header bytes that are not ASCII arrive as surrogate escapes: turn them back into text."""
    if not name:
        return None
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "")
    return text[:255] or None


def decode_csv(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("The CSV file must be UTF-8 text", field="file") from None
    if "\x00" in text:
        raise ValidationFailed("The CSV file must not contain the NUL character", field="file")
    return text


def check_header(text: str) -> list[str]:
    """The header row, or 400 naming the required columns that are missing."""
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise ValidationFailed(f"The CSV header cannot be read: {exc}", field="file") from None
    header = [h.strip() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(f"The CSV file lacks the required column(s): {', '.join(missing)}", field="file")
    return header


def property_name(column: str) -> str | None:
    for prefix in PROPERTY_PREFIXES:
        if column.startswith(prefix) and len(column) > len(prefix):
            return column[len(prefix):]
    return None


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line of the data row (the header is line 1)
    message: str


def parse_rows(text: str) -> Iterator[NewEvent | RowError]:
    """Each data row as an event, or the reason it is rejected. Property cells are kept as strings
    (SUM reads plain-decimal strings as numbers); empty cells are left out."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        return
    index = {name: i for i, name in enumerate(header)}
    properties = [(i, name) for i, col in enumerate(header) if (name := property_name(col))]
    line = 1
    while True:
        line += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(line, f"unreadable row: {exc}")
            continue
        if not any(c.strip() for c in cells):
            continue
        yield _row_event(line, cells, index, properties)


def _row_event(line: int, cells: list[str], index: dict[str, int], properties: list[tuple[int, str]]) -> NewEvent | RowError:
    def cell(name: str) -> str:
        i = index.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    for column in REQUIRED_COLUMNS:
        if not cell(column):
            return RowError(line, f"{column} is empty")
    for column in ("eventType", "customerAlias", "customerEventId"):
        if len(cell(column)) > 255:
            return RowError(line, f"{column} is longer than 255 characters")
    props = {name: cells[i] for i, name in properties if i < len(cells) and cells[i] != ""}
    try:
        return new_event(
            customer_alias=cell("customerAlias"),
            event_type=cell("eventType"),
            customer_event_id=cell("customerEventId") or None,
            event_timestamp=cell("eventTimestamp"),
            properties=props,
        )
    except ValidationFailed as exc:
        return RowError(line, exc.message)


# --- use-cases -------------------------------------------------------------------------------------


async def create_upload(session: AsyncSession, account_id: str, *, filename: str | None, data: bytes) -> UsageEventUpload:
    """Store the file for the worker. The header is checked now (400); rows are checked when processed."""
    text = decode_csv(data)
    check_header(text)
    upload = UsageEventUpload(
        id=uuid7(), account_id=account_id, status="PENDING", filename=filename,
        content=text, row_count=0, accepted_count=0, rejected_count=0, errors=[], created_at=clock.now(),
    )
    return await insert(session, upload)


get_upload = loader(UsageEventUpload)


async def list_uploads(session: AsyncSession, account_id: str, params: PageParams) -> Page[UsageEventUpload]:
    return await list_page(session, UsageEventUpload, account_id, params)


def needs_worker(upload: UsageEventUpload) -> bool:
    """A waiting upload whose worker may be gone (a restart between upload and processing)."""
    now = clock.now()
    if upload.status == "PENDING":
        return now - upload.created_at > timedelta(seconds=30)
    return upload.status == "PROCESSING" and upload.claimed_at is not None and now - upload.claimed_at > STALE_AFTER


async def _process(session: AsyncSession, upload: UsageEventUpload) -> None:
    rows = accepted = 0
    errors: list[dict[str, Any]] = []
    batch: list[NewEvent] = []
    for item in parse_rows(upload.content or ""):
        rows += 1
        if isinstance(item, RowError):
            if len(errors) < MAX_ERRORS_KEPT:
                errors.append({"row": item.row, "message": item.message})
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            accepted += len(batch)
            await ingest_events(session, upload.account_id, batch)
            batch = []
    if batch:
        accepted += len(batch)
        await ingest_events(session, upload.account_id, batch)
    upload.row_count, upload.accepted_count, upload.rejected_count = rows, accepted, rows - accepted
    upload.errors = errors
    upload.status = "COMPLETED"
    upload.content = None
    upload.completed_at = clock.now()
    await session.flush()


async def process_pending(sessionmaker: async_sessionmaker[AsyncSession], write_lock: asyncio.Lock | None, limit: int = 20) -> int:
    """Process waiting uploads of every account, oldest first; returns how many were completed."""
    done = 0
    token = sqlite_write_transaction.set(True)
    try:
        async with write_lock or nullcontext(), sessionmaker() as session:
            now = clock.now()
            ids = await repo.claimable_upload_ids(session, now - STALE_AFTER, limit)
            await session.commit()
        for upload_id in ids:
            done += await _process_one(sessionmaker, write_lock, upload_id)
    finally:
        sqlite_write_transaction.reset(token)
    return done


async def _process_one(sessionmaker: async_sessionmaker[AsyncSession], write_lock: asyncio.Lock | None, upload_id: str) -> int:
    async with write_lock or nullcontext(), sessionmaker() as session:
        now = clock.now()
        claimed = await repo.claim_upload(session, upload_id, now, now - STALE_AFTER)
        await session.commit()
    if not claimed:
        return 0
    try:
        async with write_lock or nullcontext(), sessionmaker() as session:
            upload = await repo.load_upload(session, upload_id)
            if upload is None:
                return 0
            await _process(session, upload)
            await session.commit()
            return 1
    except Exception:  # noqa: BLE001 - record the failure on the upload instead of losing it
        log.exception("usage CSV upload %s failed", upload_id)
        async with write_lock or nullcontext(), sessionmaker() as session:
            upload = await repo.load_upload(session, upload_id)
            if upload is not None:
                upload.status, upload.completed_at, upload.content = "FAILED", clock.now(), None
                upload.errors = [{"row": 0, "message": "The file could not be processed; it has been logged"}]
                await session.commit()
        return 0
