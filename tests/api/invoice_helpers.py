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


def add_example_lines(client: ApiClient, invoice_id: str, period: str) -> None:
    """The lines of the example invoice shown in the docs (PDF image, hosted-page screenshots): a
    platform fee, a "Usage" group described by ``period`` with two tiers and a percentage fee, and a
    discount: £1,200.00 + £200.00 + £72.18 + £3,500.00 (0.7 % of 500,000) − £150.00 before tax."""
    add_line(client, invoice_id, title="Platform fee", quantity="1", rate="1200.00", taxRate="0.2")
    usage = add_group(client, invoice_id, "Usage", description=period)
    add_line(client, invoice_id, title="API calls", description="Tier 1: 0 - 100,000", quantity="100000",
             rate="0.002", taxRate="0.2", groupId=usage["id"])
    add_line(client, invoice_id, title="API calls", description="Tier 2: 100,001 +", quantity="48120",
             rate="0.0015", taxRate="0.2", groupId=usage["id"])
    add_line(client, invoice_id, title="Transaction fees", quantity="500000", rate="0.007", taxRate="0.2",
             rateDisplay="PERCENTAGE", groupId=usage["id"])
    add_line(client, invoice_id, title="Loyalty discount", quantity="1", rate="-150.00", taxRate="0.2")
