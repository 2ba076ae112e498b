"""The oracle itself: the contract copy, template matching and the error-shape rule."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.contract import SHARED, VENDORED, ContractViolation, get_contract
from tests.support import ApiClient
from tests.support import in_ci


def test_vendored_contract_is_the_shared_one() -> None:
    if not SHARED.exists():
        message = f"{SHARED} is missing, and no shared/ is beside any folder above this clone (QUIRE_SHARED_DIR names one)"
        if in_ci():  # CI puts shared/ beside its clone: a missing copy there is a broken check, not a skip
            pytest.fail("CI=true: " + message, pytrace=False)
        pytest.skip(message)
    assert json.loads(VENDORED.read_text()) == json.loads(SHARED.read_text())


def test_literal_segments_win_over_parameters() -> None:
    contract = get_contract()
    assert contract.template_for("GET", "/customers/by-alias") is not None
    assert contract.template_for("GET", "/customers/abc") == "/customers/{id}"
    assert contract.template_for("GET", "/invoices/abc/line-items") == "/invoices/{invoice}/line-items"
    assert contract.template_for("GET", "/merchant-settings") is None
    assert contract.operation("POST", "/invoices")["operationId"] == "postInvoices"


def test_error_shape_is_enforced() -> None:
    contract = get_contract()
    ok = json.dumps({"error": {"type": "NotFound", "message": "No such invoice"}}).encode()
    contract.validate_response("GET", "/invoices/x", 404, ok, "application/json")
    for bad in ({"message": "x"}, {"error": {"type": "not camel", "message": "x"}}, {"error": {"type": "NotFound"}}):
        with pytest.raises(ContractViolation):
            contract.validate_response("GET", "/invoices/x", 404, json.dumps(bad).encode(), "application/json")
    with pytest.raises(ContractViolation):
        contract.validate_response("GET", "/invoices/x", 500, b"Internal Server Error", "text/plain")


def test_success_bodies_are_validated_and_undeclared_statuses_refused() -> None:
    contract = get_contract()
    with pytest.raises(ContractViolation, match="does not match"):
        contract.validate_response("POST", "/invoices", 201, b'{"id": 1}', "application/json")
    with pytest.raises(ContractViolation, match="not declared"):
        contract.validate_response("POST", "/invoices", 202, b"{}", "application/json")


# --- formats, server errors, extension paths, declared error bodies (issue 12) ---------------------------


def _invoice_example() -> dict[str, Any]:
    """The contract's own example of GET /invoices/{id} 200, which the contract's schema accepts."""
    content = get_contract().document["paths"]["/invoices/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    return copy.deepcopy(next(iter(content["examples"].values()))["value"])  # type: ignore[no-any-return]


def _send(body: Any, method: str = "GET", path: str = "/invoices/x", status: int = 200) -> None:
    get_contract().validate_response(method, path, status, json.dumps(body).encode(), "application/json")


def test_formats_are_checked() -> None:
    example = _invoice_example()
    _send(example)  # the example itself is valid, so each refusal below is the format's doing
    for field, bad in (("dueDate", "not a date"), ("issueDate", "2024-02-30"), ("accountingDate", "20240315"),
                       ("dueDate", "2024-03-15T00:00:00Z")):
        with pytest.raises(ContractViolation, match=field):
            _send({**example, field: bad})


def test_oas30_formats_of_the_checker() -> None:
    """The formats the oracle checks, read through the validator it builds (OpenAPI 3.0 formats)."""
    validator = get_contract().schema_validator({"type": "object", "properties": {
        "d": {"type": "string", "format": "date"}, "t": {"type": "string", "format": "date-time"},
        "u": {"type": "string", "format": "uuid"}, "e": {"type": "string", "format": "email"},
        "i": {"type": "integer", "format": "int32"}}})
    assert validator.is_valid({"d": "2024-03-15", "t": "2024-03-15T10:00:00Z", "u": "6cedbb5e-4f77-4217-b8d4-020e7e4d33c9",
                               "e": "ap@example.com", "i": 7})
    for bad in ({"d": "not a date"}, {"t": "2024-03-15 10:00"}, {"u": "not-a-uuid"}, {"e": "nobody"}, {"i": 2**40}):
        assert not validator.is_valid(bad), bad


def test_any_server_error_fails_whatever_its_body() -> None:
    body = {"error": {"type": "InternalError", "message": "An unexpected error occurred"}}
    for status in (500, 502, 503):
        for path in ("/invoices/x", "/merchant-settings", "/health"):  # contract, extension, unchecked paths
            with pytest.raises(ContractViolation, match="server error"):
                _send(body, path=path, status=status)


class _Fails(BaseHTTPRequestHandler):
    """A real HTTP server that answers every request with a well-formed 503 error body."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        payload = json.dumps({"error": {"type": "Unavailable", "message": "try later"}}).encode()
        self.send_response(503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


def test_the_client_hook_fails_a_5xx() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fails)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with ApiClient(url, None) as checked, pytest.raises(ContractViolation, match="503"):
            checked.get("/customers")
        with ApiClient(url, None, validate=False) as unchecked:
            assert unchecked.get("/customers").status_code == 503
    finally:
        server.shutdown()
        server.server_close()


def test_extension_paths_are_checked_against_quires_own_document() -> None:
    contract = get_contract()
    assert contract.template_for("GET", "/invoices/x/hosted-link") is None  # not Sequence's
    link = {"invoiceId": "x", "url": "http://127.0.0.1/i/abc", "createdAt": "2024-03-15T10:00:00Z"}
    _send(link, path="/invoices/x/hosted-link")
    with pytest.raises(ContractViolation, match="url"):
        _send({**link, "url": 7}, path="/invoices/x/hosted-link")
    with pytest.raises(ContractViolation, match="invoiceId"):
        _send({"url": "http://127.0.0.1/i/abc", "createdAt": "2024-03-15T10:00:00Z"}, path="/invoices/x/hosted-link")
    with pytest.raises(ContractViolation, match="items"):
        _send({"items": "none", "pagination": {}}, path="/invoices/x/emails")
    with pytest.raises(ContractViolation, match="not declared"):
        _send(link, path="/invoices/x/hosted-link", status=202)
    with pytest.raises(ContractViolation):  # errors on extension paths keep Sequence's error shape
        _send({"detail": "Not Found"}, path="/invoices/x/hosted-link", status=404)
    _send({"anything": 1}, path="/health")  # in neither document: not checked


def test_declared_error_bodies_are_used_where_an_operation_declares_one() -> None:
    """POST /plans 400 declares DatabaseErrors1; other errors keep Sequence's {"error": {...}} shape."""
    database_errors = {"errors": [{"key": "priceIds", "error": "Invalid provided price ids: [x]"}]}
    sequence_error = {"error": {"type": "ValidationError", "message": "name: Field required"}}
    _send(database_errors, "POST", "/plans", 400)
    with pytest.raises(ContractViolation, match="declares"):
        _send(sequence_error, "POST", "/plans", 400)
    with pytest.raises(ContractViolation):
        _send({"errors": [{"key": "x"}]}, "POST", "/plans", 400)  # an error without its message
    _send(sequence_error, "POST", "/plans", 404)  # no body declared for 404: Sequence's shape
    _send(sequence_error, "POST", "/invoices", 400)
    with pytest.raises(ContractViolation):
        _send(database_errors, "POST", "/invoices", 400)
