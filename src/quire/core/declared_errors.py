"""Error bodies in the shape the operation declares, where Sequence's contract declares one.

Quire's errors have one shape, ``{"error": {"type", "message", "fields"?}}`` (docs/errors.md). A few
operations of the 2024-01-01 contract declare an error body of their own instead: ``POST /plans`` answers
400 with ``DatabaseErrors1``, ``{"errors": [{"key": "<field or empty>", "error": "<message>"}]}``, and the
notification-policy operations with ``DatabaseErrors``. A client generated from the
contract reads ``errors`` there, so those answers carry it.

The table of which operation declares what is generated from the contract (``contract_errors.py``, by
scripts/gen_contract_errors.py); this module knows how to build each declared shape from Quire's body, and
``install`` wraps the app's exception handlers so every error of such an operation, whatever raised it
(schema validation, a service's ``QuireError``, a unique-constraint conflict), is reshaped in one place.

Decision (docs/errors.md#declared-error-bodies): the declared keys are **added beside** ``error``, not
swapped for it. The declared schemas allow extra properties, so the body validates as declared, and a
client of Quire's documented shape (``error.type``) keeps working on every operation.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from quire.core.contract_errors import DECLARED_ERROR_BODIES

Body = dict[str, Any]


def _key(field: Any) -> str:
    """A ``DatabaseError.key``: the field's wire path; empty for errors about the whole body (``body``, or
    the parser's character position of invalid JSON, ``[12]``)."""
    if not isinstance(field, str) or field == "body" or field.startswith("["):
        return ""
    return field


def database_errors(body: Body) -> Body:
    """``DatabaseErrors`` / ``DatabaseErrors1``: one ``{key, error}`` per failing field, else one entry with
    an empty key and the message (as the contract's example: ``{"key": "", "error": "Invalid provided …"}``)."""
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    fields = [f for f in error.get("fields") or [] if isinstance(f, dict)]
    items = [{"key": _key(f.get("field")), "error": str(f.get("message", ""))} for f in fields]
    if not items:
        items = [{"key": "", "error": str(error.get("message", ""))}]
    return {"errors": items, **body}


#: Declared schema name → builder from Quire's body. Every name in the generated table must have one
#: (tests/unit/test_declared_errors.py).
SHAPES: dict[str, Callable[[Body], Body]] = {
    "DatabaseErrors": database_errors,
    "DatabaseErrors1": database_errors,
}


class DatabaseError(BaseModel):
    key: str
    error: str


class DatabaseErrors1(BaseModel):
    """The served OpenAPI document's name for ``POST /plans``' 400 body, as in the contract (plus ``error``)."""

    errors: list[DatabaseError]
    error: dict[str, Any]


class DatabaseErrors(DatabaseErrors1):
    """The served OpenAPI document's name for the notification policies' 400 body, as in the contract."""


def database_errors_400() -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route whose operation declares DatabaseErrors for its 400."""
    return {400: {"model": DatabaseErrors, "description": "Bad Request"}}


#: ``responses=`` of a route whose operation declares DatabaseErrors1 for its 400.
DATABASE_ERRORS1_400: dict[int | str, dict[str, Any]] = {400: {"model": DatabaseErrors1, "description": "Bad Request"}}


def _last_any(pattern: str) -> str:
    return pattern[: -len("[^/]+")] + ".+" if pattern.endswith("/[^/]+") else pattern


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str], dict[int, str]], ...]:
    return tuple(
        # A last parameter may hold slashes (a recipient URL, sent percent-encoded, arrives decoded).
        (method, re.compile("^" + _last_any(re.escape(path).replace(r"\{\}", "[^/]+")) + "$"), statuses)
        for (method, path), statuses in DECLARED_ERROR_BODIES.items()
    )


def declared_shape(method: str, path: str, status: int) -> str | None:
    """The schema name the operation (``POST``, ``/plans``) declares for ``status``, or None."""
    for declared_method, pattern, statuses in _patterns():
        if declared_method == method and status in statuses and pattern.match(path):
            return statuses[status]
    return None


def shaped(method: str, path: str, status: int, body: Body) -> Body:
    """``body`` as the operation at ``method path`` declares its ``status`` error body (or unchanged): for
    answers written before routing (version negotiation, size limit), which no exception handler sees."""
    name = declared_shape(method, path, status)
    return SHAPES[name](body) if name is not None else body


def reshape(request: Request, response: Response) -> Response:
    """``response`` as the operation declares its error body, or unchanged when it declares none."""
    name = declared_shape(request.method, request.url.path, response.status_code)
    if name is None or not isinstance(response, JSONResponse):
        return response
    try:
        body = json.loads(bytes(response.body))
    except ValueError:
        return response
    if not isinstance(body, dict):
        return response
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return JSONResponse(SHAPES[name](body), status_code=response.status_code, headers=headers)


def install(app: Any) -> None:
    """Wrap each exception handler of ``app`` with ``reshape`` (call after registering them)."""
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _wrap(handler)


def _wrap(handler: Callable[..., Any]) -> Callable[..., Any]:
    async def reshaping(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        if inspect.isawaitable(response):
            response = await response
        return reshape(request, response)

    return reshaping
