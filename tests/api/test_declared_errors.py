"""Error bodies an operation declares for itself (issue 12, class 3): ``POST /plans`` answers its 400s as
``DatabaseErrors1`` (``{"errors": [{"key", "error"}]}``), with Quire's ``error`` kept beside it.

The table of declared shapes is generated from the contract (scripts/gen_contract_errors.py); the first
tests hold it current and complete, the others drive every kind of 400 of ``POST /plans`` over HTTP and
validate each body against the contract's own schema (not only through the client's hook).
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from quire.core.contract_errors import DECLARED_ERROR_BODIES
from quire.core.declared_errors import SHAPES, declared_shape
from tests.api.catalogue_helpers import new_price, plan_body
from tests.api.invoice_helpers import new_customer
from tests.contract import get_contract
from tests.support import ApiClient

ROOT = Path(__file__).resolve().parents[2]
UNKNOWN = "5b035fb4-2a0f-4bbf-b61e-af6101af2d5d"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_contract_errors", ROOT / "scripts" / "gen_contract_errors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_table_is_current() -> None:
    gen = _generator()
    expected = gen.render(gen.declared(json.loads(gen.CONTRACT.read_text())))
    assert (ROOT / "src/quire/core/contract_errors.py").read_text() == expected, \
        "run scripts/gen_contract_errors.py: the contract's declared error bodies changed"
    assert DECLARED_ERROR_BODIES[("POST", "/plans")] == {400: "DatabaseErrors1"}


def test_every_declared_shape_has_a_builder() -> None:
    names = {name for statuses in DECLARED_ERROR_BODIES.values() for name in statuses.values()}
    assert names <= set(SHAPES), f"declared error schemas Quire cannot build: {sorted(names - set(SHAPES))}"
    assert declared_shape("POST", "/plans", 400) == "DatabaseErrors1"
    assert declared_shape("POST", "/plans", 401) is None
    assert declared_shape("PUT", "/plans/abc", 400) is None
    assert declared_shape("POST", "/notifications/policies/p1/recipients", 400) == "DatabaseErrors"


@cache
def _database_errors1() -> Any:
    schema = get_contract().operation("post", "/plans")["responses"]["400"]["content"]["application/json"]["schema"]
    return get_contract().schema_validator(schema)


def declared_400(response: Any, *keys: str) -> dict[str, Any]:
    """A 400 in the declared shape, every ``key`` among its entries, and Quire's ``error`` beside it."""
    assert response.status_code == 400, response.text
    body = response.json()
    problems = [e.message for e in _database_errors1().iter_errors(body)]
    assert not problems, (problems, body)
    assert body["errors"], body
    assert all(isinstance(e["error"], str) and e["error"] for e in body["errors"]), body
    found = [e["key"] for e in body["errors"]]
    for key in keys:
        assert key in found, (key, body)
    assert body["error"]["type"] in ("ValidationError", "BadRequest", "Conflict", "UnrecognisedApiVersion"), body
    return body


def test_every_400_of_post_plans_has_the_declared_body(client: ApiClient, other_client: ApiClient) -> None:
    price = new_price(client)
    post = lambda **kw: client.post("/plans", **kw)  # noqa: E731
    # Not JSON at all, and JSON that is not an object: about the whole body, so the key is empty.
    body = declared_400(post(content=b'{"name": ', headers={"content-type": "application/json"}), "")
    assert body["errors"][0]["key"] == ""
    declared_400(post(json=[1, 2]))
    declared_400(post(content=b"", headers={"content-type": "application/json"}))
    # Schema validation: each missing or wrong field is one entry keyed by its wire name.
    missing = {k: v for k, v in plan_body([price["id"]]).items() if k not in ("name", "currency")}
    body = declared_400(post(json=missing), "name", "currency")
    assert len(body["errors"]) == len(body["error"]["fields"]) >= 2
    declared_400(post(json=plan_body([price["id"]], type="PRIVATE")), "type")
    declared_400(post(json=plan_body([price["id"]], minimum="1.234")), "minimum")
    declared_400(post(json=plan_body([price["id"]], eligibleCustomerIds=[7])), "eligibleCustomerIds[0]")
    # References (the contract's own example is an unknown id): unknown, deleted or another account's.
    body = declared_400(post(json=plan_body([price["id"], UNKNOWN])), "priceIds[1]")
    assert UNKNOWN in body["errors"][0]["error"]
    declared_400(post(json=plan_body([new_price(other_client)["id"]])), "priceIds[0]")
    declared_400(post(json=plan_body([price["id"]], eligibleCustomerIds=[new_customer(other_client)["id"]])),
                 "eligibleCustomerIds[0]")
    declared_400(post(json=plan_body([price["id"]], parentId=UNKNOWN)), "parentId")
    # Business rules on valid input.
    declared_400(post(json=plan_body([price["id"], price["id"]])), "priceIds")
    declared_400(post(json=plan_body([price["id"]], currency="USD")), "priceIds[0]")
    # The envelope's own checks run before the endpoint: a malformed Idempotency-Key.
    declared_400(post(json=plan_body([price["id"]]), headers={"Idempotency-Key": "x" * 1000}))
    # Answers written before routing (the version negotiation, the NUL in a query) are shaped too.
    declared_400(post(json=plan_body([price["id"]]), headers={"Sequence-Version": "1999-01-01"}))
    declared_400(post(json=plan_body([price["id"]]), params={"x": "a\x00b"}))
    assert client.get("/plans").json()["items"] == [], "no refused POST wrote a plan"


@pytest.mark.parametrize("method, path", [("PUT", "/plans/{id}"), ("POST", "/prices")])
def test_operations_without_a_declared_body_keep_quires_shape(client: ApiClient, method: str, path: str) -> None:
    price = new_price(client)
    plan = client.post("/plans", json=plan_body([price["id"]])).json()
    response = client.request(method, path.format(id=plan["id"]), json={"name": 7})
    assert response.status_code == 400
    body = response.json()
    assert "errors" not in body and body["error"]["type"] == "ValidationError", body


def test_the_served_document_declares_the_same_body() -> None:
    """``/openapi.json`` tells a client generated from Quire what the contract tells one generated from Sequence."""
    from quire.app import create_app
    from quire.config import Settings

    document = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    for (method, path), statuses in DECLARED_ERROR_BODIES.items():
        served = next((item for p, item in document["paths"].items()
                       if _generator().path_key(p) == path), {}).get(method.lower())
        if served is None:
            continue  # not served yet (the notification policies)
        for status, name in statuses.items():
            ref = served["responses"][str(status)]["content"]["application/json"]["schema"]["$ref"]
            assert ref == f"#/components/schemas/{name}", (method, path, status, ref)
    assert set(document["components"]["schemas"]["DatabaseErrors1"]["required"]) >= {"errors"}
