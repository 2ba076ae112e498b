"""Stored documents: the PDF of an issued document (invoice, credit note), rendered once and kept.

What a customer downloaded or received by email never changes, even if the renderer or the merchant's
settings do. Each domain has a table of its own (``invoice_documents``, ``credit_note_documents``, the
same columns through ``StoredDocument``) and a ``DocumentStore`` that says how to render (off the event
loop) and name its documents; the store does the rest: keep one row per owner and kind, store a copy
from a job of the queue once the action that numbered (or voided) the document has committed, or at its
first download if that comes first, and serve the stored bytes. See docs/delivery.md.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Collection
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Integer, LargeBinary, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from quire.core import clock
from quire.core.db import UTCDateTime, sqlite_write_transaction
from quire.core.ids import uuid7
from quire.core.runtime import BACKGROUND, Background, service_of
from quire.jobs.api import JobContext, defer, job

PDF = "application/pdf"


class DocumentKind(StrEnum):
    """``ISSUED``: rendered once when the document is numbered (finalize, finalize-and-send) and never
    changed; it is what emails attach. ``VOIDED``: rendered when the document is voided, with the VOID
    mark; from then on downloads serve it. The ISSUED one is kept for the record."""

    ISSUED = "ISSUED"
    VOIDED = "VOIDED"


class StoredDocument:
    """The columns of a stored document table; the table adds the foreign key to its owner and its
    unique (owner, kind) constraint."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Owner(Protocol):
    """What a document belongs to: an invoice or a credit note row."""

    id: str
    account_id: str
    status: str


O = TypeVar("O", bound=Owner)
D = TypeVar("D", bound=StoredDocument)

#: The stores, by name: the render job finds its store here (quire.invoices.document and
#: quire.creditnotes.document register theirs when imported; both are job modules).
_STORES: dict[str, DocumentStore[Any, Any]] = {}

#: The job that renders and stores a numbered document after its action commits.
STORE_JOB = "documents.store"


@dataclass(frozen=True)
class DocumentStore(Generic[O, D]):
    """The stored PDFs of one kind of owner.

    ``name`` names the store in its jobs; ``owner_key`` names the row's column holding the owner's id;
    ``prepare(session, owner, kind)`` reads what the owner's PDF prints and returns the render to run
    (which needs no session): with ``kind`` None the owner as it is now (a draft, with its DRAFT mark),
    else the stored copy of that kind, from what was frozen when it was numbered
    (``quire.billing_documents.snapshot``), so any later render gives the same document; ``on_demand``
    the statuses rendered on every download (drafts).
    """

    name: str
    row_type: type[D]
    owner_type: type[O]
    owner_key: str
    prepare: Callable[[AsyncSession, O, DocumentKind | None], Awaitable[Callable[[], Awaitable[bytes]]]]
    filename: Callable[[O], str]
    on_demand: Collection[str]

    def __post_init__(self) -> None:
        _STORES[self.name] = self

    async def render(self, session: AsyncSession, owner: O, kind: DocumentKind | None) -> bytes:
        return await (await self.prepare(session, owner, kind))()

    async def get(self, session: AsyncSession, owner_id: str, kind: DocumentKind) -> D | None:
        column: Any = getattr(self.row_type, self.owner_key)
        stmt = select(self.row_type).where(column == owner_id, self.row_type.kind == kind.value)
        return (await session.scalars(stmt)).first()

    def _row(self, owner: O, kind: DocumentKind, content: bytes) -> D:
        return self.row_type(
            id=uuid7(),
            account_id=owner.account_id,
            kind=kind.value,
            filename=self.filename(owner),
            content_type=PDF,
            content=content,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            created_at=clock.now(),
            **{self.owner_key: owner.id},
        )

    async def store(self, session: AsyncSession, owner: O, kind: DocumentKind) -> D:
        """Render and keep the document of ``kind`` in the caller's transaction (an email that attaches
        it is composed in that transaction); an existing one is returned untouched (a stored document
        is never re-rendered)."""
        existing = await self.get(session, owner.id, kind)
        if existing is not None:
            return existing
        document = self._row(owner, kind, await self.render(session, owner, kind))
        session.add(document)
        await session.flush()
        return document

    async def store_later(self, session: AsyncSession, owner: O, kind: DocumentKind) -> None:
        """Queue the document of ``kind`` to be rendered and stored once the caller's transaction commits
        (a job of the queue, deferred in that transaction: it exists if and only if the action committed).

        Rendering takes tens of milliseconds of CPU; inside the numbering transaction it held the
        account's number counter (and, on SQLite, the database) that long. Everything the document prints
        is frozen by then, so the job, a download before it, or a retry after a crash all render the same
        document; the first to store it wins (``store_committed``)."""
        await defer(session, STORE_JOB, store=self.name, owner_id=owner.id, kind=kind.value)

    async def store_committed(
        self, sessionmaker: async_sessionmaker[AsyncSession], write_lock: asyncio.Lock | None, owner_id: str,
        kind: DocumentKind,
    ) -> tuple[str, bytes] | None:
        """Render the document of ``kind`` (holding no lock) and store it in a short transaction of its
        own, unless it is stored already: (file name, bytes) of the stored document, which is the one
        served from then on. None if the owner is gone or was never numbered.

        Store once: the row is unique per (owner, kind); of two concurrent renders the second finds the
        first's row (or loses the insert) and returns that one. A stored row is never updated."""
        async with sessionmaker() as session:
            stored = await self.get(session, owner_id, kind)
            if stored is not None:
                return stored.filename, stored.content
            owner = await session.get(self.owner_type, owner_id)
            if owner is None or owner.status in self.on_demand:
                return None
            render = await self.prepare(session, owner, kind)
        # The session is closed: a render queued behind others holds no connection meanwhile.
        row = self._row(owner, kind, await render())
        answer = (row.filename, row.content)
        token = sqlite_write_transaction.set(True)
        try:
            async with write_lock or nullcontext(), sessionmaker() as session:
                # Lock the owner first, as send/void do before they store: otherwise this INSERT (whose
                # foreign key check waits on their row lock) and theirs (waiting on this one's unique
                # key) deadlock on PostgreSQL. Waiting here, it then finds their copy and stops.
                await session.get(self.owner_type, owner_id, with_for_update=True)
                stored = await self.get(session, owner_id, kind)
                if stored is not None:
                    return stored.filename, stored.content
                session.add(row)
                try:
                    await session.commit()
                except IntegrityError:  # stored concurrently (another process): serve that one
                    await session.rollback()
                    stored = await self.get(session, owner_id, kind)
                    if stored is not None:
                        return stored.filename, stored.content
                    raise
        finally:
            sqlite_write_transaction.reset(token)
        return answer

    async def current(self, session: AsyncSession, owner: O) -> tuple[str, bytes]:
        """(file name, bytes) of what a download serves. Drafts: rendered now. Numbered documents: the
        stored VOIDED copy if voided, else the ISSUED one; if that copy is not stored yet (its job has not
        run, or failed, or the document was numbered before documents were stored) it is rendered from
        what was frozen and stored now, in a transaction of its own, so this and every later download
        serve the same bytes."""
        if owner.status in self.on_demand:
            return self.filename(owner), await self.render(session, owner, None)
        kind = DocumentKind.VOIDED if owner.status == DocumentKind.VOIDED.value else DocumentKind.ISSUED
        document = await self.get(session, owner.id, kind)
        if document is not None:
            return document.filename, document.content
        writer = service_of(session, BACKGROUND)
        if isinstance(writer, Background):
            stored = await self.store_committed(writer.sessionmaker, writer.write_lock, owner.id, kind)
            if stored is not None:
                return stored
        return self.filename(owner), await self.render(session, owner, kind)  # no app (scripts): not stored


@job(STORE_JOB, queue="documents", retry=5, retry_wait=2.0, retry_exponential=True)
async def store_job(ctx: JobContext, store: str, owner_id: str, kind: str = DocumentKind.ISSUED.value) -> None:
    """Render and store a numbered document after its action committed (``DocumentStore.store_later``).
    Idempotent: a copy stored meanwhile (by a download, a send, an earlier attempt) ends it. A failed
    render is retried with backoff; after the last attempt the job stays ``failed`` and the document is
    rendered and stored by its first download instead."""
    await _STORES[store].store_committed(ctx.sessionmaker, ctx.write_lock, owner_id, DocumentKind(kind))


__all__ = ["PDF", "STORE_JOB", "DocumentKind", "DocumentStore", "StoredDocument", "store_job"]
