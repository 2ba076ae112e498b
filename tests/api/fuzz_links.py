"""The fuzzer's view of the contract: which operations Quire implements, and OpenAPI links between them.

Sequence's 2024-01-01 document declares no links, so schemathesis' stateful phase would have nothing to
chain. ``with_links`` adds them programmatically, from the document's own structure:

* a producer is an implemented POST whose 2xx body carries the new object's id (``/id``, or one level
  down as in ``{"customer": {"id": …}}``);
* it links to every implemented operation under its own collection path with one more parameter
  (``POST /invoices`` → ``GET /invoices/{id}``, ``POST /invoices/{id}/finalize``…, and
  ``POST /invoices/{invoice}/line-items`` → ``PUT …/line-items/{id}`` with ``invoice`` carried over);
* it links to every implemented operation whose request body or query names the object by a property
  (``customerId``, ``invoiceId``, ``productId``, ``priceIds``…; ``BODY_REFERENCES`` below);
* ``GET /customers/by-alias/{alias}`` follows ``POST /customer-aliases`` by the alias' ``value``.

"Implemented" is decided by the app's routes (``quire.app.create_app().routes``), so an operation is fuzzed
the day its route is added.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

from starlette.routing import BaseRoute

METHODS = ("get", "put", "post", "delete", "patch")

#: Request-body (or query) property -> first path segment of the collection that produces its object.
BODY_REFERENCES: dict[str, str] = {
    "customerId": "customers", "eligibleCustomerIds": "customers", "invoiceId": "invoices",
    "creditNoteId": "credit-notes", "productId": "products", "priceId": "prices", "priceIds": "prices",
    "listPriceId": "list-prices", "usageMetricId": "usage-metrics", "seatTypeId": "seat-types",
    "taxRateId": "tax-rates", "parentId": "plans", "planId": "plans",
    "billingScheduleId": "billing-schedules",
    "metricId": "usage-metrics",
}


def shape(path: str) -> str:
    return re.sub(r"\{[^/}]+\}", "{}", path)


def _flatten(routes: list[BaseRoute]) -> list[BaseRoute]:
    out: list[BaseRoute] = []
    for route in routes:
        nested = getattr(route, "routes", None)
        out.extend(_flatten(list(nested)) if nested is not None and not hasattr(route, "methods") else [route])
    return out


@cache
def served_routes() -> frozenset[tuple[str, str]]:
    """(method, path shape) of every route the app serves."""
    from quire.app import create_app
    from quire.config import Settings

    app = create_app(Settings(database_url="sqlite:///:memory:"))
    served = set()
    for route in _flatten(list(app.routes)):
        for method in getattr(route, "methods", None) or ():
            served.add((method.lower(), shape(getattr(route, "path", ""))))
    return frozenset(served)


def split_operations(raw: dict[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """(implemented [(METHOD, template)], not implemented [(METHOD, template, tag)]) of the contract."""
    served = served_routes()
    implemented, missing = [], []
    for path, ops in raw["paths"].items():
        for method, op in ops.items():
            if method not in METHODS:
                continue
            if (method, shape(path)) in served:
                implemented.append((method.upper(), path))
            else:
                missing.append((method.upper(), path, (op.get("tags") or ["?"])[0]))
    return implemented, missing


def _resolve(raw: dict[str, Any], schema: Any) -> Any:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        schema = raw["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        seen += 1
    return schema


def _json_schema(raw: dict[str, Any], holder: dict[str, Any] | None) -> Any:
    return _resolve(raw, (((holder or {}).get("content") or {}).get("application/json") or {}).get("schema"))


def id_pointer(raw: dict[str, Any], op: dict[str, Any]) -> str | None:
    """JSON pointer of the new object's id in the operation's 2xx body."""
    for status in ("201", "200"):
        schema = _json_schema(raw, op["responses"].get(status))
        props = (schema or {}).get("properties") or {}
        if "id" in props:
            return "/id"
        for name, sub in props.items():
            if "id" in ((_resolve(raw, sub) or {}).get("properties") or {}):
                return f"/{name}/id"
    return None


def _params(path: str) -> list[str]:
    return re.findall(r"\{([^/}]+)\}", path)


def body_properties(raw: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    schema = _json_schema(raw, op.get("requestBody"))
    return dict((schema or {}).get("properties") or {})


def with_links(raw: dict[str, Any], implemented: list[tuple[str, str]]) -> tuple[dict[str, Any], int]:
    """A copy of the contract with OpenAPI links between implemented operations; and how many were added."""
    doc = copy.deepcopy(raw)
    chosen = {(m.lower(), p) for m, p in implemented}
    added = 0
    for src_path, ops in doc["paths"].items():
        src = ops.get("post")
        if src is None or ("post", src_path) not in chosen:
            continue
        pointer = id_pointer(doc, src)
        status = "201" if "201" in src["responses"] else "200"
        if pointer is None:
            continue
        links: dict[str, Any] = {}
        collection = src_path.rstrip("/")
        src_params = _params(src_path)
        segment = collection.strip("/").split("/")[-1] if not src_params else None
        for dst_path, dst_ops in doc["paths"].items():
            for method, dst in dst_ops.items():
                if method not in METHODS or (method, dst_path) not in chosen:
                    continue
                link: dict[str, Any] = {"operationId": dst["operationId"]}
                dst_params = _params(dst_path)
                # 1. one level below the producer's own collection
                if shape(dst_path).startswith(shape(collection) + "/{}") and len(dst_params) == len(src_params) + 1:
                    parameters = {f"path.{d}": f"$request.path.{s}" for s, d in zip(src_params, dst_params)}
                    parameters[f"path.{dst_params[-1]}"] = f"$response.body#{pointer}"
                    link["parameters"] = parameters
                # 2. references by property in the target's body or query
                elif segment is not None:
                    body = {name: (f"$response.body#{pointer}" if not name.endswith("Ids") else [f"$response.body#{pointer}"])
                            for name in body_properties(doc, dst) if BODY_REFERENCES.get(name) == segment}
                    query = {f"query.{p['name']}": f"$response.body#{pointer}" for p in dst.get("parameters", [])
                             if p.get("in") == "query" and BODY_REFERENCES.get(p["name"]) == segment}
                    if dst_params and not body and not query:
                        continue
                    if body:
                        link["requestBody"] = body
                    if query:
                        link["parameters"] = query
                    if not body and not query:
                        continue
                    # a body reference keeps the target's path parameters as generated (filled by the hooks)
                else:
                    continue
                links[dst["operationId"]] = link
        if src_path == "/customer-aliases":
            target = doc["paths"].get("/customers/by-alias/{alias}", {}).get("get")
            if target is not None and ("get", "/customers/by-alias/{alias}") in chosen:
                links[target["operationId"]] = {"operationId": target["operationId"],
                                                            "parameters": {"path.alias": "$response.body#/value"}}
        if src_path == "/credits":  # a grant's customer, not the grant, is what these two name
            for target_path in ("/credits/{customerId}/grants", "/credits/{customerId}/balances"):
                target = doc["paths"].get(target_path, {}).get("get")
                if target is not None and ("get", target_path) in chosen:
                    links[target["operationId"]] = {"operationId": target["operationId"],
                                                    "parameters": {"path.customerId": "$response.body#/customerId"}}
        if links:
            response = src["responses"][status]
            response["links"] = {**response.get("links", {}), **links}
            added += len(links)
    return doc, added
