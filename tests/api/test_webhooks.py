"""Events and signed webhook deliveries, end to end: real receivers over HTTP, both databases."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.api.invoice_helpers import add_line, new_customer, new_invoice
from tests.support import ApiClient, LiveServer
from tests.webhook_support import Receiver, verify


@pytest.fixture
def client(webhook_server: LiveServer) -> Any:
    with ApiClient(webhook_server.base_url, webhook_server.new_account()) as api:
        yield api


@pytest.fixture
def other_client(webhook_server: LiveServer) -> Any:
    with ApiClient(webhook_server.base_url, webhook_server.new_account("Other")) as api:
        yield api


@pytest.fixture
def receiver() -> Any:
    found = Receiver().start()
    yield found
    found.stop()


def subscribe(client: ApiClient, *urls: str, **body: Any) -> dict[str, Any]:
    response = client.post("/notifications/policies", json={"name": "hooks", "channel": "WEBHOOK",
                                                            "recipients": list(urls), **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_every_event_arrives_signed_in_order(client: ApiClient, receiver: Receiver) -> None:
    policy = subscribe(client, receiver.url())
    customer = new_customer(client)
    assert client.put(f"/customers/{customer['id']}", json={**{k: customer[k] for k in ("legalName", "address", "email")},
                                                           "taxStatus": "TAXED"}).status_code == 200
    invoice = new_invoice(client, customer=customer)
    add_line(client, invoice["id"])
    finalized = client.post(f"/invoices/{invoice['id']}/finalize").json()
    assert client.put(f"/invoices/{invoice['id']}/payment-status", json={"paymentStatus": "PAID"}).status_code == 200
    assert client.put(f"/customers/{customer['id']}/archive").status_code == 200
    merchant = client.put("/merchant-settings", json={"legalCompanyName": "Hooked Ltd"})
    assert merchant.status_code == 200, merchant.text

    expected = [("CUSTOMER_CREATED", customer["id"]), ("CUSTOMER_UPDATED", customer["id"]),
                ("INVOICE_CREATED", invoice["id"]), ("INVOICE_UPDATED", invoice["id"]),
                ("INVOICE_ISSUED", invoice["id"]), ("INVOICE_UPDATED", invoice["id"]),
                ("CUSTOMER_DELETED", customer["id"]), ("MERCHANT_UPDATED", client.credential.account_id)]
    receiver.wait_for(lambda: sorted((r.json["notificationType"], r.json["resourceId"]) for r in receiver.delivered())
                      == sorted(expected))
    got = receiver.delivered()
    assert sorted((r.json["notificationType"], r.json["resourceId"]) for r in got) == sorted(expected)
    for resource in {rid for _, rid in expected}:  # in order per resource (docs/webhooks.md#ordering)
        assert [t for t, rid in ((r.json["notificationType"], r.json["resourceId"]) for r in got) if rid == resource] \
            == [t for t, rid in expected if rid == resource]
    by_type = {(r.json["notificationType"], r.json["resourceId"]): r.json for r in got}
    for r in got:
        assert verify(policy["webhookSecret"], r.headers["sequence-signature"], r.body), r.headers
        assert not verify(policy["webhookSecret"] + "x", r.headers["sequence-signature"], r.body)
        assert r.headers["content-type"] == "application/json"
        assert r.json["eventId"] == r.event_id and r.json["sequenceAccountId"] == client.credential.account_id
        assert r.headers["sequence-signature"].startswith("t=") and len(r.headers["sequence-signature"].split(",")[0]) == 15
    assert len({r.event_id for r in got}) == len(expected)
    issued = by_type[("INVOICE_ISSUED", invoice["id"])]
    assert issued["resourceType"] == "Invoice" and issued["resource"]["invoiceNumber"] == finalized["invoiceNumber"]
    updates = [r.json["resource"] for r in got if r.json["notificationType"] == "INVOICE_UPDATED"]
    assert [u.get("paymentStatus") for u in updates] == ["UNPAID", "PAID"] and updates[0]["netTotal"] != "0"
    assert by_type[("INVOICE_CREATED", invoice["id"])]["resource"]["status"] == "DRAFT"


def test_types_filter_and_accounts_are_kept_apart(client: ApiClient, other_client: ApiClient, receiver: Receiver) -> None:
    subscribe(client, receiver.url("/mine"), notificationTypes=["CUSTOMER_CREATED"])
    subscribe(other_client, receiver.url("/theirs"))
    mine = new_customer(client)
    invoice = new_invoice(client, customer=mine)  # not a type of the policy
    theirs = new_customer(other_client)
    receiver.wait_for(lambda: len(receiver.delivered("/mine")) >= 1 and len(receiver.delivered("/theirs")) >= 1)
    assert [r.json["resourceId"] for r in receiver.delivered("/mine")] == [mine["id"]]
    assert [r.json["resourceId"] for r in receiver.delivered("/theirs")] == [theirs["id"]]
    assert invoice["id"] not in {r.json["resourceId"] for r in receiver.received}


def test_failing_slow_and_down_receivers_get_every_event(client: ApiClient, receiver: Receiver) -> None:
    """/flaky answers 500 to its first 3 requests, /slow takes longer than the 1 s timeout on its first,
    and a third URL is down at first; every event reaches all three, and /fast is never held up."""
    down = Receiver()

    def behaviour(path: str, seen: int) -> int | float:
        if path == "/flaky" and seen < 3:
            return 500
        if path == "/slow" and seen == 0:
            return -1.5
        return 200

    receiver.behaviour = behaviour
    policy = subscribe(client, receiver.url("/flaky"), receiver.url("/slow"), down.url(), receiver.url("/fast"))
    customers = [new_customer(client)["id"] for _ in range(4)]
    receiver.wait_for(lambda: len(receiver.delivered("/fast")) == 4, timeout=20)
    down.start()
    try:
        for path in ("/flaky", "/slow"):
            receiver.wait_for(lambda: {r.json["resourceId"] for r in receiver.delivered(path)} == set(customers))
        down.wait_for(lambda: {r.json["resourceId"] for r in down.delivered()} == set(customers))
        for where in (receiver, down):
            for r in where.delivered():
                assert verify(policy["webhookSecret"], r.headers["sequence-signature"], r.body)
        # Repeats of one event carry its id; /fast had no reason to see one twice.
        assert sorted(Counter(r.event_id for r in receiver.delivered("/fast")).values()) == [1, 1, 1, 1]
        attempts = client.get("/notifications/policies").json()  # still answering meanwhile
        assert attempts["items"]
    finally:
        down.stop()


# --- extensions: deliveries, redelivery, replay, test events ----------------------------------------


def test_deliveries_are_listed_redelivered_and_replayed(client: ApiClient, other_client: ApiClient,
                                                        receiver: Receiver) -> None:
    receiver.behaviour = lambda path, seen: 500 if seen < 2 else 200
    policy = subscribe(client, receiver.url(), notificationTypes=["CUSTOMER_CREATED"])
    start = client.get(f"/notifications/policies/{policy['id']}").json()["createdAt"]
    customer = new_customer(client)
    receiver.wait_for(lambda: len(receiver.delivered()) == 1)

    def delivered_row() -> Any:
        [found] = client.get("/notifications/deliveries", params={"policyId": policy["id"]}).json()["items"]
        return found if found["status"] == "DELIVERED" else None

    receiver.wait_for(delivered_row)  # the 2xx is recorded just after the receiver answered it
    row = delivered_row()
    assert row["status"] == "DELIVERED" and row["attempts"] == 3 and row["lastAttempt"]["statusCode"] == 200
    assert row["event"]["resourceId"] == customer["id"] and row["event"]["id"] == receiver.delivered()[0].event_id
    assert client.get("/notifications/deliveries", params={"status": "DEAD"}).json()["items"] == []
    assert other_client.get("/notifications/deliveries").json()["items"] == []
    assert other_client.post(f"/notifications/deliveries/{row['id']}/redeliver").status_code == 404

    again = client.post(f"/notifications/deliveries/{row['id']}/redeliver")
    assert again.status_code == 200 and again.json()["status"] == "PENDING"
    receiver.wait_for(lambda: len(receiver.delivered()) == 2)
    assert receiver.delivered()[1].event_id == row["event"]["id"]  # the same event, the same id

    replayed = client.post(f"/notifications/policies/{policy['id']}/replay",
                           json={"from": start, "to": "2100-01-01T00:00:00Z"})
    assert replayed.status_code == 200 and replayed.json()["events"] == 1 and replayed.json()["deliveries"] == 1
    receiver.wait_for(lambda: len(receiver.delivered()) == 3)
    assert {r.event_id for r in receiver.delivered()} == {row["event"]["id"]}
    bad = client.post(f"/notifications/policies/{policy['id']}/replay", json={"from": start, "to": start})
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "to"


def test_a_test_event_goes_to_one_policy_only(client: ApiClient, receiver: Receiver) -> None:
    target = subscribe(client, receiver.url("/target"), notificationTypes=["QUOTE_ACCEPTED"])
    subscribe(client, receiver.url("/bystander"))
    sent = client.post(f"/notifications/policies/{target['id']}/test")
    assert sent.status_code == 200 and sent.json()["notificationType"] == "TEST" and sent.json()["deliveries"] == 1
    receiver.wait_for(lambda: len(receiver.delivered("/target")) == 1)
    [got] = receiver.delivered("/target")
    assert got.json["notificationType"] == "TEST" and got.event_id == sent.json()["id"]
    assert verify(target["webhookSecret"], got.headers["sequence-signature"], got.body)
    assert receiver.delivered("/bystander") == []


# --- the EMAIL channel ------------------------------------------------------------------------------


def test_an_email_policy_mails_each_event_to_its_addresses(mail_server: Any) -> None:
    import email
    import time as clock

    live, sink = mail_server
    with ApiClient(live.base_url, live.new_account("Mailed")) as api:
        policy = api.post("/notifications/policies", json={
            "name": "Finance team emails", "channel": "EMAIL", "notificationTypes": ["INVOICE_ISSUED"],
            "recipients": ["finance@quire.example", "ops@quire.example"]})
        assert policy.status_code == 201, policy.text
        customer = new_customer(api)
        invoice = new_invoice(api, customer=customer)
        add_line(api, invoice["id"])
        number = api.post(f"/invoices/{invoice['id']}/finalize").json()["invoiceNumber"]
    deadline = clock.monotonic() + 20
    while not sink.received_by("ops@quire.example") and clock.monotonic() < deadline:
        clock.sleep(0.05)
    [mailed] = sink.received_by("finance@quire.example")
    assert sorted(mailed.rcpt_tos) == ["finance@quire.example", "ops@quire.example"]
    message = email.message_from_bytes(mailed.content, policy=email.policy.default)
    assert message["Subject"] == f"Quire: Invoice issued: {number}"
    text = message.get_body(("plain",)).get_content()
    assert f"INVOICE_ISSUED (Invoice {invoice['id']})" in text and f"invoiceNumber: {number}" in text
    assert "status: FINAL" in text and "grossTotal:" in text


def test_aliases_deleted_drafts_and_credit_notes_fire_the_events_of_what_they_change(
        client: ApiClient, receiver: Receiver) -> None:
    """docs/webhooks.md#types: an alias is a change of its customer; a deleted draft is an *_UPDATED carrying
    the document as DELETE answered it plus deletedAt; a credit note's invoice lists it (creditNoteIds)."""
    customer = new_customer(client)
    subscribe(client, receiver.url(), notificationTypes=["CUSTOMER_UPDATED", "INVOICE_UPDATED", "CREDIT_NOTE_UPDATED"])
    account = client.credential.account_id
    alias = client.post("/customer-aliases", json={"sequenceAccountId": account, "customerId": customer["id"],
                                                   "value": f"crm-{customer['id'][-6:]}"}).json()
    assert client.put(f"/customer-aliases/{alias['id']}", json={"label": "CRM"}).status_code == 200
    assert client.delete(f"/customer-aliases/{alias['id']}").status_code == 200
    draft = new_invoice(client, customer=customer)
    deleted = client.delete(f"/invoices/{draft['id']}")
    assert deleted.status_code == 200, deleted.text
    invoice = new_invoice(client, customer=customer)
    add_line(client, invoice["id"])
    assert client.post(f"/invoices/{invoice['id']}/finalize").status_code == 200
    note = client.post("/credit-notes", json={"invoiceId": invoice["id"], "currency": "GBP", "customerId": customer["id"]})
    assert note.status_code == 201, note.text
    assert client.delete(f"/credit-notes/{note.json()['id']}").status_code == 200

    expected = [("CUSTOMER_UPDATED", customer["id"])] * 3 + [
        ("INVOICE_UPDATED", draft["id"]),  # deleted
        ("INVOICE_UPDATED", invoice["id"]),  # a line (before it was issued)
        ("INVOICE_UPDATED", invoice["id"]),  # the credit note listed
        ("CREDIT_NOTE_UPDATED", note.json()["id"]),  # the draft deleted
        ("INVOICE_UPDATED", invoice["id"]),  # … and no longer listed
    ]
    receiver.wait_for(lambda: sorted((r.json["notificationType"], r.json["resourceId"]) for r in receiver.delivered())
                      == sorted(expected))
    got = {(r.json["notificationType"], r.json["resourceId"]): r.json for r in receiver.delivered()}
    gone = got[("INVOICE_UPDATED", draft["id"])]["resource"]
    assert gone["status"] == "DRAFT" and gone["deletedAt"].endswith("Z") and gone["id"] == draft["id"]
    assert "deletedAt" in got[("CREDIT_NOTE_UPDATED", note.json()["id"])]["resource"]
    listed = [r.json["resource"]["creditNoteIds"] for r in receiver.delivered() if r.json["resourceId"] == invoice["id"]]
    assert [note.json()["id"]] in listed and [] in listed
