"""One real object of every kind Quire serves, and the real id for any path parameter of any route.

``create_real_objects(client)`` builds, through the public API of ``client``'s account, one object of
every kind that has an id in a URL (and the id-less ones a list serves: usage events, seat snapshots,
merchant settings), and returns their ids by name. ``real_id(template, name, ids)`` answers the id a
route's path parameter should carry; ``ROUTE_PARAMS`` maps every (route template, parameter) pair of
the app to a name in those ids, and ``unmapped_route_params()`` lists the pairs of
``quire.app.create_app()`` that have no entry, so a test fails the day a route is added without one.

``write_body(method, template, ids)`` is a valid body for each route that takes one, so a request
reaches the service (and its ownership check) instead of stopping at validation.

Used by tests/api/test_isolation_generated.py (another account's real ids must be 404) and by the
fuzzer (tests/api/test_fuzz.py points generated requests at real objects).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

from starlette.routing import BaseRoute

from tests.api.billing_helpers import real_billing_run
from tests.api.catalogue_helpers import list_price_body, new_list_price, new_plan, new_price, new_product, plan_body
from tests.api.invoice_helpers import add_group, add_line, new_customer, new_invoice
from tests.api.user_helpers import real_user
from tests.factories import customer_body, line_body
from tests.support import ApiClient

_seq = itertools.count(1)

#: A complete, fictional merchant: the e-invoice downloads need a seller frozen on the invoice.
MERCHANT: dict[str, Any] = {
    "legalCompanyName": "Real Objects Ltd",
    "address": {"line1": "1 Test Street", "town": "London", "postcode": "SW1A 1AA", "country": "GB"},
    "email": "billing@real-objects.example",
    "iban": "GB33BUKB20201555555555",
    "ukAccountDetails": {"sortCode": "202015", "accountNumber": "55555555"},
}


def _created(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in (statuses or (200, 201)), f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()  # type: ignore[no-any-return]


def create_real_objects(client: ApiClient) -> dict[str, str]:
    """One object of every kind, in ``client``'s account; their ids by name (see ``ROUTE_PARAMS``).

    States are chosen so that each action can succeed for the owner: ``invoice`` is a draft (finalize,
    edit, delete), ``issued_invoice`` is finalized and sent (void, payment status, emails, hosted link,
    downloads), and the same for ``credit_note`` / ``issued_credit_note``."""
    n = next(_seq)
    hooks = _created(client.post("/notifications/policies", json={  # a URL nobody serves: a delivery to list
        "name": "Real hooks", "channel": "WEBHOOK", "recipients": ["http://127.0.0.1:9/real"],
        "notificationTypes": ["MERCHANT_UPDATED"]}), 201)
    merchant = client.put("/merchant-settings", json=MERCHANT)
    assert merchant.status_code == 200, merchant.text
    alias_value = f"real-{n}-{uuid.uuid4().hex}"
    customer = new_customer(client, customerAliases=[alias_value])
    alias = _created(client.post("/customer-aliases", json={
        "sequenceAccountId": client.credential.account_id if client.credential else "",
        "customerId": customer["id"], "value": f"alias-{n}-{customer['id']}"}), 201)
    customer_settings = _created(client.post("/customer-settings", json={"customerId": customer["id"], "paymentProvider": "NONE"}), 201)
    tax_rate = _created(client.post("/tax-rates", json={
        "isPublished": True, "name": "VAT", "invoiceName": "Value Added Tax", "invoiceShortName": "VAT",
        "amount": "0.2", "country": "GB"}), 201)
    tax_registration = _created(client.post("/tax-registrations", json={
        "taxIdentifier": "GB980780684", "customerId": customer["id"], "country": "GB"}), 201)

    invoice = new_invoice(client, customer=customer)
    line = add_line(client, invoice["id"])
    group = add_group(client, invoice["id"])
    invoice_settings = _created(client.post("/invoice-settings", json={"invoiceId": invoice["id"], "paymentProvider": "NONE"}), 201)

    issued = new_invoice(client, customer=customer, customerEmails=["ap@customer.example"])
    issued_line = add_line(client, issued["id"], title="Consulting day", quantity="2", rate="600.25")
    _created(client.post(f"/invoices/{issued['id']}/finalize"), 200)
    _created(client.post(f"/invoices/{issued['id']}/send"), 200)  # no SMTP: an email record, NOT_CONFIGURED
    [invoice_email] = _created(client.get(f"/invoices/{issued['id']}/emails"), 200)["items"]
    hosted = _created(client.get(f"/invoices/{issued['id']}/hosted-link"), 200)

    note = _created(client.post("/credit-notes", json={"invoiceId": issued["id"], "currency": "GBP", "customerId": customer["id"]}), 201)
    note_line = _created(client.post(f"/credit-notes/{note['id']}/line-items", json={
        "creditNoteId": note["id"], "lineItemId": issued_line["id"], "title": "Credit", "quantity": "1", "rate": "1",
        "taxRate": "0.2", "externalIds": []}), 201)
    note_group = _created(client.post(f"/credit-notes/{note['id']}/line-item-groups", json={"title": "Credits"}), 201)
    issued_note = _created(client.post("/credit-notes", json={"invoiceId": issued["id"], "currency": "GBP", "customerId": customer["id"]}), 201)
    _created(client.post(f"/credit-notes/{issued_note['id']}/line-items", json={
        "creditNoteId": issued_note["id"], "lineItemId": issued_line["id"], "title": "Credit", "quantity": "1", "rate": "2",
        "taxRate": "0.2", "externalIds": []}), 201)
    _created(client.post(f"/credit-notes/{issued_note['id']}/finalize"), 200)
    _created(client.post(f"/credit-notes/{issued_note['id']}/send"), 200)
    [note_email] = _created(client.get(f"/credit-notes/{issued_note['id']}/emails"), 200)["items"]

    product = new_product(client)
    price = new_price(client, product["id"], "GRADUATED")
    plan = new_plan(client, [new_price(client, product["id"])["id"]])
    list_price = new_list_price(client, product["id"])
    schedule_price = new_price(client, product["id"])
    schedule_body = {"type": "CUSTOM", "customerId": customer["id"], "startDate": "2024-01-01", "priceIds": [schedule_price["id"]],
                     "autoIssueInvoices": False, "createAsDraft": False}
    schedule = _created(client.post("/billing-schedules", json=schedule_body), 201)
    draft_schedule = _created(client.post("/billing-schedules", json={**schedule_body, "createAsDraft": True}), 201)
    discount = _created(client.post("/discounts", json={
        "billingScheduleId": schedule["id"], "priceIds": [schedule_price["id"]], "separateLineItem": False, "amount": 10,
        "discountCalculationType": "PERCENTAGE", "message": "10% off"}), 201)
    schedule_settings = _created(client.post("/billing-schedule-settings", json={
        "billingScheduleId": schedule["id"], "paymentProvider": "NONE"}), 201)

    metric = _created(client.post("/usage-metrics", json={
        "name": f"Real metric {n}", "metricType": "SIMPLE", "eventType": "api_call", "aggregationType": "SUM",
        "aggregationProperty": "n"}), 201)
    event = _created(client.post("/usage-events", json={
        "customerAlias": alias_value, "eventType": "api_call", "eventProperties": {"n": 3},
        "eventTimestamp": "2024-03-15T12:00:00Z"}), 201)
    upload = _created(client.post("/usage-events/csv", files={"file": (
        "events.csv", f"eventType,eventTimestamp,customerAlias,customerEventId,n\napi_call,2024-03-16,{alias_value},csv-{n},2\n".encode(),
        "text/csv")}), 201)
    seat_type = _created(client.post("/seat-types", json={"key": f"seat-{n}", "label": "Seats"}), 201)
    credit_grant = _created(client.post("/credits", json={
        "sequenceAccountId": client.credential.account_id if client.credential else "", "customerId": customer["id"],
        "name": "Real credit", "creditUnitType": "CURRENCY", "currency": "GBP", "amount": 25}), 201)
    snapshot = _created(client.post("/seat-snapshots", json={
        "customerAlias": alias_value, "seatType": seat_type["key"], "snapshotTimestamp": "2024-04-18T09:00:00Z",
        "total": 3, "seatChanges": []}), 201)

    policy = _created(client.post("/notifications/policies", json={  # types Quire never sends: no deliveries
        "name": "Real policy", "channel": "EMAIL", "recipients": [f"a-{n}@quire.example", f"b-{n}@quire.example"],
        "notificationTypes": ["QUOTE_PUBLISHED", "QUOTE_ACCEPTED"]}), 201)

    [delivery] = _created(client.get("/notifications/deliveries", params={"policyId": hooks["id"]}), 200)["items"]
    portal = _created(client.post(f"/customers/{customer['id']}/portal-link/rotate"), 200)

    return {
        "notification_policy": policy["id"], "webhook_delivery": delivery["id"], "notification_type": "QUOTE_ACCEPTED", "recipient": f"b-{n}@quire.example",
        "merchant": client.credential.account_id if client.credential else "",
        "customer": customer["id"], "alias": alias_value, "alias_id": alias["id"],
        "customer_settings": customer_settings["id"], "tax_rate": tax_rate["id"],
        "tax_registration": tax_registration["id"],
        "invoice": invoice["id"], "line": line["id"], "group": group["id"], "invoice_settings": invoice_settings["id"],
        "issued_invoice": issued["id"], "issued_line": issued_line["id"], "invoice_email": invoice_email["id"],
        "hosted_token": hosted["url"].rstrip("/").rsplit("/", 1)[1],
        "portal_token": portal["url"].rstrip("/").rsplit("/", 1)[1],
        "credit_note": note["id"], "credit_line": note_line["id"], "credit_group": note_group["id"],
        "issued_credit_note": issued_note["id"], "credit_note_email": note_email["id"],
        "product": product["id"], "price": price["id"], "plan": plan["id"], "list_price": list_price["id"],
        "usage_metric": metric["id"], "usage_event": event["id"], "csv_upload": upload["id"],
        "seat_type": seat_type["id"], "seat_snapshot": snapshot["id"], "credit_grant": credit_grant["id"],
        "schedule": schedule["id"], "draft_schedule": draft_schedule["id"], "schedule_price": schedule_price["id"],
        "discount": discount["id"], "schedule_settings": schedule_settings["id"],
        "billing_run": real_billing_run(client), "user": real_user(client),
    }


#: (route template, path parameter) -> the name of the real id it takes. Every route of the app with a
#: path parameter has an entry (``unmapped_route_params`` is empty); actions that need an issued
#: document point at the issued one, so the owner's call can succeed.
ROUTE_PARAMS: dict[tuple[str, str], str] = {
    ("/customers/{id}", "id"): "customer",
    ("/customers/{id}/archive", "id"): "customer",
    ("/customers/{id}/aliases", "id"): "customer",
    ("/customers/by-alias/{alias}", "alias"): "alias",
    ("/customer-aliases/{id}", "id"): "alias_id",
    ("/customer-settings/{id}", "id"): "customer_settings",
    ("/invoices/{id}", "id"): "invoice",
    ("/invoices/{id}/download", "id"): "issued_invoice",
    ("/invoices/{id}/finalize", "id"): "invoice",
    ("/invoices/{id}/send", "id"): "issued_invoice",
    ("/invoices/{id}/finalize-and-send", "id"): "invoice",
    ("/invoices/{id}/void", "id"): "issued_invoice",
    ("/invoices/{id}/payment-status", "id"): "issued_invoice",
    ("/invoices/{id}/emails", "id"): "issued_invoice",
    ("/invoices/{id}/emails/{emailId}/retry", "id"): "issued_invoice",
    ("/invoices/{id}/emails/{emailId}/retry", "emailId"): "invoice_email",
    ("/invoices/{id}/hosted-link", "id"): "issued_invoice",
    ("/invoices/{id}/hosted-link/rotate", "id"): "issued_invoice",
    ("/invoices/{invoice}/line-items", "invoice"): "invoice",
    ("/invoices/{invoice}/line-items/{id}", "invoice"): "invoice",
    ("/invoices/{invoice}/line-items/{id}", "id"): "line",
    ("/invoices/{invoice}/line-item-groups", "invoice"): "invoice",
    ("/invoices/{invoice}/line-item-groups/{id}", "invoice"): "invoice",
    ("/invoices/{invoice}/line-item-groups/{id}", "id"): "group",
    ("/invoice-settings/{id}", "id"): "invoice_settings",
    ("/invoice-settings/for-invoice/{id}", "id"): "invoice",
    ("/i/{token}", "token"): "hosted_token",
    ("/i/{token}/pdf", "token"): "hosted_token",
    ("/products/{id}", "id"): "product",
    ("/prices/{id}", "id"): "price",
    ("/list-prices/{id}", "id"): "list_price",
    ("/list-prices/{id}/archive", "id"): "list_price",
    ("/plans/{planId}", "planId"): "plan",
    ("/tax-rates/{id}", "id"): "tax_rate",
    ("/tax-rates/{id}/archive", "id"): "tax_rate",
    ("/tax-registrations/{id}", "id"): "tax_registration",
    ("/tax-registrations/for-customer/{id}", "id"): "customer",
    ("/tax-registrations/for-merchant/{id}", "id"): "merchant",
    ("/credit-notes/{id}", "id"): "credit_note",
    ("/credit-notes/{id}/download", "id"): "issued_credit_note",
    ("/credit-notes/{id}/finalize", "id"): "credit_note",
    ("/credit-notes/{id}/send", "id"): "issued_credit_note",
    ("/credit-notes/{id}/finalize-and-send", "id"): "credit_note",
    ("/credit-notes/{id}/void", "id"): "issued_credit_note",
    ("/credit-notes/{id}/emails", "id"): "issued_credit_note",
    ("/credit-notes/{id}/emails/{emailId}/retry", "id"): "issued_credit_note",
    ("/credit-notes/{id}/emails/{emailId}/retry", "emailId"): "credit_note_email",
    ("/credit-notes/{creditnote}/line-items", "creditnote"): "credit_note",
    ("/credit-notes/{creditnote}/line-items/{id}", "creditnote"): "credit_note",
    ("/credit-notes/{creditnote}/line-items/{id}", "id"): "credit_line",
    ("/credit-notes/{creditnote}/line-item-groups", "creditnote"): "credit_note",
    ("/credit-notes/{creditnote}/line-item-groups/{id}", "creditnote"): "credit_note",
    ("/credit-notes/{creditnote}/line-item-groups/{id}", "id"): "credit_group",
    ("/usage-events/csv/{id}", "id"): "csv_upload",
    ("/usage-metrics/{id}", "id"): "usage_metric",
    ("/usage-metrics/{id}/calculate", "id"): "usage_metric",
    ("/seat-types/{id}", "id"): "seat_type",
    ("/credits/{id}", "id"): "credit_grant",
    ("/credits/{customerId}/grants", "customerId"): "customer",
    ("/credits/{customerId}/balances", "customerId"): "customer",
    ("/billing-schedules/{billingScheduleId}", "billingScheduleId"): "schedule",
    ("/billing-schedules/{billingScheduleId}/activate", "billingScheduleId"): "draft_schedule",
    ("/billing-schedules/{billingScheduleId}/archive", "billingScheduleId"): "schedule",
    ("/billing-schedule-settings/{id}", "id"): "schedule_settings",
    ("/billing-schedule-settings/for-billing-schedule/{id}", "id"): "schedule",
    ("/discounts/{id}", "id"): "discount",
    ("/billing-runs/{id}", "id"): "billing_run",
    ("/notifications/policies/{id}", "id"): "notification_policy",
    ("/notifications/policies/{id}/notification-types", "id"): "notification_policy",
    ("/notifications/policies/{id}/notification-types/{type}", "id"): "notification_policy",
    ("/notifications/policies/{id}/notification-types/{type}", "type"): "notification_type",
    ("/notifications/policies/{id}/recipients", "id"): "notification_policy",
    ("/notifications/policies/{id}/recipients/{recipient:path}", "id"): "notification_policy",
    ("/notifications/policies/{id}/recipients/{recipient:path}", "recipient"): "recipient",
    ("/notifications/policies/{id}/replay", "id"): "notification_policy",
    ("/notifications/policies/{id}/test", "id"): "notification_policy",
    ("/notifications/deliveries/{id}/redeliver", "id"): "webhook_delivery",
    ("/sequence-accounts/{id}", "id"): "merchant",
    ("/users/{id}", "id"): "user",
    ("/customers/{id}/portal-link", "id"): "customer",
    ("/customers/{id}/portal-link/rotate", "id"): "customer",
    ("/customers/{id}/portal-link/disable", "id"): "customer",
    ("/portal/{token}", "token"): "portal_token",
    ("/portal/{token}/credits", "token"): "portal_token",
    ("/portal/{token}/usage", "token"): "portal_token",
}

#: Routes that are public by design: the path's token is the credential (docs/delivery.md), so any
#: caller holding it is served. Isolation between accounts does not apply to them.
PUBLIC_BY_TOKEN = frozenset({"/i/{token}", "/i/{token}/pdf", "/portal/{token}", "/portal/{token}/credits",
                             "/portal/{token}/usage"})


def real_id(template: str, name: str, ids: dict[str, str]) -> str:
    """The real id for path parameter ``name`` of route ``template``; KeyError naming the gap if none."""
    try:
        key = ROUTE_PARAMS[(template, name)]
    except KeyError:
        raise KeyError(f"tests/api/real_objects.py ROUTE_PARAMS has no entry for {name!r} of {template}") from None
    return ids[key]


def fill_path(template: str, ids: dict[str, str]) -> str:
    """``/invoices/{invoice}/line-items/{id}`` with every parameter replaced by its real id."""
    import re

    return re.sub(r"\{([^}/:]+)(?::[^}]*)?\}", lambda m: real_id(template, m.group(1), ids), template)


def path_params(template: str) -> list[str]:
    import re

    return re.findall(r"\{([^}/:]+)(?::[^}]*)?\}", template)


def _walk(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        nested = getattr(route, "routes", None)
        if nested is not None and getattr(route, "methods", None) is None:
            yield from _walk(nested)
        else:
            yield route


def app_routes_with_params() -> list[tuple[str, str]]:
    """(method, template) of every route of ``create_app()`` that has a path parameter, HEAD aside."""
    from quire.app import create_app

    found = []
    for route in _walk(create_app().routes):
        template = getattr(route, "path", "")
        # The console's pages (signed-in users, not API credentials) have their own isolation test, over
        # every route: tests/console/test_console.py and tests/browser/test_console.py.
        if "{" not in template or template.startswith("/console/"):
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                found.append((method, template))
    return found


def unmapped_route_params() -> list[str]:
    return [f"{method} {template}: {{{name}}}" for method, template in app_routes_with_params()
            for name in path_params(template) if (template, name) not in ROUTE_PARAMS]


def write_body(method: str, template: str, ids: dict[str, str]) -> dict[str, Any] | None:
    """A valid JSON body for a write route (None for routes without one)."""
    n = next(_seq)
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("PUT", "/customers/{id}"): customer_body(taxStatus="TAXED"),
        ("PUT", "/customer-aliases/{id}"): {"label": f"renamed {n}"},
        ("PUT", "/customer-settings/{id}"): {"paymentProvider": "NONE"},
        ("PUT", "/invoices/{id}"): {"currency": "GBP", "customerId": ids["customer"], "memo": f"put {n}"},
        ("PATCH", "/invoices/{id}"): {"memo": f"patched {n}"},
        ("PUT", "/invoices/{id}/payment-status"): {"paymentStatus": "PAID"},
        ("POST", "/invoices/{invoice}/line-items"): line_body(),
        ("PUT", "/invoices/{invoice}/line-items/{id}"): line_body(title=f"Changed {n}"),
        ("POST", "/invoices/{invoice}/line-item-groups"): {"title": f"Group {n}"},
        ("PUT", "/invoices/{invoice}/line-item-groups/{id}"): {"title": f"Renamed {n}"},
        ("PUT", "/invoice-settings/{id}"): {"paymentProvider": "NONE"},
        ("PUT", "/products/{id}"): {"name": f"Renamed {n}"},
        ("PUT", "/prices/{id}"): {"name": f"Renamed {n}"},
        ("PUT", "/list-prices/{id}"): list_price_body(ids["product"], name=f"Renamed {n}"),
        ("PUT", "/plans/{planId}"): plan_body([]),
        ("PUT", "/tax-rates/{id}"): {"id": ids["tax_rate"], "isPublished": True, "name": "VAT", "invoiceName": "Value Added Tax",
                                      "invoiceShortName": "VAT", "amount": "0.2", "country": "GB"},
        ("PUT", "/tax-registrations/{id}"): {"taxIdentifier": "GB980780684", "country": "GB"},
        ("PUT", "/credit-notes/{id}"): {"memo": f"put {n}"},
        ("POST", "/credit-notes/{creditnote}/line-items"): {
            "creditNoteId": ids["credit_note"], "lineItemId": ids["issued_line"], "title": "Credit", "quantity": "1",
            "rate": "1", "taxRate": "0.2", "externalIds": []},
        ("PUT", "/credit-notes/{creditnote}/line-items/{id}"): {
            "creditNoteId": ids["credit_note"], "lineItemId": ids["issued_line"], "title": f"Changed {n}",
            "quantity": "1", "rate": "1", "taxRate": "0.2", "externalIds": []},
        ("POST", "/credit-notes/{creditnote}/line-item-groups"): {"title": f"Group {n}"},
        ("PUT", "/credit-notes/{creditnote}/line-item-groups/{id}"): {"title": f"Renamed {n}"},
        ("PUT", "/usage-metrics/{id}"): {"name": f"Renamed {n}", "metricType": "SIMPLE", "eventType": "api_call",
                                          "aggregationType": "SUM", "aggregationProperty": "n"},
        ("PUT", "/seat-types/{id}"): {"label": f"Renamed {n}"},
        ("PUT", "/billing-schedules/{billingScheduleId}"): {"type": "CUSTOM", "startDate": "2024-01-01",
                                                            "autoIssueInvoices": False, "purchaseOrderNumber": f"PO-{n}"},
        ("PUT", "/billing-schedule-settings/{id}"): {"paymentProvider": "STRIPE"},
        ("POST", "/notifications/policies/{id}/notification-types"): {"notificationTypes": ["QUOTE_PUBLISHED"]},
        ("POST", "/notifications/policies/{id}/recipients"): {"recipients": [f"c{n}@quire.example"]},
        ("POST", "/notifications/policies/{id}/replay"): {"from": "2020-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"},
        ("PUT", "/discounts/{id}"): {"billingScheduleId": ids["schedule"], "priceIds": [ids["schedule_price"]],
                                     "separateLineItem": True, "amount": 5, "discountCalculationType": "NOMINAL",
                                     "message": f"changed {n}"},
        ("PUT", "/sequence-accounts/{id}"): {"alertEmailAddresses": [f"alerts-{n}@quire.example"]},
        ("PUT", "/users/{id}"): {"sequenceAccountIds": [ids["merchant"]]},
    }
    return bodies.get((method, template))


#: The last path segments that name an action: a state change, run after the plain reads and writes.
ACTIONS = frozenset({"finalize", "send", "finalize-and-send", "void", "payment-status", "retry", "rotate", "archive",
                     "disable"})


def call_order(route: tuple[str, str]) -> tuple[int, int, str]:
    """Sort key running reads first, then plain writes, then actions, then deletes (children first,
    customers last), so one set of objects serves every route of an owner in turn."""
    method, template = route
    if method == "GET":
        stage = 0
    elif method == "DELETE":
        stage = 4 if template.startswith("/customers/") else 3
    elif template.rstrip("/").rsplit("/", 1)[-1] in ACTIONS:
        stage = 2
    else:
        stage = 1
    return stage, -template.count("/"), template


#: Query parameters a GET route needs to reach its object.
QUERY: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/usage-metrics/{id}/calculate"): {"customerAliases": "{alias}", "periodStart": "2024-03-01", "periodEnd": "2024-03-31"},
}


def query_for(method: str, template: str, ids: dict[str, str]) -> dict[str, str]:
    return {k: v.format(**ids) for k, v in QUERY.get((method, template), {}).items()}


__all__ = ["ACTIONS", "MERCHANT", "call_order", "PUBLIC_BY_TOKEN", "ROUTE_PARAMS", "app_routes_with_params", "create_real_objects", "fill_path",
           "path_params", "query_for", "real_id", "unmapped_route_params", "write_body"]
