"""``POST /usage-events/csv``: the file is stored in the request's transaction and processed after
the response by a background task; ``GET /usage-events/csv/{id}`` shows the outcome (Quire extension).

Processing claims an upload with a conditional UPDATE (so two workers never both take it), then
inserts its events BATCH rows a statement, in transactions of PROGRESS_EVERY seconds of batches, each of
which also records how many rows are done (``row_count``, of ``row_total``), so a reader sees the progress and a crash loses no
batch and repeats none: a claim whose worker has written nothing for ``STALE_AFTER`` is taken again by
the next run (every upload and every read of a waiting upload starts one) and goes on after the last
batch stored. The console's import (``start_import``) is the same upload worked by the job
``usage.import_csv``. See docs/usage.md#csv-uploads.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import logging
import time
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
from quire.jobs import JobContext, defer, job
from quire.usage import repository as repo
from quire.usage.models import UsageEventUpload
from quire.usage.service import NewEvent, ingest_events, new_event

log = logging.getLogger("quire.usage")

REQUIRED_COLUMNS = ("eventType", "eventTimestamp", "customerAlias")
PROPERTY_PREFIXES = ("eventProperty#", "eventProperties#")
STALE_AFTER = timedelta(minutes=10)
MAX_ERRORS_KEPT = 100
BATCH = 1000  # rows a statement
#: Seconds of batches a transaction, which then records the upload's progress. One update of the upload
#: row per transaction, not per batch: on SQLite an update rewrites the whole row, the file's text with it.
PROGRESS_EVERY = 0.5


# --- pure parts ------------------------------------------------------------------------------------


def form_file(content_type: str | None, body: bytes, field: str = "file") -> tuple[str | None, bytes]:
    """(filename, bytes) of the ``field`` part of a multipart/form-data body, or 400."""
    if not content_type or not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise ValidationFailed("Send the CSV as multipart/form-data with a 'file' part", field="file")
    found = form_parts(content_type, body).get(field)
    if found is None:
        raise ValidationFailed("The multipart body has no 'file' part", field="file")
    return found


def form_parts(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Every named part of a multipart/form-data body: {name: (filename, bytes)} (the first of a repeated
    name); empty when the body cannot be read as multipart."""
    parts: dict[str, tuple[str | None, bytes]] = {}
    try:
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts() if message.is_multipart() else []:
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str) and name not in parts:
                payload = part.get_payload(decode=True)
                parts[name] = (_clean_filename(part.get_filename()), payload if isinstance(payload, bytes) else b"")
    except (ValueError, TypeError, UnicodeError, LookupError, IndexError):
        return {}
    return parts


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


def _data_rows(text: str) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(line, cells) of each non-blank data row, or (line, the reader's error); the header is line 1."""
    reader = csv.reader(io.StringIO(text))
    try:
        next(reader)
    except (StopIteration, csv.Error):
        return
    line = 1
    while True:
        line += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, exc
            continue
        if any(c.strip() for c in cells):
            yield line, cells


def count_rows(text: str) -> int:
    """How many rows ``parse_rows`` yields (events and refusals): an import's total."""
    return sum(1 for _ in _data_rows(text))


def parse_rows(text: str) -> Iterator[NewEvent | RowError]:
    """Each data row as an event, or the reason it is rejected. Property cells are kept as strings
    (SUM reads plain-decimal strings as numbers); empty cells are left out."""
    try:
        header = [h.strip() for h in next(csv.reader(io.StringIO(text)))]
    except (StopIteration, csv.Error):
        return
    index = {name: i for i, name in enumerate(header)}
    properties = [(i, name) for i, col in enumerate(header) if (name := property_name(col))]
    for line, cells in _data_rows(text):
        if isinstance(cells, csv.Error):
            yield RowError(line, f"unreadable row: {cells}")
        else:
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


async def start_import(session: AsyncSession, account_id: str, *, filename: str | None, data: bytes) -> UsageEventUpload:
    """The console's import: the upload of ``POST /usage-events/csv``, worked by the ``usage.import_csv`` job
    (deferred in ``session``'s transaction) instead of a task after the response."""
    upload = await create_upload(session, account_id, filename=filename, data=data)
    await defer(session, "usage.import_csv", upload_id=upload.id, queueing_lock=f"usage-import:{upload.id}")
    return upload


@job("usage.import_csv", retry=2, retry_wait=5)
async def import_csv(ctx: JobContext, *, upload_id: str, **_: Any) -> None:
    """Work one upload. A retry (its worker died mid-file) takes the upload over from the earlier attempt
    and goes on after the last batch that attempt committed."""
    await process_upload(ctx.sessionmaker, ctx.write_lock, upload_id, take_over=ctx.attempts > 0)


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
            done += await process_upload(sessionmaker, write_lock, upload_id)
    finally:
        sqlite_write_transaction.reset(token)
    return done


async def process_upload(sessionmaker: async_sessionmaker[AsyncSession], write_lock: asyncio.Lock | None,
                         upload_id: str, *, take_over: bool = False) -> int:
    """Claim the upload (unless another worker holds it; ``take_over`` takes it from any holder) and insert
    its rows, each transaction recording the progress with its events; 1 if it completed."""
    token = sqlite_write_transaction.set(True)
    try:
        async with write_lock or nullcontext(), sessionmaker() as session:
            now = clock.now()
            claimed = await repo.claim_upload(session, upload_id, now, now if take_over else now - STALE_AFTER)
            await session.commit()
        if not claimed:
            return 0
        try:
            return await _process(sessionmaker, write_lock, upload_id)
        except Exception as error:
            if transient(error):  # kept PROCESSING, with its text: the job's retry (or a take-over) resumes it
                log.warning("usage CSV upload %s interrupted, to be resumed: %r", upload_id, error)
                raise
            log.exception("usage CSV upload %s failed", upload_id)  # recorded on the upload, not lost
            async with write_lock or nullcontext(), sessionmaker() as session:
                upload = await repo.load_upload(session, upload_id)
                if upload is not None and upload.status == "PROCESSING":
                    upload.status, upload.completed_at, upload.content = "FAILED", clock.now(), None
                    upload.errors = [*(upload.errors or [])[:MAX_ERRORS_KEPT - 1], {
                        "row": 0, "message": f"The file could not be processed after its first {upload.row_count} "
                                             "rows (those are stored); the error has been logged"}]
                    await session.commit()
            return 0
    finally:
        sqlite_write_transaction.reset(token)


def transient(error: BaseException) -> bool:
    """An error of the database or the network, not of the file: the rows stored so far stay stored, and the
    upload is resumed after them (its job retries), never ended FAILED half-way (a new upload of the same file
    would store those rows twice)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(error, (OperationalError, InterfaceError, OSError, TimeoutError)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


async def _process(sessionmaker: async_sessionmaker[AsyncSession], write_lock: asyncio.Lock | None, upload_id: str) -> int:
    async with write_lock or nullcontext(), sessionmaker() as session:
        upload = await repo.load_upload(session, upload_id)
        if upload is None or upload.status != "PROCESSING":
            return 0
        account_id, text = upload.account_id, upload.content or ""
        done, accepted, errors, total = upload.row_count, upload.accepted_count, list(upload.errors or []), upload.row_total
    if total is None:
        total = count_rows(text)  # recorded with the first progress (one update of the row, not two)
    rows = itertools.islice(parse_rows(text), done, None)  # a retry goes on after the rows already stored
    more = True
    while more:
        async with write_lock or nullcontext(), sessionmaker() as session:
            progress, began = repo.UploadProgress(done, accepted, errors, total), time.monotonic()
            while more and (progress.rows == done or time.monotonic() - began < PROGRESS_EVERY):
                batch = list(itertools.islice(rows, BATCH))
                more = len(batch) == BATCH
                events = [item for item in batch if not isinstance(item, RowError)]
                errors = [*errors, *({"row": item.row, "message": item.message}
                                     for item in batch if isinstance(item, RowError))][:MAX_ERRORS_KEPT]
                progress = repo.UploadProgress(progress.rows + len(batch), progress.accepted + len(events), errors, total)
                await ingest_events(session, account_id, events)
            if not await repo.record_progress(session, upload_id, done, progress, clock.now()):
                return 0  # another worker took the upload over and went further: this transaction rolls back
            await session.commit()
        done, accepted = progress.rows, progress.accepted
    async with write_lock or nullcontext(), sessionmaker() as session:
        finished = await repo.finish_upload(session, upload_id, done, clock.now())
        await session.commit()
    return int(finished)
