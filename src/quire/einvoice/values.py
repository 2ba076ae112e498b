"""Reading the API's JSON values and writing them as XML text. Pure; money stays ``Decimal``."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

# Characters XML 1.0 cannot carry at all (C0 controls except tab/newline/CR, surrogates, U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def text(value: Any) -> str | None:
    """Trimmed text that XML can carry, or None when absent or blank (Peppol forbids empty elements)."""
    if value is None or isinstance(value, bool):
        return None
    cleaned = _NOT_XML.sub("", value if isinstance(value, str) else str(value)).strip()
    return cleaned or None


def decimal(value: Any) -> Decimal | None:
    """A decimal from the API's decimal strings (or an integer); None for anything else, floats included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return None
    return None


def date(value: Any) -> dt.date | None:
    """``2024-01-31`` or an ISO timestamp (its calendar date, as the PDF prints it); None otherwise."""
    raw = text(value)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw) if len(raw) == 10 else dt.datetime.fromisoformat(raw).date()
    except ValueError:
        return None


def plain(value: Decimal) -> str:
    """Canonical plain notation without exponent or trailing zeros: ``20``, ``5.5``, ``-3``, ``0``."""
    normal = value.normalize()
    if normal == 0:
        return "0"
    return format(normal, "f")


def percent(fraction: Decimal) -> Decimal:
    """A Quire tax rate (``0.2``) as EN 16931's percentage (``20``)."""
    return (fraction * 100).normalize()
