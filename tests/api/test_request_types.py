"""Request bodies over a live server: the contract's types and nulls (issue 12, classes 4 and 5), strict
JSON and media types (class 7). The per-operation cases are generated from the committed table, for
every operation of the 2024-01-01 document that Quire serves."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from quire.app import create_app
from quire.core.contract_requests import NULLABLE, REQUESTS
from quire.core.http import WRITE_METHODS, ApiRoute
from quire.core.routing import PathIndex
from tests.support import ApiClient


def _implemented() -> list[tuple[str, str]]:
    app = create_app()
    index = next(route for route in app.router.routes if isinstance(route, PathIndex))
    served = {(method, route.path) for route in index.routes if isinstance(route, ApiRoute)
              for method in route.methods or () if method in WRITE_METHODS}
    return sorted(key for key in REQUESTS if key in served)


OPERATIONS = _implemented()
NULLABLE_OPERATIONS = [(key, prop) for key in OPERATIONS for prop in NULLABLE.get(key, []) if "." not in prop
                       and "[" not in prop]


def _url(path: str) -> str:
    """The path with a fresh id for each parameter: bodies are checked before any lookup."""
    return "/" + "/".join(str(uuid.uuid4()) if seg.startswith("{") else seg for seg in path.strip("/").split("/"))


def _first(props: dict[str, Any], test: Any) -> str | None:
    return next((name for name, node in props.items() if test(node)), None)


def _fields(response: Any) -> dict[str, str]:
    return {item["field"]: item["message"] for item in response.json()["error"].get("fields", [])}


def _send(client: ApiClient, method: str, path: str, body: Any) -> Any:
    return client.request(method, _url(path), json=body)


def test_every_implemented_operation_with_a_json_body_is_in_the_table() -> None:
    assert len(OPERATIONS) >= 40
    assert ("POST", "/products") in OPERATIONS and ("POST", "/usage-events") in OPERATIONS
    assert ("PUT", "/credit-notes/{id}") in OPERATIONS


#: Bodies whose only property is an array (of strings: ``test_nested_properties_are_checked_too`` has them).
ARRAY_ONLY = [key for key in OPERATIONS if all(node[0] == "array" for node in REQUESTS[key][2].values())]
WITH_STRING = [key for key in OPERATIONS if key not in ARRAY_ONLY]


def test_only_the_policies_add_accounts_and_users_bodies_have_no_string_property() -> None:
    assert ARRAY_ONLY == [("POST", "/notifications/policies/{id}/notification-types"),
                          ("POST", "/notifications/policies/{id}/recipients"),
                          ("PUT", "/sequence-accounts/{id}"), ("PUT", "/users/{id}")]


@pytest.mark.parametrize(("method", "path"), WITH_STRING, ids=[f"{m} {p}" for m, p in WITH_STRING])
def test_a_string_property_sent_as_a_number_is_refused(client: ApiClient, method: str, path: str) -> None:
    props = REQUESTS[(method, path)][2]
    name = _first(props, lambda node: node[0] == "string")
    assert name is not None, "every implemented body has a string property"
    response = _send(client, method, path, {name: 0})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "ValidationError"
    assert _fields(response)[name] == "must be a string"


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_a_non_nullable_property_sent_as_null_is_refused(client: ApiClient, method: str, path: str) -> None:
    props = REQUESTS[(method, path)][2]
    name = _first(props, lambda node: not node[1])
    if name is None:
        assert NULLABLE.get((method, path)) == list(props), (method, path)
        pytest.skip("every property of this body is nullable in 2024-07-30 (PUT /sequence-accounts/{id})")
    response = _send(client, method, path, {name: None})
    assert response.status_code == 400, response.text
    assert _fields(response)[name] == "must not be null"


def _nested_case(props: dict[str, Any]) -> tuple[Any, str, str] | None:
    """A body breaking one nested property's shape, the field the 400 must name, and its message."""
    for name, node in props.items():
        item = node[3]
        if node[0] == "array" and item is not None and item[0] == "object" and item[2]:
            inner = _first(item[2], lambda sub: sub[0] == "string")
            if inner is not None:
                return {name: [{inner: True}]}, f"{name}[0].{inner}", "must be a string"
        if node[0] == "object" and node[2]:
            inner = _first(node[2], lambda sub: not sub[1])
            if inner is not None:
                return {name: {inner: None}}, f"{name}.{inner}", "must not be null"
        if node[0] == "array" and item is not None and item[0] == "string":
            return {name: ["x", 1]}, f"{name}[1]", "must be a string"
    return None


NESTED = [(key, case) for key in OPERATIONS if (case := _nested_case(REQUESTS[key][2])) is not None]


@pytest.mark.parametrize(("key", "case"), NESTED, ids=[f"{k[0]} {k[1]}" for k, _ in NESTED])
def test_nested_properties_are_checked_too(client: ApiClient, key: tuple[str, str], case: tuple[Any, str, str]) -> None:
    body, field, message = case
    response = _send(client, key[0], key[1], body)
    assert response.status_code == 400, response.text
    assert _fields(response)[field] == message


@pytest.mark.parametrize(("key", "name"), NULLABLE_OPERATIONS, ids=[f"{k[0]} {k[1]} {n}" for k, n in NULLABLE_OPERATIONS])
def test_a_property_nullable_in_2024_07_30_is_not_refused_for_its_null(
    client: ApiClient, key: tuple[str, str], name: str
) -> None:
    response = _send(client, key[0], key[1], {name: None})
    assert response.status_code < 500
    if response.status_code == 400:
        assert name not in _fields(response), response.text


# --- the samples of the issue, end to end --------------------------------------------------------


def test_a_null_label_is_refused_and_the_product_not_created(client: ApiClient) -> None:
    before = len(client.get("/products").json()["items"])
    response = client.post("/products", json={"name": "x", "label": None})
    assert response.status_code == 400
    assert _fields(response) == {"label": "must not be null"}
    assert len(client.get("/products").json()["items"]) == before


def test_a_null_tax_rate_description_means_absent(client: ApiClient) -> None:
    body = {"isPublished": True, "name": "VAT", "invoiceName": "Value Added Tax", "invoiceShortName": "VAT",
            "amount": "0.2", "country": "GB", "subRates": [], "description": None, "region": None, "taxCategoryId": None}
    created = client.post("/tax-rates", json=body)
    assert created.status_code == 201, created.text
    assert created.json().get("description") in (None, "")
    numeric = client.post("/tax-rates", json={**body, "amount": 0.2})
    assert numeric.status_code == 400
    assert _fields(numeric) == {"amount": "must be a string"}


def test_a_usage_event_with_null_optional_ids_is_stored(client: ApiClient) -> None:
    for _ in range(2):  # the second request may take the fast path (a cached credential, PostgreSQL)
        response = client.post("/usage-events", json={"customerAlias": "a", "eventType": "e", "customerEventId": None,
                                                       "eventTimestamp": None})
        assert response.status_code == 201, response.text
    for _ in range(2):
        refused = client.post("/usage-events", json={"customerAlias": "a", "eventType": "e", "eventProperties": None})
        assert refused.status_code == 400, refused.text
        assert _fields(refused) == {"eventProperties": "must not be null"}
        number = client.post("/usage-events", json={"customerAlias": "a", "eventType": 7})
        assert number.status_code == 400
        assert _fields(number) == {"eventType": "must be a string"}


def test_a_credit_note_period_sent_as_a_number_is_refused(client: ApiClient) -> None:
    response = client.put(f"/credit-notes/{uuid.uuid4()}", json={"billingPeriodStart": 0})
    assert response.status_code == 400
    assert _fields(response) == {"billingPeriodStart": "must be a string"}


# --- class 7: strict JSON and media types --------------------------------------------------------

EVENT = {"customerAlias": "cust", "eventType": "sent"}


def _warm(client: ApiClient) -> None:
    """Make the next event request eligible for the fast path (its credential is cached)."""
    assert client.post("/usage-events", json=EVENT).status_code == 201


@pytest.mark.parametrize(("content_type", "content"), [
    ("text/plain", json.dumps(EVENT)),
    ("text/plain; charset=utf-8", json.dumps(EVENT)),
    ("application/x-www-form-urlencoded", "customerAlias=cust&eventType=sent"),
    ("application/x-www-form-urlencoded", json.dumps(EVENT)),
    ("multipart/form-data; boundary=b", '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n{}\r\n--b--\r\n'),
    ("application/json; charset=utf-16", json.dumps(EVENT)),
    (None, json.dumps(EVENT)),
])
def test_usage_events_refuse_other_media_types(client: ApiClient, content_type: str | None, content: str) -> None:
    _warm(client)
    before = len(client.get("/usage-events").json()["items"])
    headers = {"content-type": content_type} if content_type else {}
    for _ in range(2):
        response = client.post("/usage-events", content=content.encode(), headers=headers)
        assert response.status_code == 415, response.text
        assert response.json()["error"]["type"] == "UnsupportedMediaType"
    assert len(client.get("/usage-events").json()["items"]) == before


def test_every_json_write_refuses_a_form_body(client: ApiClient) -> None:
    for method, path in OPERATIONS:
        response = client.request(method, _url(path), content=b"name=x",
                                  headers={"content-type": "application/x-www-form-urlencoded"})
        assert response.status_code == 415, (method, path, response.text)


def test_a_json_suffix_media_type_is_accepted(client: ApiClient) -> None:
    response = client.post("/products", content=json.dumps({"name": "p"}).encode(),
                           headers={"content-type": "application/merge-patch+json"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("raw", [
    b'{"customerAlias": "cust", "eventType": "sent", "eventType": "other"}',
    b'{"customerAlias": "cust", "eventType": "sent", "eventProperties": {"n": 1, "n": 2}}',
])
def test_duplicate_keys_are_refused_on_both_event_paths(client: ApiClient, raw: bytes) -> None:
    _warm(client)
    for _ in range(2):
        response = client.post("/usage-events", content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["error"]["fields"][0]["field"] in ("eventType", "eventProperties.n")


def test_duplicate_keys_are_refused_naming_the_path(client: ApiClient) -> None:
    response = client.post("/products", content=b'{"name": "a", "name": "b"}', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert _fields(response) == {"name": "name: the key appears more than once in its object"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-8-sig"])
def test_bodies_must_be_utf8_without_a_bom(client: ApiClient, encoding: str) -> None:
    _warm(client)
    for path, body in (("/products", {"name": "p"}), ("/usage-events", EVENT)):
        response = client.post(path, content=json.dumps(body).encode(encoding), headers={"content-type": "application/json"})
        assert response.status_code == 400, (path, response.text)
        assert _fields(response) == {"body": response.json()["error"]["message"]}


@pytest.mark.parametrize("number", ["1e-400", "1e400", "-1e400"])
def test_numbers_a_double_cannot_hold_are_refused(client: ApiClient, number: str) -> None:
    _warm(client)
    for path, raw in (("/seat-snapshots", f'{{"customerId": "c", "seatType": "s", "total": {number}}}'),
                      ("/usage-events", f'{{"customerAlias": "cust", "eventType": "sent", "eventProperties": {{"n": {number}}}}}')):
        response = client.post(path, content=raw.encode(), headers={"content-type": "application/json"})
        assert response.status_code == 400, (path, response.text)


@pytest.mark.parametrize("with_key", [False, True])
def test_a_deep_body_is_a_400_on_every_write(client: ApiClient, with_key: bool) -> None:
    deep = ("[" * 10_000 + "]" * 10_000).encode()
    for method, path in OPERATIONS:
        headers = {"content-type": "application/json"}
        if with_key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        response = client.request(method, _url(path), content=deep, headers=headers)
        assert response.status_code == 400, (method, path, response.text)
        assert "nests deeper" in response.json()["error"]["message"]


def test_usage_metric_nulls_allowed_by_2024_07_30_mean_the_default(client: ApiClient) -> None:
    nulls = {name: None for name in NULLABLE[("POST", "/usage-metrics")]}
    body = {"name": "Calls", "metricType": "SIMPLE", "eventType": "call", "aggregationType": "COUNT"}
    created = client.post("/usage-metrics", json={**body, **nulls})
    assert created.status_code == 201, created.text
    plain = client.post("/usage-metrics", json=body).json()
    ignore = {"id", "createdAt", "updatedAt"}
    assert {k: v for k, v in created.json().items() if k not in ignore} == {k: v for k, v in plain.items() if k not in ignore}
    put_nulls = {name: None for name in NULLABLE[("PUT", "/usage-metrics/{id}")]}
    updated = client.put(f"/usage-metrics/{created.json()['id']}", json={**body, "unit": "calls", **put_nulls})
    assert updated.status_code == 200, updated.text
    assert "unit" not in updated.json() and "description" not in updated.json()
    refused = client.post("/usage-metrics", json={**body, "propertyFilters": None})
    assert refused.status_code == 400 and _fields(refused) == {"propertyFilters": "must not be null"}


def test_tax_registration_null_owner_means_absent(client: ApiClient) -> None:
    merchant = client.credential.account_id
    created = client.post("/tax-registrations", json={"taxIdentifier": "GB980780684", "country": "GB",
                                                      "merchantId": merchant, "customerId": None})
    assert created.status_code == 201, created.text
    assert created.json()["merchantId"] == merchant and "customerId" not in created.json()
    refused = client.post("/tax-registrations", json={"taxIdentifier": None, "country": "GB", "merchantId": merchant})
    assert refused.status_code == 400 and _fields(refused) == {"taxIdentifier": "must not be null"}
