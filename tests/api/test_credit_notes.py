"""Credit notes over HTTP: crediting invoices, the creditable-amount rule (also under concurrency),
lifecycle, gap-free numbering, refusals, cross-account isolation and the PDF. Every response is
checked against the contract by ApiClient."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import Any

from quire.core.clock import today
from tests.api.invoice_helpers import action, add_group, add_line, new_customer, new_invoice
from tests.support import ApiClient, LiveServer


# --- helpers --------------------------------------------------------------------------------------


def issued_invoice(client: ApiClient, lines: list[dict[str, Any]] | None = None, *, send: bool = False,
                   **fields: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A FINAL (or SENT) invoice with the given lines (default: one line, 100.00 + 20% = 120.00)."""
    invoice = new_invoice(client, **fields)
    made = [add_line(client, invoice["id"], **spec) for spec in (lines if lines is not None else [{}])]
    response = action(client, invoice["id"], "finalize-and-send" if send else "finalize")
    assert response.status_code == 200, response.text
    return response.json(), made


def new_note(client: ApiClient, invoice: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if invoice is not None:
        body = {"invoiceId": invoice["id"], "currency": invoice["currency"], "customerId": invoice["customerId"]}
    body.update(fields)
    response = client.post("/credit-notes", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def line_body(note_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"creditNoteId": note_id, "title": "Credit", "quantity": "1", "rate": "10.00",
                            "taxRate": "0.2", "externalIds": []}
    body.update(overrides)
    return body


def post_credit_line(client: ApiClient, note_id: str, **overrides: Any) -> Any:
    return client.post(f"/credit-notes/{note_id}/line-items", json=line_body(note_id, **overrides))


def credit_line(client: ApiClient, note_id: str, **overrides: Any) -> dict[str, Any]:
    response = post_credit_line(client, note_id, **overrides)
    assert response.status_code == 201, response.text
    return response.json()


def note_action(client: ApiClient, note_id: str, name: str) -> Any:
    return client.post(f"/credit-notes/{note_id}/{name}")


def exceeds(response: Any, remaining: str, *, line_item_id: str | None = None) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "AmountExceedsCreditable", error
    assert error["remainingCreditable"] == remaining, error
    assert error.get("lineItemId") == line_item_id, error
    return error  # type: ignore[no-any-return]


def refused(response: Any, status: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "InvalidStateTransition", error
    assert error["currentStatus"] == status, error
    assert isinstance(error["allowedActions"], list)


def invalid(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "ValidationError", error
    assert field in [f["field"] for f in error.get("fields", [])], error


# --- crediting ------------------------------------------------------------------------------------


def test_partial_credit_of_one_line(client: ApiClient) -> None:
    invoice, (seats, support) = issued_invoice(client, [
        {"title": "Seats", "quantity": "10", "rate": "25.00", "taxRate": "0.2"},  # 250.00 + 50.00
        {"title": "Support", "quantity": "1", "rate": "100.00", "taxRate": "0.2"},  # 100.00 + 20.00
    ], purchaseOrderNumber="PO-9", billingPeriod={"start": "2026-10-01", "endInclusive": "2026-10-31"})
    assert invoice["grossTotal"] == "420.00"

    note = new_note(client, invoice, memo="Two seats were never used")
    assert note["status"] == "DRAFT" and "creditNoteNumber" not in note and "issueDate" not in note
    assert note["invoiceId"] == invoice["id"] and note["invoiceNumber"] == invoice["invoiceNumber"]
    for field in ("customerId", "currency", "customerEmails", "customerLegalCompanyName", "customerBillingAddress",
                  "customerShippingAddress", "purchaseOrderNumber"):
        assert note[field] == invoice[field], field
    assert note["billingPeriodStart"] == "2026-10-01T00:00:00Z" and note["billingPeriodEnd"] == "2026-10-31T00:00:00Z"
    assert (note["netTotal"], note["totalTax"], note["grossTotal"]) == ("0.00", "0.00", "0.00")
    assert note["metadata"] == [] and note["linkedServices"] == []

    line = credit_line(client, note["id"], title="Seats (2 unused)", quantity="2", rate="25.00", lineItemId=seats["id"])
    assert (line["netTotal"], line["totalTax"], line["grossTotal"]) == ("50.00", "10.00", "60.00")
    assert line["lineItemId"] == seats["id"] and line["creditNoteId"] == note["id"] and line["index"] == 0
    assert line["rateDisplay"] == "ABSOLUTE" and line["quantity"] == "2" and line["rate"] == "25"

    assert client.get(f"/invoices/{invoice['id']}").json()["creditNoteIds"] == [note["id"]]
    final = note_action(client, note["id"], "finalize")
    assert final.status_code == 200, final.text
    body = final.json()
    assert body["status"] == "FINAL" and body["creditNoteNumber"] == "CN00001"
    assert body["issueDate"] == today().isoformat()
    assert (body["netTotal"], body["totalTax"], body["grossTotal"]) == ("50.00", "10.00", "60.00")
    assert client.get(f"/credit-notes/{note['id']}").json() == body
    items = client.get(f"/credit-notes/{note['id']}/line-items").json()["items"]
    assert [i["id"] for i in items] == [line["id"]]

    after = client.get(f"/invoices/{invoice['id']}").json()  # the invoice itself does not change
    assert after["grossTotal"] == "420.00" and after["paymentStatus"] == "UNPAID" and after["status"] == "FINAL"
    assert after["creditNoteIds"] == [note["id"]]
    # What is left: 240.00 on the seats line, 360.00 on the invoice.
    more = new_note(client, invoice)
    exceeds(post_credit_line(client, more["id"], quantity="1", rate="250.00", lineItemId=seats["id"]), "240.00",
            line_item_id=seats["id"])
    credit_line(client, more["id"], quantity="1", rate="100.00", lineItemId=support["id"])  # 120.00, all of it
    exceeds(post_credit_line(client, more["id"], quantity="1", rate="0.01", lineItemId=support["id"]), "0.00",
            line_item_id=support["id"])


def test_full_credit_of_a_paid_invoice(client: ApiClient) -> None:
    invoice, lines = issued_invoice(client, [
        {"title": "Licence", "quantity": "3", "rate": "33.33", "taxRate": "0.2"},  # 99.99 + 20.00
        {"title": "Setup", "quantity": "1", "rate": "0.05", "taxRate": "0.1"},  # 0.05 + 0.01
    ], send=True)
    paid = client.put(f"/invoices/{invoice['id']}/payment-status", json={"paymentStatus": "PAID"})
    assert paid.status_code == 200
    gross = paid.json()["grossTotal"]
    assert gross == "120.05"

    note = new_note(client, invoice)
    for line in lines:
        credit_line(client, note["id"], title=line["title"], quantity=line["quantity"], rate=line["rate"],
                    taxRate=line["taxRate"], lineItemId=line["id"])
    sent = note_action(client, note["id"], "finalize-and-send")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "SENT" and sent.json()["grossTotal"] == gross
    assert sent.json()["creditNoteNumber"] == "CN00001"

    reversed_ = client.get(f"/invoices/{invoice['id']}").json()
    assert reversed_["paymentStatus"] == "PAID" and reversed_["status"] == "SENT"  # documented: unchanged
    assert reversed_["creditNoteIds"] == [note["id"]]
    # Nothing is left to credit, on any line or in total.
    other = new_note(client, invoice)
    exceeds(post_credit_line(client, other["id"], quantity="1", rate="0.01"), "0.00")
    exceeds(post_credit_line(client, other["id"], quantity="1", rate="0.01", lineItemId=lines[0]["id"]), "0.00",
            line_item_id=lines[0]["id"])
    credit_line(client, other["id"], quantity="0", rate="5.00")  # a zero line takes nothing
    refused(action(client, invoice["id"], "void"), "SENT")  # still paid: a paid invoice is reversed by credit only


def test_over_credit_is_refused_sequentially(client: ApiClient) -> None:
    invoice, (big, small) = issued_invoice(client, [
        {"title": "Big", "quantity": "1", "rate": "100.00", "taxRate": "0.2"},  # 120.00
        {"title": "Small", "quantity": "1", "rate": "50.00", "taxRate": "0.2"},  # 60.00
    ])
    first = new_note(client, invoice)
    second = new_note(client, invoice)
    a = credit_line(client, first["id"], rate="50.00", lineItemId=big["id"])  # 60.00 of Big
    # Per line: 60.00 left on Big, though 120.00 is left on the invoice.
    error = exceeds(post_credit_line(client, second["id"], rate="60.00", lineItemId=big["id"]), "60.00",
                    line_item_id=big["id"])
    assert error["requestedAmount"] == "72.00" and error["currency"] == "GBP" and error["invoiceId"] == invoice["id"]
    # In total: 120.00 left on the invoice for lines that point at no invoice line.
    exceeds(post_credit_line(client, second["id"], rate="100.01"), "120.00")
    b = credit_line(client, second["id"], rate="100.00")  # exactly what is left: 120.00
    exceeds(post_credit_line(client, second["id"], rate="0.01"), "0.00")
    # Rewriting a line does not count the line against itself; growing it past the rest is refused.
    assert client.put(f"/credit-notes/{second['id']}/line-items/{b['id']}",
                      json=line_body(second["id"], rate="90.00")).status_code == 200  # 108.00
    exceeds(client.put(f"/credit-notes/{first['id']}/line-items/{a['id']}",
                       json=line_body(first["id"], rate="100.00")), "72.00", line_item_id=None)
    # Deleting a draft line, voiding a note or deleting a draft note frees its amount.
    assert client.delete(f"/credit-notes/{second['id']}/line-items/{b['id']}").status_code == 200
    credit_line(client, second["id"], rate="50.00", lineItemId=small["id"])  # 60.00, all of Small
    voided = note_action(client, first["id"], "void")
    assert voided.status_code == 200 and voided.json()["status"] == "VOIDED"
    credit_line(client, second["id"], rate="100.00", lineItemId=big["id"])  # Big is free again: 120.00
    exceeds(post_credit_line(client, second["id"], rate="0.01"), "0.00")
    third = new_note(client, invoice)
    assert client.delete(f"/credit-notes/{second['id']}").status_code == 200
    credit_line(client, third["id"], rate="150.00")  # 180.00: the whole invoice again
    assert client.get(f"/invoices/{invoice['id']}").json()["creditNoteIds"] == [first["id"], third["id"]]
    # Finalizing re-checks and keeps the figures.
    final = note_action(client, third["id"], "finalize")
    assert final.status_code == 200 and final.json()["grossTotal"] == "180.00"


def test_concurrent_over_credit_lets_exactly_the_allowed_through(server: LiveServer, client: ApiClient) -> None:
    invoice, (line,) = issued_invoice(client)  # 120.00
    notes = [new_note(client, invoice)["id"] for _ in range(10)]

    def credit(note_id: str) -> tuple[int, str]:
        with ApiClient(server.base_url, client.credential) as worker:
            response = worker.post(f"/credit-notes/{note_id}/line-items",
                                   json=line_body(note_id, rate="30.00", lineItemId=line["id"]))  # 36.00 each
            return response.status_code, response.json().get("error", {}).get("type", "")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(credit, notes))
    assert sorted(results) == [(201, "")] * 3 + [(400, "AmountExceedsCreditable")] * 7
    totals = [client.get(f"/credit-notes/{n}").json()["grossTotal"] for n in notes]
    assert sorted(totals) == ["0.00"] * 7 + ["36.00"] * 3

    # The same with lines that point at no invoice line, racing on one invoice total (120 - 108 = 12.00 left).
    def credit_total(note_id: str) -> int:
        with ApiClient(server.base_url, client.credential) as worker:
            return worker.post(f"/credit-notes/{note_id}/line-items", json=line_body(note_id, rate="5.00")).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(credit_total, notes))  # 6.00 each: two fit
    assert sorted(statuses) == [201] * 2 + [400] * 8


def test_numbering_is_gap_free_under_concurrency(server: LiveServer, client: ApiClient) -> None:
    invoice, _ = issued_invoice(client)
    drafts = []
    for _ in range(20):
        note = new_note(client, invoice)
        credit_line(client, note["id"], quantity="1", rate="1.00")  # 1.20 each, linked to one invoice
        drafts.append(note["id"])
    numbers: list[str] = []

    def finalize_batch(ids: list[str]) -> list[str]:
        with ApiClient(server.base_url, client.credential) as worker:
            out = []
            for nid in ids:
                response = worker.post(f"/credit-notes/{nid}/finalize")
                assert response.status_code == 200, response.text
                out.append(response.json()["creditNoteNumber"])
            return out

    with ThreadPoolExecutor(max_workers=10) as pool:
        for result in pool.map(finalize_batch, [drafts[i::10] for i in range(10)]):
            numbers.extend(result)
    assert sorted(numbers) == [f"CN{n:05d}" for n in range(1, 21)]
    assert invoice["invoiceNumber"] == "INV00001"  # invoices keep their own counter

    contested = new_note(client, invoice)["id"]

    def finalize_one(_: int) -> int:
        with ApiClient(server.base_url, client.credential) as worker:
            return worker.post(f"/credit-notes/{contested}/finalize").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(finalize_one, range(10)))
    assert sorted(statuses) == [200] + [400] * 9
    assert client.get(f"/credit-notes/{contested}").json()["creditNoteNumber"] == "CN00021"


def test_numbering_follows_merchant_settings(server: LiveServer) -> None:
    credential = server.new_account("Prefixed", merchant_settings={"creditNoteNumberPrefix": "CR-", "creditNoteNumberWidth": 3})
    with ApiClient(server.base_url, credential) as client:
        customer = new_customer(client)
        first = new_note(client, currency="EUR", customerId=customer["id"])
        second = new_note(client, currency="EUR", customerId=customer["id"])
        voided = note_action(client, first["id"], "void")  # voiding a draft numbers it
        assert voided.status_code == 200 and voided.json()["creditNoteNumber"] == "CR-001"
        assert note_action(client, second["id"], "finalize").json()["creditNoteNumber"] == "CR-002"


# --- lifecycle ------------------------------------------------------------------------------------


def test_lifecycle_transitions_and_refusals(client: ApiClient) -> None:
    invoice, (inv_line,) = issued_invoice(client)
    note = new_note(client, invoice)
    nid = note["id"]
    line = credit_line(client, nid, lineItemId=inv_line["id"])
    group = client.post(f"/credit-notes/{nid}/line-item-groups", json={"title": "Refunds"}).json()

    draft_refusal = note_action(client, nid, "send")
    refused(draft_refusal, "DRAFT")
    assert draft_refusal.json()["error"]["allowedActions"] == ["edit", "delete", "finalize", "finalize-and-send", "void"]
    assert draft_refusal.json()["error"]["action"] == "send"

    final = note_action(client, nid, "finalize")
    assert final.status_code == 200 and final.json()["status"] == "FINAL"
    refused(client.put(f"/credit-notes/{nid}", json={"memo": "x"}), "FINAL")
    refused(post_credit_line(client, nid), "FINAL")
    refused(client.put(f"/credit-notes/{nid}/line-items/{line['id']}", json=line_body(nid)), "FINAL")
    refused(client.delete(f"/credit-notes/{nid}/line-items/{line['id']}"), "FINAL")
    refused(client.post(f"/credit-notes/{nid}/line-item-groups", json={"title": "g"}), "FINAL")
    refused(client.put(f"/credit-notes/{nid}/line-item-groups/{group['id']}", json={"title": "g"}), "FINAL")
    refused(client.delete(f"/credit-notes/{nid}/line-item-groups/{group['id']}"), "FINAL")
    refused(client.delete(f"/credit-notes/{nid}"), "FINAL")
    refused(note_action(client, nid, "finalize"), "FINAL")
    refused(note_action(client, nid, "finalize-and-send"), "FINAL")
    assert client.get(f"/credit-notes/{nid}").json() == final.json()

    sent = note_action(client, nid, "send")
    assert sent.status_code == 200 and sent.json()["status"] == "SENT"
    again = note_action(client, nid, "send")  # re-sending is allowed
    assert again.status_code == 200 and again.json()["status"] == "SENT"
    listed = client.get("/credit-notes", params={"sentAfter": "2000-01-01", "creditNoteStatus": "SENT"}).json()
    assert [n["id"] for n in listed["items"]] == [nid]

    voided = note_action(client, nid, "void")
    assert voided.status_code == 200 and voided.json()["status"] == "VOIDED"
    assert voided.json()["creditNoteNumber"] == final.json()["creditNoteNumber"]  # voiding keeps the number
    for name in ("finalize", "send", "finalize-and-send", "void"):
        refused(note_action(client, nid, name), "VOIDED")
    refused(client.delete(f"/credit-notes/{nid}"), "VOIDED")
    assert client.get(f"/credit-notes/{nid}/line-items").status_code == 200  # reads work in every status
    assert client.get(f"/invoices/{invoice['id']}").json()["creditNoteIds"] == [nid]  # voided notes stay listed

    # A draft can be deleted: it disappears, with its lines, and from the invoice's creditNoteIds.
    draft = new_note(client, invoice)
    credit_line(client, draft["id"])
    deleted = client.delete(f"/credit-notes/{draft['id']}")
    assert deleted.status_code == 200 and deleted.json()["id"] == draft["id"] and deleted.json()["grossTotal"] == "12.00"
    assert client.get(f"/credit-notes/{draft['id']}").status_code == 404
    assert client.get(f"/credit-notes/{draft['id']}/line-items").status_code == 404
    assert client.get(f"/invoices/{invoice['id']}").json()["creditNoteIds"] == [nid]


def test_a_credited_invoice_that_is_voided_stops_the_drafts(client: ApiClient) -> None:
    invoice, _ = issued_invoice(client)
    note = new_note(client, invoice)
    credit_line(client, note["id"])
    assert action(client, invoice["id"], "void").status_code == 200
    invalid(post_credit_line(client, note["id"]), "invoiceId")
    invalid(note_action(client, note["id"], "finalize"), "invoiceId")
    assert note_action(client, note["id"], "void").status_code == 200  # the draft can still be voided


# --- refusals -------------------------------------------------------------------------------------


def test_create_and_line_refusals(client: ApiClient, other_client: ApiClient) -> None:
    invoice, (inv_line,) = issued_invoice(client)
    base = {"invoiceId": invoice["id"], "currency": "GBP", "customerId": invoice["customerId"]}
    invalid(client.post("/credit-notes", json={**base, "currency": "EUR"}), "currency")
    stranger = new_customer(client)
    invalid(client.post("/credit-notes", json={**base, "customerId": stranger["id"]}), "customerId")
    draft_invoice = new_invoice(client)
    invalid(client.post("/credit-notes", json={**base, "invoiceId": draft_invoice["id"],
                                                  "customerId": draft_invoice["customerId"]}), "invoiceId")
    foreign_invoice, _ = issued_invoice(other_client)
    # Another account's invoice or customer named in the body: 400 naming the field, not 404 (issue 12).
    invalid(client.post("/credit-notes", json={**base, "invoiceId": foreign_invoice["id"]}), "invoiceId")
    invalid(client.post("/credit-notes", json={**base, "customerId": foreign_invoice["customerId"]}), "customerId")
    invalid(client.post("/credit-notes", json={"customerId": stranger["id"]}), "currency")
    invalid(client.post("/credit-notes", json={**base, "billingPeriodStart": "2026-10-02T00:00:00Z",
                                                  "billingPeriodEnd": "2026-10-01T00:00:00Z"}), "billingPeriodEnd")
    invalid(client.post("/credit-notes", json={**base, "billingPeriodStart": "2026-10-02"}), "billingPeriodStart")
    for edge in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"):  # not representable in UTC
        invalid(client.post("/credit-notes", json={**base, "billingPeriodStart": edge}), "billingPeriodStart")
    invalid(client.post("/credit-notes", json={**base, "customerEmails": ["not-an-email"]}), "customerEmails[0]")

    note = new_note(client, invoice)
    nid = note["id"]
    invalid(post_credit_line(client, nid, creditNoteId=invoice["id"]), "creditNoteId")
    invalid(client.post(f"/credit-notes/{nid}/line-items", json={"title": "x", "quantity": "1", "rate": "1",
                                                                 "taxRate": "0", "externalIds": []}), "creditNoteId")
    invalid(post_credit_line(client, nid, quantity="-1"), "quantity")
    invalid(post_credit_line(client, nid, rate="-0.01"), "rate")
    invalid(post_credit_line(client, nid, taxRate="1.5"), "taxRate")
    invalid(post_credit_line(client, nid, rate="0.1", quantity=0.1), "quantity")
    invalid(post_credit_line(client, nid, groupId=invoice["id"]), "groupId")
    other_invoice, (other_line,) = issued_invoice(client)
    invalid(post_credit_line(client, nid, lineItemId=other_line["id"]), "lineItemId")
    invalid(post_credit_line(client, nid, lineItemId="not-a-uuid"), "lineItemId")
    invalid(post_credit_line(client, nid, quantity="999999999999999999", rate="999999999999999999"), "quantity")
    invalid(client.post(f"/credit-notes/{nid}/line-item-groups",
                        json={"title": "g", "lineItemGroupId": other_invoice["id"]}), "lineItemGroupId")
    invalid(client.put(f"/credit-notes/{nid}", json={"customerEmails": None}), "customerEmails")
    assert client.put(f"/credit-notes/{nid}", json={"billingPeriodStart": "2026-10-02T00:00:00+02:00"}).status_code == 200
    invalid(client.put(f"/credit-notes/{nid}", json={"billingPeriodEnd": "2026-10-01T00:00:00Z"}), "billingPeriodEnd")

    unlinked = new_note(client, currency="GBP", customerId=invoice["customerId"])
    assert "invoiceId" not in unlinked and "invoiceNumber" not in unlinked
    invalid(post_credit_line(client, unlinked["id"], lineItemId=inv_line["id"]), "lineItemId")
    invalid(client.post(f"/credit-notes/{unlinked['id']}/line-item-groups", json={"title": "g", "lineItemGroupId":
                                                                                 inv_line["id"]}), "lineItemGroupId")
    # Without an invoice there is no cap: a credit note on its own is just a document.
    big = credit_line(client, unlinked["id"], quantity="1000", rate="1000.00")
    assert big["grossTotal"] == "1200000.00"
    assert client.get(f"/invoices/{invoice['id']}").json()["creditNoteIds"] == [note["id"]]


def test_update_list_and_groups(client: ApiClient) -> None:
    invoice = new_invoice(client)
    inv_group = add_group(client, invoice["id"], title="Usage")
    inv_line = add_line(client, invoice["id"], groupId=inv_group["id"], quantity="4", rate="12.50")  # 50.00 + 10.00
    invoice = action(client, invoice["id"], "finalize").json()

    note = new_note(client, invoice, metadata=[{"key": "k", "value": "v"}], customerTaxId="GB123")
    nid = note["id"]
    assert note["customerTaxId"] == "GB123"
    # 2024-01-01 does not let purchaseOrderNumber be null (issue 12): refused, naming it, and nothing changed.
    invalid(client.put(f"/credit-notes/{nid}", json={"memo": "Sorry", "purchaseOrderNumber": None}), "purchaseOrderNumber")
    assert client.get(f"/credit-notes/{nid}").json().get("memo") != "Sorry"
    updated = client.put(f"/credit-notes/{nid}", json={"memo": "Sorry", "customerLegalCompanyName": "Renamed Ltd"})
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["memo"] == "Sorry" and "purchaseOrderNumber" not in body and body["customerLegalCompanyName"] == "Renamed Ltd"
    assert body["metadata"] == [{"key": "k", "value": "v"}] and body["currency"] == "GBP"

    group = client.post(f"/credit-notes/{nid}/line-item-groups",
                        json={"title": "Usage credit", "lineItemGroupId": inv_group["id"], "description": "d"})
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    assert group.json()["lineItemGroupId"] == inv_group["id"] and group.json()["grossTotal"] == "0.00"
    line = credit_line(client, nid, groupId=gid, lineItemId=inv_line["id"], quantity="2", rate="12.50")  # 30.00
    credit_line(client, nid, rate="5.00", rateDisplay="PERCENTAGE")  # 6.00, ungrouped
    groups = client.get(f"/credit-notes/{nid}/line-item-groups").json()["items"]
    assert [(g["id"], g["grossTotal"]) for g in groups] == [(gid, "30.00")]
    assert client.get(f"/credit-notes/{nid}").json()["grossTotal"] == "36.00"
    renamed = client.put(f"/credit-notes/{nid}/line-item-groups/{gid}", json={"title": "Renamed"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Renamed" and "description" not in renamed.json()
    # PUT of a line replaces its values and keeps its group and credited invoice line.
    put = client.put(f"/credit-notes/{nid}/line-items/{line['id']}", json={
        "title": "Usage", "quantity": "1", "rate": "12.50", "taxRate": "0.2", "externalIds": [{"key": "Xero", "value": "1"}]})
    assert put.status_code == 200, put.text
    assert put.json()["groupId"] == gid and put.json()["lineItemId"] == inv_line["id"] and put.json()["grossTotal"] == "15.00"
    deleted = client.delete(f"/credit-notes/{nid}/line-item-groups/{gid}")
    assert deleted.status_code == 200 and deleted.json()["grossTotal"] == "15.00"
    lines = client.get(f"/credit-notes/{nid}/line-items").json()["items"]
    assert [("groupId" in i) for i in lines] == [False, False] and [i["index"] for i in lines] == [0, 1]
    assert client.get(f"/credit-notes/{nid}").json()["grossTotal"] == "21.00"

    # Lists: filters and sorts.
    other_customer = new_customer(client)
    loose = new_note(client, currency="USD", customerId=other_customer["id"])
    credit_line(client, loose["id"], rate="100.00")
    note_action(client, loose["id"], "finalize")
    everything = client.get("/credit-notes").json()
    assert [n["id"] for n in everything["items"]] == [loose["id"], nid]
    assert everything["pagination"]["totalResultSize"] == 2
    assert [n["id"] for n in client.get("/credit-notes", params={"creditNoteStatus": "DRAFT"}).json()["items"]] == [nid]
    by_customer = client.get("/credit-notes", params={"customerId": other_customer["id"]}).json()["items"]
    assert [n["id"] for n in by_customer] == [loose["id"]]
    by_gross = client.get("/credit-notes", params={"sortBy": "GROSS_TOTAL", "sortOrder": "ASC"}).json()["items"]
    assert [n["id"] for n in by_gross] == [nid, loose["id"]]
    by_number = client.get("/credit-notes", params={"sortBy": "CREDIT_NOTE_NUMBER", "sortOrder": "DESC", "limit": 1}).json()
    assert [n["id"] for n in by_number["items"]] == [loose["id"]]
    page_two = client.get("/credit-notes", params={"sortBy": "CREDIT_NOTE_NUMBER", "sortOrder": "DESC", "limit": 1,
                                                   "after": by_number["pagination"]["after"]}).json()
    assert [n["id"] for n in page_two["items"]] == [nid]
    by_status = client.get("/credit-notes", params={"sortBy": "STATUS", "sortOrder": "ASC"}).json()["items"]
    assert [n["status"] for n in by_status] == ["DRAFT", "FINAL"]
    assert client.get("/credit-notes", params={"sentBefore": "2999-01-01"}).json()["items"] == []
    invalid(client.get("/credit-notes", params={"creditNoteStatus": "PAID"}), "creditNoteStatus")
    invalid(client.get("/credit-notes", params={"sortBy": "NOPE"}), "sortBy")
    invalid(client.get("/credit-notes", params={"sentAfter": "01/02/2024"}), "sentAfter")


def test_cross_account_is_not_found_everywhere(client: ApiClient, other_client: ApiClient) -> None:
    invoice, (inv_line,) = issued_invoice(client)
    note = new_note(client, invoice)
    nid = note["id"]
    line = credit_line(client, nid, lineItemId=inv_line["id"])
    group = client.post(f"/credit-notes/{nid}/line-item-groups", json={"title": "g"}).json()
    lid, gid = line["id"], group["id"]
    body = line_body(nid)
    attempts = [
        ("GET", f"/credit-notes/{nid}", None), ("PUT", f"/credit-notes/{nid}", {"memo": "x"}),
        ("DELETE", f"/credit-notes/{nid}", None), ("GET", f"/credit-notes/{nid}/download", None),
        ("POST", f"/credit-notes/{nid}/finalize", None), ("POST", f"/credit-notes/{nid}/send", None),
        ("POST", f"/credit-notes/{nid}/finalize-and-send", None), ("POST", f"/credit-notes/{nid}/void", None),
        ("GET", f"/credit-notes/{nid}/line-items", None), ("POST", f"/credit-notes/{nid}/line-items", body),
        ("PUT", f"/credit-notes/{nid}/line-items/{lid}", body), ("DELETE", f"/credit-notes/{nid}/line-items/{lid}", None),
        ("GET", f"/credit-notes/{nid}/line-item-groups", None),
        ("POST", f"/credit-notes/{nid}/line-item-groups", {"title": "g"}),
        ("PUT", f"/credit-notes/{nid}/line-item-groups/{gid}", {"title": "g"}),
        ("DELETE", f"/credit-notes/{nid}/line-item-groups/{gid}", None),
    ]
    for method, path, payload in attempts:
        response = other_client.request(method, path, json=payload)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["type"] == "NotFound"
    # Named in a body instead of the path: 400 naming the field (issue 12).
    response = other_client.post("/credit-notes", json={"invoiceId": invoice["id"], "currency": "GBP",
                                                         "customerId": invoice["customerId"]})
    assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "customerId", response.text
    # Another account's own objects cannot be reached through this account's ids either.
    theirs = new_note(other_client, currency="GBP", customerId=new_customer(other_client)["id"])
    assert client.get(f"/credit-notes/{theirs['id']}").status_code == 404
    assert other_client.get("/credit-notes").json()["items"] == [theirs]
    assert other_client.get("/credit-notes", params={"customerId": invoice["customerId"]}).json()["items"] == []
    # The owner still sees everything as it was.
    assert client.get(f"/credit-notes/{nid}").json()["status"] == "DRAFT"
    assert len(client.get(f"/credit-notes/{nid}/line-items").json()["items"]) == 1
    assert len(client.get(f"/credit-notes/{nid}/line-item-groups").json()["items"]) == 1


def test_download_is_a_credit_note_pdf(client: ApiClient) -> None:
    from pypdf import PdfReader

    invoice, (inv_line,) = issued_invoice(client, [{"title": "Consulting day", "quantity": "2", "rate": "600.25"}],
                                          customerLegalCompanyName="Pdf Buyer GmbH")
    note = new_note(client, invoice)
    credit_line(client, note["id"], title="Consulting day refund", quantity="1", rate="600.25", lineItemId=inv_line["id"])
    draft = client.get(f"/credit-notes/{note['id']}/download")
    assert draft.status_code == 200 and draft.headers["content-type"] == "application/pdf"
    assert f'filename="{note["id"]}.pdf"' in draft.headers["content-disposition"]
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(draft.content)).pages)
    assert "Credit note" in text and "Pdf Buyer GmbH" in text and "DRAFT" in text and "INV00001" in text
    assert note_action(client, note["id"], "finalize").status_code == 200
    final = client.get(f"/credit-notes/{note['id']}/download")
    assert 'filename="CN00001.pdf"' in final.headers["content-disposition"]
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(final.content)).pages)
    assert "CN00001" in text and "INV00001" in text and "Consulting day refund" in text and "720.30" in text
    assert "DRAFT" not in text


def test_reverse_charged_and_exempt_credits_carry_no_tax(client: ApiClient) -> None:
    """The invoice rule (docs/tax.md) holds for credit lines: the credited invoice's tax status decides."""
    for status in ("REVERSE_CHARGED", "TAX_EXEMPT"):
        customer = new_customer(client, taxStatus=status)
        invoice, _ = issued_invoice(client, customer=customer)
        assert invoice["totalTax"] == "0.00"
        note = new_note(client, invoice)
        line = credit_line(client, note["id"], rate="40.00", taxRate="0.2")
        assert (line["taxRate"], line["totalTax"], line["grossTotal"]) == ("0", "0.00", "40.00"), status
    standalone = new_note(client, currency="GBP", customerId=new_customer(client, taxStatus="TAX_EXEMPT")["id"])
    assert credit_line(client, standalone["id"], taxRate="0.2")["totalTax"] == "0.00"
    taxed = new_note(client, issued_invoice(client)[0])
    assert credit_line(client, taxed["id"], taxRate="0.2")["totalTax"] == "2.00"


def test_an_invoice_corrected_by_an_issued_credit_note_cannot_be_voided(client: ApiClient) -> None:
    invoice, _ = issued_invoice(client)
    note = new_note(client, invoice)
    credit_line(client, note["id"])
    assert action(client, invoice["id"], "void").status_code == 200  # a draft credit note does not block
    invoice, _ = issued_invoice(client)
    note = new_note(client, invoice)
    credit_line(client, note["id"])
    assert note_action(client, note["id"], "finalize").status_code == 200
    refused = action(client, invoice["id"], "void")
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["type"] == "InvalidStateTransition"
    assert "void" not in refused.json()["error"]["allowedActions"]
    assert note_action(client, note["id"], "void").status_code == 200
    assert action(client, invoice["id"], "void").status_code == 200
