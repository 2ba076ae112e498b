"""Case-insensitive matching folds Unicode, with the same numbers on SQLite and PostgreSQL (issue 12,
class 9; docs/usage.md "Case-insensitive matching"). Every expected number is counted by hand from the
values listed here, never computed by the code under test; both database legs expect the same ones."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tests.api.invoice_helpers import new_customer
from tests.support import ApiClient

MARCH = "2024-03-15T12:00:00Z"

# The UNIQUE test set: each inner list is one user under caseless matching (hand-grouped).
USERS: list[list[str]] = [
    ["Zoë", "ZOË", "Zoe\u0308"],  # precomposed ë, Ë, and e + COMBINING DIAERESIS: canonically equal
    ["Straße", "STRASSE", "STRA\u1e9eE"],  # ß folds to ss; U+1E9E is the capital sharp s
    ["ΣΟΦΟΣ", "σοφος", "σοφοσ"],  # Σ, σ and final ς fold to σ
    ["İstanbul"],  # İ folds to i + U+0307 (default, not Turkish, folding): not "istanbul"
    ["ISTANBUL", "istanbul"],
    ["Ångström", "\u212bNGSTRÖM", "ångström"],  # U+212B ANGSTROM SIGN is canonically Å
    ["\u01c5emal", "\u01c4EMAL"],  # titlecase ǅ and capital Ǆ fold to ǆ (one character)
    ["D\u017eEMAL"],  # D + ž, two characters: not the digraph ǆ (only a compatibility equivalent)
    ["🦄Unicorn", "🦄UNICORN"],
    ["🦄🦄"],  # no case at all
]
ALL_VALUES = [value for user in USERS for value in user]


def event(client: ApiClient, alias: str, event_type: str, properties: dict[str, Any]) -> None:
    response = client.post("/usage-events", json={"customerAlias": alias, "eventType": event_type,
                                                   "eventTimestamp": MARCH, "eventProperties": properties})
    assert response.status_code == 201, response.text


def metric(client: ApiClient, **fields: Any) -> str:
    body = {"name": "Unicode", "metricType": "SIMPLE", "aggregationType": "COUNT", **fields}
    response = client.post("/usage-metrics", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def value(client: ApiClient, metric_id: str, alias: str) -> Decimal:
    response = client.get(f"/usage-metrics/{metric_id}/calculate",
                          params={"customerAliases": alias, "periodStart": "2024-03-01", "periodEnd": "2024-03-31"})
    assert response.status_code == 200, response.text
    return Decimal(str(json.loads(response.text, parse_float=Decimal)["value"]))


def test_unique_users_fold_unicode_case(client: ApiClient) -> None:
    new_customer(client, customerAliases=["uni"])
    assert len(ALL_VALUES) == 21 and len(set(ALL_VALUES)) == 21  # all different as strings
    for user in ALL_VALUES:
        event(client, "uni", "login", {"user": user})
    event(client, "uni", "login", {"user": "Zoë"})  # a repeat of an exact value
    folded = metric(client, eventType="login", aggregationType="UNIQUE", aggregationProperty="user", caseSensitive=False)
    exact = metric(client, eventType="login", aggregationType="UNIQUE", aggregationProperty="user", caseSensitive=True)
    assert value(client, folded, "uni") == 10  # the ten groups of USERS
    assert value(client, exact, "uni") == 21  # every distinct string, combining marks included


def test_case_insensitive_filters_fold_unicode_case(client: ApiClient) -> None:
    new_customer(client, customerAliases=["city"])
    cities = ["MÜNCHEN", "München", "Mu\u0308nchen", "münchen", "MUENCHEN", "STRASSE", "Strasse", "Köln", None]
    for city in cities:
        event(client, "city", "delivery", {} if city is None else {"city": city})
    filters = {"city": ["MÜNCHEN", "straße"]}
    folded = metric(client, eventType="delivery", propertyFilters=filters, caseSensitive=False)
    # MÜNCHEN, München, Mu + U+0308 + nchen, münchen; STRASSE, Strasse (ß folds to ss). Not MUENCHEN.
    assert value(client, folded, "city") == 6
    negated = metric(client, eventType="delivery", propertyFilters=filters, propertiesToNegate=["city"], caseSensitive=False)
    assert value(client, negated, "city") == 3  # MUENCHEN, Köln, and the event without a city
    exact = metric(client, eventType="delivery", propertyFilters=filters, caseSensitive=True)
    assert value(client, exact, "city") == 1  # MÜNCHEN exactly
    cologne = metric(client, eventType="delivery", propertyFilters={"city": ["KÖLN"]}, caseSensitive=False)
    assert value(client, cologne, "city") == 1


def names(response: Any, key: str) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item[key] for item in response.json()["items"])


def test_customer_and_catalogue_searches_fold_unicode_case(client: ApiClient) -> None:
    for name, email in [("MÜLLER GmbH", "info@mueller.example"), ("Müller AG", "ZOË@EXAMPLE.COM"),
                        ("Mueller Ltd", "a@example.com"), ("Straße 9 KG", "b@example.com")]:
        new_customer(client, legalName=name, email=email)
    assert names(client.get("/customers", params={"legalName": "müller"}), "legalName") == ["MÜLLER GmbH", "Müller AG"]
    assert names(client.get("/customers", params={"legalName": "MU\u0308LLER"}), "legalName") == [
        "MÜLLER GmbH", "Müller AG"]
    assert names(client.get("/customers", params={"legalName": "STRASSE"}), "legalName") == ["Straße 9 KG"]
    assert names(client.get("/customers", params={"email": "zoë@"}), "legalName") == ["Müller AG"]
    for product in ("Éclair", "ÉCLAIR box", "Eclair"):
        assert client.post("/products", json={"name": product, "label": "x"}).status_code == 201
    assert names(client.get("/products", params={"name": "éclair"}), "name") == ["ÉCLAIR box", "Éclair"]
