"""Domain errors that carry their HTTP status and a stable error type.

One handler (``quire.core.http``) renders every one of them as Sequence's error body:
``{"error": {"type": "ValidationError", "message": "..."}}``. See docs/errors.md.
"""

from __future__ import annotations

from typing import Any


class QuireError(Exception):
    status_code: int = 400
    error_type: str = "BadRequest"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"type": self.error_type, "message": self.message, **self.extra}}


class ValidationFailed(QuireError):
    status_code = 400
    error_type = "ValidationError"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        if field is not None:
            extra.setdefault("fields", [{"field": field, "message": message}])
        super().__init__(message, **extra)


class NotFound(QuireError):
    """The object named by the URL path is unknown or another account's. An id read from the body or the
    query is not this: ``core.references`` turns the loader's NotFound into a 400 naming the field."""

    status_code = 404
    error_type = "NotFound"

    @classmethod
    def of(cls, kind: str, ident: str) -> NotFound:
        return cls(f"{kind} {ident!r} was not found", resource=kind)


class Unauthorized(QuireError):
    status_code = 401
    error_type = "Unauthorized"


class InvalidStateTransition(QuireError):
    """A request that the object's current state does not allow (400: 2024-01-01 declares no 409)."""

    status_code = 400
    error_type = "InvalidStateTransition"


class IdempotencyKeyReused(QuireError):
    status_code = 409
    error_type = "IdempotencyKeyReused"


class UnrecognisedApiVersion(QuireError):
    status_code = 400
    error_type = "UnrecognisedApiVersion"


class PayloadTooLarge(QuireError):
    status_code = 413
    error_type = "PayloadTooLarge"
