"""Usage events and metrics over HTTP, on both databases: post events, read the metric back.

Every response is checked against the 2024-01-01 contract by ApiClient; the calculate extension is
checked here against the 2024-07-30 schema it copies.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from tests.api.invoice_helpers import new_customer
from tests.support import ApiClient

NEXT_CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "sequence-api" / "2024-07-30.json"


@cache
def _calculation_validator() -> OAS30Validator | None:
    if not NEXT_CONTRACT.exists():
        return None
    document = json.loads(NEXT_CONTRACT.read_text())
    schema = document["components"]["schemas"]["UsageMetricCalculationResponse"]
    return OAS30Validator({**schema, "components": document["components"]})


def event(client: ApiClient, alias: str, event_type: str = "api_call", **fields: Any) -> dict[str, Any]:
    response = client.post("/usage-events", json={"customerAlias": alias, "eventType": event_type, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def metric(client: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "API calls", "metricType": "SIMPLE", "eventType": "api_call", "aggregationType": "COUNT", **fields}
    response = client.post("/usage-metrics", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def calculate(client: ApiClient, metric_id: str, aliases: str, start: str = "2024-03-01", end: str = "2024-03-31") -> dict[str, Any]:
    response = client.get(
        f"/usage-metrics/{metric_id}/calculate", params={"customerAliases": aliases, "periodStart": start, "periodEnd": end}
    )
    assert response.status_code == 200, response.text
    body = json.loads(response.text, parse_float=Decimal)
    validator = _calculation_validator()
    if validator is not None:
        errors = list(validator.iter_errors(json.loads(response.text)))
        assert not errors, errors[0].message
    return body


def customer_with_alias(client: ApiClient, alias: str) -> dict[str, Any]:
    return new_customer(client, customerAliases=[alias])


MARCH = "2024-03-15T12:00:00Z"


def test_post_event_echoes_exactly_and_fills_defaults(client: ApiClient) -> None:
    raw = (
        '{"customerAlias": "acme", "eventType": "message_sent", "eventProperties": '
        '{"length": 500, "price": 12.50, "big": 12345678901234567890.123456789, "kind": "text", "tags": ["a", 1.0], "ok": true}}'
    )
    response = client.post("/usage-events", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    assert '"price":12.50' in response.text and '"big":12345678901234567890.123456789' in response.text
    body = response.json()
    assert body["customerEventId"] == body["id"], "without customerEventId the event's id is used"
    assert body["sequenceAccountId"] == client.credential.account_id
    assert body["eventTimestamp"].endswith("Z")
    listed = client.get("/usage-events").text
    assert '12345678901234567890.123456789' in listed and '12.50' in listed

    offset = event(client, "acme", eventTimestamp="2024-03-15T15:13:11+03:00", eventProperties={})
    assert offset["eventTimestamp"] == "2024-03-15T12:13:11Z"
    day = event(client, "acme", eventTimestamp="2024-03-15")
    assert day["eventTimestamp"] == "2024-03-15T00:00:00Z"


def test_count_sum_unique_read_back_exactly(client: ApiClient) -> None:
    customer = customer_with_alias(client, "acct-1")
    amounts = ["1.25", "2.50", "0.000000001"]
    for i, amount in enumerate(amounts):
        raw = f'{{"customerAlias": "acct-1", "eventType": "api_call", "eventTimestamp": "{MARCH}", "eventProperties": {{"amount": {amount}, "user": "u{i % 2}"}}}}'
        assert client.post("/usage-events", content=raw, headers={"content-type": "application/json"}).status_code == 201
    event(client, customer["id"], eventTimestamp=MARCH, eventProperties={"amount": "10.5", "user": "u9"})  # numeric string, by id
    event(client, "acct-1", eventTimestamp=MARCH, eventProperties={"amount": "lots", "user": "u0"})  # not a number
    event(client, "acct-1", eventTimestamp=MARCH, eventProperties={"user": "u0"})  # no amount

    count = calculate(client, metric(client)["id"], "acct-1")
    assert (count["value"], count["eventCount"]) == (6, 6)
    assert count["minEventId"] <= count["maxEventId"]
    total = calculate(client, metric(client, aggregationType="SUM", aggregationProperty="amount", unit="GBP")["id"], customer["id"])
    assert total["value"] == Decimal("14.250000001") and total["eventCount"] == 4 and total["unit"] == "GBP"
    unique = calculate(client, metric(client, aggregationType="UNIQUE", aggregationProperty="user")["id"], "acct-1")
    assert (unique["value"], unique["eventCount"]) == (3, 6)
    empty = calculate(client, metric(client, eventType="nothing")["id"], "acct-1")
    assert (empty["value"], empty["eventCount"]) == (0, 0) and "minEventId" not in empty


def test_customer_event_id_last_received_counts(client: ApiClient) -> None:
    customer_with_alias(client, "dup")
    sum_metric = metric(client, aggregationType="SUM", aggregationProperty="n")
    for n in (5, 7, 3):
        stored = event(client, "dup", customerEventId="evt-1", eventTimestamp=MARCH, eventProperties={"n": n})
        assert stored["customerEventId"] == "evt-1"
    event(client, "dup", customerEventId="evt-2", eventTimestamp=MARCH, eventProperties={"n": 100})
    result = calculate(client, sum_metric["id"], "dup")
    assert (result["value"], result["eventCount"]) == (103, 2)
    listed = client.get("/usage-events", params={"eventId": "evt-1"}).json()["items"]
    assert len(listed) == 1 and listed[0]["eventProperties"] == {"n": 3} and listed[0]["id"] == stored["id"]
    # Cancel an event by resending it with customerAlias VOID (Sequence's documented way).
    event(client, "VOID", customerEventId="evt-2", eventTimestamp=MARCH, eventProperties={"n": 100})
    assert calculate(client, sum_metric["id"], "dup")["value"] == 3


def test_unmapped_alias_counts_once_mapped(client: ApiClient) -> None:
    customer = new_customer(client)
    count = metric(client)
    event(client, "late-alias", eventTimestamp=MARCH)
    event(client, "late-alias", eventTimestamp=MARCH)
    event(client, customer["id"], eventTimestamp=MARCH)
    assert calculate(client, count["id"], customer["id"])["value"] == 1
    unmapped = client.get("/usage-events", params={"unmappedAliasesOnly": "true"}).json()["items"]
    assert {e["customerAlias"] for e in unmapped} == {"late-alias"} and len(unmapped) == 2
    mapped = client.post("/customer-aliases", json={
        "sequenceAccountId": client.credential.account_id, "customerId": customer["id"], "value": "late-alias"})
    assert mapped.status_code == 201
    assert calculate(client, count["id"], customer["id"])["value"] == 3
    assert calculate(client, count["id"], "late-alias")["value"] == 3
    assert client.get("/usage-events", params={"unmappedAliasesOnly": "true"}).json()["items"] == []
    by_customer = client.get("/usage-events", params={"customerAlias": customer["id"]}).json()["items"]
    assert len(by_customer) == 3, "customerAlias selects the customer's events under all its names"


def test_property_filters_negation_and_case(client: ApiClient) -> None:
    customer_with_alias(client, "f")
    rows = [("text", "EU"), ("email", "EU"), ("Email", "US"), ("push", "EU"), ("text", "US"), (None, "EU")]
    for channel, region in rows:
        props = {"region": region} | ({"channel": channel} if channel else {})
        event(client, "f", eventType="msg", eventTimestamp=MARCH, eventProperties=props)
    base = {"eventType": "msg"}
    in_list = metric(client, **base, propertyFilters={"channel": ["text", "email"]})
    assert calculate(client, in_list["id"], "f")["value"] == 3
    both = metric(client, **base, propertyFilters={"channel": ["text", "email"], "region": ["EU"]})
    assert calculate(client, both["id"], "f")["value"] == 2
    negated = metric(client, **base, propertyFilters={"channel": ["text", "email"]}, propertiesToNegate=["channel"])
    assert calculate(client, negated["id"], "f")["value"] == 3, "Email, push and the event without a channel"
    folded = metric(client, **base, propertyFilters={"channel": ["TEXT", "email"]}, caseSensitive=False)
    assert folded["caseSensitive"] is False
    assert calculate(client, folded["id"], "f")["value"] == 4
    exact = metric(client, **base, propertyFilters={"channel": ["TEXT", "email"]})
    assert exact["caseSensitive"] is True and calculate(client, exact["id"], "f")["value"] == 1
    unique_folded = metric(client, **base, aggregationType="UNIQUE", aggregationProperty="channel", caseSensitive=False)
    assert calculate(client, unique_folded["id"], "f")["value"] == 3


def test_grouped_metric_values_per_group(client: ApiClient) -> None:
    customer_with_alias(client, "g")
    for region, n in [("EU", "1.5"), ("EU", "2"), ("US", "4"), (None, "1")]:
        props = {"n": n} | ({"region": region} if region else {})
        event(client, "g", eventTimestamp=MARCH, eventProperties=props)
    grouped = metric(client, metricType="GROUPED", aggregationType="SUM", aggregationProperty="n", groupingProperty="region")
    result = calculate(client, grouped["id"], "g")
    assert result["value"] == Decimal("8.5") and result["eventCount"] == 4
    assert [(g["group"], g["value"], g["eventCount"]) for g in result["groups"]] == [
        ("EU", Decimal("3.5"), 2), ("US", 4, 1), (None, 1, 1)]


def test_period_is_inclusive_of_whole_days_in_utc(client: ApiClient) -> None:
    customer_with_alias(client, "p")
    for ts in ["2024-02-29T23:59:59.999999Z", "2024-03-01T00:00:00Z", "2024-03-31T23:59:59Z",
               "2024-04-01T00:00:00Z", "2024-04-01T01:00:00+02:00"]:
        event(client, "p", eventTimestamp=ts)
    result = calculate(client, metric(client)["id"], "p", "2024-03-01", "2024-03-31")
    assert result["value"] == 3, "1 March 00:00 in, 1 April 00:00 out; 01:00+02:00 is 23:00Z on 31 March"
    assert result["periodStart"] == "2024-03-01T00:00:00Z" and result["periodEndExclusive"] == "2024-04-01T00:00:00Z"


def test_event_list_filters_sorting_and_pages(client: ApiClient) -> None:
    for day in range(1, 6):
        event(client, "l", eventType="a" if day % 2 else "b", customerEventId=f"c{day}", eventTimestamp=f"2024-03-0{6 - day}T10:00:00Z")
    items = client.get("/usage-events").json()["items"]
    assert [e["customerEventId"] for e in items] == ["c5", "c4", "c3", "c2", "c1"], "newest received first"
    assert [e["customerEventId"] for e in client.get("/usage-events", params={"eventType": "b"}).json()["items"]] == ["c4", "c2"]
    by_time = client.get("/usage-events", params={"sortBy": "eventTimestamp", "sortOrder": "ASC"}).json()["items"]
    assert [e["customerEventId"] for e in by_time] == ["c5", "c4", "c3", "c2", "c1"]
    window = client.get("/usage-events", params={"eventTimestampAfter": "2024-03-02", "eventTimestampBefore": "2024-03-05T10:00:00Z"})
    assert [e["customerEventId"] for e in window.json()["items"]] == ["c3", "c2"], "after a date means after that day"
    first = client.get("/usage-events", params={"limit": 2}).json()
    assert [e["customerEventId"] for e in first["items"]] == ["c5", "c4"] and "before" not in first["pagination"]
    second = client.get("/usage-events", params={"limit": 2, "after": first["pagination"]["after"]}).json()
    assert [e["customerEventId"] for e in second["items"]] == ["c3", "c2"]
    skipped = client.get("/usage-events", params={"limit": 2, "offset": 1, "after": first["pagination"]["after"]}).json()
    assert [e["customerEventId"] for e in skipped["items"]] == ["c2", "c1"]
    back = client.get("/usage-events", params={"limit": 2, "before": second["pagination"]["before"]}).json()
    assert [e["customerEventId"] for e in back["items"]] == ["c5", "c4"]
    assert client.get("/usage-events", params={"eventId": items[0]["id"]}).json()["items"][0]["customerEventId"] == "c5"


def test_metric_crud_and_soft_delete(client: ApiClient) -> None:
    created = metric(client, description="d", propertyFilters={"channels": ["text", "email"]}, propertiesToNegate=["channels"])
    assert created["parameters"] == [] and created["propertyFilters"] == {"channels": ["text", "email"]}
    assert created["createdAt"].endswith("Z") and "deletedAt" not in created
    assert client.get(f"/usage-metrics/{created['id']}").json() == created
    body = {"name": "Sum", "metricType": "SIMPLE", "eventType": "api_call", "aggregationType": "SUM", "aggregationProperty": "n"}
    updated = client.put(f"/usage-metrics/{created['id']}", json=body).json()
    assert updated["aggregationType"] == "SUM" and updated["propertyFilters"] == {} and updated["id"] == created["id"]
    listed = client.get("/usage-metrics").json()["items"]
    assert [m["id"] for m in listed] == [created["id"]]
    deleted = client.delete(f"/usage-metrics/{created['id']}")
    assert deleted.status_code == 200 and deleted.json()["deletedAt"].endswith("Z")
    assert client.get(f"/usage-metrics/{created['id']}").json()["deletedAt"] == deleted.json()["deletedAt"]
    again = client.put(f"/usage-metrics/{created['id']}", json=body)
    assert again.status_code == 400 and again.json()["error"]["type"] == "MetricDeleted"
    assert client.get("/usage-metrics").json()["items"] == []


@pytest.mark.parametrize("body, field", [
    ({"aggregationType": "SUM"}, "aggregationProperty"),
    ({"aggregationType": "UNIQUE"}, "aggregationProperty"),
    ({"metricType": "GROUPED"}, "groupingProperty"),
    ({"aggregationType": "CUSTOM"}, "CUSTOM"),
    ({"aggregationType": "MEDIAN"}, "aggregationType"),
    ({"propertyFilters": {"a": "text"}}, "propertyFilters"),
    ({"propertyFilters": {"a": []}}, "propertyFilters"),
    ({"propertyFilters": {'a"b': ["x"]}}, "double quotes"),
    ({"propertiesToNegate": ["a"]}, "propertiesToNegate"),
    ({"name": ""}, "name"),
    ({"eventType": 5}, "eventType"),
    ({"name": "bad \ud800"}, "surrogates"),
    ({"propertyFilters": {"a": ["x"] * 600, "b": ["y"] * 600}}, "1000 values"),
])
def test_metric_bad_input_is_400(client: ApiClient, body: dict[str, Any], field: str) -> None:
    full = {"name": "m", "metricType": "SIMPLE", "eventType": "e", "aggregationType": "COUNT", **body}
    response = client.post("/usage-metrics", content=json.dumps(full), headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert field in response.text


@pytest.mark.parametrize("raw", [
    "", "not json", "[]", '{"eventType": "x"}', '{"customerAlias": 5, "eventType": "x"}',
    '{"customerAlias": "a", "eventType": "x", "eventTimestamp": "yesterday"}',
    '{"customerAlias": "a", "eventType": "x", "eventTimestamp": 1700000000}',
    '{"customerAlias": "a", "eventType": "x", "eventProperties": {"n": NaN}}',
    '{"customerAlias": "a", "eventType": "x", "eventProperties": {"n": 1e999999}}',
    '{"customerAlias": "a", "eventType": "x", "eventProperties": {"n": 1' + "0" * 5000 + '}}',
    '{"customerAlias": "a", "eventType": "x", "eventProperties": [1]}',
    '{"customerAlias": "", "eventType": "x"}',
    '{"customerAlias": "a", "eventType": "x", "eventTimestamp": "0001-01-01T00:00:00+01:00"}',
    '{"customerAlias": "a", "eventType": "x", "eventTimestamp": "2024-03-01T10:00:00"}',
    '{"customerAlias": "a\\ud800", "eventType": "x"}',
    '{"customerAlias": "a", "eventType": "x", "eventProperties": {"k\\udfff": 1}}',
    '{"customerAlias": "a", "eventType": "x", "eventProperties": {"k": ["\\u0000"]}}',
])
def test_event_bad_input_is_400(client: ApiClient, raw: str) -> None:
    response = client.post("/usage-events", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text


def test_list_and_calculate_bad_input(client: ApiClient) -> None:
    for params in ({"limit": 0}, {"offset": -1}, {"sortBy": "nope"}, {"sortOrder": "UP"}, {"eventTimestampAfter": "soon"},
                   {"after": "garbage"}):
        assert client.get("/usage-events", params=params).status_code == 400, params
    m = metric(client)
    customer_with_alias(client, "x")
    url = f"/usage-metrics/{m['id']}/calculate"
    bad = [{"customerAliases": "x", "periodStart": "2024-03-02", "periodEnd": "2024-03-01"},
           {"customerAliases": "x", "periodStart": "2024-3-1", "periodEnd": "2024-03-01"},
           {"customerAliases": " , ", "periodStart": "2024-03-01", "periodEnd": "2024-03-01"},
           {"periodStart": "2024-03-01", "periodEnd": "2024-03-01"}]
    for params in bad:
        assert client.get(url, params=params).status_code == 400, params
    unknown = client.get(url, params={"customerAliases": "nobody", "periodStart": "2024-03-01", "periodEnd": "2024-03-01"})
    assert unknown.status_code == 400 and unknown.json()["error"]["fields"][0]["field"] == "customerAliases", unknown.text
    far = client.get(url, params={"customerAliases": "x", "periodStart": "0001-01-01", "periodEnd": "9999-12-31"})
    assert far.status_code == 200 and far.json()["value"] == 0


def test_accounts_are_isolated(client: ApiClient, other_client: ApiClient) -> None:
    mine = customer_with_alias(client, "shared-alias")
    theirs = customer_with_alias(other_client, "shared-alias")
    event(client, "shared-alias", eventTimestamp=MARCH, customerEventId="same")
    event(other_client, "shared-alias", eventTimestamp=MARCH, customerEventId="same")
    event(other_client, "shared-alias", eventTimestamp=MARCH)
    m = metric(client)
    assert calculate(client, m["id"], "shared-alias")["value"] == 1
    assert calculate(other_client, metric(other_client)["id"], theirs["id"])["value"] == 2
    assert len(client.get("/usage-events").json()["items"]) == 1
    for call in (other_client.get(f"/usage-metrics/{m['id']}"),
                 other_client.put(f"/usage-metrics/{m['id']}", json={"name": "x", "metricType": "SIMPLE", "eventType": "e", "aggregationType": "COUNT"}),
                 other_client.delete(f"/usage-metrics/{m['id']}"),
                 other_client.get(f"/usage-metrics/{m['id']}/calculate", params={"customerAliases": "shared-alias", "periodStart": "2024-03-01", "periodEnd": "2024-03-31"})):
        assert call.status_code == 404, call.text
    # A customer id of account A is not a customer of B, even when passed to B's calculate.
    own = metric(other_client)
    refused = other_client.get(f"/usage-metrics/{own['id']}/calculate",
                               params={"customerAliases": mine["id"], "periodStart": "2024-03-01", "periodEnd": "2024-03-31"})
    assert refused.status_code == 400 and refused.json()["error"]["fields"][0]["field"] == "customerAliases", refused.text
    assert other_client.get("/usage-events", params={"customerAlias": mine["id"]}).json()["items"] == []
    assert m["id"] not in {x["id"] for x in other_client.get("/usage-metrics").json()["items"]}


def _upload(client: ApiClient, text: str, content_type: str = "text/csv") -> Any:
    return client.post("/usage-events/csv", files={"file": ("events.csv", text.encode(), content_type)})


def _wait(client: ApiClient, upload_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        status = client.get(f"/usage-events/csv/{upload_id}").json()
        if status["status"] in ("COMPLETED", "FAILED") or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_csv_upload_is_processed_in_the_background(client: ApiClient, other_client: ApiClient) -> None:
    customer_with_alias(client, "csv-cust")
    text = (
        "eventType,eventTimestamp,customerAlias,customerEventId,eventProperty#amount,eventProperties#channel\n"
        "api_call,2024-03-02,csv-cust,r1,1.5,text\n"
        "api_call,2024-03-03T10:00:00+01:00,csv-cust,r2,2,email\n"
        "api_call,not-a-date,csv-cust,r3,3,text\n"
        "api_call,2024-03-04,,r4,4,text\n"
        "api_call,2024-03-05,csv-cust,r1,10,text\n"
        "\n"
    )
    response = _upload(client, text)
    assert response.status_code == 201, response.text
    upload_id = response.json()["id"]
    status = _wait(client, upload_id)
    assert status["status"] == "COMPLETED", status
    assert (status["rowCount"], status["acceptedCount"], status["rejectedCount"]) == (5, 3, 2)
    assert [e["row"] for e in status["errors"]] == [4, 5]
    total = calculate(client, metric(client, aggregationType="SUM", aggregationProperty="amount")["id"], "csv-cust")
    assert total["value"] == 12 and total["eventCount"] == 2, "r1 was sent twice: the later row counts"
    listed = client.get("/usage-events", params={"eventId": "r2"}).json()["items"][0]
    assert listed["eventTimestamp"] == "2024-03-03T09:00:00Z" and listed["eventProperties"] == {"amount": "2", "channel": "email"}
    assert [u["id"] for u in client.get("/usage-events/csv").json()["items"]] == [upload_id]
    assert other_client.get(f"/usage-events/csv/{upload_id}").status_code == 404
    assert other_client.get("/usage-events").json()["items"] == []


def test_csv_upload_bad_requests(client: ApiClient) -> None:
    assert _upload(client, "eventType,customerAlias\nx,y\n").status_code == 400
    assert client.post("/usage-events/csv", content=b"eventType", headers={"content-type": "text/csv"}).status_code == 400
    assert client.post("/usage-events/csv", files={"other": ("a.csv", b"x")}).status_code == 400
    assert client.post("/usage-events/csv", files={"file": ("e.csv", b"\xffeventType", "text/csv")}).status_code == 400
    assert client.get("/usage-events/csv/not-an-id").status_code == 404
    nul = "eventType,eventTimestamp,customerAlias\nx,2024-01-01,a\u0000b\n".encode()
    assert client.post("/usage-events/csv", files={"file": ("e.csv", nul, "text/csv")}).status_code == 400
    odd_name = "eventType,eventTimestamp,customerAlias\nx,2024-01-01,a\u00e9\nx,2024-13-01,b\n".encode()
    accepted = client.post("/usage-events/csv", files={"file": ("caf\u00e9.csv", odd_name, "text/csv")})
    assert accepted.status_code == 201 and accepted.json()["filename"].startswith("caf")
    status = _wait(client, accepted.json()["id"])
    assert (status["status"], status["acceptedCount"], status["rejectedCount"]) == ("COMPLETED", 1, 1)


def test_idempotency_key_replays_the_stored_event(client: ApiClient) -> None:
    body = {"customerAlias": "idem", "eventType": "api_call", "eventProperties": {"n": 1}}
    first = client.post("/usage-events", json=body, headers={"Idempotency-Key": "k-1"})
    again = client.post("/usage-events", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert len(client.get("/usage-events").json()["items"]) == 1
