"""References in a request body or query: unknown, or another account's, is 400 naming the field (issue 12).

Only the object of the URL path answers 404. The reference fields are read from Sequence's contract: every
request-body property or query parameter of an implemented operation whose name ends in ``Id``/``Ids``,
plus the known references by alias (``customerAliases``). ``test_every_contract_reference_is_covered``
fails for one that is neither exercised below (``CASES``) nor exempted with its reason (``EXEMPT``), so a
route added tomorrow is covered the day it is served. Each case sends an unknown uuid and another
account's real id of the right kind: 400 ``ValidationError`` whose ``fields`` name the field (array items
as ``priceIds[0]``), never 404, never 500, and nothing written (the owner's lists read the same after).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import pytest

from tests.api.catalogue_helpers import list_price_body, new_list_price, new_plan, new_price, new_product, plan_body, price_body
from tests.api.invoice_helpers import action, add_group, add_line, new_customer, new_invoice
from tests.api.user_helpers import real_user
from tests.support import ApiClient, LiveServer

CONTRACT = Path(__file__).resolve().parents[2] / "contract" / "sequence-2024-01-01.json"
METHODS = ("get", "put", "post", "delete", "patch")

#: Known references whose names do not end in Id/Ids.
NAMED_REFERENCES = {"customerAliases"}

_FILTER = "a list filter: one that matches nothing gives an empty page (200), as any filter (docs/errors.md#references)"
_OPAQUE = "names nothing Quire stores yet (billing engine, credits, users, tax categories); kept as given"
_CLIENTS = "the client's own identifier (idempotency or supersession key), not a reference to a Quire object"
_EXTERNAL = "ids in other systems ({key, value} pairs), not references to Quire objects"
_CATALOGUE = "not checked against usage metrics / seat types (docs/catalogue.md: the billing engine resolves them)"

#: (METHOD, path shape, field) → why it is not a reference that must resolve.
EXEMPT: dict[tuple[str, str, str], str] = {
    ("GET", "/usage-events", "?customerAlias"): _FILTER,
    ("GET", "/usage-events", "?eventId"): _FILTER,
    ("GET", "/usage-events", "?unmappedAliasesOnly"): "a boolean filter",
    ("POST", "/usage-events", "customerEventId"): _CLIENTS,
    ("GET", "/seat-snapshots", "?customerAlias"): _FILTER,
    ("GET", "/seat-snapshots", "?customerSnapshotId"): _FILTER,
    ("POST", "/seat-snapshots", "customerSnapshotId"): _CLIENTS,
    ("POST", "/seat-snapshots", "seatChanges[].externalId"): _CLIENTS,
    ("GET", "/seat-changes", "?customerAlias"): _FILTER,
    ("POST", "/seat-types", "sequenceUserId"): _OPAQUE,
    ("POST", "/customers", "externalIds"): _EXTERNAL,
    ("PUT", "/customers/{}", "externalIds"): _EXTERNAL,
    ("GET", "/customers", "?alias"): _FILTER,
    ("POST", "/customers", "customerAliases"): "the new aliases to give the customer (values, not references)",
    ("PUT", "/customers/{}", "customerAliases"): "the new aliases to give the customer (values, not references)",
    ("GET", "/prices", "?productId"): _FILTER,
    ("POST", "/prices", "externalIds"): _EXTERNAL,
    ("POST", "/prices", "parameters[].parameterId"): _CATALOGUE,
    ("POST", "/prices", "structure.seatTypeId"): _CATALOGUE,
    ("POST", "/prices", "structure.usageMetricId"): _CATALOGUE,
    ("POST", "/tax-rates", "taxCategoryId"): _OPAQUE,
    ("PUT", "/tax-rates/{}", "taxCategoryId"): _OPAQUE,
    ("GET", "/list-prices", "?productId"): _FILTER,
    ("POST", "/list-prices", "customMetricParameters[].parameterId"): _CATALOGUE,
    ("POST", "/list-prices", "integrationIds"): _EXTERNAL,
    ("POST", "/list-prices", "structure.seatMetricId"): _CATALOGUE,
    ("POST", "/list-prices", "structure.usageMetricId"): _CATALOGUE,
    ("PUT", "/list-prices/{}", "customMetricParameters[].parameterId"): _CATALOGUE,
    ("PUT", "/list-prices/{}", "integrationIds"): _EXTERNAL,
    ("PUT", "/list-prices/{}", "structure.seatMetricId"): _CATALOGUE,
    ("PUT", "/list-prices/{}", "structure.usageMetricId"): _CATALOGUE,
    ("GET", "/invoices", "?billingScheduleId"): _FILTER,
    ("GET", "/invoices", "?customerId"): _FILTER,
    ("POST", "/invoices", "billingRunId"): _OPAQUE,
    ("POST", "/invoices", "billingScheduleId"): _OPAQUE,
    ("PUT", "/invoices/{}", "billingRunId"): _OPAQUE,
    ("PATCH", "/invoices/{}", "billingRunId"): _OPAQUE,
    ("POST", "/invoices/{}/line-items", "creditGrantId"): _OPAQUE,
    ("POST", "/invoices/{}/line-items", "externalIds"): _EXTERNAL,
    ("PUT", "/invoices/{}/line-items/{}", "creditGrantId"): _OPAQUE,
    ("PUT", "/invoices/{}/line-items/{}", "externalIds"): _EXTERNAL,
    ("GET", "/credit-notes", "?customerId"): _FILTER,
    ("POST", "/credit-notes", "customerTaxId"): "a tax identifier (text printed on the document), not an object id",
    ("PUT", "/credit-notes/{}", "customerTaxId"): "a tax identifier (text printed on the document), not an object id",
    ("POST", "/credit-notes/{}/line-items", "externalIds"): _EXTERNAL,
    ("PUT", "/credit-notes/{}/line-items/{}", "externalIds"): _EXTERNAL,
    ("GET", "/billing-schedules", "?customerId"): _FILTER,
    ("GET", "/billing-schedules", "?planId"): _FILTER,
}


# --- the reference fields of the contract ----------------------------------------------------------


def shape(path: str) -> str:
    return re.sub(r"\{[^/}]+\}", "{}", path)


@cache
def contract() -> dict[str, Any]:
    return json.loads(CONTRACT.read_text())


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = contract()
        for part in schema["$ref"].split("/")[1:]:
            node = node[part]
        schema = node
    return schema


def _is_reference(name: str) -> bool:
    return name.endswith(("Id", "Ids")) or name in NAMED_REFERENCES


def _body_fields(schema: dict[str, Any], prefix: str, out: set[str], depth: int = 0) -> None:
    schema = _resolve(schema)
    if depth > 6:
        return
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            _body_fields(sub, prefix, out, depth + 1)
    for name, prop in schema.get("properties", {}).items():
        if _is_reference(name):
            out.add(prefix + name)
        prop = _resolve(prop)
        if prop.get("type") == "array":
            _body_fields(prop.get("items", {}), f"{prefix}{name}[].", out, depth + 1)
        else:
            _body_fields(prop, f"{prefix}{name}.", out, depth + 1)


@cache
def served() -> frozenset[tuple[str, str]]:
    from quire.app import create_app
    from quire.config import Settings

    app = create_app(Settings(database_url="sqlite:///:memory:"))
    out: set[tuple[str, str]] = set()
    stack = list(app.routes)
    while stack:
        route = stack.pop()
        if getattr(route, "methods", None):
            out |= {(m, shape(route.path)) for m in route.methods}  # type: ignore[attr-defined]
        else:
            stack.extend(getattr(route, "routes", []))
    return frozenset(out)


def contract_references() -> set[tuple[str, str, str]]:
    """(METHOD, path shape, field) of every reference of every implemented operation; ``?`` marks a query."""
    out: set[tuple[str, str, str]] = set()
    for path, item in contract()["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None or (method.upper(), shape(path)) not in served():
                continue
            fields: set[str] = set()
            for parameter in operation.get("parameters", []):
                parameter = _resolve(parameter)
                if parameter.get("in") == "query" and (_is_reference(parameter["name"]) or "alias" in parameter["name"].lower()):
                    fields.add("?" + parameter["name"])
            body = _resolve(operation.get("requestBody", {})).get("content", {}).get("application/json", {})
            if body:
                _body_fields(body.get("schema", {}), "", fields)
            out |= {(method.upper(), shape(path), f) for f in fields}
    return out


# --- one world of real objects per account -----------------------------------------------------------


def _made(response: Any) -> dict[str, Any]:
    assert response.status_code < 300, response.text
    body: dict[str, Any] = response.json()
    return body


class World:
    """An account's real objects, each made on first use (a case needs only a few of them)."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.account_id = client.credential.account_id

    @cached_property
    def user(self) -> str:
        return real_user(self.client)

    @cached_property
    def customer(self) -> dict[str, Any]:
        return new_customer(self.client)

    @cached_property
    def draft(self) -> dict[str, Any]:
        return new_invoice(self.client, customer=self.customer)

    @cached_property
    def group(self) -> dict[str, Any]:
        return add_group(self.client, self.draft["id"])

    @cached_property
    def line(self) -> dict[str, Any]:
        return add_line(self.client, self.draft["id"])

    @cached_property
    def _final(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        final = new_invoice(self.client, customer=self.customer)
        group = add_group(self.client, final["id"])
        line = add_line(self.client, final["id"], groupId=group["id"])
        return _made(action(self.client, final["id"], "finalize")), group, line

    @property
    def final(self) -> dict[str, Any]:
        return self._final[0]

    @property
    def final_group(self) -> dict[str, Any]:
        return self._final[1]

    @property
    def final_line(self) -> dict[str, Any]:
        return self._final[2]

    @cached_property
    def note(self) -> dict[str, Any]:
        return _made(self.client.post("/credit-notes", json={
            "invoiceId": self.final["id"], "currency": "GBP", "customerId": self.customer["id"]}))

    @cached_property
    def note_group(self) -> dict[str, Any]:
        return _made(self.client.post(f"/credit-notes/{self.note['id']}/line-item-groups", json={"title": "Credit"}))

    @cached_property
    def product(self) -> dict[str, Any]:
        return new_product(self.client)

    @cached_property
    def price(self) -> dict[str, Any]:
        return new_price(self.client, self.product["id"])

    @cached_property
    def spare_price(self) -> dict[str, Any]:
        return new_price(self.client, self.product["id"])

    @cached_property
    def listed(self) -> dict[str, Any]:
        return new_list_price(self.client, self.product["id"])

    @cached_property
    def plan(self) -> dict[str, Any]:
        return new_plan(self.client, [self.price["id"]])

    @cached_property
    def spare_plan(self) -> dict[str, Any]:
        return new_plan(self.client, [self.price["id"]])

    @cached_property
    def tax_rate(self) -> dict[str, Any]:
        return _made(self.client.post("/tax-rates", json={
            "isPublished": True, "name": "VAT", "invoiceName": "VAT", "invoiceShortName": "VAT", "description": "VAT",
            "amount": "0.2", "country": "GB", "region": "London", "subRates": []}))

    @cached_property
    def registration(self) -> dict[str, Any]:
        return _made(self.client.post("/tax-registrations", json={
            "customerId": self.customer["id"], "taxIdentifier": "GB980780684", "country": "GB"}))

    @cached_property
    def metric(self) -> dict[str, Any]:
        return _made(self.client.post("/usage-metrics", json={
            "name": "Calls", "metricType": "SIMPLE", "eventType": "call", "aggregationType": "COUNT"}))

    @cached_property
    def schedule(self) -> dict[str, Any]:
        return _made(self.client.post("/billing-schedules", json=_schedule(self, priceIds=[self.price["id"]])))

    @cached_property
    def discount(self) -> dict[str, Any]:
        return _made(self.client.post("/discounts", json=_discount(self, billingScheduleId=self.schedule["id"])))


# --- the cases ---------------------------------------------------------------------------------------


def _customer_id(w: World) -> str:
    return str(w.customer["id"])


@dataclass(frozen=True)
class Case:
    method: str
    shape: str
    field: str  # as in the contract (``priceIds[]`` for a list's items)
    named: str  # the field the 400 must name
    #: (world, value) -> (url, json body or None, query or None)
    request: Callable[[World, str], tuple[str, Any, Any]]
    #: (other world) -> another account's real id of the right kind
    foreign: Callable[[World], str]
    #: owner's GETs that must read the same after the refused request
    unchanged: Callable[[World], list[str]]
    #: the caller's own object for the field: the same request with it must succeed
    own: Callable[[World], Any] = _customer_id
    #: error types accepted besides ValidationError (documented subtypes, e.g. ImmutableField)
    also: tuple[str, ...] = ()


def _customer(w: World) -> str:
    return str(w.customer["id"])


def invoice_line(w: World, **fields: Any) -> dict[str, Any]:
    return {"title": "x", "quantity": "1", "rate": "1.00", "taxRate": "0.2", "externalIds": [], **fields}


def credit_line(w: World, **fields: Any) -> dict[str, Any]:
    return {"creditNoteId": w.note["id"], "title": "x", "quantity": "1", "rate": "1.00", "taxRate": "0.2",
            "externalIds": [], **fields}


def _registration(**fields: Any) -> dict[str, Any]:
    return {"taxIdentifier": "DE136695976", "country": "DE", **fields}  # not the world's GB registration


def _schedule(w: World, **fields: Any) -> dict[str, Any]:
    return {"type": "CUSTOM", "customerId": w.customer["id"], "startDate": "2024-01-01", "autoIssueInvoices": False,
            "createAsDraft": False, **fields}


def _schedule_update(w: World, **fields: Any) -> tuple[str, dict[str, Any], None]:
    return (f"/billing-schedules/{w.schedule['id']}",
            {"type": "CUSTOM", "startDate": "2024-01-01", "autoIssueInvoices": False, **fields}, None)


def _discount(w: World, **fields: Any) -> dict[str, Any]:
    return {"billingScheduleId": w.schedule["id"], "priceIds": [w.price["id"]], "separateLineItem": False, "amount": 10,
            "discountCalculationType": "PERCENTAGE", "message": "10% off", **fields}


def _price(w: World) -> str:
    return str(w.price["id"])


def _schedules(w: World) -> list[str]:
    return [f"/billing-schedules/{w.schedule['id']}", "/discounts"]


def _grant(w: World, **fields: Any) -> dict[str, Any]:
    return {"sequenceAccountId": w.account_id, "customerId": w.customer["id"], "name": "Credit",
            "creditUnitType": "CURRENCY", "currency": "GBP", "amount": 10, "costOfCredit": 5, **fields}


CASES: list[Case] = [
    Case("POST", "/invoices", "customerId", "customerId",
         lambda w, v: ("/invoices", {"currency": "GBP", "customerId": v}, None),
         _customer, lambda w: ["/invoices"]),
    Case("POST", "/credit-notes", "customerId", "customerId",
         lambda w, v: ("/credit-notes", {"currency": "GBP", "customerId": v}, None),
         _customer, lambda w: ["/credit-notes"]),
    Case("POST", "/credit-notes", "invoiceId", "invoiceId",
         lambda w, v: ("/credit-notes", {"currency": "GBP", "customerId": w.customer["id"], "invoiceId": v}, None),
         lambda o: o.final["id"], lambda w: ["/credit-notes", f"/invoices/{w.final['id']}"],
         own=lambda w: w.final["id"]),
    Case("POST", "/customer-aliases", "customerId", "customerId",
         lambda w, v: ("/customer-aliases", {"customerId": v, "sequenceAccountId": w.account_id,
                                             "value": f"alias-{uuid.uuid4().hex[:8]}"}, None),
         _customer, lambda w: ["/customer-aliases"]),
    Case("POST", "/customer-aliases", "sequenceAccountId", "sequenceAccountId",
         lambda w, v: ("/customer-aliases", {"customerId": w.customer["id"], "sequenceAccountId": v,
                                             "value": f"alias-{uuid.uuid4().hex[:8]}"}, None),
         lambda o: o.account_id, lambda w: ["/customer-aliases"], own=lambda w: w.account_id),
    Case("POST", "/customer-settings", "customerId", "customerId",
         lambda w, v: ("/customer-settings", {"customerId": v, "paymentProvider": "STRIPE"}, None),
         _customer, lambda w: []),
    Case("POST", "/invoice-settings", "invoiceId", "invoiceId",
         lambda w, v: ("/invoice-settings", {"invoiceId": v, "paymentProvider": "STRIPE"}, None),
         lambda o: o.draft["id"], lambda w: [], own=lambda w: w.draft["id"]),
    Case("POST", "/invoice-settings", "customerId", "customerId",
         lambda w, v: ("/invoice-settings", {"invoiceId": w.draft["id"], "customerId": v, "paymentProvider": "STRIPE"},
                       None),
         _customer, lambda w: [f"/invoice-settings/for-invoice/{w.draft['id']}"]),
    Case("POST", "/prices", "productId", "productId",
         lambda w, v: ("/prices", price_body(v), None),
         lambda o: o.product["id"], lambda w: ["/prices"], own=lambda w: w.product["id"]),
    Case("POST", "/prices", "listPriceId", "listPriceId",
         lambda w, v: ("/prices", price_body(w.product["id"], listPriceId=v), None),
         lambda o: o.listed["id"], lambda w: ["/prices"], own=lambda w: w.listed["id"]),
    Case("POST", "/list-prices", "productId", "productId",
         lambda w, v: ("/list-prices", list_price_body(v), None),
         lambda o: o.product["id"], lambda w: ["/list-prices"], own=lambda w: w.product["id"]),
    Case("PUT", "/list-prices/{}", "productId", "productId",
         lambda w, v: (f"/list-prices/{w.listed['id']}", list_price_body(v), None),
         lambda o: o.product["id"], lambda w: [f"/list-prices/{w.listed['id']}"], own=lambda w: w.product["id"],
         also=("ImmutableField",)),
    Case("POST", "/plans", "priceIds", "priceIds[1]",
         lambda w, v: ("/plans", plan_body([w.price["id"], v]), None),
         lambda o: o.price["id"], lambda w: ["/plans"], own=lambda w: w.spare_price["id"]),
    Case("POST", "/plans", "eligibleCustomerIds", "eligibleCustomerIds[0]",
         lambda w, v: ("/plans", plan_body([w.price["id"]], eligibleCustomerIds=[v]), None),
         _customer, lambda w: ["/plans"]),
    Case("POST", "/plans", "parentId", "parentId",
         lambda w, v: ("/plans", plan_body([w.price["id"]], parentId=v), None),
         lambda o: o.plan["id"], lambda w: ["/plans"], own=lambda w: w.plan["id"]),
    Case("PUT", "/plans/{}", "priceIds", "priceIds[1]",
         lambda w, v: (f"/plans/{w.plan['id']}", plan_body([w.price["id"], v]), None),
         lambda o: o.price["id"], lambda w: [f"/plans/{w.plan['id']}"], own=lambda w: w.spare_price["id"]),
    Case("PUT", "/plans/{}", "eligibleCustomerIds", "eligibleCustomerIds[0]",
         lambda w, v: (f"/plans/{w.plan['id']}", plan_body([w.price["id"]], eligibleCustomerIds=[v]), None),
         _customer, lambda w: [f"/plans/{w.plan['id']}"]),
    Case("PUT", "/plans/{}", "parentId", "parentId",
         lambda w, v: (f"/plans/{w.plan['id']}", plan_body([w.price["id"]], parentId=v), None),
         lambda o: o.plan["id"], lambda w: [f"/plans/{w.plan['id']}"], own=lambda w: w.spare_plan["id"]),
    Case("GET", "/plans/{}", "?version", "version",
         lambda w, v: (f"/plans/{w.plan['id']}", None, {"version": {"own": 1, "foreign": 2}.get(v, 7)}),
         lambda o: "foreign", lambda w: [], own=lambda w: "own"),
    Case("POST", "/tax-registrations", "customerId", "customerId",
         lambda w, v: ("/tax-registrations", _registration(customerId=v), None),
         _customer, lambda w: ["/tax-registrations"]),
    Case("POST", "/tax-registrations", "merchantId", "merchantId",
         lambda w, v: ("/tax-registrations", _registration(merchantId=v), None),
         lambda o: o.account_id, lambda w: ["/tax-registrations"], own=lambda w: w.account_id),
    Case("PUT", "/tax-registrations/{}", "customerId", "customerId",
         lambda w, v: (f"/tax-registrations/{w.registration['id']}", _registration(customerId=v), None),
         _customer, lambda w: [f"/tax-registrations/{w.registration['id']}"]),
    Case("PUT", "/tax-registrations/{}", "merchantId", "merchantId",
         lambda w, v: (f"/tax-registrations/{w.registration['id']}", _registration(merchantId=v), None),
         lambda o: o.account_id, lambda w: [f"/tax-registrations/{w.registration['id']}"], own=lambda w: w.account_id),
    Case("POST", "/invoices/{}/line-items", "groupId", "groupId",
         lambda w, v: (f"/invoices/{w.draft['id']}/line-items", invoice_line(w, groupId=v), None),
         lambda o: o.group["id"], lambda w: [f"/invoices/{w.draft['id']}/line-items", f"/invoices/{w.draft['id']}"],
         own=lambda w: w.group["id"]),
    Case("POST", "/invoices/{}/line-items", "taxRateId", "taxRateId",
         lambda w, v: (f"/invoices/{w.draft['id']}/line-items", invoice_line(w, taxRateId=v), None),
         lambda o: o.tax_rate["id"], lambda w: [f"/invoices/{w.draft['id']}/line-items"], own=lambda w: w.tax_rate["id"]),
    Case("POST", "/invoices/{}/line-items", "priceId", "priceId",
         lambda w, v: (f"/invoices/{w.draft['id']}/line-items", invoice_line(w, priceId=v), None),
         lambda o: o.price["id"], lambda w: [f"/invoices/{w.draft['id']}/line-items"], own=lambda w: w.price["id"]),
    Case("PUT", "/invoices/{}/line-items/{}", "priceId", "priceId",
         lambda w, v: (f"/invoices/{w.draft['id']}/line-items/{w.line['id']}", invoice_line(w, priceId=v), None),
         lambda o: o.price["id"], lambda w: [f"/invoices/{w.draft['id']}/line-items"], own=lambda w: w.price["id"]),
    Case("PUT", "/invoices/{}/line-items/{}", "groupId", "groupId",
         lambda w, v: (f"/invoices/{w.draft['id']}/line-items/{w.line['id']}", invoice_line(w, groupId=v), None),
         lambda o: o.group["id"], lambda w: [f"/invoices/{w.draft['id']}/line-items"], own=lambda w: w.group["id"]),
    Case("PUT", "/invoices/{}/line-items/{}", "taxRateId", "taxRateId",
         lambda w, v: (f"/invoices/{w.draft['id']}/line-items/{w.line['id']}", invoice_line(w, taxRateId=v), None),
         lambda o: o.tax_rate["id"], lambda w: [f"/invoices/{w.draft['id']}/line-items"], own=lambda w: w.tax_rate["id"]),
    Case("POST", "/credit-notes/{}/line-items", "creditNoteId", "creditNoteId",
         lambda w, v: (f"/credit-notes/{w.note['id']}/line-items", credit_line(w, creditNoteId=v), None),
         lambda o: o.note["id"], lambda w: [f"/credit-notes/{w.note['id']}/line-items"], own=lambda w: w.note["id"]),
    Case("POST", "/credit-notes/{}/line-items", "groupId", "groupId",
         lambda w, v: (f"/credit-notes/{w.note['id']}/line-items", credit_line(w, groupId=v), None),
         lambda o: o.note_group["id"], lambda w: [f"/credit-notes/{w.note['id']}/line-items"],
         own=lambda w: w.note_group["id"]),
    Case("POST", "/credit-notes/{}/line-items", "lineItemId", "lineItemId",
         lambda w, v: (f"/credit-notes/{w.note['id']}/line-items", credit_line(w, lineItemId=v), None),
         lambda o: o.final_line["id"], lambda w: [f"/credit-notes/{w.note['id']}/line-items"],
         own=lambda w: w.final_line["id"]),
    Case("POST", "/credit-notes/{}/line-item-groups", "lineItemGroupId", "lineItemGroupId",
         lambda w, v: (f"/credit-notes/{w.note['id']}/line-item-groups", {"title": "x", "lineItemGroupId": v}, None),
         lambda o: o.final_group["id"], lambda w: [f"/credit-notes/{w.note['id']}/line-item-groups"],
         own=lambda w: w.final_group["id"]),
    Case("GET", "/seat-balances", "?customerAliases", "customerAliases",
         lambda w, v: ("/seat-balances", None, {"customerAliases": f"{w.customer['id']},{v}"}),
         _customer, lambda w: []),
    Case("GET", "/usage-metrics/{}/calculate", "?customerAliases", "customerAliases",
         lambda w, v: (f"/usage-metrics/{w.metric['id']}/calculate", None,
                       {"customerAliases": v, "periodStart": "2024-01-01", "periodEnd": "2024-01-31"}),
         _customer, lambda w: []),
    Case("POST", "/credits", "customerId", "customerId",
         lambda w, v: ("/credits", _grant(w, customerId=v), None), _customer, lambda w: ["/credits", "/invoices"]),
    Case("POST", "/credits", "sequenceAccountId", "sequenceAccountId",
         lambda w, v: ("/credits", _grant(w, sequenceAccountId=v), None),
         lambda o: o.account_id, lambda w: ["/credits", "/invoices"], own=lambda w: w.account_id),
    Case("PUT", "/users/{}", "sequenceAccountIds", "sequenceAccountIds[0]",
         lambda w, v: (f"/users/{w.user}", {"sequenceAccountIds": [v]}, None),
         lambda o: o.account_id, lambda w: [f"/users/{w.user}"], own=lambda w: w.account_id),
    Case("POST", "/credits", "metricId", "metricId",
         lambda w, v: ("/credits", _grant(w, creditUnitType="METRIC", metricId=v), None),
         lambda o: str(o.metric["id"]), lambda w: ["/credits", "/invoices"], own=lambda w: str(w.metric["id"])),
    Case("POST", "/billing-schedules", "customerId", "customerId",
         lambda w, v: ("/billing-schedules", _schedule(w, customerId=v, priceIds=[w.price["id"]]), None),
         _customer, lambda w: ["/billing-schedules"]),
    Case("POST", "/billing-schedules", "priceIds", "priceIds[1]",
         lambda w, v: ("/billing-schedules", _schedule(w, priceIds=[w.price["id"], v]), None),
         lambda o: str(o.price["id"]), lambda w: ["/billing-schedules"], own=lambda w: str(w.spare_price["id"])),
    Case("POST", "/billing-schedules", "discounts[].priceIds", "discounts[0].priceIds[0]",
         lambda w, v: ("/billing-schedules", _schedule(w, priceIds=[w.price["id"]], discounts=[
             {k: x for k, x in _discount(w, priceIds=[v]).items() if k != "billingScheduleId"}]), None),
         lambda o: str(o.price["id"]), lambda w: ["/billing-schedules"], own=_price),
    Case("POST", "/billing-schedules", "phases[].priceIds", "phases[0].priceIds[0]",
         lambda w, v: ("/billing-schedules", _schedule(w, type="PHASES", phases=[{"priceIds": [v], "startDate": "2024-01-01"}]), None),
         lambda o: str(o.price["id"]), lambda w: ["/billing-schedules"], own=_price),
    Case("POST", "/billing-schedules", "taxRates[].priceId", "taxRates[0].priceId",
         lambda w, v: ("/billing-schedules", _schedule(w, priceIds=[w.price["id"]], taxRates=[
             {"priceId": v, "taxRateId": w.tax_rate["id"]}]), None),
         lambda o: str(o.price["id"]), lambda w: ["/billing-schedules"], own=_price),
    Case("POST", "/billing-schedules", "taxRates[].taxRateId", "taxRates[0].taxRateId",
         lambda w, v: ("/billing-schedules", _schedule(w, priceIds=[w.price["id"]], taxRates=[
             {"priceId": w.price["id"], "taxRateId": v}]), None),
         lambda o: str(o.tax_rate["id"]), lambda w: ["/billing-schedules"], own=lambda w: str(w.tax_rate["id"])),
    Case("PUT", "/billing-schedules/{}", "priceIds", "priceIds[1]",
         lambda w, v: _schedule_update(w, priceIds=[w.price["id"], v]),
         lambda o: str(o.price["id"]), _schedules, own=lambda w: str(w.spare_price["id"])),
    Case("PUT", "/billing-schedules/{}", "phases[].priceIds", "phases[0].priceIds[1]",
         lambda w, v: _schedule_update(w, type="PHASES", phases=[{"priceIds": [w.price["id"], v], "startDate": "2024-01-01"}]),
         lambda o: str(o.price["id"]), _schedules, own=lambda w: str(w.spare_price["id"])),
    Case("PUT", "/billing-schedules/{}", "taxRates[].priceId", "taxRates[0].priceId",
         lambda w, v: _schedule_update(w, taxRates=[{"priceId": v, "taxRateId": w.tax_rate["id"]}]),
         lambda o: str(o.price["id"]), _schedules, own=_price),
    Case("PUT", "/billing-schedules/{}", "taxRates[].taxRateId", "taxRates[0].taxRateId",
         lambda w, v: _schedule_update(w, taxRates=[{"priceId": w.price["id"], "taxRateId": v}]),
         lambda o: str(o.tax_rate["id"]), _schedules, own=lambda w: str(w.tax_rate["id"])),
    Case("POST", "/billing-schedule-settings", "billingScheduleId", "billingScheduleId",
         lambda w, v: ("/billing-schedule-settings", {"billingScheduleId": v, "paymentProvider": "STRIPE"}, None),
         lambda o: str(o.schedule["id"]), _schedules, own=lambda w: str(w.schedule["id"])),
    Case("POST", "/discounts", "billingScheduleId", "billingScheduleId",
         lambda w, v: ("/discounts", _discount(w, billingScheduleId=v), None),
         lambda o: str(o.schedule["id"]), _schedules, own=lambda w: str(w.schedule["id"])),
    Case("POST", "/discounts", "phaseId", "phaseId",
         lambda w, v: ("/discounts", _discount(w, phaseId=v), None),
         lambda o: str(o.schedule["phases"][0]["id"]), _schedules, own=lambda w: str(w.schedule["phases"][0]["id"])),
    Case("POST", "/discounts", "priceIds", "priceIds[0]",
         lambda w, v: ("/discounts", _discount(w, priceIds=[v]), None),
         lambda o: str(o.price["id"]), _schedules, own=_price),
    Case("PUT", "/discounts/{}", "billingScheduleId", "billingScheduleId",
         lambda w, v: (f"/discounts/{w.discount['id']}", _discount(w, billingScheduleId=v), None),
         lambda o: str(o.schedule["id"]), lambda w: [f"/discounts/{w.discount['id']}"], own=lambda w: str(w.schedule["id"])),
    Case("PUT", "/discounts/{}", "priceIds", "priceIds[0]",
         lambda w, v: (f"/discounts/{w.discount['id']}", _discount(w, priceIds=[v]), None),
         lambda o: str(o.price["id"]), lambda w: [f"/discounts/{w.discount['id']}"], own=_price),
]


def test_every_contract_reference_is_covered() -> None:
    """Generated from the contract: each reference field of each served operation is exercised or exempted."""
    covered = {(c.method, c.shape, c.field) for c in CASES}
    missing = sorted(contract_references() - covered - set(EXEMPT))
    assert not missing, f"reference fields with no test case and no exemption: {missing}"
    stale = sorted(set(EXEMPT) - contract_references())
    assert not stale, f"exemptions for fields the served contract no longer has: {stale}"


def _refused(response: Any, case: Case, value: str) -> None:
    where = f"{case.method} {case.shape} {case.field}={value!r}"
    assert response.status_code == 400, f"{where}: {response.status_code} {response.text}"
    body = response.json()
    error = body["error"]
    assert error["type"] in ("ValidationError", *case.also), f"{where}: {body}"
    named = [f["field"] for f in error.get("fields", [])]
    assert case.named in named, f"{where}: fields {named}, expected {case.named!r}"


@pytest.fixture(scope="module")
def other_world(server: LiveServer) -> Iterator[World]:
    """Another account's objects, made once per database: the cases only read their ids."""
    with ApiClient(server.base_url, server.new_account("Other account")) as other:
        yield World(other)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.shape} {c.field}")
def test_unknown_or_foreign_reference_is_400_naming_the_field(client: ApiClient, other_world: World, case: Case) -> None:
    world, other = World(client), other_world
    case.request(world, case.own(world))  # make the objects the request names before reading "before"
    for value in (str(uuid.uuid4()), case.foreign(other)):
        before = {path: client.get(path).json() for path in case.unchanged(world)}
        url, body, query = case.request(world, value)
        _refused(client.request(case.method, url, json=body, params=query), case, value)
        after = {path: client.get(path).json() for path in case.unchanged(world)}
        assert after == before, f"{case.method} {url}: a refused request changed {sorted(before)}"
    # Ids no table can hold (a NUL, which PostgreSQL text refuses; too long for an id column): 400, never 500.
    for hostile in ("a\u0000b", "9" * 5000):
        url, body, query = case.request(world, hostile)
        response = client.request(case.method, url, json=body, params=query)
        assert response.status_code == 400, f"{case.method} {url} {case.field}={hostile[:8]!r}: {response.text[:300]}"
    # The same request with the owner's own object is accepted: the field alone was the fault. (Its success
    # body is other tests' business: this client does not check it against the schema.)
    url, body, query = case.request(world, case.own(world))
    with ApiClient(str(client.base_url), client.credential, validate=False) as plain:
        response = plain.request(case.method, url, json=body, params=query)
    assert response.status_code < 300, f"{case.method} {url} with a real id: {response.status_code} {response.text}"
