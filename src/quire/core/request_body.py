"""The one place a JSON request body is read: media type, strict parsing, and the contract's types.

``core.http._run`` calls ``read_json_body`` for every route that takes a JSON body, before the
``Idempotency-Key`` fingerprint and before pydantic sees the body (docs/errors.md, "Request bodies"):

1. the media type must be ``application/json`` or ``application/*+json`` (415 otherwise, and when it is
   missing: a cross-site form or a typeless ``fetch`` cannot send a body without a CORS preflight only
   with those media types, so refusing them also refuses forged writes);
2. the bytes are parsed strictly, once (RFC 8259 as a gateway would read it): UTF-8 only, no byte order
   mark, no duplicate object keys, no number a double cannot hold (``1e400``, ``1e-400``), no
   NaN/Infinity, at most ``MAX_DEPTH`` levels of nesting; the result is stored where Starlette caches
   ``request.json()`` so FastAPI does not parse the body a second time;
3. for an operation of Sequence's 2024-01-01 document, the body is walked against the shape generated
   into ``contract_requests`` (``check_shape``): each property's JSON type, and ``null`` only where the
   contract (or 2024-07-30, for the same property) allows it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from quire.core.errors import QuireError, ValidationFailed

#: Objects and arrays nested deeper than this are refused (a 10,000-deep body is a 400, never a RecursionError).
MAX_DEPTH = 64
#: At most this many type errors are listed in one answer.
MAX_ERRORS = 20

Node = tuple[str, bool, "dict[str, Node] | None", "Node | None"]


class UnsupportedMediaType(QuireError):
    status_code = 415
    error_type = "UnsupportedMediaType"


# --- media type --------------------------------------------------------------------------------------


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json`` or ``application/<anything>+json``, with no charset other than UTF-8."""
    if not content_type:
        return False
    main, _, params = content_type.partition(";")
    kind = main.strip().lower()
    if kind != "application/json" and not (kind.startswith("application/") and kind.endswith("+json")):
        return False
    if params:
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
                return False
    return True


def check_media_type(content_type: str | None) -> None:
    if not is_json_media_type(content_type):
        sent = f"'{content_type}'" if content_type else "no Content-Type"
        raise UnsupportedMediaType(
            f"This operation takes a JSON body: send Content-Type: application/json (got {sent})",
            fields=[{"field": "Content-Type", "message": "must be application/json"}],
        )


# --- strict parsing ----------------------------------------------------------------------------------


class _Refused(ValueError):
    pass


_NONZERO_MANTISSA = re.compile(r"[1-9]")


def checked_float(text: str) -> float:
    """A JSON number with a fraction or exponent, refused when a double cannot hold it."""
    value = float(text)
    if math.isinf(value):
        raise _Refused(f"the number {text[:40]} is too large (a JSON number must fit a double)")
    if value == 0.0 and _NONZERO_MANTISSA.search(text.partition("e")[0].partition("E")[0]):
        raise _Refused(f"the number {text[:40]} is too small (it would be read as 0)")
    return value


def checked_int(text: str) -> int:
    if len(text) > 309:  # a double's range: JSON integers beyond it are not numbers other parsers agree on
        raise _Refused(f"the number {text[:20]}... is too large (a JSON number must fit a double)")
    return int(text)


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not valid JSON")


class _Duplicate:
    """Stands for an object that had a repeated key (only while locating it for the error message)."""

    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Refused("duplicate key")
    return result


def _pairs_marking(pairs: list[tuple[str, Any]]) -> Any:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _Duplicate(key)
        seen.add(key)
    return dict(pairs)


def _duplicate_path(value: Any, path: str = "") -> str | None:
    if isinstance(value, _Duplicate):
        return f"{path}.{value.key}" if path else value.key
    if isinstance(value, dict):
        for key, item in value.items():
            found = _duplicate_path(item, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _duplicate_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


_DEFAULT_DECODER = json.JSONDecoder(
    parse_float=checked_float, parse_int=checked_int, parse_constant=_constant, object_pairs_hook=_pairs
)


def decoder(parse_float: Callable[[str], Any], parse_int: Callable[[str], Any]) -> json.JSONDecoder:
    """A strict decoder with other number hooks (usage events keep numbers as ``Decimal``)."""
    return json.JSONDecoder(parse_float=parse_float, parse_int=parse_int, parse_constant=_constant,
                            object_pairs_hook=_pairs)


def too_deep(document: Any) -> bool:
    """Whether objects/arrays nest deeper than ``MAX_DEPTH`` (iterative: no recursion to exhaust)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_json(raw: bytes, decoder_: json.JSONDecoder | None = None) -> Any:
    """Parse a JSON body strictly (see the module docstring); 400 naming ``body`` or the repeated key."""
    if b"\x00" in raw or raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # no NUL byte is valid UTF-8 JSON
        raise ValidationFailed("Request body must be UTF-8 JSON (RFC 8259 §8.1); UTF-16 and UTF-32 are refused",
                               field="body")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ValidationFailed("Request body must not start with a byte order mark (RFC 8259 §8.1)", field="body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("Request body is not valid UTF-8 (RFC 8259 §8.1)", field="body") from None
    try:
        document = (decoder_ or _DEFAULT_DECODER).decode(text)
    except RecursionError:
        raise ValidationFailed(f"Request body nests deeper than {MAX_DEPTH} levels", field="body") from None
    except _Refused as exc:
        if str(exc) != "duplicate key":
            raise ValidationFailed(f"Request body is not valid JSON: {exc}", field="body") from None
        where = _duplicate_path(_locate_duplicate(text)) or "body"
        raise ValidationFailed(f"{where}: the key appears more than once in its object", field=where) from None
    except json.JSONDecodeError:
        raise ValidationFailed("Request body is not valid JSON", field="body") from None
    except ValueError as exc:  # a number hook's refusal, int digit limits
        raise ValidationFailed(f"Request body is not valid JSON: {exc}", field="body") from None
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and too_deep(document):
        raise ValidationFailed(f"Request body nests deeper than {MAX_DEPTH} levels", field="body")
    return document


def _locate_duplicate(text: str) -> Any:
    try:
        return json.JSONDecoder(object_pairs_hook=_pairs_marking).decode(text)
    except (ValueError, RecursionError):  # pragma: no cover - the strict parse got past these
        return None


# --- the contract's types ----------------------------------------------------------------------------


#: The Python types ``json`` yields for each JSON type (a float with an integral value also counts as an
#: ``integer``: JSON Schema's integers are the numbers without a fraction).
_PY_TYPES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "integer": frozenset({int}),
    "number": frozenset({int, float, Decimal}),
    "boolean": frozenset({bool}),
    "object": frozenset({dict}),
    "array": frozenset({list}),
    "any": frozenset(),
}
_ARTICLE = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
            "object": "an object", "array": "an array"}


def _accepted(kind: str) -> frozenset[type]:
    types = _PY_TYPES.get(kind)
    if types is None:  # a union such as "integer|string", cached on first use
        types = _PY_TYPES[kind] = frozenset().union(*(_PY_TYPES.get(part, frozenset()) for part in kind.split("|")))
    return types


def _type_ok(kind: str, value: Any) -> bool:
    if type(value) in _accepted(kind):
        return True
    if type(value) is float and "integer" in kind.split("|"):
        return value.is_integer()
    return False


def check_shape(value: Any, node: Node, path: str = "") -> list[dict[str, str]]:
    """The ``{"field", "message"}`` of each place ``value`` breaks the contract's shape (at most ``MAX_ERRORS``).

    A walk over the body's dicts and lists, cheap for the common case: a scalar property of the right
    type costs a dict lookup and a set membership test (issue 16 counts CPU per request).
    """
    errors: list[dict[str, str]] = []
    _walk(value, node, path, errors)
    return errors


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _walk(value: Any, node: Node, path: str, errors: list[dict[str, str]]) -> None:
    kind, nullable, props, items = node
    if kind == "any" or len(errors) >= MAX_ERRORS:
        return
    if value is None:
        if not nullable:
            errors.append({"field": path or "body", "message": "must not be null"})
        return
    if not _type_ok(kind, value):
        expected = " or ".join(_ARTICLE.get(part, part) for part in kind.split("|"))
        errors.append({"field": path or "body", "message": f"must be {expected}"})
        return
    if type(value) is dict:
        if props is not None:
            for key, item in value.items():
                sub = props.get(key)
                # A scalar of an accepted type needs no further walk (the common case, kept inline).
                if sub is not None and not (sub[2] is None and sub[3] is None and type(item) in _accepted(sub[0])):
                    _walk(item, sub, _join(path, key), errors)
        elif items is not None and items[0] != "any":
            for key, item in value.items():
                _walk(item, items, _join(path, key), errors)
    elif type(value) is list and items is not None and items[0] != "any":
        scalar = items[2] is None and items[3] is None
        accepted = _accepted(items[0])
        for index, item in enumerate(value):
            if not (scalar and type(item) in accepted):
                _walk(item, items, f"{path}[{index}]", errors)


def refuse_shape_errors(errors: list[dict[str, str]]) -> None:
    if errors:
        first = errors[0]
        raise ValidationFailed(f"{first['field']}: {first['message']}", fields=errors)


# --- the request ------------------------------------------------------------------------------------


async def read_json_body(request: Request, node: Node | None, decoder_: json.JSONDecoder | None = None) -> None:
    """Check and parse the body of a JSON operation once; FastAPI then reads it from ``request._json``.

    An empty body is left to the endpoint (its "required" answer); any other body must be JSON.
    """
    raw = await request.body()
    if not raw:
        return
    check_media_type(request.headers.get("content-type"))
    document = parse_json(raw, decoder_)
    if node is not None:
        refuse_shape_errors(check_shape(document, node))
    # Starlette's cache of request.json() (starlette/requests.py), which FastAPI's body reader calls.
    request._json = document


def parsed_body(request: Request) -> Any:
    """The body ``read_json_body`` stored, for routes that take the raw request."""
    if not hasattr(request, "_json"):
        raise ValidationFailed("Request body is required", field="body")
    return request._json
