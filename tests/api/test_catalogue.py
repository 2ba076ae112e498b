"""Products, prices, list prices and plans over HTTP, on SQLite and PostgreSQL. Every response is checked
against the contract by ApiClient; these tests check the behaviour (docs/catalogue.md)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api.catalogue_helpers import (
    STRUCTURES,
    list_price_body,
    new_list_price,
    new_plan,
    new_price,
    new_product,
    plan_body,
    price_body,
    structure,
)
from tests.api.invoice_helpers import new_customer
from tests.contract import get_contract
from tests.support import ApiClient, LiveServer

UNKNOWN = "01900000-0000-7000-8000-000000000000"


def error(response: Any, status: int = 400, field: str | None = None, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    if field is not None:
        assert body["fields"][0]["field"] == field, body
    if kind is not None:
        assert body["type"] == kind, body
    return body


# --- products -------------------------------------------------------------------------------------


def test_product_crud_and_name_filter(client: ApiClient) -> None:
    created = client.post("/products", json={"name": "API calls"})
    assert created.status_code == 201
    product = created.json()
    assert product["label"] == "API calls", "label defaults to the name"
    assert product["sequenceAccountId"] == client.credential.account_id and product["createdAt"].endswith("Z")
    assert client.get(f"/products/{product['id']}").json() == product
    labelled = client.put(f"/products/{product['id']}", json={"name": "Requests", "label": "internal"}).json()
    assert (labelled["name"], labelled["label"]) == ("Requests", "internal")
    renamed = client.put(f"/products/{product['id']}", json={"name": "Calls"}).json()
    assert (renamed["name"], renamed["label"]) == ("Calls", "internal"), "label left out is kept"
    assert renamed["createdAt"] == product["createdAt"] and renamed["updatedAt"] >= product["updatedAt"]
    new_product(client, name="Storage", label="GB")
    names = [p["name"] for p in client.get("/products", params={"name": "CALL"}).json()["items"]]
    assert names == ["Calls"]
    page = client.get("/products", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["pagination"]["totalResultSize"] == 2 and page["pagination"]["after"]
    rest = client.get("/products", params={"limit": 1, "after": page["pagination"]["after"]}).json()
    assert rest["items"][0]["id"] != page["items"][0]["id"]


def test_product_bad_input(client: ApiClient) -> None:
    error(client.post("/products", json={}), field="name")
    error(client.post("/products", json={"name": ""}), field="name")
    error(client.post("/products", json={"name": 12}), field="name")
    error(client.post("/products", json={"name": "x", "label": "y" * 256}), field="label")
    error(client.post("/products", json={"name": "nul\u0000"}))
    error(client.get("/products", params={"name": "nul\x00"}))
    error(client.post("/products", content=b'{"name": "lone \\ud800 surrogate"}', headers={"content-type": "application/json"}),
          field="name")
    error(client.post("/products", content=b"{not json", headers={"content-type": "application/json"}))
    product = new_product(client)
    error(client.put(f"/products/{product['id']}", json={"label": "only"}), field="name")


# --- prices: every structure ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(STRUCTURES))
def test_each_structure_is_created_echoed_and_listed(client: ApiClient, kind: str) -> None:
    product = new_product(client)
    body = price_body(product["id"], kind, parameters=[{"parameterId": "p1", "value": "10"}],
                      externalIds=[{"key": "Xero", "value": "123"}])
    response = client.post("/prices", json=body)
    assert response.status_code == 201, response.text
    price = response.json()
    assert price["structure"]["pricingType"] == kind
    assert price["currency"] == "GBP" and price["productId"] == product["id"]
    assert price["parameters"] == [{"parameterId": "p1", "value": "10"}]
    assert client.get(f"/prices/{price['id']}").json() == price
    assert [p["id"] for p in client.get("/prices", params={"productId": product["id"]}).json()["items"]] == [price["id"]]


def test_structure_is_echoed_in_canonical_form(client: ApiClient) -> None:
    price = new_price(client, kind="GRADUATED")
    assert price["structure"] == {
        "pricingType": "GRADUATED",
        "tiers": [{"upperBound": "100", "price": "1", "fee": "20", "isPricePercentage": False},
                  {"price": "0.75", "fee": "50", "isPricePercentage": False}],
        "usageMetricId": "9aa108d7-6b12-4f5e-8288-5779b9d95b5e",
        "usageCalculationMode": "BILLING_PERIOD",
    }
    linear = new_price(client, kind="LINEAR", structure=structure("LINEAR", pricePerUnit="2.50", isPricePercentage=True))
    assert linear["structure"]["pricePerUnit"] == "2.5" and linear["structure"]["isPricePercentage"] is True


INVALID_STRUCTURES = [
    ("ONE_TIME", {"price": None}, "structure.price"),
    ("ONE_TIME", {"price": "-1"}, "structure.price"),
    ("FIXED", {"price": "ten"}, "structure.price"),
    ("FIXED", {"price": 0.1}, "structure.price"),
    ("FIXED", {"pricingType": "FLAT"}, "structure.pricingType"),
    ("LINEAR", {"isPricePercentage": None}, "structure.isPricePercentage"),
    ("LINEAR", {"usageMetricId": ""}, "structure.usageMetricId"),
    ("LINEAR", {"pricePerUnit": "1.123456789012"}, "structure.pricePerUnit"),
    ("PACKAGE", {"packageSize": "0"}, "structure.packageSize"),
    ("PACKAGE", {"pricePerPackage": None}, "structure.pricePerPackage"),
    ("VOLUME", {"tiers": []}, "structure.tiers"),
    ("VOLUME", {"tiers": [{"upperBound": "10", "price": "1", "isPricePercentage": False}]}, "structure.tiers[0].upperBound"),
    ("VOLUME", {"tiers": [{"upperBound": "10", "price": "1", "isPricePercentage": False},
                          {"upperBound": "5", "price": "1", "isPricePercentage": False},
                          {"price": "1", "isPricePercentage": False}]}, "structure.tiers[1].upperBound"),
    ("VOLUME", {"tiers": [{"price": "1", "isPricePercentage": False},
                          {"price": "1", "isPricePercentage": False}]}, "structure.tiers[0].upperBound"),
    ("VOLUME", {"tiers": [{"upperBound": "10", "price": "1"},
                          {"price": "1", "isPricePercentage": False}]}, "structure.tiers[0].isPricePercentage"),
    ("GRADUATED", {"usageCalculationMode": None}, "structure.usageCalculationMode"),
    ("GRADUATED", {"usageCalculationMode": "WEEKLY"}, "structure.usageCalculationMode"),
    ("GRADUATED", {"tiers": [{"upperBound": "-1", "price": "1", "isPricePercentage": False},
                             {"price": "1", "isPricePercentage": False}]}, "structure.tiers[0].upperBound"),
    ("SEAT_BASED", {"includedSeats": "10"}, "structure.includedSeats"),
    ("SEAT_BASED", {"chargeMethod": "CHARGE_ALL"}, "structure.chargeMethod"),
    ("SEAT_BASED", {"prorationStrategy": None}, "structure.prorationStrategy"),
    ("SEAT_BASED", {"tiers": None}, "structure.tiers"),
    ("SEAT_BASED", {"overagesBillingFrequency": "ONE_TIME"}, "structure.overagesBillingFrequency"),
]


@pytest.mark.parametrize(("kind", "change", "field"), INVALID_STRUCTURES,
                         ids=[f"{k}-{f}-{json.dumps(c)[:30]}" for k, c, f in INVALID_STRUCTURES])
def test_invalid_structures_are_400_naming_the_field(client: ApiClient, kind: str, change: dict[str, Any], field: str) -> None:
    product = new_product(client)
    bad = {k: v for k, v in {**structure(kind), **change}.items() if v is not None}
    body = error(client.post("/prices", json=price_body(product["id"], kind, structure=bad)), field=field,
                 kind="ValidationError")
    assert body["message"].startswith(field)
    assert client.get("/prices").json()["items"] == [], "nothing is saved"


def test_percentage_tiers(client: ApiClient) -> None:
    tiers = [{"upperBound": "10000", "price": "0.001", "fee": "500", "isPricePercentage": True},
             {"price": "0.0005", "fee": "250", "isPricePercentage": True}]
    price = new_price(client, kind="VOLUME", structure=structure("VOLUME", tiers=tiers))
    assert price["structure"]["tiers"][1] == {"price": "0.0005", "fee": "250", "isPricePercentage": True}


def test_in_advance_only_for_fixed_fees(client: ApiClient) -> None:
    product = new_product(client)
    for kind in ("ONE_TIME", "FIXED", "SEAT_BASED"):
        assert client.post("/prices", json=price_body(product["id"], kind, billingType="IN_ADVANCE",
                                                      billingFrequency="YEARLY")).status_code == 201
    for kind in ("LINEAR", "PACKAGE", "VOLUME", "GRADUATED"):
        body = error(client.post("/prices", json=price_body(product["id"], kind, billingType="IN_ADVANCE")),
                     field="billingType")
        assert "IN_ADVANCE" in body["message"]


def test_periodic_graduated_needs_a_calculation_period(client: ApiClient) -> None:
    product = new_product(client)
    periodic = structure("GRADUATED", usageCalculationMode="PERIODIC")
    error(client.post("/prices", json=price_body(product["id"], "GRADUATED", structure=periodic)),
          field="usageCalculationPeriod")
    error(client.post("/prices", json=price_body(product["id"], "GRADUATED", structure=periodic,
                                                 usageCalculationPeriod={"frequency": "MONTHLY", "interval": 0})),
          field="usageCalculationPeriod.interval")
    price = new_price(client, product["id"], "GRADUATED", structure=periodic,
                      usageCalculationPeriod={"frequency": "MONTHLY", "interval": 3})
    assert price["usageCalculationPeriod"] == {"frequency": "MONTHLY", "interval": 3}
    for mode in ("CUMULATIVE", "BILLING_PERIOD"):
        new_price(client, product["id"], "GRADUATED", structure=structure("GRADUATED", usageCalculationMode=mode))


def test_price_bad_input(client: ApiClient) -> None:
    product = new_product(client)
    error(client.post("/prices", json={**price_body(product["id"]), "currency": "XXX"}), field="currency")
    error(client.post("/prices", json={**price_body(product["id"]), "billingFrequency": "WEEKLY"}), field="billingFrequency")
    error(client.post("/prices", json={**price_body(product["id"]), "billingType": None}), field="billingType")
    error(client.post("/prices", json={**price_body(product["id"]), "structure": "FIXED"}), field="structure")
    error(client.post("/prices", json={**price_body(product["id"]), "externalIds": [{"key": "Nope", "value": "1"}]}),
          field="externalIds[0].key")
    body = price_body(product["id"])
    del body["externalIds"]
    error(client.post("/prices", json=body), field="externalIds")
    error(client.post("/prices", json=[body]))


# --- prices: immutability, deletion, references ----------------------------------------------------


def test_only_the_name_of_a_price_may_change(client: ApiClient) -> None:
    price = new_price(client, kind="GRADUATED")
    renamed = client.put(f"/prices/{price['id']}", json={"name": "Renamed"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
    assert renamed.json()["structure"] == price["structure"]
    changes = {
        "currency": "USD", "billingType": "IN_ADVANCE", "billingFrequency": "YEARLY", "productId": new_product(client)["id"],
        "externalIds": [{"key": "Xero", "value": "1"}], "listPriceId": UNKNOWN,
        "structure": {**price["structure"], "usageCalculationMode": "CUMULATIVE"},
        "usageCalculationPeriod": {"frequency": "MONTHLY", "interval": 1},
    }
    for field, value in changes.items():
        error(client.put(f"/prices/{price['id']}", json={"name": "Again", field: value}), field=field, kind="ImmutableField")
    # Sending back what was read (read-modify-write), decimals in another spelling included, is fine.
    echoed = {**client.get(f"/prices/{price['id']}").json(), "name": "Third"}
    echoed["structure"]["tiers"][0]["price"] = "1.000"
    assert client.put(f"/prices/{price['id']}", json=echoed).json()["name"] == "Third"
    stored = client.get(f"/prices/{price['id']}").json()
    assert {k: v for k, v in stored.items() if k not in ("name", "updatedAt")} == \
        {k: v for k, v in price.items() if k not in ("name", "updatedAt")}
    error(client.put(f"/prices/{price['id']}", json={}), field="name")


def test_deleting_a_price_is_soft(client: ApiClient) -> None:
    price = new_price(client)
    deleted = client.delete(f"/prices/{price['id']}")
    assert deleted.status_code == 200 and deleted.json()["deletedAt"].endswith("Z")
    error(client.get(f"/prices/{price['id']}"), 404, kind="NotFound")
    error(client.delete(f"/prices/{price['id']}"), 404)
    error(client.put(f"/prices/{price['id']}", json={"name": "x"}), 404)
    assert client.get("/prices").json()["items"] == []
    products = client.get("/billing-products").json()["items"]
    assert products[0]["id"] == price["productId"] and products[0]["prices"] == []


def test_price_references(client: ApiClient, other_client: ApiClient) -> None:
    product, elsewhere = new_product(client), new_product(other_client)
    # A body's reference that names nothing of the account is 400 naming it (404 is for the URL's object).
    error(client.post("/prices", json=price_body(UNKNOWN)), field="productId", kind="ValidationError")
    error(client.post("/prices", json=price_body(elsewhere["id"])), field="productId", kind="ValidationError")
    listed = new_list_price(client, product["id"])
    variant = new_price(client, product["id"], listPriceId=listed["id"])
    assert variant["listPriceId"] == listed["id"]
    error(client.post("/prices", json=price_body(new_product(client)["id"], listPriceId=listed["id"])), field="listPriceId")
    error(client.post("/prices", json=price_body(product["id"], listPriceId=new_list_price(other_client)["id"])),
          field="listPriceId")
    client.put(f"/list-prices/{listed['id']}/archive")
    error(client.post("/prices", json=price_body(product["id"], listPriceId=listed["id"])), field="listPriceId")


def test_price_filters_and_billing_products(client: ApiClient) -> None:
    a, b = new_product(client, name="A"), new_product(client, name="B")
    gbp = new_price(client, a["id"], name="Monthly fee")
    usd = new_price(client, a["id"], name="Yearly fee", currency="USD", billingFrequency="YEARLY")
    seats = new_price(client, b["id"], kind="SEAT_BASED", name="Seats")
    ids = lambda **q: [p["id"] for p in client.get("/prices", params=q).json()["items"]]  # noqa: E731
    assert ids() == [seats["id"], usd["id"], gbp["id"]], "newest first"
    assert ids(currency="USD") == [usd["id"]]
    assert ids(name="FEE") == [usd["id"], gbp["id"]]
    assert ids(billingFrequency="YEARLY") == [usd["id"]]
    assert ids(productId=b["id"]) == [seats["id"]]
    assert ids(productId="not-a-uuid") == []
    error(client.get("/prices", params={"currency": "XXX"}), field="currency")
    error(client.get("/prices", params={"billingFrequency": "DAILY"}), field="billingFrequency")
    page = client.get("/billing-products").json()
    embedded = {p["id"]: [x["id"] for x in p["prices"]] for p in page["items"]}
    assert embedded == {a["id"]: [gbp["id"], usd["id"]], b["id"]: [seats["id"]]}
    assert page["pagination"]["totalResultSize"] == 2


# --- list prices ----------------------------------------------------------------------------------


def _contract_list_price_examples() -> list[dict[str, Any]]:
    operation = get_contract().document["paths"]["/list-prices"]["post"]
    return [e["value"] for e in operation["requestBody"]["content"]["application/json"]["examples"].values()]


def test_every_contract_list_price_example_is_accepted(client: ApiClient) -> None:
    product = new_product(client)
    for example in _contract_list_price_examples():
        response = client.post("/list-prices", json={**example, "productId": product["id"]})
        assert response.status_code == 201, response.text
        listed = response.json()
        assert listed["structure"]["pricingType"] == example["structure"]["pricingType"]
        assert listed["integrationIds"] == example["integrationIds"]
        if example["structure"]["pricingType"] == "GRADUATED":
            assert listed["usageCalculationPeriod"] == {"frequency": "QUARTERLY", "interval": 1}
        assert client.get(f"/list-prices/{listed['id']}").json() == listed
    assert client.get("/list-prices").json()["pagination"]["totalResultSize"] == 7


def test_list_price_replace_archive_and_filters(client: ApiClient) -> None:
    product = new_product(client)
    listed = new_list_price(client, product["id"])
    replaced = client.put(f"/list-prices/{listed['id']}", json=list_price_body(
        product["id"], "LINEAR", name="Per call", currency="EUR", usageCalculationPeriod={"frequency": "MONTHLY", "interval": 1}))
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert (body["name"], body["currency"], body["structure"]["pricingType"]) == ("Per call", "EUR", "LINEAR")
    assert "usageCalculationPeriod" not in body, "ignored for non-graduated list prices (contract)"
    assert body["createdAt"] == listed["createdAt"]
    error(client.put(f"/list-prices/{listed['id']}", json=list_price_body(new_product(client)["id"])),
          field="productId", kind="ImmutableField")
    error(client.put(f"/list-prices/{listed['id']}", json=list_price_body(product["id"], "VOLUME", billingType="IN_ADVANCE")),
          field="billingType")
    other = new_list_price(client, product["id"], billingFrequency="YEARLY")
    archived = client.put(f"/list-prices/{listed['id']}/archive").json()
    assert archived["archivedAt"].endswith("Z")
    assert client.put(f"/list-prices/{listed['id']}/archive").json()["archivedAt"] == archived["archivedAt"]
    error(client.put(f"/list-prices/{listed['id']}", json=list_price_body(product["id"])), kind="InvalidStateTransition")
    ids = lambda **q: [p["id"] for p in client.get("/list-prices", params=q).json()["items"]]  # noqa: E731
    assert ids() == [other["id"]]
    assert ids(includeArchived="true") == [other["id"], listed["id"]]
    assert ids(includeArchived="true", currency="EUR") == [listed["id"]]
    assert ids(billingFrequency="YEARLY", productId=product["id"]) == [other["id"]]
    error(client.get("/list-prices", params={"includeArchived": "maybe"}), field="includeArchived")


def test_list_price_validation(client: ApiClient) -> None:
    product = new_product(client)
    seat = {"pricingType": "SEAT_BASED", "seatMetricId": "m", "pricePerSeat": "1", "prorationStrategy": "USE_FIRST",
            "contractedMinimumSeats": 1, "tiers": []}
    error(client.post("/list-prices", json=list_price_body(product["id"], structure=seat)),
          field="structure.prorationStrategy")
    error(client.post("/list-prices", json=list_price_body(product["id"], structure={**seat, "prorationStrategy": "USE_MAXIMUM",
                                                                                       "contractedMinimumSeats": None})),
          field="structure.contractedMinimumSeats")
    body = list_price_body(product["id"])
    del body["customMetricParameters"]
    error(client.post("/list-prices", json=body), field="customMetricParameters")
    error(client.post("/list-prices", json=list_price_body(product["id"], integrationIds=[{"service": "Xero"}])),
          field="integrationIds[0].id")
    error(client.post("/list-prices", json=list_price_body(UNKNOWN)), field="productId")


# --- plans ----------------------------------------------------------------------------------------


def test_plan_versions(client: ApiClient) -> None:
    product = new_product(client)
    fee, calls, storage = (new_price(client, product["id"]), new_price(client, product["id"], "LINEAR"),
                           new_price(client, product["id"], "PACKAGE"))
    customer = new_customer(client)
    v1 = new_plan(client, [fee["id"], calls["id"]], name="Pro", minimum="100", eligibleCustomerIds=[customer["id"]])
    assert (v1["version"], v1["status"], v1["type"], v1["minimum"]) == (1, "LIVE", "REUSABLE", "100.00")
    assert [p["id"] for p in v1["prices"]] == [fee["id"], calls["id"]]
    assert v1["eligibleCustomerIds"] == [customer["id"]] and v1["schedulesCount"] == 0
    assert v1["versionChangeBehaviour"] == "NEVER" and v1["versionEffectiveFrom"]
    put = client.put(f"/plans/{v1['id']}", json=plan_body(
        [storage["id"], fee["id"]], name="Pro 2", versionEffectiveFrom="2030-01-01", versionChangeBehaviour="NEXT_BILLING_DATE"))
    assert put.status_code == 200, put.text
    v2 = put.json()
    assert (v2["id"], v2["version"], v2["name"], v2["createdAt"]) == (v1["id"], 2, "Pro 2", v1["createdAt"])
    assert [p["id"] for p in v2["prices"]] == [storage["id"], fee["id"]] and "minimum" not in v2
    assert (v2["versionEffectiveFrom"], v2["versionChangeBehaviour"]) == ("2030-01-01", "NEXT_BILLING_DATE")
    assert client.get(f"/plans/{v1['id']}").json() == v2
    assert client.get(f"/plans/{v1['id']}", params={"version": 1}).json() == v1, "earlier versions stay readable"
    error(client.get(f"/plans/{v1['id']}", params={"version": 3}), field="version", kind="ValidationError")
    error(client.get(f"/plans/{v1['id']}", params={"version": 0}), field="version")
    outset = client.put(f"/plans/{v1['id']}", json=plan_body([], name="Pro 3", makeVersionEffectiveFromOutset=True)).json()
    assert outset["version"] == 3 and "versionEffectiveFrom" not in outset
    assert [p["name"] for p in client.get("/plans").json()["items"]] == ["Pro 3"]
    # A price only in an earlier version can be deleted; that version still shows it, with deletedAt.
    assert client.delete(f"/prices/{calls['id']}").status_code == 200
    old = client.get(f"/plans/{v1['id']}", params={"version": 1}).json()
    assert [p.get("deletedAt") is not None for p in old["prices"]] == [False, True]


def test_concurrent_plan_updates_each_get_a_version(server: LiveServer, client: ApiClient) -> None:
    prices = [new_price(client)["id"] for _ in range(3)]
    plan = new_plan(client, prices)

    def put(n: int) -> int:
        with ApiClient(server.base_url, client.credential) as worker:
            body = plan_body(list(reversed(prices)) if n % 2 else prices, name=f"v{n}")
            return worker.put(f"/plans/{plan['id']}", json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(put, range(8))) == [200] * 8
    versions = [client.get(f"/plans/{plan['id']}", params={"version": v}).json() for v in range(1, 10)]
    assert [v["version"] for v in versions] == list(range(1, 10))
    assert sorted(v["name"] for v in versions[1:]) == sorted(f"v{n}" for n in range(8))


def test_price_in_a_current_plan_version_cannot_be_deleted(client: ApiClient) -> None:
    price = new_price(client)
    plan = new_plan(client, [price["id"]])
    body = error(client.delete(f"/prices/{price['id']}"), kind="PriceInUse")
    assert body["planIds"] == [plan["id"]]
    client.put(f"/plans/{plan['id']}", json=plan_body([]))
    assert client.delete(f"/prices/{price['id']}").status_code == 200
    error(client.post("/plans", json=plan_body([price["id"]])), field="priceIds[0]")


def test_plan_rules(client: ApiClient, other_client: ApiClient) -> None:
    gbp, usd = new_price(client), new_price(client, currency="USD")
    jpy = new_price(client, currency="JPY")
    error(client.post("/plans", json=plan_body([gbp["id"], usd["id"]])), field="priceIds[1]")
    error(client.post("/plans", json=plan_body([gbp["id"], gbp["id"]])), field="priceIds")
    body = error(client.post("/plans", json=plan_body([gbp["id"], UNKNOWN])), field="priceIds[1]")
    assert UNKNOWN in body["message"]
    error(client.post("/plans", json=plan_body([new_price(other_client)["id"]])), field="priceIds[0]")
    error(client.post("/plans", json=plan_body([gbp["id"]], eligibleCustomerIds=[UNKNOWN])),
          field="eligibleCustomerIds[0]")
    error(client.post("/plans", json=plan_body([gbp["id"]], eligibleCustomerIds=[new_customer(other_client)["id"]])),
          field="eligibleCustomerIds[0]")
    error(client.post("/plans", json=plan_body([gbp["id"]], eligibleCustomerIds=[7])), field="eligibleCustomerIds[0]")
    error(client.post("/plans", json=plan_body([gbp["id"]], minimum="1.234")), field="minimum")
    error(client.post("/plans", json=plan_body([gbp["id"]], minimum="-1")), field="minimum")
    error(client.post("/plans", json=plan_body([jpy["id"]], currency="JPY", minimum="1.5")), field="minimum")
    assert new_plan(client, [jpy["id"]], currency="JPY", minimum="1000")["minimum"] == "1000"
    error(client.post("/plans", json=plan_body([gbp["id"]], type="PRIVATE")), field="type")
    error(client.post("/plans", json=plan_body([gbp["id"]], parentId=UNKNOWN)), field="parentId")
    plan = new_plan(client, [gbp["id"]], type="CUSTOM")
    child = new_plan(client, [gbp["id"]], parentId=plan["id"])
    assert child["parentId"] == plan["id"] and plan["type"] == "CUSTOM"
    error(client.put(f"/plans/{plan['id']}", json=plan_body([usd["id"]], currency="USD")), field="currency")
    error(client.put(f"/plans/{plan['id']}", json=plan_body([], parentId=plan["id"])), field="parentId")
    error(client.put(f"/plans/{plan['id']}", json=plan_body([], versionChangeBehaviour="LATER")),
          field="versionChangeBehaviour")
    error(client.put(f"/plans/{plan['id']}", json=plan_body([], versionEffectiveFrom="01/01/2030")),
          field="versionEffectiveFrom")
    assert client.get(f"/plans/{plan['id']}").json()["version"] == 1, "refused PUTs write no version"
    # The contract's own example sends a date with makeVersionEffectiveFromOutset: true; the outset wins.
    both = client.put(f"/plans/{plan['id']}", json=plan_body([], versionEffectiveFrom="2030-01-01",
                                                              makeVersionEffectiveFromOutset=True))
    assert both.status_code == 200, both.text
    assert both.json()["version"] == 2 and "versionEffectiveFrom" not in both.json()


def test_plan_list_filters_and_sort(client: ApiClient) -> None:
    price = new_price(client)
    beta = new_plan(client, [price["id"]], name="Beta", type="CUSTOM")
    alpha = new_plan(client, [price["id"]], name="Alpha")
    ids = lambda **q: [p["id"] for p in client.get("/plans", params=q).json()["items"]]  # noqa: E731
    assert ids() == [alpha["id"], beta["id"]]
    assert ids(sortBy="name") == [alpha["id"], beta["id"]]
    assert ids(sortBy="createdAt") == [alpha["id"], beta["id"]]
    assert ids(type="CUSTOM") == [beta["id"]]
    assert ids(name="alp") == [alpha["id"]]
    today = alpha["createdAt"][:10]
    assert ids(createdBefore=today) == [] and ids(createdAfter=today) == []
    assert ids(createdAfter="2000-01-01", createdBefore="9999-12-31") == [alpha["id"], beta["id"]]
    assert ids(createdAfter="9999-12-31") == []
    first = client.get("/plans", params={"sortBy": "name", "limit": 1}).json()
    second = client.get("/plans", params={"sortBy": "name", "limit": 1, "after": first["pagination"]["after"]}).json()
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [alpha["id"], beta["id"]]
    error(client.get("/plans", params={"sortBy": "price"}), field="sortBy")
    error(client.get("/plans", params={"createdAfter": "yesterday"}), field="createdAfter")
    error(client.get("/plans", params={"sortBy": "createdAt", "after": first["pagination"]["after"]}), field="after")


# --- isolation and bad input on every endpoint ------------------------------------------------------


def test_another_accounts_objects_are_404_everywhere(client: ApiClient, other_client: ApiClient) -> None:
    product = new_product(client)
    price = new_price(client, product["id"])
    listed = new_list_price(client, product["id"])
    plan = new_plan(client, [price["id"]])
    calls = [
        ("GET", f"/products/{product['id']}", None),
        ("PUT", f"/products/{product['id']}", {"name": "Stolen"}),
        ("GET", f"/prices/{price['id']}", None),
        ("PUT", f"/prices/{price['id']}", {"name": "Stolen"}),
        ("DELETE", f"/prices/{price['id']}", None),
        ("GET", f"/list-prices/{listed['id']}", None),
        ("PUT", f"/list-prices/{listed['id']}", list_price_body(product["id"])),
        ("PUT", f"/list-prices/{listed['id']}/archive", None),
        ("GET", f"/plans/{plan['id']}", None),
        ("PUT", f"/plans/{plan['id']}", plan_body([])),
    ]
    for method, path, body in calls:
        error(other_client.request(method, path, json=body), 404, kind="NotFound")
    # Named in a body instead of the path: 400 naming the field (tests/api/test_references.py covers all).
    for path, body, field in (("/prices", price_body(product["id"]), "productId"),
                              ("/list-prices", list_price_body(product["id"]), "productId"),
                              ("/plans", plan_body([], parentId=plan["id"]), "parentId")):
        error(other_client.post(path, json=body), field=field, kind="ValidationError")
    for path in ("/products", "/billing-products", "/prices", "/list-prices", "/plans"):
        assert other_client.get(path).json()["items"] == [], path
    # Nothing changed for the owner.
    assert client.get(f"/products/{product['id']}").json()["name"] == product["name"]
    assert client.get(f"/prices/{price['id']}").json() == price
    assert client.get(f"/list-prices/{listed['id']}").json() == listed
    assert client.get(f"/plans/{plan['id']}").json() == plan


def test_unknown_ids_are_404(client: ApiClient) -> None:
    for ident in (UNKNOWN, "not-a-uuid"):
        for method, path in (("GET", "/products/{}"), ("GET", "/prices/{}"), ("DELETE", "/prices/{}"),
                             ("GET", "/list-prices/{}"), ("PUT", "/list-prices/{}/archive"), ("GET", "/plans/{}")):
            error(client.request(method, path.format(ident)), 404, kind="NotFound")


@pytest.mark.parametrize("path", ["/products", "/billing-products", "/prices", "/list-prices", "/plans"])
def test_list_paging_parameters_are_checked(client: ApiClient, path: str) -> None:
    error(client.get(path, params={"limit": 0}), field="limit")
    error(client.get(path, params={"limit": 101}), field="limit")
    error(client.get(path, params={"after": "bm90LWEtY3Vyc29y"}), field="after")
    error(client.get(path, params={"after": "x", "before": "y"}), field="after")
    assert client.get(path, params={"limit": 100}).status_code == 200


@pytest.mark.parametrize("path", ["/products", "/prices", "/list-prices", "/plans"])
def test_write_bodies_must_be_json_objects(client: ApiClient, path: str) -> None:
    for content in (b"", b"[]", b"null", b"{", b'"x"'):
        error(client.post(path, content=content, headers={"content-type": "application/json"}))
