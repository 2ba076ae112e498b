"""Typed request-body factories: the smallest valid body, with overrides."""

from __future__ import annotations

import itertools
from typing import Any

_seq = itertools.count(1)


def address(**overrides: Any) -> dict[str, Any]:
    return {"line1": "1 Old Street", "town": "London", "postcode": "EC1V 9HX", "country": "GB", **overrides}


def customer_body(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {
        "legalName": f"Customer {n} Ltd",
        "address": address(),
        "email": f"contact{n}@example.com",
        "billingEmails": [f"billing{n}@example.com"],
    }
    body.update(overrides)
    return body


def line_body(**overrides: Any) -> dict[str, Any]:
    """A line item request with the contract's required fields."""
    body: dict[str, Any] = {"title": "Platform fee", "quantity": "1", "rate": "100.00", "taxRate": "0.2", "externalIds": []}
    body.update(overrides)
    return body


# The request example of POST /invoices in the 2024-01-01 contract, verbatim except for the
# identifiers that must point at objects of the caller's account.
SEED_INVOICE_REQUEST: dict[str, Any] = {
    "billingScheduleId": "fe2fcd0b-4c53-45c7-b2ae-b6c1a7d21e95",
    "currency": "GBP",
    "dueDate": "2022-09-30",
    "purchaseOrderNumber": "PO123",
    "reference": "ref",
    "customerEmails": ["customer.user.a@example.com", "customer.user.b@example.com"],
    "customerLegalCompanyName": "Facebook",
    "customerBillingAddress": {
        "line1": "Flat 1", "line2": "15 Yemen Road", "town": "Yemen", "state": "CA", "postcode": "YE1 2YE", "country": "YE",
    },
    "customerShippingAddress": {
        "line1": "742 Evergreen Terrace", "town": "Springfield", "state": "CA", "postcode": "12345", "country": "US",
    },
    "memo": "Thanks",
    "paymentOptions": ["BANK_TRANSFER"],
    "billingPeriod": {"start": "2022-10-01", "endInclusive": "2022-10-30"},
    "customerId": "61b083e0-1faa-47ca-9aeb-6205da8f6c47",
    "metadata": [{"key": "example-label", "value": "label-value"}],
    "creditBalances": "Verification 2 credit balance: 7/7 (expiring on 4 May 2023)",
    "billingRunId": "53ff21c8-4872-46c4-83bf-517d54876945",
    "accountingDate": "2022-09-30",
}
