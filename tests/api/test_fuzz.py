"""Schemathesis over the contract's Customers, Customer Aliases, Invoices and Invoice Line Items operations.

Requests are generated from Sequence's own 2024-01-01 document (not from Quire's), sent to a live server
with a real account, and every answer must be: not a 5xx, and valid per tests/contract.py (declared
status, schema of 2xx bodies, Sequence's error shape). Path parameters are pointed at real objects of the
account half of the time, so the generated bodies reach the service code instead of stopping at a 404.

Examples per operation: QUIRE_FUZZ_EXAMPLES (default 12; CI may raise it).
"""

from __future__ import annotations

import base64
import os
import random
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.catalogue_helpers import catalogue_ids
from tests.api.invoice_helpers import add_group, add_line, new_customer, new_invoice
from tests.api.usage_helpers import usage_ids
from tests.contract import contract_path, get_contract
from tests.support import ApiClient, LiveServer

#: Customer settings and invoice settings are tagged Customers and Invoices in the contract.
TAGS = {"Customers", "Customer Aliases", "Invoices", "Invoice Line Items", "Tax Rates", "Tax Registrations",
        "Credit Notes", "Credit Note Line Items"}
TAGS |= {"Products", "Prices", "List Prices", "Plans"}
TAGS |= {"Usage Events", "Usage Metrics", "Seat Types", "Seat Snapshots", "Seat Metrics"}
EXAMPLES = int(os.environ.get("QUIRE_FUZZ_EXAMPLES", "12"))

_schema = schemathesis.openapi.from_path(str(contract_path()))
_OPERATIONS = [
    result.ok() for result in _schema.get_all_operations()
    if set(result.ok().tags or ()) & TAGS
]


def _label(op: Any) -> str:
    return f"{op.method.upper()} {op.path}"


def _real_ids(client: ApiClient) -> dict[str, str]:
    customer = new_customer(client)
    invoice = new_invoice(client, customer=customer)
    line = add_line(client, invoice["id"])
    group = add_group(client, invoice["id"])
    alias = client.post("/customer-aliases", json={
        "sequenceAccountId": client.credential.account_id, "customerId": customer["id"], "value": f"alias-{customer['id']}"})
    assert alias.status_code == 201, alias.text
    settings = client.post("/customer-settings", json={"customerId": customer["id"], "paymentProvider": "NONE"})
    invoice_settings = client.post("/invoice-settings", json={"invoiceId": invoice["id"], "paymentProvider": "NONE"})
    tax_rate = client.post("/tax-rates", json={"isPublished": True, "name": "VAT", "invoiceName": "Value Added Tax",
                                               "invoiceShortName": "VAT", "amount": "0.2", "country": "GB"})
    tax_registration = client.post("/tax-registrations", json={
        "taxIdentifier": "GB980780684", "customerId": customer["id"], "country": "GB"})
    issued = new_invoice(client, customer=customer)
    issued_line = add_line(client, issued["id"])
    assert client.post(f"/invoices/{issued['id']}/finalize").status_code == 200
    note = client.post("/credit-notes", json={"invoiceId": issued["id"], "currency": "GBP", "customerId": customer["id"]}).json()
    note_line = client.post(f"/credit-notes/{note['id']}/line-items", json={
        "creditNoteId": note["id"], "lineItemId": issued_line["id"], "title": "Credit", "quantity": "1", "rate": "1",
        "taxRate": "0", "externalIds": []}).json()
    note_group = client.post(f"/credit-notes/{note['id']}/line-item-groups", json={"title": "Credits"}).json()
    return {**catalogue_ids(client), **usage_ids(client), "customer": customer["id"], "invoice": invoice["id"], "line": line["id"], "group": group["id"],
            "credit_note": note["id"], "credit_line": note_line["id"], "credit_group": note_group["id"],
            "alias": alias.json()["value"], "alias_id": alias.json()["id"], "customer_settings": settings.json()["id"],
            "invoice_settings": invoice_settings.json()["id"], "tax_rate": tax_rate.json()["id"],
            "tax_registration": tax_registration.json()["id"], "merchant": client.credential.account_id}


def _point_at_real_objects(path: str, params: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    out = dict(params)
    for name in params:
        if name == "invoice":
            out[name] = ids["invoice"]
        elif name == "creditnote" or (name == "id" and path.startswith("/credit-notes/{id}")):
            out[name] = ids["credit_note"]
        elif name == "id" and path.startswith("/credit-notes/{creditnote}/line-item-groups"):
            out[name] = ids["credit_group"]
        elif name == "id" and path.startswith("/credit-notes/{creditnote}/line-items"):
            out[name] = ids["credit_line"]
        elif name == "id" and path.startswith("/invoices/{invoice}/line-item-groups"):
            out[name] = ids["group"]
        elif name == "id" and path.startswith("/invoices/{invoice}/line-items"):
            out[name] = ids["line"]
        elif name == "id" and path in ("/invoice-settings/{id}",):
            out[name] = ids["invoice_settings"]
        elif name == "id" and path.startswith("/customer-settings"):
            out[name] = ids["customer_settings"]
        elif name == "id" and path.startswith("/customer-aliases"):
            out[name] = ids["alias_id"]
        elif name == "id" and path.startswith("/invoice"):
            out[name] = ids["invoice"]
        elif name == "id" and path.startswith("/customers"):
            out[name] = ids["customer"]
        elif name == "id" and path.startswith("/tax-rates"):
            out[name] = ids["tax_rate"]
        elif name == "id" and path == "/tax-registrations/for-customer/{id}":
            out[name] = ids["customer"]
        elif name == "id" and path == "/tax-registrations/for-merchant/{id}":
            out[name] = ids["merchant"]
        elif name == "id" and path.startswith("/tax-registrations"):
            out[name] = ids["tax_registration"]
        elif name == "id" and path.startswith(("/products", "/prices", "/list-prices")):
            out[name] = ids[path.split("/")[1]]
        elif name == "id" and path.startswith(("/usage-metrics", "/seat-types")):
            out[name] = ids[path.split("/")[1]]
        elif name == "planId":
            out[name] = ids["plans"]
        elif name == "alias":
            out[name] = ids["alias"]
    return out


@pytest.fixture(scope="module")
def fuzz_context(server: LiveServer) -> Any:
    credential = server.new_account("Fuzz account")
    token = base64.b64encode(f"{credential.client_id}:{credential.client_secret}".encode()).decode()
    with ApiClient(server.base_url, credential) as api:
        yield server, {"Authorization": f"Basic {token}"}, api


@pytest.mark.slow
@pytest.mark.parametrize("operation", _OPERATIONS, ids=_label)
def test_contract_operations_never_fail(operation: Any, fuzz_context: Any) -> None:
    server, auth, api = fuzz_context
    contract = get_contract()
    ids = _real_ids(api)
    failures: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=operation.as_strategy(), real=st.booleans())
    def run(case: Any, real: bool) -> None:
        if real and case.path_parameters:
            case.path_parameters = _point_at_real_objects(operation.path, case.path_parameters, ids)
            if isinstance(case.body, dict) and "creditNoteId" in case.body:  # the body repeats the path's id
                case.body["creditNoteId"] = ids["credit_note"]
        headers = {**(case.headers or {}), **auth}
        headers.pop("Sequence-Version", None)
        response = case.call(base_url=server.base_url, headers=headers, timeout=30)
        where = f"{case.method} {case.formatted_path} body={str(case.body)[:300]!r}"
        if response.status_code >= 500:
            failures.append(f"{where} -> {response.status_code} {response.text[:300]}")
            return
        try:
            path = response.request.path_url.split("?", 1)[0]
            content_type = response.headers.get("content-type")
            if isinstance(content_type, list):
                content_type = content_type[0] if content_type else None
            contract.validate_response(case.method, path, response.status_code, response.content, content_type)
        except AssertionError as exc:
            failures.append(f"{where}: {exc}")

    random.seed(0)
    run()
    assert not failures, "\n".join(failures[:5])
