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
