"""Cross-cutting behaviour: auth, versions, body limits, error bodies, OpenAPI."""

from __future__ import annotations

import base64
import json

import httpx

from tests.factories import customer_body
from tests.support import ApiClient, LiveServer


def test_missing_malformed_and_wrong_credentials_are_401(server: LiveServer, client: ApiClient) -> None:
    cred = client.credential
    good = base64.b64encode(f"{cred.client_id}:{cred.client_secret}".encode()).decode()
    headers_list = [
        {},
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic"},
        {"Authorization": "Basic !!!notbase64"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"Authorization": "Basic " + base64.b64encode(f"{cred.client_id}:wrong".encode()).decode()},
        {"Authorization": "Basic " + base64.b64encode(f"unknown:{cred.client_secret}".encode()).decode()},
        {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()},
    ]
    with ApiClient(server.base_url, None) as anon:
        for headers in headers_list:
            for method, path in (("GET", "/customers"), ("POST", "/customers"), ("GET", "/customers/x")):
                response = anon.request(method, path, headers=headers, json=customer_body() if method == "POST" else None)
                assert response.status_code == 401, (headers, method, path)
                assert response.json()["error"]["type"] == "Unauthorized"
                assert response.headers["WWW-Authenticate"] == 'Basic realm="Quire"'  # RFC 7235 §3.1
        assert anon.get("/customers", headers={"Authorization": "Basic " + good}).status_code == 200


def test_sequence_version_header(client: ApiClient) -> None:
    absent = client.get("/customers")
    assert absent.headers["Sequence-Version"] == "2024-01-01"
    explicit = client.get("/customers", headers={"Sequence-Version": "2024-01-01"})
    assert explicit.status_code == 200 and explicit.headers["Sequence-Version"] == "2024-01-01"
    for bad in ("2024-07-30", "2023-01-01", "latest", "x" * 300):
        response = client.get("/customers", headers={"Sequence-Version": bad})
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["type"] == "UnrecognisedApiVersion"
        assert "2024-01-01" in error["message"]
    not_found = client.get("/no-such-endpoint")
    assert not_found.status_code == 404 and not_found.headers["Sequence-Version"] == "2024-01-01"


def test_body_over_one_mebibyte_is_413(client: ApiClient) -> None:
    big = b'{"legalName": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = client.post("/customers", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "PayloadTooLarge"

    def chunks():  # no Content-Length: the limit applies to the streamed body as well
        for _ in range(20):
            yield b"x" * (64 * 1024)

    streamed = client.post("/customers", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_method_not_allowed_and_unknown_route_are_json(client: ApiClient) -> None:
    response = client.patch("/customers")
    assert response.status_code == 405 and response.json()["error"]["type"] == "MethodNotAllowed"


def test_query_validation_is_400(client: ApiClient) -> None:
    for params in ({"limit": "0"}, {"limit": "101"}, {"limit": "abc"}, {"sortOrder": "UP"}, {"sortBy": "email"},
                   {"includeArchived": "maybe"}, {"after": "garbage"}, {"before": "garbage"}):
        response = client.get("/customers", params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["type"] == "ValidationError"


def test_openapi_matches_contract_operation_ids(server: LiveServer) -> None:
    from tests.contract import get_contract

    spec = httpx.get(server.base_url + "/openapi.json").json()
    ours = {(m.upper(), p): op["operationId"] for p, ops in spec["paths"].items() for m, op in ops.items()}
    contract = get_contract()
    checked = 0
    for (method, path), op_id in ours.items():
        theirs = contract.operation(method, path)
        if theirs is None:
            continue  # a Quire extension
        assert theirs["operationId"] == op_id, (method, path)
        checked += 1
    assert checked >= 16
    assert httpx.get(server.base_url + "/docs").status_code == 200


def test_nul_characters_are_400_everywhere(client: ApiClient) -> None:
    """PostgreSQL text cannot store U+0000; every database refuses it the same way, never a 500."""
    body = {"legalName": "a\u0000b", "email": "nul@example.com", "billingEmails": [],
            "address": {"line1": "1 Old Street", "town": "London", "postcode": "EC1V 9HX", "country": "GB"}}
    for response in (
        client.post("/customers", json=body),
        client.post("/customers", json={**body, "legalName": "ok", "address": {**body["address"], "town": "x\u0000"}}),
        client.get("/customers", params={"legalName": "a\u0000"}),
        client.post("/customers", content=json.dumps({**body, "legalName": "\ud800"}), headers={"content-type": "application/json"}),
    ):
        assert response.status_code == 400, response.text
        assert response.json()["error"]["type"] == "ValidationError"
    nested = client.post("/customers", json={**body, "legalName": "ok", "address": {**body["address"], "town": "x\u0000"}})
    assert nested.json()["error"]["fields"][0]["field"] == "address.town"
    for path in ("/customers/abc%00def", "/invoices/abc%00def", "/customers/by-alias/a%00b"):
        assert client.get(path).status_code == 404, path
