"""A customer with invoices in every state, credits and usage, beside a second customer of the same
account: what the portal must show and must not (tests/api/test_portal.py, tests/browser/test_portal.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.factories import address
from tests.support import ApiClient

MERCHANT: dict[str, Any] = {
    "legalCompanyName": "Quire Demo Ltd", "email": "billing@quire-demo.example",
    "address": address(line1="2 New Street", town="London", postcode="EC2M 4TP"),
    "primaryColour": "#0A5C73", "paymentTermsDays": 30,
}


def _issued(client: ApiClient, customer: dict[str, Any], title: str, rate: str, *, due: str, steps: list[str],
            paid: bool = False) -> dict[str, Any]:
    invoice = new_invoice(client, customer=customer, dueDate=due)
    add_line(client, invoice["id"], title=title, quantity="1", rate=rate, taxRate="0.2")
    for step in steps:
        response = action(client, invoice["id"], step)
        assert response.status_code == 200, response.text
    if paid:
        response = client.put(f"/invoices/{invoice['id']}/payment-status", json={"paymentStatus": "PAID"})
        assert response.status_code == 200, response.text
    return client.get(f"/invoices/{invoice['id']}").json()  # type: ignore[no-any-return]


def rotate(client: ApiClient, customer_id: str) -> str:
    response = client.post(f"/customers/{customer_id}/portal-link/rotate")
    assert response.status_code == 200, response.text
    return response.json()["url"]  # type: ignore[no-any-return]


def portal_world(client: ApiClient, name: str = "Globex Corporation") -> dict[str, Any]:
    """Customer ``name`` with one invoice in each state (titles name the state, amounts differ), a £50
    credit grant of which nothing is drawn, and 3 API calls this month and 2 five weeks ago; a second
    customer of the account with a sent invoice, a grant and usage of its own."""
    today = datetime.now(UTC).date()
    customer = new_customer(client, legalName=name, billingEmails=["portal-tests@globex.example"])
    other = new_customer(client, legalName="Initech Ltd")
    future, past = (today + timedelta(days=20)).isoformat(), (today - timedelta(days=40)).isoformat()
    invoices = {
        "draft": _issued(client, customer, "Draft work", "111.00", due=future, steps=[]),
        "final": _issued(client, customer, "Final not sent", "222.00", due=future, steps=["finalize"]),
        "outstanding": _issued(client, customer, "Outstanding work", "333.00", due=future, steps=["finalize", "send"]),
        "overdue": _issued(client, customer, "Overdue work", "444.00", due=past, steps=["finalize", "send"]),
        "paid": _issued(client, customer, "Paid work", "555.00", due=past, steps=["finalize", "send"], paid=True),
        "voided": _issued(client, customer, "Voided work", "666.00", due=future, steps=["finalize", "send", "void"]),
        "other": _issued(client, other, "Other customer work", "777.00", due=future, steps=["finalize", "send"]),
    }
    for owner, amount in ((customer, 50), (other, 90)):
        response = client.post("/credits", json={
            "sequenceAccountId": client.credential.account_id if client.credential else "", "customerId": owner["id"],
            "name": f"Welcome credit {amount}", "creditUnitType": "CURRENCY", "currency": "GBP", "amount": amount})
        assert response.status_code == 201, response.text
    metric = client.post("/usage-metrics", json={"name": "API calls", "metricType": "SIMPLE", "eventType": "api_call",
                                                  "aggregationType": "COUNT", "unit": "calls"})
    assert metric.status_code == 201, metric.text
    now = datetime.now(UTC).replace(microsecond=0)
    earlier = now - timedelta(days=35)
    for alias, count, when in ((customer["id"], 3, now), (customer["id"], 2, earlier), (other["id"], 9, now)):
        for n in range(count):
            stamp = (when - timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
            response = client.post("/usage-events", json={"customerAlias": alias, "eventType": "api_call",
                                                           "eventTimestamp": stamp, "eventProperties": {}})
            assert response.status_code == 201, response.text
    return {"customer": customer, "other": other, "invoices": invoices}
