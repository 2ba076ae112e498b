"""Pure helpers for usage input: timestamps, periods, property names and filter values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from quire.core.errors import ValidationFailed
from quire.usage.jsontext import number_text

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
#: Property names are used inside SQLite JSON paths ``$."name"``, which have no escape for ``"``.
_BAD_PROPERTY_CHARS = re.compile(r'["\\\x00-\x1f]')


def parse_timestamp(value: object) -> datetime:
    """An ISO-8601 timestamp or date as aware UTC.

    ``2023-09-20`` is midnight UTC; ``2023-09-20T15:13:11+03:00`` is converted to UTC; a timestamp
    without a zone is refused, as everywhere in Quire (``core.schemas.AwareDateTime``): it would be
    billed in whichever period the guess put it.
    """
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 timestamp string")
    text = value.strip()
    try:
        if _DATE.match(text):
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        if not _DATETIME.match(text):
            raise ValueError
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value[:64]!r} is not an ISO-8601 timestamp such as 2024-01-31T12:00:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value[:64]!r} has no zone: end it with Z or an offset such as +01:00")
    try:
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{value[:64]!r} is out of range once converted to UTC") from None


def timestamp_field(value: str, field: str) -> datetime:
    """``parse_timestamp`` of a request's ``field``: 400 naming it."""
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise ValidationFailed(f"{field}: {exc}", field=field) from None


def filter_instant(value: str | None, field: str, *, after: bool) -> datetime | None:
    """A timestamp filter; a bare date means the whole day ("after 2024-01-31" starts on 1 February)."""
    if value is None:
        return None
    instant = timestamp_field(value, field)
    if after and len(value.strip()) == 10:
        instant += timedelta(days=1) - timedelta(microseconds=1)
    return instant


def period_bounds(start: date, end_inclusive: date) -> tuple[datetime, datetime]:
    """The half-open UTC interval [start 00:00, end+1 00:00) of an inclusive date period."""
    lower = datetime.combine(start, time(), tzinfo=UTC)
    try:
        upper = datetime.combine(end_inclusive, time(), tzinfo=UTC) + timedelta(days=1)
    except OverflowError:
        upper = datetime.max.replace(tzinfo=UTC)
    return lower, upper


def check_property_name(name: str) -> str:
    if not name or len(name) > 255:
        raise ValueError("property names must have 1 to 255 characters")
    if _BAD_PROPERTY_CHARS.search(name):
        raise ValueError(f"property name {name[:40]!r} must not contain double quotes, backslashes or control characters")
    return name


def text_problem(value: Any) -> str | None:
    """Why a string (or any string inside a JSON value) cannot be stored, if it cannot.

    Neither database stores U+0000, and lone UTF-16 surrogates (``"\\ud800"`` in JSON) are not
    encodable as UTF-8: both would fail at INSERT, so they are refused as input instead.
    """
    if isinstance(value, str):
        if "\x00" in value:
            return "text must not contain the NUL character (U+0000)"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text must not contain unpaired UTF-16 surrogates"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key) or text_problem(item)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = text_problem(item)
            if problem:
                return problem
    return None


def scalar_text(value: object) -> str:
    """The text a property value is compared as: strings as they are, numbers in plain notation,
    booleans as ``true``/``false`` (the same text the SQL side extracts from stored JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return number_text(value)
    raise TypeError(f"{type(value).__name__} is not a scalar")
