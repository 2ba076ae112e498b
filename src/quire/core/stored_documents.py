"""Stored documents: the PDF of an issued document (invoice, credit note), rendered once and kept.

What a customer downloaded or received by email never changes, even if the renderer or the merchant's
settings do. Each domain has a table of its own (``invoice_documents``, ``credit_note_documents``, the
same columns through ``StoredDocument``) and a ``DocumentStore`` that says how to render (off the event
loop) and name its documents; the store does the rest: keep one row per owner and kind, store the
ISSUED copy after the numbering transaction commits, serve the stored bytes. See docs/delivery.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Collection
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Integer, LargeBinary, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from quire.core import clock
from quire.core.db import UTCDateTime, sqlite_write_transaction
from quire.core.ids import uuid7
from quire.core.runtime import Background, after_commit_spawn

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


@dataclass(frozen=True)
class DocumentStore(Generic[O, D]):
    """The stored PDFs of one kind of owner.

    ``owner_key`` names the row's column holding the owner's id; ``render`` renders the owner as it is
    now (in a render process, quire.documents); ``issued`` are the statuses whose ISSUED copy the after-commit job may
    store; ``on_demand`` the statuses rendered on every download (drafts, with their DRAFT mark).
    """

    row_type: type[D]
    owner_type: type[O]
    owner_key: str
    render: Callable[[AsyncSession, O], Awaitable[bytes]]
    filename: Callable[[O], str]
    issued: Collection[str]
    on_demand: Collection[str]

    async def get(self, session: AsyncSession, owner_id: str, kind: DocumentKind) -> D | None:
        column: Any = getattr(self.row_type, self.owner_key)
        stmt = select(self.row_type).where(column == owner_id, self.row_type.kind == kind.value)
        return (await session.scalars(stmt)).first()

    async def latest(self, session: AsyncSession, owner_id: str) -> D | None:
        """The VOIDED document if there is one, else the ISSUED one."""
        return await self.get(session, owner_id, DocumentKind.VOIDED) or await self.get(session, owner_id, DocumentKind.ISSUED)

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
        """Render and keep the document of ``kind`` in the caller's transaction; an existing one is
        returned untouched (a stored document is never re-rendered)."""
        existing = await self.get(session, owner.id, kind)
        if existing is not None:
            return existing
        document = self._row(owner, kind, await self.render(session, owner))
        session.add(document)
        await session.flush()
        return document

    def store_issued_after_commit(self, session: AsyncSession, owner: O) -> bool:
        """Queue the ISSUED PDF to be rendered and stored once the finalizing transaction has committed.

        Rendering takes tens of milliseconds of CPU; inside the transaction it held the account's number
        counter (and, on SQLite, the database) for that long, so finalizations queued behind one another
        (docs/performance.md). The finalized document cannot change any more, so rendering it a moment
        later gives the same bytes; a download in between renders the same bytes on demand. False when
        the session has no background service (the caller then stores it inline).
        """
        return after_commit_spawn(session, self._issued_job(owner.id), name=f"issued-pdf-{owner.id}")

    def _issued_job(self, owner_id: str) -> Callable[[Background], Awaitable[None]]:
        async def job(background: Background) -> None:
            async with background.sessionmaker() as session:  # read and render, holding no lock
                owner = await session.get(self.owner_type, owner_id)
                if owner is None or owner.status not in self.issued:
                    return  # voided meanwhile: its VOIDED copy is the record
                if await self.get(session, owner_id, DocumentKind.ISSUED) is not None:
                    return  # a send stored it first
                row = self._row(owner, DocumentKind.ISSUED, await self.render(session, owner))
            token = sqlite_write_transaction.set(True)
            try:
                async with background.write_lock or nullcontext(), background.sessionmaker() as session:
                    # Lock the owner first, as send/void do before they store: otherwise this INSERT (whose
                    # foreign key check waits on their row lock) and theirs (waiting on this one's unique
                    # key) deadlock on PostgreSQL. Waiting here, it then finds their copy and stops.
                    await session.get(self.owner_type, owner_id, with_for_update=True)
                    if await self.get(session, owner_id, DocumentKind.ISSUED) is None:
                        session.add(row)
                        try:
                            await session.commit()
                        except IntegrityError:
                            await session.rollback()  # stored concurrently by a send: same document
            finally:
                sqlite_write_transaction.reset(token)

        return job

    async def current(self, session: AsyncSession, owner: O) -> tuple[str, bytes]:
        """(file name, bytes) of what a download serves. Drafts: rendered now. Numbered documents: the
        stored VOIDED copy if voided, else the ISSUED one; one numbered before documents were stored (or
        whose ISSUED copy the after-commit job has not stored yet) is rendered, as it would be stored."""
        if owner.status not in self.on_demand:
            document = await self.latest(session, owner.id)
            if document is not None:
                return document.filename, document.content
        return self.filename(owner), await self.render(session, owner)


__all__ = ["PDF", "DocumentKind", "DocumentStore", "StoredDocument"]
