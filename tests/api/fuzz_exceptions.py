"""What Quire accepts on purpose though the 2024-01-01 document does not allow it: the fuzzer's exceptions.

``negative_data_rejection`` fails any request outside the contract that gets a 2xx. A few of those are
deliberate and documented, and each is excepted here narrowly: the case is cleaned of exactly that
deviation and re-validated against the contract; only when the cleaned request is valid (the deviation
was the only thing wrong with it) is the 2xx accepted. Everything else still fails.

1. **Unknown query parameters are ignored** (``GET /customers?foo=1``). The contract lists each
   operation's query parameters but does not forbid others (OpenAPI parameters cannot); Quire, like
   Sequence, ignores names it does not know. Schemathesis itself skips this when it is the only
   violation; here it also applies when combined with the other exceptions.
2. **An empty ``Sequence-Version`` header means "absent"** (src/quire/core/versioning.py:
   ``resolve_version``): the newest version, which is the only one. Any other value outside the enum
   is 400 ``UnrecognisedApiVersion``.
3. **``null`` on a property that the 2024-07-30 document marks nullable in the same operation's
   request body** means absent / clear (issue 12, class 4; docs/errors.md). A null anywhere else must
   still be refused.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from schemathesis import Case, GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.utils import read_from_wire

from tests.api.fuzz_links import METHODS, _resolve

REPO = Path(__file__).resolve().parents[2]
NEXT_VERSION = [REPO / "contract" / "sequence-2024-07-30.json", REPO.parent / "shared" / "sequence-api" / "2024-07-30.json"]

#: A property path in a JSON body: names, and "[]" for "any item of an array or value of a map".
PropertyPath = tuple[str, ...]


def _nullable_paths(raw: dict[str, Any], schema: Any, prefix: PropertyPath, out: set[PropertyPath], depth: int = 0) -> None:
    if depth > 12 or not isinstance(schema, dict):
        return
    resolved = _resolve(raw, schema)
    if not isinstance(resolved, dict):
        return
    if prefix and (schema.get("nullable") or resolved.get("nullable")):
        out.add(prefix)
    for branch in resolved.get("allOf", []) + resolved.get("oneOf", []) + resolved.get("anyOf", []):
        _nullable_paths(raw, branch, prefix, out, depth + 1)
    for name, sub in (resolved.get("properties") or {}).items():
        _nullable_paths(raw, sub, (*prefix, name), out, depth + 1)
    if isinstance(resolved.get("items"), dict):
        _nullable_paths(raw, resolved["items"], (*prefix, "[]"), out, depth + 1)
    if isinstance(resolved.get("additionalProperties"), dict):
        _nullable_paths(raw, resolved["additionalProperties"], (*prefix, "[]"), out, depth + 1)


@cache
def nullable_in_next_version() -> dict[tuple[str, str], frozenset[PropertyPath]]:
    """(METHOD, template) -> body property paths that 2024-07-30 marks nullable; empty without the document."""
    path = next((p for p in NEXT_VERSION if p.exists()), None)
    if path is None:
        return {}
    raw = json.loads(path.read_text())
    found: dict[tuple[str, str], frozenset[PropertyPath]] = {}
    for template, ops in raw["paths"].items():
        for method, op in ops.items():
            if method not in METHODS:
                continue
            schema = (((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get("schema")
            paths: set[PropertyPath] = set()
            _nullable_paths(raw, schema, (), paths)
            if paths:
                found[(method.upper(), template)] = frozenset(paths)
    return found


def _clear_nulls(value: Any, allowed: frozenset[PropertyPath]) -> Any:
    """The body with each allowed top-level ``null`` as an empty list: what a ``PUT`` that replaces a
    required list makes of it (``PUT /sequence-accounts/{id}``'s ``alertEmailAddresses``); the contract's
    validation then tells whether the property is a list at all."""
    if not isinstance(value, dict):
        return value
    return {k: [] if v is None and (k,) in allowed else v for k, v in value.items()}


def _strip_nulls(value: Any, allowed: frozenset[PropertyPath], prefix: PropertyPath = ()) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v, allowed, (*prefix, k)) for k, v in value.items()
                if not (v is None and (*prefix, k) in allowed)}
    if isinstance(value, list):
        return [_strip_nulls(v, allowed, (*prefix, "[]")) for v in value]
    return value


def accepted_on_purpose(case: Case) -> list[str]:
    """The exceptions above that explain why this negative case was accepted; empty: none does."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.NEGATIVE:
        return []
    validator_cls = case.operation.schema.adapter.jsonschema_validator_cls
    reasons: list[str] = []
    for location, info in meta.components.items():
        if info.mode == GenerationMode.POSITIVE:
            continue
        value = case.get_container(location)
        cleaned: Any = value
        if location == ParameterLocation.QUERY and isinstance(value, dict):
            declared = {p.name for p in case.operation.query}
            cleaned = {k: v for k, v in value.items() if k in declared}
            if cleaned != value:
                reasons.append("unknown query parameter ignored")
        elif location == ParameterLocation.HEADER and value is not None:
            declared = {p.name.lower(): p.name for p in case.operation.headers}
            cleaned = {declared[k.lower()]: v for k, v in dict(value).items() if k.lower() in declared}
            if cleaned.get("Sequence-Version") == "":
                del cleaned["Sequence-Version"]
                reasons.append("empty Sequence-Version header means absent")
        elif location == ParameterLocation.BODY:
            allowed = nullable_in_next_version().get((case.method.upper(), case.operation.path), frozenset())
            cleaned = _strip_nulls(value, allowed)
            if cleaned != value:
                reasons.append("null where 2024-07-30 allows it")
                if not case._validate_component(location, cleaned, validator_cls):
                    cleaned = _clear_nulls(value, allowed)  # a required list: null clears it
        valid = case._validate_component(location, cleaned, validator_cls)
        if not valid and location != ParameterLocation.BODY and isinstance(cleaned, dict):
            valid = case._validate_component(location, read_from_wire(case.operation, location, cleaned), validator_cls)
        if not valid:
            return []
    return reasons
