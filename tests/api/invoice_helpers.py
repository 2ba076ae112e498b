"""Small client-side helpers shared by the invoice scenario tests."""

from __future__ import annotations

from typing import Any

from tests.factories import customer_body, line_body
from tests.support import ApiClient


def new_customer(client: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/customers", json=customer_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["customer"]


def new_invoice(client: ApiClient, currency: str = "GBP", customer: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    customer = customer or new_customer(client)
    response = client.post("/invoices", json={"currency": currency, "customerId": customer["id"], **fields})
    assert response.status_code == 201, response.text
    return response.json()


def add_line(client: ApiClient, invoice_id: str, **overrides: Any) -> dict[str, Any]:
    response = client.post(f"/invoices/{invoice_id}/line-items", json=line_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def add_group(client: ApiClient, invoice_id: str, title: str = "Usage", **fields: Any) -> dict[str, Any]:
    response = client.post(f"/invoices/{invoice_id}/line-item-groups", json={"title": title, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def action(client: ApiClient, invoice_id: str, name: str) -> Any:
    return client.post(f"/invoices/{invoice_id}/{name}")
