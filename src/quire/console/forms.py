"""Form fields → the API's request models, and their errors → the API's messages (the same wording: the
console validates with the very models and services the API does)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from quire.core.errors import QuireError
from quire.core.http import _field_path

M = TypeVar("M", bound=BaseModel)


class FormErrors(Exception):
    """What the API would answer 400 with: a summary and ``{field: message}``."""

    def __init__(self, summary: str, fields: dict[str, str]) -> None:
        super().__init__(summary)
        self.summary, self.fields = summary, fields


def validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors():
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            fields.setdefault(_field_path(tuple(err.get("loc", ()))), message)
        field, message = next(iter(fields.items()))
        raise FormErrors(message if field == "body" else f"{field}: {message}", fields) from None
    except QuireError as exc:  # a model validator's own ValidationFailed
        raise from_error(exc) from None


def from_error(exc: QuireError) -> FormErrors:
    fields = {f.get("field", ""): f.get("message", "") for f in exc.extra.get("fields", []) if isinstance(f, dict)}
    return FormErrors(exc.message, fields)


def text(form: dict[str, str], name: str) -> str | None:
    """A text field: None when left blank (the API's "omitted")."""
    value = form.get(name, "").strip()
    return value or None


def many(form: dict[str, str], name: str) -> list[str]:
    """A list typed one per line or separated by commas."""
    raw = form.get(name, "").replace(",", "\n")
    return [v.strip() for v in raw.splitlines() if v.strip()]
