"""/discounts (2024-01-01) over HTTP, on both databases: a discount belongs to one phase of a schedule."""

from __future__ import annotations

from typing import Any

from tests.api.invoice_helpers import new_customer
from tests.api.schedule_helpers import day, discount_body, fields_of, new_schedule, prices
from tests.support import ApiClient


def phased(client: ApiClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A schedule whose first phase (price a) ended yesterday and whose second (a, b) runs today."""
    a, b = prices(client)
    customer = new_customer(client)
    s = new_schedule(client, customer, None, type="PHASES", startDate=day(-30), priceIds=None, phases=[
        {"priceIds": [a["id"]], "startDate": day(-30), "endDate": day(-1)},
        {"priceIds": [a["id"], b["id"]], "startDate": day(0)},
    ])
    return s, [a, b]


def test_discount_crud(client: ApiClient) -> None:
    s, (a, b) = phased(client)
    body = discount_body(s["id"], [b["id"]], amount=12.5, validFrom=day(0), validTo=day(59), separateLineItem=True,
                         message="Two months")
    response = client.post("/discounts", json=body)
    assert response.status_code == 201, response.text
    d = response.json()
    current = s["phases"][1]["id"]
    assert d["phaseId"] == current, "no phaseId: the phase running today"
    assert d["billingScheduleId"] == s["id"] and d["priceIds"] == [b["id"]] and d["amount"] == 12.5
    assert d["discountCalculationType"] == "PERCENTAGE" and d["validFrom"] == day(0) and d["validTo"] == day(59)
    assert d["sequenceAccountId"] == client.credential.account_id and d["separateLineItem"] is True
    assert client.get(f"/discounts/{d['id']}").json() == d
    phase = client.get(f"/billing-schedules/{s['id']}").json()["phases"][1]
    assert phase["discounts"] == [{"restrictToPrices": [b["id"]], "type": "PERCENTAGE", "amount": 12.5,
                                   "message": "Two months", "separateLineItem": True}]
    update = {k: v for k, v in body.items() if k != "validTo"}  # validTo left out: the discount becomes open-ended
    put = client.put(f"/discounts/{d['id']}", json={**update, "amount": 100, "discountCalculationType": "NOMINAL",
                                                    "priceIds": []})
    assert put.status_code == 200, put.text
    u = put.json()
    assert u["amount"] == 100 and u["discountCalculationType"] == "NOMINAL" and u["priceIds"] == [] and "validTo" not in u
    assert u["phaseId"] == current and u["createdAt"] == d["createdAt"]
    first = client.post("/discounts", json=discount_body(s["id"], [a["id"]], phaseId=s["phases"][0]["id"])).json()
    assert first["phaseId"] == s["phases"][0]["id"]
    page = client.get("/discounts", params={"limit": 1}).json()
    assert [x["id"] for x in page["items"]] == [first["id"]] and page["pagination"]["totalResultSize"] == 2
    nxt = client.get("/discounts", params={"limit": 1, "after": page["pagination"]["after"]}).json()
    assert [x["id"] for x in nxt["items"]] == [d["id"]]
    deleted = client.delete(f"/discounts/{d['id']}")
    assert deleted.status_code == 200 and deleted.json()["id"] == d["id"] and deleted.json()["amount"] == 100
    assert client.get(f"/discounts/{d['id']}").status_code == 404
    assert client.get(f"/billing-schedules/{s['id']}").json()["phases"][1]["discounts"] == []


def test_discount_rules(client: ApiClient, other_client: ApiClient) -> None:
    s, (a, b) = phased(client)
    post = lambda **kw: client.post("/discounts", json=discount_body(s["id"], [a["id"]], **kw))  # noqa: E731
    assert fields_of(post(billingScheduleId="0190d8a0-0000-7000-8000-000000000000")) == ["billingScheduleId"]
    assert fields_of(other_client.post("/discounts", json=discount_body(s["id"], [a["id"]]))) == ["billingScheduleId"]
    assert fields_of(post(phaseId="0190d8a0-0000-7000-8000-000000000000")) == ["phaseId"]
    assert fields_of(post(phaseId=s["phases"][0]["id"], priceIds=[b["id"]])) == ["priceIds[0]"], "b is not in the first phase"
    assert fields_of(post(priceIds=["0190d8a0-0000-7000-8000-000000000000"])) == ["priceIds[0]"]
    assert fields_of(post(amount=100.01)) == ["amount"], "a percentage is at most 100"
    assert fields_of(post(amount=-1, discountCalculationType="NOMINAL")) == ["amount"]
    assert fields_of(post(validFrom=day(5), validTo=day(4))) == ["validTo"]
    assert post(amount=100).status_code == 201 and post(amount=0).status_code == 201
    assert post(amount=1234.5678, discountCalculationType="NOMINAL").json()["amount"] == 1234.5678
    too_fine = post(amount=1.00000000001)
    assert too_fine.status_code == 400 and "decimal places" in too_fine.text
    d = post().json()
    other = new_schedule(client, price_ids=[a["id"]])
    update = discount_body(s["id"], [a["id"]])
    assert fields_of(client.put(f"/discounts/{d['id']}", json={**update, "billingScheduleId": other["id"]})) == ["billingScheduleId"]
    assert fields_of(client.put(f"/discounts/{d['id']}", json={**update, "priceIds": [b["id"], "x"]})) == ["priceIds[1]"]
    assert fields_of(client.put(f"/discounts/{d['id']}", json={**update, "amount": 101})) == ["amount"]
    assert other_client.get(f"/discounts/{d['id']}").status_code == 404
    assert other_client.put(f"/discounts/{d['id']}", json=update).status_code == 404
    assert other_client.delete(f"/discounts/{d['id']}").status_code == 404
    assert client.put(f"/billing-schedules/{s['id']}/archive").status_code == 200
    for refused in (client.put(f"/discounts/{d['id']}", json=update), client.delete(f"/discounts/{d['id']}")):
        assert refused.status_code == 400 and refused.json()["error"]["type"] == "InvalidStateTransition"


def test_discounts_follow_their_phase(client: ApiClient) -> None:
    """Replacing a schedule's phases deletes their discounts with them."""
    s, (a, b) = phased(client)
    d = client.post("/discounts", json=discount_body(s["id"], [a["id"]])).json()
    put = client.put(f"/billing-schedules/{s['id']}", json={
        "type": "PHASES", "startDate": s["startDate"], "autoIssueInvoices": False,
        "phases": [{"priceIds": [b["id"]], "startDate": s["startDate"]}]})
    assert put.status_code == 200, put.text
    assert client.get(f"/discounts/{d['id']}").status_code == 404
