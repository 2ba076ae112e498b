"""Exact JSON for usage data: numbers are read as ``Decimal``/``int`` and written back digit for digit.

Event properties are the quantities usage is billed on, so they never pass through ``float``: a
request body is parsed here (not by FastAPI, whose parser yields floats), stored as JSON text
(JSONB on PostgreSQL, which keeps numerics exact), and written back into responses as the stored
text. Numbers are bounded so that every stored number has a short plain-decimal spelling that both
databases can aggregate (docs/usage.md#numbers).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # C-accelerated; what json.dumps(s, ensure_ascii=False) writes
from decimal import Decimal, InvalidOperation
from typing import Any

from quire.core import request_body

#: Significant digits and decimal exponent range accepted for a JSON number in usage data.
MAX_DIGITS = 40
MAX_EXPONENT = 40


class JsonTextError(ValueError):
    """The text is not JSON Quire accepts (syntax, NaN/Infinity, a number out of range)."""


class RawJson(str):
    """JSON text that ``dumps`` embeds as it is (already validated, e.g. read from the database)."""


def _number(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise JsonTextError(f"{text[:40]!r} is not a number") from None
    check_number(value)
    return value


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise JsonTextError(f"the number {text[:20]}... has more than {MAX_DIGITS} digits")
    return int(text)


def _constant(name: str) -> Any:
    raise JsonTextError(f"{name} is not valid JSON")


def check_number(value: Decimal) -> None:
    """Refuse numbers that are not finite or too long to aggregate exactly on both databases."""
    if not value.is_finite():
        raise JsonTextError("numbers must be finite")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if value.is_zero():
        if exponent < -MAX_EXPONENT:
            raise JsonTextError(f"the number 0 has more than {MAX_EXPONENT} decimal places")
        return
    digits = len(value.as_tuple().digits)
    if digits > MAX_DIGITS or abs(value.adjusted()) > MAX_EXPONENT or exponent < -MAX_EXPONENT:
        raise JsonTextError(
            f"the number {value} is out of range (at most {MAX_DIGITS} significant digits, magnitude 1e±{MAX_EXPONENT})"
        )


#: Built once: ``json.loads`` with hooks builds a decoder per call (a measurable part of an event request).
#: The request parser's strict decoder (duplicate keys and NaN refused) with exact numbers; the route
#: ``POST /usage-events`` has its body parsed with it by ``core.request_body`` (``core.http.json_numbers``).
DECODER = request_body.decoder(_number, _integer)


def loads(text: str | bytes) -> Any:
    """Parse JSON as ``core.request_body`` does (UTF-8 only, no BOM, no duplicate keys, bounded nesting);
    floats become ``Decimal``; NaN, Infinity and out-of-range numbers are refused."""
    try:
        if not isinstance(text, str):
            text = text.decode("utf-8")  # RFC 8259 §8.1: UTF-8 only
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected byte order mark", text, 0)
        document = DECODER.decode(text)
    except JsonTextError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, duplicate keys, int digit limits, deep nesting
        raise JsonTextError(f"Request body is not valid JSON: {exc}") from None
    if text.count("{") + text.count("[") > request_body.MAX_DEPTH and request_body.too_deep(document):
        raise JsonTextError(f"Request body nests deeper than {request_body.MAX_DEPTH} levels")
    return document


def _check_text(value: str) -> None:
    """Text both databases can store: no U+0000 (PostgreSQL JSONB refuses it), no lone surrogate."""
    if "\x00" in value:
        raise JsonTextError("text must not contain the NUL character (U+0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonTextError("text must not contain unpaired UTF-16 surrogates") from None


def number_text(value: Decimal | int) -> str:
    """A number in plain notation (never an exponent): ``1E+3`` -> ``1000``, ``-0.50`` -> ``-0.50``."""
    if isinstance(value, int):
        return str(value)
    return format(value, "f")


def dumps(value: Any) -> str:
    """Compact JSON with ``Decimal`` written exactly, and ``RawJson`` spliced in unchanged."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, RawJson):
        out.append(str(value))
    elif isinstance(value, str):
        _check_text(value)
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        check_number(value)
        out.append(number_text(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {type(key).__name__}")
            if i:
                out.append(",")
            _check_text(key)
            out.append(encode_basestring(key))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON (floats are not allowed in usage data)")
