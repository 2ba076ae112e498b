"""Client-side helpers for the billing schedule and discount tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from quire.core.clock import today
from tests.api.catalogue_helpers import new_price, new_product
from tests.api.invoice_helpers import new_customer
from tests.support import ApiClient


def day(offset: int = 0) -> str:
    """Today plus ``offset`` days, as the wire writes dates."""
    return (today() + timedelta(days=offset)).isoformat()


def iso(value: date) -> str:
    return value.isoformat()


def prices(client: ApiClient, n: int = 2, **overrides: Any) -> list[dict[str, Any]]:
    product = new_product(client)
    return [new_price(client, product["id"], **overrides) for _ in range(n)]


def schedule_body(customer_id: str, price_ids: list[str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "CUSTOM", "customerId": customer_id, "startDate": day(-10), "priceIds": price_ids,
        "autoIssueInvoices": False, "createAsDraft": False,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def new_schedule(client: ApiClient, customer: dict[str, Any] | None = None, price_ids: list[str] | None = None,
                 **overrides: Any) -> dict[str, Any]:
    customer = customer or new_customer(client)
    price_ids = price_ids if price_ids is not None else [p["id"] for p in prices(client, 1)]
    response = client.post("/billing-schedules", json=schedule_body(customer["id"], price_ids, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


def discount_body(schedule_id: str, price_ids: list[str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "billingScheduleId": schedule_id, "priceIds": price_ids, "separateLineItem": False, "amount": 10,
        "discountCalculationType": "PERCENTAGE", "message": "10% off",
    }
    body.update(overrides)
    return body


def fields_of(response: Any) -> list[str]:
    """The fields a 400 names."""
    assert response.status_code == 400, response.text
    return [f["field"] for f in response.json()["error"].get("fields", [])]


def schedule_ids(client: ApiClient) -> dict[str, str]:
    """Real ids for the fuzzer (tests/api/test_fuzz.py): an active schedule with its phase, a discount and
    settings; a draft to activate; one more to archive. Discounts name ``schedule_price``."""
    customer = new_customer(client)
    [price] = prices(client, 1)
    body = schedule_body(customer["id"], [price["id"]], startDate="2024-01-01")
    made = {}
    for name, draft in (("schedule", False), ("draft_schedule", True), ("archived_schedule", False)):
        response = client.post("/billing-schedules", json={**body, "createAsDraft": draft})
        assert response.status_code == 201, response.text
        made[name] = response.json()
    discount = client.post("/discounts", json=discount_body(made["schedule"]["id"], [price["id"]]))
    settings = client.post("/billing-schedule-settings", json={"billingScheduleId": made["schedule"]["id"], "paymentProvider": "NONE"})
    assert discount.status_code == 201 and settings.status_code == 201, (discount.text, settings.text)
    return {**{name: s["id"] for name, s in made.items()}, "phase": made["schedule"]["phases"][0]["id"],
            "schedule_price": price["id"], "discount": discount.json()["id"], "schedule_settings": settings.json()["id"]}
