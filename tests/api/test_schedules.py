"""Billing schedules and billing-schedule settings over HTTP, on both databases (docs/billing-schedules.md)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import event

from quire.core.clock import today
from quire.schedules import hooks
from quire.schedules.read import load_schedule_views
from quire.schedules.service import mark_completed
from tests.api.catalogue_helpers import new_price, new_product
from tests.api.invoice_helpers import new_customer
from tests.api.schedule_helpers import day, discount_body, fields_of, new_schedule, prices, schedule_body
from tests.support import in_database, ApiClient, LiveServer

T = TypeVar("T")


def tax_rate(client: ApiClient) -> dict[str, Any]:
    response = client.post("/tax-rates", json={"isPublished": True, "name": "VAT", "invoiceName": "Value Added Tax",
                                               "invoiceShortName": "VAT", "amount": "0.2", "country": "GB"})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_with_prices_is_one_phase_and_answers_the_prices(client: ApiClient) -> None:
    customer = new_customer(client)
    a, b = prices(client)
    rate = tax_rate(client)
    body = schedule_body(customer["id"], [a["id"], b["id"]], endDate=day(300), recurrenceDayOfMonth=1,
                         taxRates=[{"priceId": a["id"], "taxRateId": rate["id"]}], purchaseOrderNumber="PO-1",
                         rollUpBilling=True)
    response = client.post("/billing-schedules", json=body)
    assert response.status_code == 201, response.text
    s = response.json()
    assert s["status"] == "ACTIVE" and s["type"] == "CUSTOM" and s["customerId"] == customer["id"]
    assert s["sequenceAccountId"] == client.credential.account_id
    assert s["startDate"] == day(-10) and s["endDate"] == day(300) and s["recurrenceDayOfMonth"] == 1
    assert s["priceIds"] == [a["id"], b["id"]]
    assert s["prices"] == [client.get(f"/prices/{a['id']}").json(), client.get(f"/prices/{b['id']}").json()]
    assert s["taxRates"] == [{"priceId": a["id"], "taxRateId": rate["id"]}]
    assert s["purchaseOrderNumber"] == "PO-1" and s["rollUpBilling"] is True and s["autoIssueInvoices"] is False
    [phase] = s["phases"]
    assert phase["startDate"] == day(-10) and phase["endDate"] == day(300) and phase["priceIds"] == [a["id"], b["id"]]
    assert phase["billingScheduleId"] == s["id"] and phase["discounts"] == [] and phase["minimums"] == []
    assert "archivedAt" not in s
    assert client.get(f"/billing-schedules/{s['id']}").json() == s


def test_status_follows_draft_and_start_date_and_activate_only_from_draft(client: ApiClient) -> None:
    [price] = prices(client, 1)
    customer = new_customer(client)
    assert new_schedule(client, customer, [price["id"]], startDate=day(0))["status"] == "ACTIVE"
    future = new_schedule(client, customer, [price["id"]], startDate=day(5))
    assert future["status"] == "PENDING"
    draft = new_schedule(client, customer, [price["id"]], startDate=day(5), createAsDraft=True)
    assert draft["status"] == "DRAFT"
    activated = client.put(f"/billing-schedules/{draft['id']}/activate")
    assert activated.status_code == 200 and activated.json()["status"] == "PENDING"
    again = client.put(f"/billing-schedules/{draft['id']}/activate")
    assert again.status_code == 400 and again.json()["error"]["type"] == "InvalidStateTransition"
    past_draft = new_schedule(client, customer, [price["id"]], createAsDraft=True)
    assert client.put(f"/billing-schedules/{past_draft['id']}/activate").json()["status"] == "ACTIVE"
    refused = client.put(f"/billing-schedules/{future['id']}/activate")
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "InvalidStateTransition"


def test_references_must_be_of_the_account(client: ApiClient, other_client: ApiClient) -> None:
    customer = new_customer(client)
    a, b = prices(client)
    theirs = new_customer(other_client)
    [their_price] = prices(other_client, 1)
    post = lambda **kw: client.post("/billing-schedules", json=schedule_body(customer["id"], [a["id"], b["id"]], **kw))  # noqa: E731
    assert fields_of(post(customerId="0190d8a0-0000-7000-8000-000000000000")) == ["customerId"]
    assert fields_of(post(customerId=theirs["id"])) == ["customerId"]
    assert fields_of(post(priceIds=[a["id"], their_price["id"]])) == ["priceIds[1]"]
    assert fields_of(post(priceIds=[a["id"], "not-an-id"])) == ["priceIds[1]"]
    assert client.delete(f"/prices/{b['id']}").status_code == 200
    assert fields_of(post(priceIds=[a["id"], b["id"]])) == ["priceIds[1]"], "a deleted price cannot be scheduled"
    rate = tax_rate(client)
    [their_rate] = [tax_rate(other_client)]
    assert fields_of(post(priceIds=[a["id"]], taxRates=[{"priceId": b["id"], "taxRateId": rate["id"]}])) == ["taxRates[0].priceId"]
    assert fields_of(post(priceIds=[a["id"]], taxRates=[{"priceId": a["id"], "taxRateId": their_rate["id"]}])) == ["taxRates[0].taxRateId"]
    assert fields_of(post(priceIds=[a["id"]], taxRates=[{"priceId": a["id"], "taxRateId": rate["id"]},
                                                        {"priceId": a["id"], "taxRateId": rate["id"]}])) == ["taxRates[1].priceId"]
    assert client.put(f"/tax-rates/{rate['id']}/archive").status_code == 200
    assert fields_of(post(priceIds=[a["id"]], taxRates=[{"priceId": a["id"], "taxRateId": rate["id"]}])) == ["taxRates[0].taxRateId"]
    assert client.put(f"/customers/{customer['id']}/archive").status_code == 200
    assert fields_of(post(priceIds=[a["id"]])) == ["customerId"], "an archived customer cannot be billed"
    assert client.get("/billing-schedules").json()["items"] == []


def test_all_prices_in_one_currency(client: ApiClient) -> None:
    product = new_product(client)
    gbp = new_price(client, product["id"])
    eur = new_price(client, product["id"], currency="EUR")
    customer = new_customer(client)
    response = client.post("/billing-schedules", json=schedule_body(customer["id"], [gbp["id"], eur["id"]]))
    assert fields_of(response) == ["priceIds[1]"] and "currency" in response.json()["error"]["message"]
    phased = client.post("/billing-schedules", json=schedule_body(customer["id"], None, type="PHASES", startDate=day(-10), phases=[
        {"priceIds": [gbp["id"]], "startDate": day(-10), "endDate": day(0)},
        {"priceIds": [eur["id"]], "startDate": day(1)}]))
    assert fields_of(phased) == ["phases[1].priceIds[0]"]


@pytest.mark.parametrize(("extra", "field"), [
    ({"recurrenceDayOfMonth": 0}, "recurrenceDayOfMonth"),
    ({"recurrenceDayOfMonth": 32}, "recurrenceDayOfMonth"),
    ({"endDate": "2000-01-01"}, "endDate"),
    ({"priceIds": []}, "priceIds"),
    ({"phases": [{"priceIds": [], "startDate": "2020-01-01"}]}, "priceIds"),  # both forms at once
])
def test_dates_and_forms(client: ApiClient, extra: dict[str, Any], field: str) -> None:
    [price] = prices(client, 1)
    customer = new_customer(client)
    assert fields_of(client.post("/billing-schedules", json=schedule_body(customer["id"], [price["id"]], **extra))) == [field]


def test_recurrence_day_31_and_neither_form(client: ApiClient) -> None:
    [price] = prices(client, 1)
    customer = new_customer(client)
    assert new_schedule(client, customer, [price["id"]], recurrenceDayOfMonth=31)["recurrenceDayOfMonth"] == 31
    body = schedule_body(customer["id"], [price["id"]])
    del body["priceIds"]
    assert fields_of(client.post("/billing-schedules", json=body)) == ["priceIds"]


def phases_body(customer_id: str, phases: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"type": "PHASES", "startDate": phases[0]["startDate"] if phases else day(0), "phases": phases}
    return schedule_body(customer_id, None, **{**fields, **overrides})


def test_phases_contiguous_ordered_last_open_ended(client: ApiClient) -> None:
    customer = new_customer(client)
    a, b = prices(client)
    start = today() - timedelta(days=30)
    d = lambda n: (start + timedelta(days=n)).isoformat()  # noqa: E731
    good = [
        {"priceIds": [a["id"]], "startDate": d(0), "endDate": d(29),
         "discounts": [{"restrictToPrices": [a["id"]], "type": "PERCENTAGE", "amount": 15, "message": "15% off",
                        "separateLineItem": True}],
         "minimums": [{"restrictToPrices": [], "amount": 100.5}]},
        {"priceIds": [a["id"], b["id"]], "startDate": d(30)},
    ]
    response = client.post("/billing-schedules", json=phases_body(customer["id"], good))
    assert response.status_code == 201, response.text
    s = response.json()
    assert s["type"] == "PHASES" and s["priceIds"] == [a["id"], b["id"]] and "endDate" not in s
    first, second = s["phases"]
    assert (first["startDate"], first["endDate"], second["startDate"]) == (d(0), d(29), d(30)) and "endDate" not in second
    assert first["discounts"] == [{"restrictToPrices": [a["id"]], "type": "PERCENTAGE", "amount": 15, "message": "15% off",
                                   "separateLineItem": True}]
    [minimum] = first["minimums"]
    assert minimum["amount"] == 100.5 and minimum["restrictToPrices"] == [] and minimum["phaseId"] == first["id"]
    assert minimum["billingScheduleId"] == s["id"] and minimum["sequenceAccountId"] == client.credential.account_id

    def refused(phases: list[dict[str, Any]], **kw: Any) -> list[str]:
        return fields_of(client.post("/billing-schedules", json=phases_body(customer["id"], phases, **kw)))

    p = lambda start_, end_=None, ids=None: {"priceIds": [a["id"]] if ids is None else ids, "startDate": start_, **({"endDate": end_} if end_ else {})}  # noqa: E731
    assert refused([p(d(0), d(10)), p(d(5))]) == ["phases[1].startDate"], "overlap"
    assert refused([p(d(0), d(10)), p(d(12))]) == ["phases[1].startDate"], "gap"
    assert refused([p(d(0)), p(d(11))]) == ["phases[0].endDate"], "open-ended phase that is not the last"
    assert refused([p(d(0), d(10)), p(d(11))], startDate=d(-1)) == ["phases[0].startDate"], "first starts late"
    assert refused([p(d(0), d(10)), p(d(11), d(20))], endDate=d(15)) == ["phases[1].endDate"], "past the end"
    assert refused([p(d(0), d(10)), p(d(11), d(14))], endDate=d(15)) == ["phases[1].endDate"], "ends early"
    assert refused([p(d(0), d(10)), p(d(9), d(8))]) == ["phases[1].endDate"]
    assert refused([p(d(0), d(10)), p(d(11), None, [])]) == ["phases[1].priceIds"]
    assert refused([{**p(d(0)), "discounts": [{"restrictToPrices": [b["id"]], "type": "NOMINAL", "amount": 5,
                                                "message": "x", "separateLineItem": False}]}]) == ["phases[0].discounts[0].restrictToPrices[0]"]
    assert refused([{**p(d(0)), "discounts": [{"type": "PERCENTAGE", "amount": 101, "message": "x",
                                                "separateLineItem": False}]}]) == ["phases[0].discounts[0].amount"]
    assert refused([{**p(d(0)), "minimums": [{"restrictToPrices": [b["id"]], "amount": 5}]}]) == ["phases[0].minimums[0].restrictToPrices[0]"]
    assert refused([{**p(d(0)), "minimums": [{"amount": -5}]}]) == ["phases[0].minimums[0].amount"]
    assert refused([]) == ["phases"]
    # The last phase's end becomes the schedule's; an open-ended last phase ends with the schedule.
    ended = client.post("/billing-schedules", json=phases_body(customer["id"], [p(d(0), d(10)), p(d(11), d(40))])).json()
    assert ended["endDate"] == d(40)
    bounded = client.post("/billing-schedules", json=phases_body(customer["id"], [p(d(0), d(10)), p(d(11))], endDate=d(50))).json()
    assert bounded["phases"][1]["endDate"] == d(50)


def test_inline_discounts_attach_to_the_current_phase(client: ApiClient) -> None:
    customer = new_customer(client)
    a, b = prices(client)
    inline = {"priceIds": [a["id"]], "separateLineItem": True, "amount": 12.5, "discountCalculationType": "PERCENTAGE",
              "message": "Launch", "validFrom": day(-10), "validTo": day(50)}
    s = new_schedule(client, customer, [a["id"], b["id"]], discounts=[inline, {**inline, "amount": 100, "priceIds": [],
                                                                             "discountCalculationType": "NOMINAL"}])
    [phase] = s["phases"]
    assert [x["amount"] for x in phase["discounts"]] == [12.5, 100]
    listed = client.get("/discounts").json()["items"]
    assert {x["phaseId"] for x in listed} == {phase["id"]} and {x["billingScheduleId"] for x in listed} == {s["id"]}
    post = lambda d: client.post("/billing-schedules", json=schedule_body(customer["id"], [a["id"]], discounts=[d]))  # noqa: E731
    assert fields_of(post({**inline, "priceIds": [b["id"]]})) == ["discounts[0].priceIds[0]"]
    assert fields_of(post({**inline, "validTo": day(-11)})) == ["discounts[0].validTo"]
    assert fields_of(post({**inline, "amount": 150})) == ["discounts[0].amount"]
    assert fields_of(post({**inline, "amount": -1, "discountCalculationType": "NOMINAL"})) == ["discounts[0].amount"]
    too_fine = post({**inline, "amount": 0.12345678901})
    assert too_fine.status_code == 400 and "amount" in too_fine.text


def update_body(s: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": s["type"], "startDate": s["startDate"], "autoIssueInvoices": s["autoIssueInvoices"]}
    if "endDate" in s:
        body["endDate"] = s["endDate"]
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_update_with_effective_from_starts_a_new_phase(client: ApiClient) -> None:
    customer = new_customer(client)
    a, b = prices(client)
    rate = tax_rate(client)
    s = new_schedule(client, customer, [a["id"]], startDate=day(-40), discounts=[
        {"priceIds": [a["id"]], "separateLineItem": False, "amount": 5, "discountCalculationType": "NOMINAL", "message": "x"}])
    response = client.put(f"/billing-schedules/{s['id']}", json=update_body(
        s, priceIds=[b["id"]], effectiveFrom=day(1), taxRates=[{"priceId": b["id"], "taxRateId": rate["id"]}],
        recurrenceDayOfMonth=15, purchaseOrderNumber="PO-9"))
    assert response.status_code == 200, response.text
    u = response.json()
    old, new = u["phases"]
    assert old["id"] == s["phases"][0]["id"] and old["endDate"] == day(0) and len(old["discounts"]) == 1
    assert new["startDate"] == day(1) and new["priceIds"] == [b["id"]] and "endDate" not in new
    assert u["priceIds"] == [a["id"], b["id"]] and [p["id"] for p in u["prices"]] == [a["id"], b["id"]]
    assert u["recurrenceDayOfMonth"] == 15 and u["purchaseOrderNumber"] == "PO-9" and u["status"] == "ACTIVE"
    assert u["updatedAt"] >= s["updatedAt"]
    assert fields_of(client.put(f"/billing-schedules/{s['id']}", json=update_body(
        s, priceIds=[b["id"]], effectiveFrom=day(-41)))) == ["effectiveFrom"]
    assert fields_of(client.put(f"/billing-schedules/{s['id']}", json=update_body(s, effectiveFrom=day(3)))) == ["effectiveFrom"]
    # Without effectiveFrom the prices apply from the start: one phase again, the first one kept.
    whole = client.put(f"/billing-schedules/{s['id']}", json=update_body(s, priceIds=[a["id"], b["id"]])).json()
    [only] = whole["phases"]
    assert only["id"] == old["id"] and only["priceIds"] == [a["id"], b["id"]] and "endDate" not in only
    assert whole["taxRates"] == []
    # A discount naming a price the change removes: refused, nothing changed.
    assert fields_of(client.put(f"/billing-schedules/{s['id']}", json=update_body(s, priceIds=[b["id"]]))) == ["priceIds"]
    assert client.get(f"/billing-schedules/{s['id']}").json() == whole


def test_update_with_phases_replaces_them_and_dates_only_stretch_them(client: ApiClient) -> None:
    customer = new_customer(client)
    a, b = prices(client)
    s = new_schedule(client, customer, [a["id"]], startDate=day(-20))
    phases = [{"priceIds": [a["id"]], "startDate": day(-20), "endDate": day(-1)}, {"priceIds": [b["id"]], "startDate": day(0)}]
    u = client.put(f"/billing-schedules/{s['id']}", json=update_body(s, type="PHASES", phases=phases)).json()
    assert [p["startDate"] for p in u["phases"]] == [day(-20), day(0)] and u["type"] == "PHASES"
    assert all(p["id"] != s["phases"][0]["id"] for p in u["phases"])
    stretched = client.put(f"/billing-schedules/{s['id']}", json=update_body(u, startDate=day(-25), endDate=day(90)))
    assert stretched.status_code == 200, stretched.text
    got = stretched.json()
    assert got["phases"][0]["startDate"] == day(-25) and got["phases"][1]["endDate"] == day(90) and got["endDate"] == day(90)
    assert fields_of(client.put(f"/billing-schedules/{s['id']}", json=update_body(u, endDate=day(-5)))) == ["endDate"]
    assert fields_of(client.put(f"/billing-schedules/{s['id']}", json=update_body(u, startDate=day(1)))) == ["startDate"]
    future = client.put(f"/billing-schedules/{s['id']}", json=update_body(
        u, startDate=day(10), type="PHASES", phases=[{"priceIds": [a["id"]], "startDate": day(10)}]))
    assert future.json()["status"] == "PENDING", "a start moved into the future makes it upcoming"


def test_archive_cancels_calls_the_hook_once_and_freezes(client: ApiClient) -> None:
    calls: list[tuple[str, str]] = []

    async def hook(session: Any, account_id: str, schedule_id: str) -> None:
        calls.append((account_id, schedule_id))

    hooks.register_archive_hook(hook)
    try:
        [price] = prices(client, 1)
        s = new_schedule(client, price_ids=[price["id"]])
        archived = client.put(f"/billing-schedules/{s['id']}/archive")
        assert archived.status_code == 200
        a = archived.json()
        assert a["status"] == "CANCELLED" and a["archivedAt"]
        assert calls == [(client.credential.account_id, s["id"])]
        again = client.put(f"/billing-schedules/{s['id']}/archive").json()
        assert again == a and len(calls) == 1, "archiving again changes nothing"
    finally:
        hooks.unregister_archive_hook(hook)
    refused = client.put(f"/billing-schedules/{s['id']}", json=update_body(s))
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "InvalidStateTransition"
    assert client.put(f"/billing-schedules/{s['id']}/activate").status_code == 400
    d = client.post("/discounts", json=discount_body(s["id"], [price["id"]]))
    assert d.status_code == 400 and d.json()["error"]["type"] == "InvalidStateTransition"
    assert client.get("/billing-schedules").json()["items"] == []
    assert [x["id"] for x in client.get("/billing-schedules", params={"includeArchivedSchedules": "true"}).json()["items"]] == [s["id"]]


def test_completed_by_the_engine_cannot_be_updated(client: ApiClient, server: LiveServer) -> None:
    [price] = prices(client, 1)
    s = new_schedule(client, price_ids=[price["id"]], endDate=day(-1), startDate=day(-30))
    assert in_database(server, lambda session: mark_completed(session, s["id"])) is True
    assert in_database(server, lambda session: mark_completed(session, s["id"])) is False
    assert client.get(f"/billing-schedules/{s['id']}").json()["status"] == "COMPLETED"
    refused = client.put(f"/billing-schedules/{s['id']}", json=update_body(s))
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "InvalidStateTransition"
    kept = client.put(f"/billing-schedules/{s['id']}/archive").json()
    assert kept["status"] == "COMPLETED" and kept["archivedAt"]


def test_list_filters_and_pages(client: ApiClient) -> None:
    [price] = prices(client, 1)
    one, two = new_customer(client), new_customer(client)
    s1 = new_schedule(client, one, [price["id"]])
    s2 = new_schedule(client, two, [price["id"]], autoIssueInvoices=True, startDate=day(3))
    s3 = new_schedule(client, two, [price["id"]], createAsDraft=True)
    ids = lambda **q: [x["id"] for x in client.get("/billing-schedules", params=q).json()["items"]]  # noqa: E731
    assert ids() == [s3["id"], s2["id"], s1["id"]]
    assert ids(sortOrder="ASC") == [s1["id"], s2["id"], s3["id"]]
    assert ids(customerId=two["id"]) == [s3["id"], s2["id"]]
    assert ids(billingScheduleStatus="PENDING") == [s2["id"]]
    assert ids(billingScheduleStatus="DRAFT", customerId=two["id"]) == [s3["id"]]
    assert ids(autoSendInvoices="true") == [s2["id"]]
    assert ids(autoSendInvoices="false") == [s3["id"], s1["id"]]
    assert ids(planId=s1["id"]) == [], "2024-01-01 cannot link a schedule to a plan"
    assert ids(label="x") == []
    assert client.get("/billing-schedules", params={"billingScheduleStatus": "NOPE"}).status_code == 400
    page = client.get("/billing-schedules", params={"limit": 2}).json()
    assert page["pagination"]["totalResultSize"] == 3 and len(page["items"]) == 2
    rest = client.get("/billing-schedules", params={"limit": 2, "after": page["pagination"]["after"]}).json()
    assert [x["id"] for x in rest["items"]] == [s1["id"]]
    assert rest["items"][0] == client.get(f"/billing-schedules/{s1['id']}").json()


def test_settings_crud(client: ApiClient, other_client: ApiClient) -> None:
    [price] = prices(client, 1)
    s = new_schedule(client, price_ids=[price["id"]])
    assert client.get(f"/billing-schedule-settings/for-billing-schedule/{s['id']}").status_code == 404
    created = client.post("/billing-schedule-settings", json={"billingScheduleId": s["id"], "paymentProvider": "STRIPE"})
    assert created.status_code == 201, created.text
    c = created.json()
    assert c["billingScheduleId"] == s["id"] and c["paymentProvider"] == "STRIPE" and c["sequenceAccountId"] == client.credential.account_id
    assert client.get(f"/billing-schedule-settings/{c['id']}").json() == c
    assert client.get(f"/billing-schedule-settings/for-billing-schedule/{s['id']}").json() == c
    assert fields_of(client.post("/billing-schedule-settings", json={"billingScheduleId": s["id"], "paymentProvider": "NONE"})) == ["billingScheduleId"]
    assert fields_of(other_client.post("/billing-schedule-settings", json={"billingScheduleId": s["id"], "paymentProvider": "NONE"})) == ["billingScheduleId"]
    updated = client.put(f"/billing-schedule-settings/{c['id']}", json={"paymentProvider": "NONE"}).json()
    assert updated["paymentProvider"] == "NONE"
    assert client.delete(f"/billing-schedule-settings/{c['id']}").json() == updated
    assert client.get(f"/billing-schedule-settings/{c['id']}").status_code == 404
    with_provider = new_schedule(client, price_ids=[price["id"]], collectionPaymentProvider="STRIPE")
    got = client.get(f"/billing-schedule-settings/for-billing-schedule/{with_provider['id']}").json()
    assert got["paymentProvider"] == "STRIPE", "collectionPaymentProvider creates the schedule's settings"


def test_engine_views_stream_in_batches_without_n_plus_one(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    a, b = prices(client)
    rate = tax_rate(client)
    made = [new_schedule(client, customer, [a["id"], b["id"]], taxRates=[{"priceId": b["id"], "taxRateId": rate["id"]}],
                         discounts=[{"priceIds": [], "separateLineItem": False, "amount": 0.5,
                                     "discountCalculationType": "PERCENTAGE", "message": "half a percent"}])
            for _ in range(5)]
    draft = new_schedule(client, customer, [a["id"]], createAsDraft=True)
    account = client.credential.account_id
    statements: list[str] = []

    async def collect(session: Any, **kw: Any) -> list[Any]:
        engine = session.bind.sync_engine if hasattr(session.bind, "sync_engine") else session.bind
        listener = lambda *args: statements.append(args[2]) if args[2].lstrip().upper().startswith("SELECT") else None  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            return [v async for v in load_schedule_views(session, account_id=account, **kw)]
        finally:
            event.remove(engine, "before_cursor_execute", listener)

    views = in_database(server, lambda session: collect(session, batch_size=100))
    assert [v.id for v in views] == sorted(s["id"] for s in made)
    assert len(statements) == 4, "one batch: schedules, phases, discounts, minimums"
    v = views[0]
    assert v.status == "ACTIVE" and v.customer_id == customer["id"] and v.currency == "GBP"
    assert v.tax_rates == {b["id"]: rate["id"]}
    [phase] = v.phases
    assert phase.price_ids == (a["id"], b["id"]) and phase.end_date is None
    [discount] = phase.discounts
    assert discount.amount == Decimal("0.5") and discount.price_ids == (a["id"], b["id"]), "empty = every price of the phase"
    batched = in_database(server, lambda session: collect(session, batch_size=2))
    assert [x.id for x in batched] == [x.id for x in views]
    everything = in_database(server, lambda session: collect(session, statuses=None))
    assert draft["id"] in {x.id for x in everything}
    chosen = in_database(server, lambda session: collect(session, schedule_ids=[made[2]["id"], draft["id"]]))
    assert [x.id for x in chosen] == [made[2]["id"]]
