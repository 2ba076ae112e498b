"""A lean request path for the hottest write: ``POST /usage-events`` on PostgreSQL.

One event per request is how most clients report usage, and issue 5 asks for 2,000 of them a second
on a 2-core machine. Through the general route (FastAPI's dependency solving, an ORM session, the
transactional envelope of ``core.http.ApiRoute``, one round trip and one commit per event) an event
cost ~1.3 ms of server CPU, and the target was out of reach (docs/performance.md, "Third round").
This ASGI middleware answers the common case itself:

- the caller's credential was verified in the last ``auth.CACHE_SECONDS`` (``auth.cached_account``),
- the request has no ``Idempotency-Key`` (with one, the key's claim and the write commit together
  in the route's transaction), and its media type is JSON (anything else is the route's 415),
- the body is a plain valid event (``service.parse_event_fast``, which gives up on anything unusual,
  a repeated key or a ``null`` included, and, when it does not, returns what ``service.parse_event_body``
  returns),
- the database is PostgreSQL (SQLite keeps its per-process write lock, in the route).

The row is built by the route's own ``service.stored_event`` and written by the repository's upsert,
compiled once; ``EventWriter`` sends the events of concurrent requests together, in one pipelined
round trip and one commit. The answer is the route's (``schemas.present_event``), sent once the
event is committed. Anything else (a first request, a bad body, a key, SQLite, an event PostgreSQL
refuses) goes to the route, the body handed on as it was read, so every error answer is the route's.
Tested against the route in tests/api/test_usage_fastpath.py.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.util import greenlet_spawn
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quire.core import clock
from quire.core.auth import cached_account
from quire.core.errors import QuireError
from quire.core.request_body import is_json_media_type
from quire.usage import jsontext
from quire.usage.repository import upsert_statement
from quire.usage.schemas import present_event
from quire.usage.service import StoredEvent, parse_event_fast, stored_event

PATH = "/usage-events"
_IDEMPOTENCY = b"idempotency-key"
_AUTHORIZATION = b"authorization"
_CONTENT_TYPE = b"content-type"
_JSON = b"application/json"
_HEADERS = [(b"content-type", b"application/json")]
_FIELDS = tuple(StoredEvent.__dataclass_fields__)


@cache
def _compiled(dialect: Dialect) -> tuple[str, tuple[tuple[str | None, Any], ...]]:
    """The repository's upsert for one row, as SQL text with ``$n`` parameters, and for each parameter
    in order the event field it takes or (``None``, the statement's own constant)."""
    compiled = upsert_statement(dialect.name).compile(dialect=dialect, column_keys=list(_FIELDS))
    assert compiled.positiontup is not None
    plan = tuple((name, None) if name in _FIELDS else (None, compiled.binds[name].effective_value)
                 for name in compiled.positiontup)
    return compiled.string, plan


class UsageEventFastPath:
    """ASGI middleware: ``POST /usage-events`` answered without the general route when it can be."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        authorization: str | None = None
        content_type: bytes | None = None
        for name, value in scope["headers"]:
            if name == _IDEMPOTENCY:
                await self.app(scope, receive, send)
                return
            if name == _AUTHORIZATION and authorization is None:  # the first, as the route reads it
                authorization = value.decode("latin-1")
            elif name == _CONTENT_TYPE and content_type is None:
                content_type = value
        if content_type != _JSON and not is_json_media_type(content_type and content_type.decode("latin-1")):
            await self.app(scope, receive, send)  # the route's 415 (core.request_body)
            return
        account_id = cached_account(authorization)
        # None on SQLite (its write lock is the route's), absent before the app's lifespan has run
        writer: EventWriter | None = getattr(scope["app"].state, "event_writer", None)
        if account_id is None or writer is None:
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except QuireError as exc:  # the body size limit (core.http.EdgeMiddleware), answered as the route would
            await JSONResponse(exc.body(), status_code=exc.status_code)(scope, receive, send)
            return
        event = parse_event_fast(body)
        if event is None:  # an unusual body, or a bad one: the route parses it and answers
            await self.app(scope, _replay(body, receive), send)
            return
        stored = stored_event(account_id, event, clock.now())
        try:
            await writer.write(stored)
        except asyncpg.PostgresError:
            # PostgreSQL refused this event's statement, so nothing of it was written (e.g. its account
            # was deleted while the credential was still cached): the route writes it again and gives
            # the answer it gives to that failure.
            await self.app(scope, _replay(body, receive), send)
            return
        await _answer(send, 201, jsontext.dumps(present_event(stored)).encode())


class EventWriter:
    """Writes the events of concurrent requests together: one pipelined ``executemany`` (atomic, one
    round trip, one commit) per batch, at most ``MAX_FLUSHES`` batches in flight per process.

    A request's event joins the batch being gathered. If fewer than ``MAX_FLUSHES`` batches are in
    flight, the request sends the gathered batch itself, its own event included (so a lone request
    costs one statement and no task); events that arrive meanwhile are sent by a task as soon as a
    batch returns. An idle server writes each event at once, a busy one many per round trip. Within
    a batch the statements run in arrival order, so a later event with the same ``customerEventId``
    still replaces an earlier one. If a batch fails, each of its events is written alone, so only an
    event that fails by itself fails its request.
    """

    MAX_FLUSHES = 2
    MAX_BATCH = 256

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.sql, self.plan = _compiled(engine.dialect)
        self.pending: list[tuple[list[Any], asyncio.Future[None]]] = []
        self.flushing = 0
        self.written = 0  # events committed by this writer (for tests and diagnostics)
        self.batches = 0  # round trips that committed them
        self._tasks: set[asyncio.Task[None]] = set()
        # Pool connections kept between batches (at most MAX_FLUSHES): a checkout and a checkin per
        # batch were ~6% of a busy worker's samples.
        self._idle: list[Any] = []

    async def write(self, event: StoredEvent) -> None:
        args = [getattr(event, name) if name is not None else constant for name, constant in self.plan]
        done = asyncio.get_running_loop().create_future()
        self.pending.append((args, done))
        if self.flushing < self.MAX_FLUSHES:
            self.flushing += 1
            try:
                await self._send_next()
            finally:
                self._release()
        await done

    async def _send_next(self) -> None:
        batch, self.pending = self.pending[: self.MAX_BATCH], self.pending[self.MAX_BATCH :]
        await self._write_batch(batch)

    def _release(self) -> None:
        """A batch returned: its slot goes to a task for the events gathered meanwhile, or is freed."""
        if self.pending:
            task = asyncio.get_running_loop().create_task(self._drain())
            self._tasks.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._tasks.discard)
        else:
            self.flushing -= 1

    async def _drain(self) -> None:
        try:
            await self._send_next()
        finally:
            self._release()

    async def _write_batch(self, batch: list[tuple[list[Any], asyncio.Future[None]]]) -> None:
        try:
            await self._write_or_retry(batch)
        except BaseException:  # cancelled (shutdown): no request of the batch may wait forever
            for _, done in batch:
                if not done.done():
                    done.cancel()
            raise

    async def _write_or_retry(self, batch: list[tuple[list[Any], asyncio.Future[None]]]) -> None:
        try:
            await self._execute([args for args, _ in batch])
        except Exception as exc:  # noqa: BLE001 - handed to the request, or each event retried alone
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            for item in batch:
                await self._write_or_retry([item])
            return
        self.written += len(batch)
        self.batches += 1
        for _, done in batch:
            _settle(done, None)

    async def _execute(self, rows: list[list[Any]]) -> None:
        raw = self._idle.pop() if self._idle else await self.engine.raw_connection()
        try:
            # The asyncpg connection itself: no transaction is open on it, so the statement(s) autocommit;
            # ``executemany`` is atomic and pipelined (asyncpg >= 0.22).
            connection = raw.driver_connection
            if len(rows) == 1:
                await connection.execute(self.sql, *rows[0])
            else:
                await connection.executemany(self.sql, rows)
        except BaseException:
            raw.invalidate()  # a failed or cancelled statement leaves the connection in an unknown state
            await greenlet_spawn(raw.close)
            raise
        self._idle.append(raw)

    async def close(self) -> None:
        """Give the kept connections back to the pool (before the engine is disposed)."""
        while self._idle:
            await greenlet_spawn(self._idle.pop().close)


def _settle(done: asyncio.Future[None], exc: BaseException | None) -> None:
    if not done.done():
        if exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the already-read body once, then defers to the server's."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _answer(send: Send, status: int, payload: bytes) -> None:
    headers = [(b"content-length", str(len(payload)).encode()), *_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
