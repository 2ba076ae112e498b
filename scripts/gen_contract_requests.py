"""Regenerate src/quire/core/contract_requests.json from Sequence's two contracts (run by hand when they change).

For every operation of the 2024-01-01 document with an ``application/json`` request body, it writes the
body's shape as plain data: each property's JSON types, whether ``null`` is accepted, and the shapes of
nested objects, array items and map values. ``quire.core.request_body.check_shape`` walks a parsed body
against it at run time (no JSON Schema engine per request: issue 16 counts CPU).

Rules (docs/errors.md, "Request bodies follow the contract's types"):
- a property's types are its ``type`` (``oneOf`` branches merged: a property typed differently in two
  branches accepts either; an object's properties are the union of the branches');
- ``null`` is accepted where 2024-01-01 says ``nullable: true`` (no property does today) or where the
  2024-07-30 document marks the same property of the same operation's request body nullable;
- a map whose values are a bare ``{"type": "object"}`` (``eventProperties``, ``propertyFilters``) is
  free-form: the documents' own examples give those values as strings and numbers.

The server does not read ../shared at run time, so the table is committed to src/ as JSON data
(``quire.core.contract_requests`` loads it into tuples once, at import).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "sequence-api"
OUT = ROOT / "src/quire/core/contract_requests.json"

Node = tuple[str, bool, "dict[str, Node] | None", "Node | None"]
ANY: Node = ("any", True, None, None)


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _branches(schema: dict[str, Any], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema itself, or its ``oneOf``/``anyOf``/``allOf`` branches, resolved and flattened."""
    schema = _resolve(schema, schemas)
    parts = schema.get("oneOf") or schema.get("anyOf") or schema.get("allOf")
    if not parts:
        return [schema]
    return [leaf for part in parts for leaf in _branches(part, schemas)]


def _free_form(schema: dict[str, Any]) -> bool:
    return schema.get("type") in (None, "object") and "properties" not in schema and "additionalProperties" not in schema


def shape(schema: dict[str, Any], schemas: dict[str, Any], depth: int = 0) -> Node:
    """The merged shape of ``schema`` (2024-01-01 nullability only)."""
    if depth > 20:  # a recursive schema: stop checking below this point
        return ANY
    nodes = [_leaf(branch, schemas, depth) for branch in _branches(schema, schemas)]
    return merge(nodes)


def _leaf(schema: dict[str, Any], schemas: dict[str, Any], depth: int) -> Node:
    kind = schema.get("type")
    nullable = bool(schema.get("nullable", False))
    if kind is None and "properties" in schema:
        kind = "object"
    if kind is None:
        return ANY
    if kind == "array":
        items = shape(schema["items"], schemas, depth + 1) if "items" in schema else ANY
        return ("array", nullable, None, items)
    if kind == "object":
        if "properties" in schema:
            props = {name: shape(sub, schemas, depth + 1) for name, sub in schema["properties"].items()}
            return ("object", nullable, props, None)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not _free_form(_resolve(extra, schemas)):
            return ("object", nullable, None, shape(extra, schemas, depth + 1))
        return ("object", nullable, None, ANY)
    return (kind, nullable, None, None)


def merge(nodes: list[Node]) -> Node:
    if len(nodes) == 1:
        return nodes[0]
    if any(node[0] == "any" for node in nodes):
        return ANY
    kinds: list[str] = []
    for node in nodes:
        for kind in node[0].split("|"):
            if kind not in kinds:
                kinds.append(kind)
    nullable = any(node[1] for node in nodes)
    prop_nodes = [node[2] for node in nodes if node[2] is not None]
    props: dict[str, Node] | None = None
    if prop_nodes:
        props = {}
        for name in dict.fromkeys(name for p in prop_nodes for name in p):
            props[name] = merge([p[name] for p in prop_nodes if name in p])
    object_maps = [node for node in nodes if node[0] == "object" and node[2] is None]
    if object_maps and props is not None:  # an open map and a closed object: accept any keys
        props = None
    item_nodes = [node[3] for node in nodes if node[3] is not None]
    items = merge(item_nodes) if item_nodes else None
    return ("|".join(sorted(kinds)), nullable, props, items)


def nullable_paths(schema: dict[str, Any], schemas: dict[str, Any], path: str = "", depth: int = 0) -> set[str]:
    """Paths (``a.b``, ``a[].b``, ``a{}.b`` for map values) that the document marks nullable."""
    found: set[str] = set()
    if depth > 20:
        return found
    for branch in _branches(schema, schemas):
        if branch.get("nullable"):
            found.add(path)
        for name, sub in branch.get("properties", {}).items():
            found |= nullable_paths(sub, schemas, f"{path}.{name}" if path else name, depth + 1)
        if "items" in branch:
            found |= nullable_paths(branch["items"], schemas, f"{path}[]", depth + 1)
        extra = branch.get("additionalProperties")
        if isinstance(extra, dict):
            found |= nullable_paths(extra, schemas, f"{path}{{}}", depth + 1)
    return found


def with_nullable(node: Node, paths: set[str], path: str = "") -> Node:
    kind, nullable, props, items = node
    nullable = nullable or path in paths
    if props is not None:
        props = {name: with_nullable(sub, paths, f"{path}.{name}" if path else name) for name, sub in props.items()}
    if items is not None:
        items = with_nullable(items, paths, f"{path}[]" if kind.startswith("array") or "array" in kind.split("|") else f"{path}{{}}")
    return (kind, nullable, props, items)


def _json_body(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    media = content.get("application/json")
    return media.get("schema") if media else None


def build() -> tuple[dict[tuple[str, str], Node], dict[tuple[str, str], list[str]]]:
    old = json.loads((SHARED / "2024-01-01.json").read_text())
    new = json.loads((SHARED / "2024-07-30.json").read_text())
    table: dict[tuple[str, str], Node] = {}
    relaxed: dict[tuple[str, str], list[str]] = {}
    for path, operations in sorted(old["paths"].items()):
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            schema = _json_body(operation)
            if schema is None:
                continue
            node = shape(schema, old["components"]["schemas"])
            later = new["paths"].get(path, {}).get(method)
            later_schema = _json_body(later) if isinstance(later, dict) else None
            paths = nullable_paths(later_schema, new["components"]["schemas"]) if later_schema else set()
            key = (method.upper(), path)
            table[key] = with_nullable(node, paths)
            nullable_now = _nullable_in(table[key])
            if nullable_now:
                relaxed[key] = nullable_now
    return table, relaxed


def _nullable_in(node: Node, path: str = "") -> list[str]:
    kind, nullable, props, items = node
    out = [path] if nullable and path and kind != "any" else []
    for name, sub in (props or {}).items():
        out += _nullable_in(sub, f"{path}.{name}" if path else name)
    if items is not None:
        out += _nullable_in(items, f"{path}[]")
    return out


def _dump(node: Node, indent: str = " ") -> str:
    """A node as JSON, on one line when it fits in 110 characters, else one property a line."""
    flat = json.dumps(node)
    kind, nullable, props, items = node
    if len(indent) + len(flat) <= 110 or (props is None and items is None):
        return flat
    inner = indent + " "
    body = "null" if props is None else (
        "{\n" + ",\n".join(f"{inner}{json.dumps(name)}: {_dump(sub, inner)}" for name, sub in props.items())
        + "\n" + indent + "}")
    tail = "null" if items is None else _dump(items, indent)
    return f"[{json.dumps(kind)}, {json.dumps(nullable)}, {body}, {tail}]"


def main() -> None:
    table, relaxed = build()
    requests = ",\n".join(f" {json.dumps(f'{method} {path}')}: {_dump(node)}" for (method, path), node in table.items())
    nullable = ",\n".join(f" {json.dumps(f'{method} {path}')}: {json.dumps(names)}"
                           for (method, path), names in relaxed.items())
    text = '{"requests": {\n' + requests + '\n},\n"nullable": {\n' + nullable + "\n}}\n"
    json.loads(text)  # well-formed
    OUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
