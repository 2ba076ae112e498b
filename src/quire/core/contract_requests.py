"""Request-body shapes of Sequence's 2024-01-01 operations, loaded once from ``contract_requests.json``
(written by scripts/gen_contract_requests.py: do not edit it by hand).

``REQUESTS[(method, path template)]`` is the JSON body's shape: a node is
``(types, nullable, properties, items)``: ``types`` the JSON types joined by ``|`` (``any``: not
checked), ``nullable`` whether ``null`` is accepted (2024-01-01's ``nullable``, or the same property's
in 2024-07-30), ``properties`` an object's properties (None: any keys) and ``items`` an array's items
or a map's values. ``NULLABLE`` lists, per operation, the properties that accept ``null`` (docs/errors.md).
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any


def _node(data: list[Any], seen: dict[Any, Any]) -> Any:
    """A JSON node as the tuple ``request_body.check_shape`` walks; equal nodes share one tuple."""
    kind, nullable, props, items = data
    node = (kind, nullable,
            None if props is None else {name: _node(sub, seen) for name, sub in props.items()},
            None if items is None else _node(items, seen))
    key = repr(node)
    return seen.setdefault(key, node)


def _key(operation: str) -> tuple[str, str]:
    method, _, path = operation.partition(" ")
    return method, path


_DATA = json.loads(files(__package__).joinpath("contract_requests.json").read_text(encoding="utf-8"))
_SEEN: dict[Any, Any] = {}
REQUESTS: dict[tuple[str, str], Any] = {_key(op): _node(node, _SEEN) for op, node in _DATA["requests"].items()}
NULLABLE: dict[tuple[str, str], list[str]] = {_key(op): names for op, names in _DATA["nullable"].items()}
del _DATA, _SEEN
