"""Domain errors that carry their HTTP status and a stable error type.

One handler (``quire.core.http``) renders every one of them as Sequence's error body:
``{"error": {"type": "ValidationError", "message": "..."}}``. See docs/errors.md.
"""

from __future__ import annotations

from typing import Any


class QuireError(Exception):
    """``class PriceInUse(QuireError, status=400)`` is a 400 whose type is its class name, ``PriceInUse``
    (a subclass may instead set ``status_code`` and ``error_type`` itself)."""

    status_code: int = 400
    error_type: str = "BadRequest"

    def __init_subclass__(cls, status: int | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status_code = status
            cls.error_type = cls.__name__

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


class Unauthorized(QuireError, status=401):
    """No valid API credential."""


class InvalidStateTransition(QuireError, status=400):
    """A request that the object's current state does not allow (400: 2024-01-01 declares no 409)."""


class IdempotencyKeyReused(QuireError, status=409):
    """The ``Idempotency-Key`` was already used with another request."""


class UnrecognisedApiVersion(QuireError, status=400):
    """A ``Sequence-Version`` that names no version."""


class PayloadTooLarge(QuireError, status=413):
    """A body over the size limit."""
