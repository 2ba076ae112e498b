"""The console's catalogue forms over plain HTTP, on SQLite and PostgreSQL: a product (create, edit), a price
in each of the seven structures, a plan, and a billing schedule from a plan. Each form's result is compared
with what the API makes of the same request, a refused form shows the API's own message (next to its field
too) and writes nothing.

(tests/browser/test_console_create.py fills the same forms in Chromium.)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.catalogue_helpers import STRUCTURES, new_plan, new_price, new_product, price_body
from tests.api.invoice_helpers import new_customer
from tests.console_support import Console, new_user
from tests.support import ApiClient, LiveServer

METRIC = STRUCTURES["LINEAR"]["usageMetricId"]
SEAT_TYPE = STRUCTURES["SEAT_BASED"]["seatTypeId"]

#: The form that stands for each structure of ``catalogue_helpers.STRUCTURES``.
FORMS: dict[str, dict[str, str]] = {
    "ONE_TIME": {"price": "150.00"},
    "FIXED": {"price": "20.00"},
    "LINEAR": {"pricePerUnit": "0.25", "usageMetricId": METRIC},
    "PACKAGE": {"packageSize": "250", "pricePerPackage": "10.00", "usageMetricId": METRIC},
    "VOLUME": {"tiers": "100, 1.00, 20.00\n*, 0.75, 50.00", "usageMetricId": METRIC},
    "GRADUATED": {"tiers": "100, 1.00, 20.00\r\n*, 0.75, 50.00\r\n", "usageMetricId": METRIC,
                  "usageCalculationMode": "BILLING_PERIOD"},
    "SEAT_BASED": {"seatTypeId": SEAT_TYPE, "pricePerSeat": "15", "prorationStrategy": "PRORATE_INCREMENTS",
                   "includedSeats": "10", "chargeMethod": "CHARGE_MINIMUM", "overagesBillingFrequency": "MONTHLY",
                   "tiers": ""},
}


@pytest.fixture
def console(server: LiveServer, client: ApiClient) -> Iterator[Console]:
    with Console(server.base_url) as browser:
        browser.sign_in(new_user(server, client.credential.account_id))
        yield browser


def alert(response: Any) -> str:
    found = re.search(r'role="alert"[^>]*>(?:<p>)?(.*?)</', response.text, re.S)
    return html.unescape(found.group(1).strip()) if found else ""


def field_error(response: Any, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', response.text, re.S)
    return html.unescape(found.group(1).strip()) if found else ""


def created_id(response: Any, kind: str) -> str:
    assert response.status_code == 303, (response.status_code, alert(response) or response.text[:500])
    location = response.headers["location"]
    assert re.search(rf"/console/a/[^/]+/{kind}/[^/?]+$", location), location
    return str(location.rsplit("/", 1)[1])


def count(client: ApiClient, path: str, **params: str) -> int:
    return len(client.get(path, params={"limit": 100, **params}).json()["items"])


def test_a_product_is_created_and_edited_with_the_apis_validation(client: ApiClient, console: Console) -> None:
    base = f"/console/a/{client.credential.account_id}"
    assert console.get(f"{base}/products/new").status_code == 200
    refused = console.post(f"{base}/products", {"name": "", "label": "x"})
    api = client.post("/products", json={"name": "", "label": "x"})
    assert refused.status_code == api.status_code == 400
    assert alert(refused) == api.json()["error"]["message"] and field_error(refused, "name")
    assert 'value="x"' in refused.text  # the form comes back as it was typed
    assert count(client, "/products") == 0  # nothing written

    product_id = created_id(console.post(f"{base}/products", {"name": "Analytics", "label": ""}), "products")
    assert {k: v for k, v in client.get(f"/products/{product_id}").json().items() if k in ("name", "label")} == \
        {"name": "Analytics", "label": "Analytics"}  # the API's default label: the name
    page = console.get(f"{base}/products/{product_id}")
    assert page.status_code == 200 and f'id="product-id">{product_id}<' in page.text
    assert f'data-product="{product_id}"' in console.get(f"{base}/products?name=Analyt").text

    edit = console.get(f"{base}/products/{product_id}/edit")
    assert edit.status_code == 200 and 'value="Analytics"' in edit.text
    assert console.post(f"{base}/products/{product_id}", {"name": "", "label": ""}).status_code == 400
    assert client.get(f"/products/{product_id}").json()["name"] == "Analytics"
    assert created_id(console.post(f"{base}/products/{product_id}", {"name": "Analytics Pro", "label": "ap"}),
                      "products") == product_id
    assert client.get(f"/products/{product_id}").json()["label"] == "ap"
    created_id(console.post(f"{base}/products/{product_id}", {"name": "Analytics Pro 2", "label": ""}), "products")
    after = client.get(f"/products/{product_id}").json()
    assert (after["name"], after["label"]) == ("Analytics Pro 2", "ap")  # a blank label is kept, as PUT does


@pytest.mark.parametrize("kind", list(FORMS))
def test_a_price_of_each_structure_is_the_price_the_api_makes_of_the_same_request(
        client: ApiClient, console: Console, kind: str) -> None:
    product = new_product(client)
    base = f"/console/a/{client.credential.account_id}"
    assert console.get(f"{base}/products/{product['id']}/prices/new").status_code == 200
    form = {"name": f"{kind} price", "currency": "GBP", "billingFrequency": "MONTHLY", "billingType": "IN_ARREARS",
            "pricingType": kind, **FORMS[kind]}
    # every other structure's fields, filled in as a browser would send them (hidden), must be left out
    form.setdefault("price", "999")
    form.setdefault("tiers", "5, 5\n*, 5")
    price_id = created_id(console.post(f"{base}/products/{product['id']}/prices", form), "prices")
    made = client.get(f"/prices/{price_id}").json()
    twin = new_price(client, product["id"], kind)
    assert made["structure"] == twin["structure"]
    assert {k: made[k] for k in ("productId", "currency", "billingFrequency", "billingType", "name")} == \
        {"productId": product["id"], "currency": "GBP", "billingFrequency": "MONTHLY", "billingType": "IN_ARREARS",
         "name": f"{kind} price"}
    page = console.get(f"{base}/prices/{price_id}")  # the new price's page, with its preview
    assert page.status_code == 200 and 'id="preview-total">' in page.text


def test_a_periodic_graduated_price_sends_its_calculation_period(client: ApiClient, console: Console) -> None:
    product = new_product(client)
    form = {"name": "Quarterly windows", "currency": "EUR", "billingFrequency": "MONTHLY", "billingType": "IN_ARREARS",
            "pricingType": "GRADUATED", "tiers": "1000, 0.10\n*, 0.05", "usageMetricId": METRIC,
            "usageCalculationMode": "PERIODIC", "usageCalculationFrequency": "QUARTERLY", "usageCalculationInterval": ""}
    url = f"/console/a/{client.credential.account_id}/products/{product['id']}/prices"
    refused = console.post(url, form)
    assert refused.status_code == 400 and "usageCalculationPeriod.interval" in alert(refused)
    assert field_error(refused, "usageCalculationInterval")
    price_id = created_id(console.post(url, {**form, "usageCalculationInterval": "2"}), "prices")
    made = client.get(f"/prices/{price_id}").json()
    assert made["usageCalculationPeriod"] == {"frequency": "QUARTERLY", "interval": 2}
    assert made["structure"]["tiers"] == [{"upperBound": "1000", "price": "0.1", "isPricePercentage": False},
                                          {"price": "0.05", "isPricePercentage": False}]


def test_a_refused_price_shows_the_apis_message_next_to_its_field_and_writes_nothing(
        client: ApiClient, console: Console) -> None:
    product = new_product(client)
    url = f"/console/a/{client.credential.account_id}/products/{product['id']}/prices"
    form = {"name": "Bands", "currency": "GBP", "billingFrequency": "MONTHLY", "billingType": "IN_ARREARS",
            "pricingType": "VOLUME", "tiers": "100, 1\n50, 0.5\n*, 0.25", "usageMetricId": METRIC}
    refused = console.post(url, form)
    tiers = [{"upperBound": "100", "price": "1", "isPricePercentage": False},
             {"upperBound": "50", "price": "0.5", "isPricePercentage": False}, {"price": "0.25", "isPricePercentage": False}]
    api = client.post("/prices", json=price_body(product["id"], name="Bands", structure={
        "pricingType": "VOLUME", "tiers": tiers, "usageMetricId": METRIC}))
    assert refused.status_code == api.status_code == 400
    assert alert(refused) == api.json()["error"]["message"]  # "structure.tiers[1].upperBound: must be greater …"
    assert field_error(refused, "tiers").startswith("tiers[1].upperBound: must be greater than")
    assert "50, 0.5" in refused.text  # the tiers come back as typed

    in_advance = console.post(url, {**form, "tiers": "100, 1\n*, 0.5", "billingType": "IN_ADVANCE"})
    assert in_advance.status_code == 400 and field_error(in_advance, "billingType").startswith("IN_ADVANCE is only")
    garbled = console.post(url, {**form, "tiers": "100 1"})
    assert garbled.status_code == 400 and field_error(garbled, "tiers").startswith("line 1:")
    no_name = console.post(url, {**form, "tiers": "100, 1\n*, 0.5", "name": ""})
    assert no_name.status_code == 400 and field_error(no_name, "name")
    assert count(client, "/prices", productId=product["id"]) == 0


def test_a_plan_is_created_with_prices_and_a_refused_one_writes_nothing(client: ApiClient, console: Console) -> None:
    product = new_product(client)
    fee, calls = new_price(client, product["id"]), new_price(client, product["id"], "LINEAR")
    euro = new_price(client, product["id"], currency="EUR")
    base = f"/console/a/{client.credential.account_id}"
    page = console.get(f"{base}/plans/new")
    assert page.status_code == 200 and all(f'value="{p["id"]}"' in page.text for p in (fee, calls, euro))
    form = {"name": "Growth", "label": "growth-2026", "type": "REUSABLE", "currency": "GBP", "minimum": "100",
            "priceIds[]": [fee["id"], euro["id"]], "eligibleCustomerIds": ""}
    refused = console.post(f"{base}/plans", form)  # type: ignore[arg-type]
    api = client.post("/plans", json={"name": "Growth", "label": "growth-2026", "currency": "GBP", "minimum": "100",
                                      "priceIds": [fee["id"], euro["id"]], "eligibleCustomerIds": []})
    assert refused.status_code == api.status_code == 400 and alert(refused) == api.json()["error"]["message"]
    assert field_error(refused, "priceIds").startswith("priceIds[1]: price")
    assert re.search(rf'value="{fee["id"]}" checked', refused.text)  # the choices come back ticked
    assert count(client, "/plans") == 0

    plan_id = created_id(console.post(f"{base}/plans", {**form, "priceIds[]": [fee["id"], calls["id"]]}), "plans")  # type: ignore[arg-type]
    plan = client.get(f"/plans/{plan_id}").json()
    assert [p["id"] for p in plan["prices"]] == [fee["id"], calls["id"]]
    assert (plan["name"], plan["label"], plan["minimum"], plan["version"]) == ("Growth", "growth-2026", "100.00", 1)


def test_a_schedule_from_a_plan_is_a_draft_of_its_prices_and_minimum_then_activated(
        client: ApiClient, console: Console) -> None:
    customer = new_customer(client)
    fee, extra = new_price(client), new_price(client)
    plan = new_plan(client, [fee["id"], extra["id"]], name="Scale", minimum="50")
    empty = new_plan(client, [], name="Empty")
    base = f"/console/a/{client.credential.account_id}"
    assert f"/customers/{customer['id']}/billing-schedules/new" in console.get(f"{base}/customers/{customer['id']}").text
    page = console.get(f"{base}/customers/{customer['id']}/billing-schedules/new")
    assert page.status_code == 200 and f'value="{plan["id"]}"' in page.text
    url = f"{base}/customers/{customer['id']}/billing-schedules"

    missing = console.post(url, {"planId": "", "startDate": "2026-01-01"})
    assert missing.status_code == 400 and field_error(missing, "planId") == "choose a plan"
    backwards = console.post(url, {"planId": plan["id"], "startDate": "2026-03-01", "endDate": "2026-02-01"})
    assert backwards.status_code == 400 and alert(backwards).startswith("endDate:") and field_error(backwards, "endDate")
    nothing = console.post(url, {"planId": empty["id"], "startDate": "2026-01-01"})
    assert nothing.status_code == 400 and field_error(nothing, "planId") == "phases[0].priceIds: must name at least one price"
    assert count(client, "/billing-schedules", customerId=customer["id"]) == 0

    schedule_id = created_id(console.post(url, {"planId": plan["id"], "startDate": "2026-01-01", "autoIssueInvoices": "1",
                                                "purchaseOrderNumber": "PO-7"}), "billing-schedules")
    made = client.get(f"/billing-schedules/{schedule_id}").json()
    assert (made["status"], made["type"], made["customerId"], made["startDate"]) == ("DRAFT", "PLAN", customer["id"], "2026-01-01")
    assert made["priceIds"] == [fee["id"], extra["id"]] and made["autoIssueInvoices"] is True
    assert made["purchaseOrderNumber"] == "PO-7"
    assert [m["amount"] for m in made["phases"][0]["minimums"]] == [50]
    assert console.post(f"{base}/billing-schedules/{schedule_id}/activate", {}).status_code == 303
    assert client.get(f"/billing-schedules/{schedule_id}").json()["status"] == "ACTIVE"


def test_forms_of_another_account_create_nothing_there(server: LiveServer, client: ApiClient, other_client: ApiClient,
                                                       console: Console) -> None:
    """A valid form posted with another account's ids (in the URL or the form) creates nothing anywhere."""
    mine, theirs = client.credential.account_id, other_client.credential.account_id
    their_product, their_customer = new_product(other_client), new_customer(other_client)
    their_plan = new_plan(other_client)
    kinds = ("/products", "/prices", "/plans", "/billing-schedules")
    before = {kind: count(other_client, kind) for kind in kinds}
    price_form = {"name": "Stolen", "currency": "GBP", "billingFrequency": "MONTHLY", "billingType": "IN_ARREARS",
                  "pricingType": "FIXED", "price": "1"}
    for url, form in ((f"/console/a/{theirs}/products", {"name": "Stolen"}),
                      (f"/console/a/{theirs}/products/{their_product['id']}/prices", price_form),
                      (f"/console/a/{mine}/products/{their_product['id']}/prices", price_form),
                      (f"/console/a/{theirs}/plans", {"name": "Stolen", "label": "x", "currency": "GBP"}),
                      (f"/console/a/{mine}/customers/{their_customer['id']}/billing-schedules",
                       {"planId": their_plan["id"], "startDate": "2026-01-01"})):
        assert console.post(url, form).status_code == 404, url
    # their plan named in my form: not found in my account (the form says so; nothing is written)
    refused = console.post(f"/console/a/{mine}/customers/{new_customer(client)['id']}/billing-schedules",
                           {"planId": their_plan["id"], "startDate": "2026-01-01"})
    assert refused.status_code == 400 and field_error(refused, "planId") == "was not found"
    assert {kind: count(other_client, kind) for kind in kinds} == before
    assert count(client, "/products") == count(client, "/billing-schedules") == 0
