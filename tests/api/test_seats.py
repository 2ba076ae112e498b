"""Seat types, seat snapshots, seat changes and seat balances over HTTP, on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.invoice_helpers import new_customer
from tests.support import ApiClient


def seat_type(client: ApiClient, key: str = "admin", **fields: Any) -> dict[str, Any]:
    response = client.post("/seat-types", json={"key": key, "label": key.title(), **fields})
    assert response.status_code == 201, response.text
    return response.json()


def snapshot(client: ApiClient, alias: str, total: int, ts: str, kind: str = "admin", **fields: Any) -> dict[str, Any]:
    body = {"customerAlias": alias, "seatType": kind, "snapshotTimestamp": ts, "total": total, "seatChanges": [], **fields}
    response = client.post("/seat-snapshots", json=body)
    assert response.status_code == 201, response.text
    return response.json()


ADDED = {"changeType": "SEAT_ADDED", "timestamp": "2024-04-18T09:00:00Z", "externalId": "joe@example.com",
         "description": "Joe Bloggs", "reason": "seat manually added"}


def test_seat_type_crud(client: ApiClient) -> None:
    created = seat_type(client, description="Admins", sequenceUserId="u-1")
    assert created["sequenceAccountId"] == client.credential.account_id and created["key"] == "admin"
    assert created["createdAt"] == created["updatedAt"]
    assert client.get(f"/seat-types/{created['id']}").json() == created
    taken = client.post("/seat-types", json={"key": "admin", "label": "Again"})
    assert taken.status_code == 400 and taken.json()["error"]["type"] == "SeatTypeKeyTaken"
    updated = client.put(f"/seat-types/{created['id']}", json={"label": "Administrator", "key": "ignored"}).json()
    assert updated["label"] == "Administrator" and updated["key"] == "admin" and updated["description"] == "Admins"
    # 2024-01-01 does not let description be null (issue 12): refused, naming it, and nothing changed.
    refused = client.put(f"/seat-types/{created['id']}", json={"label": "Administrator", "description": None})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == [{"field": "description", "message": "must not be null"}]
    assert client.get(f"/seat-types/{created['id']}").json()["description"] == "Admins"
    second = seat_type(client, "viewer")
    page = client.get("/seat-types", params={"limit": 1}).json()
    assert [t["id"] for t in page["items"]] == [second["id"]] and page["pagination"]["totalResultSize"] == 2
    nxt = client.get("/seat-types", params={"limit": 1, "after": page["pagination"]["after"]}).json()
    assert [t["id"] for t in nxt["items"]] == [created["id"]]
    deleted = client.delete(f"/seat-types/{created['id']}")
    assert deleted.status_code == 200 and deleted.json()["id"] == created["id"]
    assert client.get(f"/seat-types/{created['id']}").status_code == 404
    assert seat_type(client, "admin")["id"] != created["id"], "a deleted key can be used again"


def test_snapshots_supersede_by_customer_snapshot_id(client: ApiClient) -> None:
    seat_type(client)
    first = snapshot(client, "cust-a", 3, "2024-04-18T09:00:00Z", customerSnapshotId="snap-1", seatChanges=[ADDED, ADDED])
    assert first["customerSnapshotId"] == "snap-1" and first["total"] == 3
    assert [c["seatSnapshotId"] for c in first["seatChanges"]] == [first["id"]] * 2
    assert first["seatChanges"][0]["externalId"] == "joe@example.com"
    auto = snapshot(client, "cust-a", 1, "2024-04-01")
    assert auto["customerSnapshotId"] == auto["id"] and auto["snapshotTimestamp"] == "2024-04-01T00:00:00Z"
    removed = {"changeType": "SEAT_REMOVED", "timestamp": "2024-04-19T09:00:00+02:00"}
    second = snapshot(client, "cust-a", 2, "2024-04-19T10:00:00Z", customerSnapshotId="snap-1", seatChanges=[removed])
    assert second["id"] != first["id"]
    listed = client.get("/seat-snapshots").json()
    assert [s["id"] for s in listed["items"]] == [second["id"], auto["id"]] and listed["pagination"]["totalResultSize"] == 2
    assert listed["items"][0]["seatChanges"][0]["timestamp"] == "2024-04-19T07:00:00Z"
    by_id = client.get("/seat-snapshots", params={"customerSnapshotId": "snap-1"}).json()["items"]
    assert [s["total"] for s in by_id] == [2]
    by_time = client.get("/seat-snapshots", params={"sortBy": "snapshotTimestamp", "sortOrder": "ASC"}).json()["items"]
    assert [s["id"] for s in by_time] == [auto["id"], second["id"]]
    window = client.get("/seat-snapshots", params={"snapshotTimestampAfter": "2024-04-18", "snapshotTimestampBefore": "2024-05-01"})
    assert [s["id"] for s in window.json()["items"]] == [second["id"]]
    changes = client.get("/seat-changes").json()["items"]
    assert [(c["changeType"], c["customerAlias"], c["seatType"]) for c in changes] == [("SEAT_REMOVED", "cust-a", "admin")]


def test_seat_changes_filters(client: ApiClient) -> None:
    seat_type(client)
    seat_type(client, "viewer")
    snapshot(client, "x", 2, "2024-04-18T09:00:00Z", seatChanges=[ADDED, {**ADDED, "timestamp": "2024-04-20T00:00:00Z"}])
    snapshot(client, "y", 1, "2024-04-18T09:00:00Z", kind="viewer", seatChanges=[ADDED])
    assert len(client.get("/seat-changes").json()["items"]) == 3
    assert len(client.get("/seat-changes", params={"customerAlias": "x"}).json()["items"]) == 2
    assert len(client.get("/seat-changes", params={"seatType": "viewer"}).json()["items"]) == 1
    assert len(client.get("/seat-changes", params={"timestampAfter": "2024-04-19T00:00:00Z"}).json()["items"]) == 1
    assert len(client.get("/seat-changes", params={"timestampBefore": "2024-04-19"}).json()["items"]) == 2
    asc = client.get("/seat-changes", params={"sortOrder": "ASC", "limit": 2}).json()
    assert len(asc["items"]) == 2 and "after" in asc["pagination"]


def test_seat_balances_latest_per_type_with_late_alias(client: ApiClient) -> None:
    seat_type(client)
    seat_type(client, "viewer")
    busy = new_customer(client, customerAliases=["busy"])
    idle = new_customer(client)
    snapshot(client, "busy", 10, "2024-04-01T00:00:00Z")
    snapshot(client, "busy", 7, "2024-04-10T00:00:00Z")
    snapshot(client, "busy", 99, "2024-03-01T00:00:00Z")  # arrives late but is older: not the balance
    snapshot(client, busy["id"], 4, "2024-04-05T00:00:00Z", kind="viewer")
    snapshot(client, "not-yet-mapped", 5, "2024-04-12T00:00:00Z")
    balances = {b["id"]: b for b in client.get("/seat-balances").json()["items"]}
    assert set(balances) == {busy["id"], idle["id"]}
    mine = balances[busy["id"]]
    assert mine["customerAliases"] == ["busy"] and mine["legalName"] == busy["legalName"]
    assert [(b["seatType"], b["total"]) for b in mine["balances"]] == [("admin", 7), ("viewer", 4)]
    assert mine["total"] == 11 and mine["changeTimestamp"] == "2024-04-10T00:00:00Z"
    assert balances[idle["id"]]["total"] == 0 and balances[idle["id"]]["balances"] == []
    nonzero = client.get("/seat-balances", params={"excludeZeroQuantity": "true"}).json()
    assert [b["id"] for b in nonzero["items"]] == [busy["id"]] and nonzero["pagination"]["totalResultSize"] == 1
    client.post("/customer-aliases", json={"sequenceAccountId": client.credential.account_id, "customerId": busy["id"], "value": "not-yet-mapped"})
    mapped = client.get("/seat-balances", params={"customerAliases": "busy"}).json()["items"]
    assert [(b["seatType"], b["total"]) for b in mapped[0]["balances"]] == [("admin", 5), ("viewer", 4)]
    refused = client.get("/seat-balances", params={"customerAliases": "busy,nobody"})  # a query's reference: 400
    assert refused.status_code == 400 and refused.json()["error"]["fields"][0]["field"] == "customerAliases", refused.text


def test_accounts_are_isolated(client: ApiClient, other_client: ApiClient) -> None:
    mine = seat_type(client)
    seat_type(other_client)
    new_customer(client, customerAliases=["shared"])
    theirs = new_customer(other_client, customerAliases=["shared"])
    snapshot(client, "shared", 3, "2024-04-01T00:00:00Z", customerSnapshotId="s1", seatChanges=[ADDED])
    snapshot(other_client, "shared", 8, "2024-04-01T00:00:00Z", customerSnapshotId="s1")
    for call in (other_client.get(f"/seat-types/{mine['id']}"),
                 other_client.put(f"/seat-types/{mine['id']}", json={"label": "x"}),
                 other_client.delete(f"/seat-types/{mine['id']}")):
        assert call.status_code == 404
    assert [s["total"] for s in client.get("/seat-snapshots").json()["items"]] == [3], "same customerSnapshotId, other account"
    assert len(other_client.get("/seat-changes").json()["items"]) == 0
    theirs_balance = other_client.get("/seat-balances").json()["items"]
    assert [(b["id"], b["total"]) for b in theirs_balance] == [(theirs["id"], 8)]
    assert len(other_client.get("/seat-types").json()["items"]) == 1


@pytest.mark.parametrize("body", [
    {"total": -1}, {"total": "3"}, {"total": 2**40}, {"snapshotTimestamp": "later"}, {"seatType": "unknown"},
    {"seatChanges": [{"changeType": "SEAT_MOVED", "timestamp": "2024-04-01"}]},
    {"seatChanges": [{"changeType": "SEAT_ADDED", "timestamp": "nope"}]},
    {"seatChanges": None}, {"customerAlias": ""}, {"customerAlias": "a\udc80"},
    {"seatChanges": [{"changeType": "SEAT_ADDED", "timestamp": "2024-04-01", "reason": "\u0000"}]},
])
def test_snapshot_bad_input_is_400(client: ApiClient, body: dict[str, Any]) -> None:
    seat_type(client)
    full = {"customerAlias": "a", "seatType": "admin", "snapshotTimestamp": "2024-04-01", "total": 1, "seatChanges": [], **body}
    response = client.post("/seat-snapshots", content=json.dumps(full), headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text


def test_seat_lists_bad_input_is_400(client: ApiClient) -> None:
    assert client.post("/seat-types", json={"key": "", "label": "x"}).status_code == 400
    assert client.post("/seat-types", json={"key": "k"}).status_code == 400
    assert client.get("/seat-types", params={"limit": 101}).status_code == 400
    assert client.get("/seat-snapshots", params={"sortBy": "total"}).status_code == 400
    assert client.get("/seat-snapshots", params={"snapshotTimestampBefore": "x"}).status_code == 400
    assert client.get("/seat-changes", params={"timestampAfter": "x"}).status_code == 400
    assert client.get("/seat-types/not-a-uuid").status_code == 404
