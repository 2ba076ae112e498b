"""Invoice lifecycle over HTTP: every allowed move, every refused one, numbering, idempotency."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

from quire.core.clock import today
from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.factories import line_body
from tests.support import ApiClient, LiveServer


def refused(response, status: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "InvalidStateTransition", error
    assert error["currentStatus"] == status, error
    assert isinstance(error["allowedActions"], list)


def test_finalize_assigns_number_dates_and_freezes(client: ApiClient) -> None:
    invoice = new_invoice(client)
    iid = invoice["id"]
    line = add_line(client, iid)
    final = action(client, iid, "finalize")
    assert final.status_code == 200, final.text
    body = final.json()
    assert body["status"] == "FINAL"
    assert body["invoiceNumber"] == "INV00001"
    assert body["issueDate"] == today().isoformat()
    assert body["dueDate"] == (today() + dt.timedelta(days=30)).isoformat()
    assert body["grossTotal"] == "120.00"
    # Frozen: no edits of the invoice, its lines or its groups; no delete; no second finalize.
    refused(client.patch(f"/invoices/{iid}", json={"memo": "x"}), "FINAL")
    refused(client.put(f"/invoices/{iid}", json={"memo": "x"}), "FINAL")
    refused(client.post(f"/invoices/{iid}/line-items", json=line_body()), "FINAL")
    refused(client.put(f"/invoices/{iid}/line-items/{line['id']}", json=line_body()), "FINAL")
    refused(client.delete(f"/invoices/{iid}/line-items/{line['id']}"), "FINAL")
    refused(client.post(f"/invoices/{iid}/line-item-groups", json={"title": "g"}), "FINAL")
    refused(client.delete(f"/invoices/{iid}"), "FINAL")
    refused(action(client, iid, "finalize"), "FINAL")
    refused(action(client, iid, "finalize-and-send"), "FINAL")
    assert client.get(f"/invoices/{iid}").json() == body


def test_send_pay_and_void_rules(client: ApiClient) -> None:
    draft = new_invoice(client)
    refused(action(client, draft["id"], "send"), "DRAFT")
    refused(client.put(f"/invoices/{draft['id']}/payment-status", json={"paymentStatus": "PAID"}), "DRAFT")

    sent = action(client, draft["id"], "finalize-and-send")
    assert sent.status_code == 200 and sent.json()["status"] == "SENT" and sent.json()["invoiceNumber"]
    again = action(client, draft["id"], "send")  # re-sending a sent invoice is allowed
    assert again.status_code == 200 and again.json()["status"] == "SENT"

    for status in ("PARTIALLY_PAID", "PAID"):
        paid = client.put(f"/invoices/{draft['id']}/payment-status", json={"paymentStatus": status})
        assert paid.status_code == 200 and paid.json()["paymentStatus"] == status
    assert client.put(f"/invoices/{draft['id']}/payment-status", json={"paymentStatus": "LATE"}).status_code == 400
    refused(action(client, draft["id"], "void"), "SENT")  # a paid invoice needs a credit note

    client.put(f"/invoices/{draft['id']}/payment-status", json={"paymentStatus": "UNCOLLECTIBLE"})
    voided = action(client, draft["id"], "void")
    assert voided.status_code == 200 and voided.json()["status"] == "VOIDED"
    for name in ("finalize", "send", "finalize-and-send", "void"):
        refused(action(client, draft["id"], name), "VOIDED")
    refused(client.put(f"/invoices/{draft['id']}/payment-status", json={"paymentStatus": "PAID"}), "VOIDED")
    refused(client.delete(f"/invoices/{draft['id']}"), "VOIDED")

    final = new_invoice(client)
    assert action(client, final["id"], "finalize").status_code == 200
    sent = action(client, final["id"], "send")
    assert sent.status_code == 200 and sent.json()["status"] == "SENT"


def test_voiding_a_draft_takes_a_number(client: ApiClient) -> None:
    first = new_invoice(client)
    second = new_invoice(client)
    voided = action(client, first["id"], "void")
    assert voided.status_code == 200 and voided.json()["invoiceNumber"] == "INV00001"
    final = action(client, second["id"], "finalize")
    assert final.json()["invoiceNumber"] == "INV00002"
    final_then_void = action(client, second["id"], "void")
    assert final_then_void.json()["invoiceNumber"] == "INV00002"


def test_numbering_follows_merchant_prefix(server: LiveServer) -> None:
    credential = server.new_account("Prefixed", merchant_settings={"invoiceNumberPrefix": "ACME-", "invoiceNumberWidth": 3})
    with ApiClient(server.base_url, credential) as client:
        numbers = [action(client, new_invoice(client)["id"], "finalize").json()["invoiceNumber"] for _ in range(2)]
    assert numbers == ["ACME-001", "ACME-002"]


def test_idempotent_create_and_finalize(client: ApiClient) -> None:
    customer = new_customer(client)
    key = str(uuid.uuid4())
    body = {"currency": "GBP", "customerId": customer["id"]}
    first = client.post("/invoices", json=body, headers={"Idempotency-Key": key})
    second = client.post("/invoices", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert client.get("/invoices").json()["pagination"]["totalResultSize"] == 1

    iid = first.json()["id"]
    fkey = str(uuid.uuid4())
    f1 = client.post(f"/invoices/{iid}/finalize", headers={"Idempotency-Key": fkey})
    f2 = client.post(f"/invoices/{iid}/finalize", headers={"Idempotency-Key": fkey})
    assert f1.status_code == f2.status_code == 200
    assert f1.json()["invoiceNumber"] == f2.json()["invoiceNumber"] == "INV00001"
    # A new key is a new request: the second finalize is refused.
    refused(client.post(f"/invoices/{iid}/finalize", headers={"Idempotency-Key": str(uuid.uuid4())}), "FINAL")


def test_concurrent_finalize_is_gap_free(server: LiveServer, client: ApiClient) -> None:
    customer = new_customer(client)
    drafts = [new_invoice(client, customer=customer)["id"] for _ in range(50)]
    numbers: list[str] = []

    def finalize_batch(ids: list[str]) -> list[str]:
        with ApiClient(server.base_url, client.credential) as worker:
            out = []
            for iid in ids:
                response = worker.post(f"/invoices/{iid}/finalize")
                assert response.status_code == 200, response.text
                out.append(response.json()["invoiceNumber"])
            return out

    batches = [drafts[i::10] for i in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        for result in pool.map(finalize_batch, batches):
            numbers.extend(result)
    assert sorted(numbers) == [f"INV{n:05d}" for n in range(1, 51)]
    # And the same invoice finalized by 10 clients at once gets exactly one number.
    contested = new_invoice(client, customer=customer)["id"]

    def finalize_one(_: int) -> int:
        with ApiClient(server.base_url, client.credential) as worker:
            return worker.post(f"/invoices/{contested}/finalize").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(finalize_one, range(10)))
    assert sorted(statuses) == [200] + [400] * 9
    assert client.get(f"/invoices/{contested}").json()["invoiceNumber"] == "INV00051"


def test_list_filters_and_sorting(client: ApiClient) -> None:
    alpha = new_customer(client, legalName="Alpha Ltd")
    beta = new_customer(client, legalName="Beta Ltd")
    a = new_invoice(client, "GBP", alpha, dueDate="2030-01-10")
    add_line(client, a["id"], rate="50.00")
    b = new_invoice(client, "USD", beta, dueDate="2030-02-10")
    add_line(client, b["id"], rate="500.00")
    c = new_invoice(client, "EUR", beta, dueDate="2030-03-10")
    action(client, b["id"], "finalize-and-send")
    action(client, c["id"], "finalize")

    def ids(**params: str) -> list[str]:
        response = client.get("/invoices", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [c["id"], b["id"], a["id"]]
    assert ids(sortOrder="ASC") == [a["id"], b["id"], c["id"]]
    assert ids(invoiceStatus="DRAFT") == [a["id"]]
    assert set(ids(invoiceStatus="FINAL,SENT")) == {b["id"], c["id"]}
    assert ids(customerId=alpha["id"]) == [a["id"]]
    assert set(ids(invoiceCurrency="USD,EUR")) == {b["id"], c["id"]}
    assert ids(dueBefore="2030-02-01") == [a["id"]]
    assert ids(dueAfter="2030-02-01") == [c["id"], b["id"]]
    tomorrow, yesterday = (today() + dt.timedelta(days=1)).isoformat(), (today() - dt.timedelta(days=1)).isoformat()
    assert ids(sentAfter=yesterday) == [b["id"]]
    assert ids(sentBefore=yesterday) == []
    assert set(ids(invoiceAfter=yesterday, invoiceBefore=tomorrow)) == {b["id"], c["id"]}
    assert ids(excludeZeroQuantity="true", sortBy="GROSS_TOTAL", sortOrder="DESC") == [b["id"], a["id"]]
    assert ids(sortBy="CUSTOMER_LEGAL_COMPANY_NAME", sortOrder="ASC")[0] == a["id"]
    assert ids(invoicePaymentStatus="PAID") == []
    assert ids(customerId="not-a-customer") == []  # an unknown id filters to nothing
    for bad in ({"invoiceStatus": "LOST"}, {"dueBefore": "2030-13-01"}, {"invoiceCurrency": "XXX"},
                {"sortBy": "FOO"}, {"excludeZeroQuantity": "perhaps"}):
        response = client.get("/invoices", params=bad)
        assert response.status_code == 400, (bad, response.text)
    page = client.get("/invoices", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["pagination"]["after"]
    rest = client.get("/invoices", params={"limit": 2, "after": page["pagination"]["after"]}).json()
    assert [i["id"] for i in rest["items"]] == [a["id"]]


def test_download_is_a_pdf_named_after_the_number(client: ApiClient) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    invoice = new_invoice(client, customerLegalCompanyName="Pdf Buyer GmbH")
    add_line(client, invoice["id"], title="Consulting day", quantity="2", rate="600.25")
    draft = client.get(f"/invoices/{invoice['id']}/download")
    assert draft.status_code == 200 and draft.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(draft.content)).pages)
    assert "Pdf Buyer GmbH" in text and "Consulting day" in text and "DRAFT" in text
    action(client, invoice["id"], "finalize")
    final = client.get(f"/invoices/{invoice['id']}/download")
    assert 'filename="INV00001.pdf"' in final.headers["content-disposition"]
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(final.content)).pages)
    assert "INV00001" in text and "1,440.60" in text
