"""The HTTP edge shared by every domain: one route class, one middleware, one error handler.

``ApiRoute`` wraps each endpoint in the same envelope: authenticate, open one transaction, claim
the ``Idempotency-Key``, run the endpoint, store the answer for replay, commit (or roll back on any
error). Endpoints therefore never commit; services only flush.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, APIRouter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quire.config import active_settings, get_settings
from quire.core import declared_errors, idempotency
from quire.core.auth import authenticate
from quire.core.db import sqlite_write_transaction
from quire.core.contract_requests import REQUESTS
from quire.core.errors import PayloadTooLarge, QuireError, ValidationFailed
from quire.core.request_body import read_json_body
from quire.core.versioning import HEADER as VERSION_HEADER
from quire.core.versioning import current_version, resolve_version

log = logging.getLogger("quire")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: The PostgreSQL session option of reads and of ``single_statement`` writes. Reads lose nothing by it:
#: under READ COMMITTED every statement takes its own snapshot inside a transaction too, and no read
#: endpoint writes (a download renders, it does not store). It saves two round trips per request.
AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


def single_statement(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a write endpoint whose whole effect is one SQL statement (e.g. one ``INSERT … ON CONFLICT``).

    Without an ``Idempotency-Key`` such a request runs in autocommit on PostgreSQL: the statement is its
    own transaction, which saves the ``BEGIN`` and ``COMMIT`` round trips (a quarter of the server CPU of
    ``POST /usage-events``, docs/performance.md). With a key the usual transaction is kept, because the
    key's claim and the write must commit together. SQLite keeps its ``BEGIN IMMEDIATE`` write lock.
    """
    endpoint.__quire_single_statement__ = True  # type: ignore[attr-defined]
    return endpoint


class ApiRoute(APIRoute):
    """Authenticated, transactional, idempotent route. Responses omit absent (None) fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_none"] = True
        super().__init__(*args, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        endpoint = super().get_route_handler()
        single = getattr(self.endpoint, "__quire_single_statement__", False)
        # The JSON body's contract shape per method (issue 12: types and nulls follow 2024-01-01), and
        # whether the route takes a JSON body at all (a pydantic body, or one the contract declares JSON).
        shapes = {method: REQUESTS.get((method, self.path)) for method in self.methods or ()}
        form = self.body_field is not None and isinstance(self.body_field.field_info, params.Form)
        takes_json = (self.body_field is not None and not form) or any(shapes.values())
        decoder = getattr(self.endpoint, "__quire_json_decoder__", None)
        body = (shapes, decoder) if takes_json else None

        async def handler(request: Request) -> Response:
            write = request.method in WRITE_METHODS
            token = sqlite_write_transaction.set(write)
            settings_token = active_settings.set(request.app.state.settings)
            # SQLite has one writer at a time: queue this process's writers on an asyncio lock instead of
            # letting them spin in SQLite's busy handler (other processes still wait on busy_timeout).
            lock = request.app.state.write_lock if write else None
            try:
                async with lock or nullcontext(), request.app.state.sessionmaker() as session:
                    if request.app.state.write_lock is None and (
                        not write or (single and idempotency.HEADER not in request.headers)
                    ):
                        # PostgreSQL: reads, and single-statement writes, need no BEGIN/COMMIT round trips.
                        await session.connection(execution_options=AUTOCOMMIT)
                    return await _run(request, session, endpoint, write, body)
            finally:
                sqlite_write_transaction.reset(token)
                active_settings.reset(settings_token)

        return handler


async def _run(
    request: Request,
    session: AsyncSession,
    endpoint: Callable[[Request], Awaitable[Response]],
    write: bool,
    body: tuple[dict[str, Any], Any] | None = None,
) -> Response:
    account_id = await authenticate(session, request.headers.get("authorization"))
    if write:
        # Read (and size-check) the body here: FastAPI would turn a PayloadTooLarge raised while
        # it parses the body into a generic 400.
        await request.body()
        if body is not None:
            # Media type, strict JSON and the contract's types, before the key's fingerprint reads the
            # body and before pydantic does (core/request_body.py): parsed once, kept for FastAPI.
            shapes, decoder = body
            await read_json_body(request, shapes.get(request.method), decoder)
    request.state.session = session
    request.state.account_id = account_id
    claim = None
    key = request.headers.get(idempotency.HEADER) if write else None
    if key is not None:
        body = await request.body()
        ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
        print_ = idempotency.fingerprint(request.method, request.url.path, request.url.query, body)
        claim = await idempotency.claim(session, account_id=account_id, key=key, print_=print_, ttl=ttl)
        if claim.replay is not None:
            await session.rollback()
            return claim.replay
    response = await endpoint(request)
    if response.status_code >= 400:
        await session.rollback()
        return response
    if claim is not None:
        await idempotency.complete(session, claim, response)
    await session.commit()
    return response


def json_numbers(decoder: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark an endpoint whose JSON body is parsed with ``decoder`` (``request_body.decoder``) instead of
    the default strict one, e.g. to keep numbers exact; the endpoint reads it with ``parsed_body``."""

    def mark(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        endpoint.__quire_json_decoder__ = decoder  # type: ignore[attr-defined]
        return endpoint

    return mark


def api_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=ApiRoute, **kwargs)


async def session_of(request: Request) -> AsyncSession:
    """FastAPI dependency: the request's session (opened by ``ApiRoute``)."""
    session: AsyncSession = request.state.session
    return session


async def account_of(request: Request) -> str:
    """FastAPI dependency: the authenticated caller's account id."""
    account_id: str = request.state.account_id
    return account_id


#: Endpoint parameter types: ``session: Session`` (the request's transaction), ``account: Account``.
Session = Annotated[AsyncSession, Depends(session_of)]
Account = Annotated[str, Depends(account_of)]


def error_response(status: int, error_type: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"type": error_type, "message": message, **extra}}, status_code=status)


class EdgeMiddleware:
    """Version negotiation, the ``Sequence-Version`` response header, and the body size limit."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_version = headers.get(b"sequence-version")
        try:
            version = resolve_version(raw_version.decode("latin-1") if raw_version is not None else None)
        except QuireError as exc:
            await _send_json(send, exc.status_code, exc.body(), version=None, scope=scope)
            return
        if b"%00" in scope.get("query_string", b""):
            # PostgreSQL text cannot hold U+0000: refuse it in query filters for every database alike.
            # (Path ids are checked by shape before any lookup, so a NUL there is simply unknown: 404.)
            exc = ValidationFailed("The query string must not contain the NUL character (%00)", field="query")
            await _send_json(send, exc.status_code, exc.body(), version=version, scope=scope)
            return
        length = headers.get(b"content-length")
        # The console answers its own: a page saying the file is too large (quire.console.web.read_upload).
        # Its bodies are still cut off at the limit below.
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes \
                and not scope["path"].startswith("/console/"):
            exc = PayloadTooLarge(f"Request body is larger than {self.max_body_bytes} bytes")
            await _send_json(send, exc.status_code, exc.body(), version=version, scope=scope)
            return
        token = current_version.set(version)
        version_header = (VERSION_HEADER.lower().encode(), version.encode())
        received = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
            return message

        started = False

        async def send_with_version(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), version_header]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_version)
        except Exception:
            # Answer here rather than in Starlette's outermost handler so the 500 keeps the version header.
            log.exception("unhandled error")
            if started:
                raise
            await _send_json(send, 500, INTERNAL_ERROR, version=version, scope=scope)
        finally:
            current_version.reset(token)


async def _send_json(send: Send, status: int, body: dict[str, Any], version: str | None, scope: Scope) -> None:
    # In the shape the operation declares, where it declares one (POST /plans' 400s), as the handlers do.
    payload = json.dumps(declared_errors.shaped(scope["method"], scope["path"], status, body)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if version is not None:
        headers.append((VERSION_HEADER.lower().encode(), version.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


INTERNAL_ERROR = {"error": {"type": "InternalError", "message": "An unexpected error occurred; it has been logged"}}

#: Sent with every 401 (see ``install_error_handlers``).
WWW_AUTHENTICATE = 'Basic realm="Quire"'


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QuireError)
    async def _quire_error(_request: Request, exc: QuireError) -> JSONResponse:
        # RFC 7235 §3.1: a 401 names the scheme to use, so a client (or Swagger UI) knows to send Basic.
        headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if exc.status_code == 401 else None
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if err.get("type") == "json_invalid":
                message, loc = "Request body is not valid JSON", ("body",)
            fields.append({"field": _field_path(loc), "message": message})
        first = fields[0] if fields else {"field": "body", "message": "invalid request"}
        summary = first["message"] if first["field"] == "body" else f"{first['field']}: {first['message']}"
        return error_response(400, "ValidationError", summary, fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}
        error_type = kinds.get(exc.status_code, "BadRequest" if exc.status_code < 500 else "InternalError")
        message = "No such endpoint" if exc.status_code == 404 else str(exc.detail)
        return error_response(exc.status_code, error_type, message)

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # A unique constraint the service did not foresee (e.g. an invoice number reproduced after the
        # prefix was changed): the transaction is rolled back; say so instead of failing with a 500.
        log.warning("integrity error: %s", exc.orig)
        return error_response(400, "Conflict", "The request conflicts with data already stored (a value that must be unique is taken)")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "InternalError", "An unexpected error occurred; it has been logged")

    # Last: operations that declare an error body of their own (POST /plans) answer in it (docs/errors.md).
    declared_errors.install(app)
