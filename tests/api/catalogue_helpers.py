"""Client-side helpers for the catalogue tests (products, prices, list prices, plans)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from tests.support import ApiClient

_seq = itertools.count(1)

TIERS = [
    {"upperBound": "100", "price": "1.00", "fee": "20.00", "isPricePercentage": False},
    {"price": "0.75", "fee": "50.00", "isPricePercentage": False},
]

#: One valid 2024-01-01 price structure of each pricingType.
STRUCTURES: dict[str, dict[str, Any]] = {
    "ONE_TIME": {"pricingType": "ONE_TIME", "price": "150.00"},
    "FIXED": {"pricingType": "FIXED", "price": "20.00"},
    "LINEAR": {"pricingType": "LINEAR", "pricePerUnit": "0.25", "usageMetricId": "9aa108d7-6b12-4f5e-8288-5779b9d95b5e",
               "isPricePercentage": False},
    "PACKAGE": {"pricingType": "PACKAGE", "packageSize": "250", "pricePerPackage": "10.00",
                "usageMetricId": "9aa108d7-6b12-4f5e-8288-5779b9d95b5e"},
    "VOLUME": {"pricingType": "VOLUME", "tiers": TIERS, "usageMetricId": "9aa108d7-6b12-4f5e-8288-5779b9d95b5e"},
    "GRADUATED": {"pricingType": "GRADUATED", "tiers": TIERS, "usageMetricId": "9aa108d7-6b12-4f5e-8288-5779b9d95b5e",
                  "usageCalculationMode": "BILLING_PERIOD"},
    "SEAT_BASED": {"pricingType": "SEAT_BASED", "seatTypeId": "bc61d4b8-e9d6-4f4a-9bcf-f5dae874c730", "pricePerSeat": "15",
                   "prorationStrategy": "PRORATE_INCREMENTS", "includedSeats": 10, "chargeMethod": "CHARGE_MINIMUM",
                   "overagesBillingFrequency": "MONTHLY", "tiers": []},
}


def structure(kind: str, **overrides: Any) -> dict[str, Any]:
    return {**copy.deepcopy(STRUCTURES[kind]), **overrides}


def new_product(client: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/products", json={"name": f"Product {next(_seq)}", **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def price_body(product_id: str, kind: str = "FIXED", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productId": product_id, "name": f"Price {next(_seq)}", "currency": "GBP", "structure": structure(kind),
        "billingFrequency": "MONTHLY", "billingType": "IN_ARREARS", "externalIds": [],
    }
    body.update(overrides)
    return body


def new_price(client: ApiClient, product_id: str | None = None, kind: str = "FIXED", **overrides: Any) -> dict[str, Any]:
    product_id = product_id or new_product(client)["id"]
    response = client.post("/prices", json=price_body(product_id, kind, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


def list_price_body(product_id: str, kind: str = "FIXED", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productId": product_id, "name": f"List price {next(_seq)}", "currency": "GBP", "structure": structure(kind),
        "billingFrequency": "MONTHLY", "billingType": "IN_ARREARS", "integrationIds": [], "customMetricParameters": [],
    }
    body.update(overrides)
    return body


def new_list_price(client: ApiClient, product_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    product_id = product_id or new_product(client)["id"]
    response = client.post("/list-prices", json=list_price_body(product_id, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


def plan_body(price_ids: list[str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"Plan {next(_seq)}", "label": "internal", "currency": "GBP", "priceIds": price_ids,
                            "eligibleCustomerIds": []}
    body.update(overrides)
    return body


def new_plan(client: ApiClient, price_ids: list[str] | None = None, **overrides: Any) -> dict[str, Any]:
    if price_ids is None:
        price_ids = [new_price(client)["id"]]
    response = client.post("/plans", json=plan_body(price_ids, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


def catalogue_ids(client: ApiClient) -> dict[str, str]:
    """Real ids for the fuzzer's path parameters, keyed by the path's first segment. The plan holds a
    price of its own, so DELETE /prices/{id} on the real price can succeed."""
    product = new_product(client)
    price = new_price(client, product["id"], "GRADUATED")
    plan = new_plan(client, [new_price(client, product["id"])["id"]])
    listed = new_list_price(client, product["id"])
    return {"products": product["id"], "prices": price["id"], "list-prices": listed["id"], "plans": plan["id"]}
