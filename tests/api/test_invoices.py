"""Invoices: create, read, update, delete, lists, and exact totals, driven over HTTP (both databases)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from quire.core.clock import today
from tests.api.invoice_helpers import add_group, add_line, new_customer, new_invoice
from tests.factories import SEED_INVOICE_REQUEST, address, line_body
from tests.support import ApiClient, LiveServer


def test_seed_request_verbatim_is_echoed(client: ApiClient) -> None:
    customer = new_customer(client, legalName="Meta Platforms", taxStatus="REVERSE_CHARGED")
    body = copy.deepcopy(SEED_INVOICE_REQUEST)
    body["customerId"] = customer["id"]
    response = client.post("/invoices", json=body)
    assert response.status_code == 201, response.text
    invoice = response.json()
    for field, value in body.items():
        assert invoice[field] == value, field
    assert invoice["status"] == "DRAFT"
    assert invoice["paymentStatus"] == "UNPAID"
    assert (invoice["netTotal"], invoice["totalTax"], invoice["grossTotal"]) == ("0.00", "0.00", "0.00")
    assert invoice["creditNoteIds"] == [] and invoice["linkedServices"] == []
    assert invoice["renderSettings"] == {"paymentLinkDisplay": "SHOW_PAYMENT_LINK"}
    assert invoice["sequenceAccountId"] == client.credential.account_id
    assert invoice["customerTaxStatus"] == "REVERSE_CHARGED"
    assert "invoiceNumber" not in invoice
    assert client.get(f"/invoices/{invoice['id']}").json() == invoice


def test_minimal_create_snapshots_customer(client: ApiClient) -> None:
    customer = new_customer(client, legalName="Acme Ltd", billingEmails=["ap@acme.example"], address=address(town="Leeds"))
    invoice = new_invoice(client, "EUR", customer)
    assert invoice["customerLegalCompanyName"] == "Acme Ltd"
    assert invoice["customerBillingAddress"]["town"] == "Leeds"
    assert invoice["customerShippingAddress"] == invoice["customerBillingAddress"]
    assert invoice["customerEmails"] == ["ap@acme.example"]
    assert invoice["metadata"] == []
    assert invoice["paymentOptions"] == ["BANK_TRANSFER"]
    assert invoice["accountingDate"] == today().isoformat()
    # Later edits of the customer do not rewrite the invoice.
    update = {"legalName": "Renamed plc", "address": address(town="York"), "email": "x@acme.example", "taxStatus": "TAXED"}
    assert client.put(f"/customers/{customer['id']}", json=update).status_code == 200
    again = client.get(f"/invoices/{invoice['id']}").json()
    assert again["customerLegalCompanyName"] == "Acme Ltd"
    assert again["customerBillingAddress"]["town"] == "Leeds"


def test_create_refusals(client: ApiClient, other_client: ApiClient) -> None:
    customer = new_customer(client)
    foreign = new_customer(other_client)
    cases = [
        ({"currency": "XXX", "customerId": customer["id"]}, 400),
        ({"customerId": customer["id"]}, 400),
        ({"currency": "GBP"}, 400),
        ({"currency": "GBP", "customerId": customer["id"], "dueDate": "2024-02-30"}, 400),
        ({"currency": "GBP", "customerId": customer["id"], "billingPeriod": {"start": "2024-02-01", "endInclusive": "2024-01-01"}}, 400),
        ({"currency": "GBP", "customerId": customer["id"], "customerEmails": ["not-an-email"]}, 400),
        ({"currency": "GBP", "customerId": customer["id"], "paymentOptions": ["CASH"]}, 400),
        ({"currency": "GBP", "customerId": customer["id"], "metadata": [{"key": "k", "value": 1}]}, 400),
        ({"currency": "GBP", "customerId": customer["id"], "metadata": {"k": "v"}}, 400),
        ({"currency": "GBP", "customerId": customer["id"], "memo": "x" * 10_001}, 400),
        ({"currency": "GBP", "customerId": foreign["id"]}, 400),  # a body's reference: 400, not 404 (issue 12)
        ({"currency": "GBP", "customerId": "8e0f7f43-6f52-4d34-9a4e-000000000000"}, 400),
    ]
    for body, status in cases:
        response = client.post("/invoices", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["type"] == "ValidationError", response.text
    archived = new_customer(client)
    assert client.delete(f"/customers/{archived['id']}").status_code == 200
    response = client.post("/invoices", json={"currency": "GBP", "customerId": archived["id"]})
    assert response.status_code == 400
    assert client.get("/invoices").json()["pagination"]["totalResultSize"] == 0


def test_gbp_lines_and_groups_totals(client: ApiClient) -> None:
    invoice = new_invoice(client, "GBP")
    iid = invoice["id"]
    group = add_group(client, iid, "Usage", description="API calls")
    a = add_line(client, iid, title="Seats", quantity="3", rate="19.99", taxRate="0.2")
    b = add_line(client, iid, title="API calls", quantity="12345", rate="0.0015", taxRate="0.2", groupId=group["id"])
    c = add_line(client, iid, title="Discount", quantity="1", rate="-10.00", taxRate="0.2", groupId=group["id"])
    # 3 × 19.99 = 59.97, tax 11.994 → 11.99; 12345 × 0.0015 = 18.5175 → 18.52, tax 3.704 → 3.70; -10.00, tax -2.00
    assert (a["netTotal"], a["totalTax"], a["grossTotal"]) == ("59.97", "11.99", "71.96")
    assert (b["netTotal"], b["totalTax"], b["grossTotal"]) == ("18.52", "3.70", "22.22")
    assert (c["netTotal"], c["totalTax"], c["grossTotal"]) == ("-10.00", "-2.00", "-12.00")
    assert [a["index"], b["index"], c["index"]] == [0, 1, 2]
    got = client.get(f"/invoices/{iid}").json()
    assert (got["netTotal"], got["totalTax"], got["grossTotal"]) == ("68.49", "13.69", "82.18")
    groups = client.get(f"/invoices/{iid}/line-item-groups").json()["items"]
    assert [(g["netTotal"], g["totalTax"], g["grossTotal"]) for g in groups] == [("8.52", "1.70", "10.22")]
    # Changing a line recomputes everything; client-sent totals are ignored.
    changed = client.put(f"/invoices/{iid}/line-items/{a['id']}", json={
        "title": "Seats", "quantity": "4", "rate": "19.99", "taxRate": "0.2", "externalIds": [], "netTotal": "1.00",
    })
    assert changed.status_code == 200, changed.text
    assert changed.json()["netTotal"] == "79.96" and changed.json()["index"] == 0
    assert client.get(f"/invoices/{iid}").json()["grossTotal"] == "106.17"
    # Deleting a group keeps its lines, ungrouped.
    deleted = client.delete(f"/invoices/{iid}/line-item-groups/{group['id']}")
    assert deleted.status_code == 200 and deleted.json()["id"] == group["id"]
    lines = client.get(f"/invoices/{iid}/line-items").json()["items"]
    assert [line["title"] for line in lines] == ["Seats", "API calls", "Discount"]
    assert all("groupId" not in line for line in lines)
    assert client.get(f"/invoices/{iid}").json()["grossTotal"] == "106.17"
    # Deleting a line drops it from the totals.
    assert client.delete(f"/invoices/{iid}/line-items/{c['id']}").status_code == 200
    assert client.get(f"/invoices/{iid}").json()["grossTotal"] == "118.17"


def test_jpy_has_no_minor_units(client: ApiClient) -> None:
    invoice = new_invoice(client, "JPY")
    assert invoice["grossTotal"] == "0"
    line = add_line(client, invoice["id"], quantity="3", rate="333.5", taxRate="0.1")
    # 1000.5 → 1001; tax 100.1 → 100
    assert (line["netTotal"], line["totalTax"], line["grossTotal"]) == ("1001", "100", "1101")
    assert client.get(f"/invoices/{invoice['id']}").json()["grossTotal"] == "1101"


def test_many_decimals_in_quantity_and_rate(client: ApiClient) -> None:
    invoice = new_invoice(client, "USD")
    line = add_line(client, invoice["id"], quantity="2.125", rate="0.333", taxRate="0.0825")
    # 0.707625 → 0.71; tax 0.058575 → 0.06
    assert (line["netTotal"], line["totalTax"], line["grossTotal"]) == ("0.71", "0.06", "0.77")
    assert line["quantity"] == "2.125" and line["rate"] == "0.333" and line["taxRate"] == "0.0825"
    half = add_line(client, invoice["id"], quantity="1", rate="0.005", taxRate="0")
    assert half["netTotal"] == "0.01"  # half-up


def test_line_validation(client: ApiClient, other_client: ApiClient) -> None:
    invoice = new_invoice(client)
    iid = invoice["id"]
    other_invoice = new_invoice(client)
    foreign_group = add_group(client, other_invoice["id"])
    bad = [
        {"title": "x", "quantity": "1", "rate": "1", "taxRate": "0.2"},  # externalIds required
        {"title": "x", "quantity": "abc", "rate": "1", "taxRate": "0.2", "externalIds": []},
        {"title": "x", "quantity": "1", "rate": "NaN", "taxRate": "0.2", "externalIds": []},
        {"title": "x", "quantity": "1", "rate": "1", "taxRate": "-0.1", "externalIds": []},
        {"title": "x", "quantity": "1", "rate": "1", "taxRate": "1.5", "externalIds": []},
        {"title": "x", "quantity": "1", "rate": "1", "taxRate": "0.2", "externalIds": [], "rateDisplay": "FANCY"},
        {"title": "x", "quantity": "1", "rate": "1", "taxRate": "0.2", "externalIds": [], "groupId": foreign_group["id"]},
        {"title": "", "quantity": "1", "rate": "1", "taxRate": "0.2", "externalIds": []},
        {"title": "x", "quantity": 0.1, "rate": "1", "taxRate": "0.2", "externalIds": []},
        {"title": "x", "quantity": "999999999999999999", "rate": "999999999999999999", "taxRate": "0", "externalIds": []},
        {"title": "x", "quantity": "1", "rate": "1", "taxRate": "0", "externalIds": [], "servicePeriodStart": "2024-01-01T00:00:00"},
        {"title": "x", "quantity": "1", "rate": "1", "taxRate": "0", "externalIds": [], "servicePeriodStart": "9999-12-31T23:59:59-05:00"},
        {"title": "x", "quantity": "1", "rate": "1", "taxRate": "0", "externalIds": [],
         "servicePeriodStart": "2024-02-01T00:00:00Z", "servicePeriodEnd": "2024-01-01T00:00:00Z"},
    ]
    for body in bad:
        response = client.post(f"/invoices/{iid}/line-items", json=body)
        assert response.status_code == 400, (body, response.text)
    assert client.get(f"/invoices/{iid}/line-items").json()["items"] == []
    # The contract types quantity, rate and taxRate as strings: a JSON number is refused, even an exact one.
    numbers = client.post(f"/invoices/{iid}/line-items", json={"title": "x", "quantity": 2, "rate": 1.5, "taxRate": 0, "externalIds": []})
    assert numbers.status_code == 400, numbers.text
    assert [f["field"] for f in numbers.json()["error"]["fields"]] == ["quantity", "rate", "taxRate"]
    ok = client.post(f"/invoices/{iid}/line-items", json={"title": "x", "quantity": "2", "rate": "1.5", "taxRate": "0", "externalIds": []})
    assert ok.status_code == 201, ok.text
    assert ok.json()["netTotal"] == "3.00"
    assert ok.json()["rateDisplay"] == "ABSOLUTE"
    big = client.post(f"/invoices/{iid}/line-items", json={
        "title": "big", "quantity": "1", "rate": "99999999999999.99", "taxRate": "0", "externalIds": []})
    assert big.status_code == 201 and big.json()["netTotal"] == "99999999999999.99"
    assert client.get(f"/invoices/{iid}").json()["netTotal"] == "100000000000002.99"


def test_update_merges_and_delete_draft(client: ApiClient) -> None:
    invoice = new_invoice(client, memo="first", reference="R1", metadata=[{"key": "a", "value": "1"}])
    iid = invoice["id"]
    response = client.patch(f"/invoices/{iid}", json={"memo": "second"})
    assert response.status_code == 200, response.text
    assert response.json()["memo"] == "second" and response.json()["reference"] == "R1"
    # 2024-01-01 does not let reference be null (issue 12): refused, naming it, and nothing changed.
    refused = client.put(f"/invoices/{iid}", json={"reference": None, "metadata": [{"key": "b", "value": "2"}]})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == [{"field": "reference", "message": "must not be null"}]
    response = client.put(f"/invoices/{iid}", json={"metadata": [{"key": "b", "value": "2"}]})
    assert response.status_code == 200, response.text
    assert response.json()["reference"] == "R1"
    assert response.json()["metadata"] == [{"key": "b", "value": "2"}]
    assert response.json()["memo"] == "second"
    assert client.put(f"/invoices/{iid}", json={"dueDate": "2024-13-01"}).status_code == 400
    assert client.put(f"/invoices/{iid}", json={"customerLegalCompanyName": None}).status_code == 400
    add_line(client, iid)
    deleted = client.delete(f"/invoices/{iid}")
    assert deleted.status_code == 200 and deleted.json()["id"] == iid
    assert client.get(f"/invoices/{iid}").status_code == 404
    assert client.get(f"/invoices/{iid}/line-items").status_code == 404


def test_cross_account_is_not_found_everywhere(client: ApiClient, other_client: ApiClient) -> None:
    invoice = new_invoice(client)
    iid = invoice["id"]
    line = add_line(client, iid)
    group = add_group(client, iid)
    lid, gid = line["id"], group["id"]
    attempts = [
        ("GET", f"/invoices/{iid}", None), ("PUT", f"/invoices/{iid}", {"memo": "x"}),
        ("PATCH", f"/invoices/{iid}", {"memo": "x"}), ("DELETE", f"/invoices/{iid}", None),
        ("GET", f"/invoices/{iid}/download", None), ("POST", f"/invoices/{iid}/finalize", None),
        ("POST", f"/invoices/{iid}/send", None), ("POST", f"/invoices/{iid}/finalize-and-send", None),
        ("POST", f"/invoices/{iid}/void", None), ("PUT", f"/invoices/{iid}/payment-status", {"paymentStatus": "PAID"}),
        ("GET", f"/invoices/{iid}/line-items", None), ("POST", f"/invoices/{iid}/line-items", {
            "title": "x", "quantity": "1", "rate": "1", "taxRate": "0", "externalIds": []}),
        ("PUT", f"/invoices/{iid}/line-items/{lid}", {"title": "x", "quantity": "1", "rate": "1", "taxRate": "0", "externalIds": []}),
        ("DELETE", f"/invoices/{iid}/line-items/{lid}", None),
        ("GET", f"/invoices/{iid}/line-item-groups", None), ("POST", f"/invoices/{iid}/line-item-groups", {"title": "g"}),
        ("PUT", f"/invoices/{iid}/line-item-groups/{gid}", {"title": "g"}),
        ("DELETE", f"/invoices/{iid}/line-item-groups/{gid}", None),
        ("GET", f"/invoice-settings/for-invoice/{iid}", None),
    ]
    before = client.get(f"/invoices/{iid}").json()
    for method, path, body in attempts:
        response = other_client.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["type"] == "NotFound"
    # Named in a body instead of the path: 400 naming the field (issue 12).
    response = other_client.post("/invoice-settings", json={"invoiceId": iid, "paymentProvider": "NONE"})
    assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "invoiceId", response.text
    assert other_client.get("/invoices").json()["items"] == []
    assert other_client.get("/invoices", params={"customerId": invoice["customerId"]}).json()["items"] == []
    # The owner still sees it all unchanged.
    assert client.get(f"/invoices/{iid}").json() == before
    assert len(client.get(f"/invoices/{iid}/line-items").json()["items"]) == 1
    assert client.get(f"/invoices/{iid}").json()["status"] == "DRAFT"


def test_invoice_settings_crud(client: ApiClient) -> None:
    invoice = new_invoice(client)
    created = client.post("/invoice-settings", json={"invoiceId": invoice["id"], "paymentProvider": "STRIPE"})
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert client.get(f"/invoice-settings/for-invoice/{invoice['id']}").json()["id"] == sid
    updated = client.put(f"/invoice-settings/{sid}", json={"paymentProvider": "NONE"})
    assert updated.status_code == 200 and updated.json()["paymentProvider"] == "NONE"
    assert client.delete(f"/invoice-settings/{sid}").status_code == 200
    assert client.get(f"/invoice-settings/{sid}").status_code == 404


def test_stored_totals_follow_the_rounding_rule(client: ApiClient) -> None:
    """The server sums per-line totals in SQL; they must equal the documented rule computed here, without
    Quire's code: each line half-up (net, then tax on the rounded net), totals and groups the sums of lines."""
    import random
    from decimal import Decimal

    from tests.unit.rounding_ties import half_up

    def expected_totals(lines: list[tuple[Decimal, Decimal, Decimal, str | None]], currency: str
                        ) -> tuple[tuple[Decimal, Decimal, Decimal], dict[str, tuple[Decimal, Decimal, Decimal]]]:
        total = [Decimal(0)] * 3
        groups: dict[str, list[Decimal]] = {}
        for quantity, rate, tax_rate, group in lines:
            net = half_up(quantity * rate, currency)
            tax = half_up(net * tax_rate, currency)
            for bucket in [total, *([groups.setdefault(group, [Decimal(0)] * 3)] if group else [])]:
                bucket[0], bucket[1], bucket[2] = bucket[0] + net, bucket[1] + tax, bucket[2] + net + tax
        return (total[0], total[1], total[2]), {g: (v[0], v[1], v[2]) for g, v in groups.items()}

    rng = random.Random(7)
    for currency in ("GBP", "JPY"):
        invoice = new_invoice(client, currency)
        iid = invoice["id"]
        groups = [add_group(client, iid, f"G{n}")["id"] for n in range(3)]
        inputs: dict[str, tuple[Decimal, Decimal, Decimal, str | None]] = {}
        for n in range(25):
            q = Decimal(rng.randint(-5, 5000)) / Decimal(10) ** rng.randint(0, 3)
            r = Decimal(rng.randint(-10**6, 10**7)) / Decimal(10) ** rng.randint(0, 6)
            t = Decimal(rng.choice(["0", "0.05", "0.2", "0.0825", "0.175"]))
            if n < 2:  # exact ties of net and of tax at the minor unit: 0.005/-0.025 GBP, 0.5/-2.5 JPY
                q, r, t = Decimal(1), Decimal(("0.005", "-0.025")[n]) * (100 if currency == "JPY" else 1), Decimal("0.5")
            g = rng.choice([None, *groups])
            line = add_line(client, iid, title=f"L{n}", quantity=str(q), rate=str(r), taxRate=str(t),
                            **({"groupId": g} if g else {}))
            inputs[line["id"]] = (q, r, t, g)
        for victim in rng.sample(sorted(inputs), 5):  # deletes must be reflected too
            assert client.delete(f"/invoices/{iid}/line-items/{victim}").status_code == 200
            del inputs[victim]
        assert client.delete(f"/invoices/{iid}/line-item-groups/{groups[0]}").status_code == 200
        inputs = {k: (q, r, t, None if g == groups[0] else g) for k, (q, r, t, g) in inputs.items()}
        total, by_group = expected_totals(list(inputs.values()), currency)
        got = client.get(f"/invoices/{iid}").json()
        assert tuple(Decimal(got[k]) for k in ("netTotal", "totalTax", "grossTotal")) == total
        for group in client.get(f"/invoices/{iid}/line-item-groups").json()["items"]:
            want = by_group.get(group["id"], (Decimal(0), Decimal(0), Decimal(0)))
            assert (Decimal(group["netTotal"]), Decimal(group["totalTax"]), Decimal(group["grossTotal"])) == want


def test_an_invoice_holds_at_most_5000_lines(server: LiveServer, client: ApiClient) -> None:
    """The 5,001st line is refused; below the limit the count is skipped (next_line_index bounds it)."""
    from sqlalchemy import insert, update

    from quire.invoices.models import Invoice, InvoiceLineItem
    from quire.billing_documents.lines import MAX_LINE_ITEMS
    from tests.api.test_delivery import in_database

    invoice = new_invoice(client)
    first = add_line(client, invoice["id"])

    async def fill(session: Any) -> None:  # 4,999 more lines straight into the table (5,000 in all)
        row = {c: v for c, v in (await session.get(InvoiceLineItem, first["id"])).__dict__.items() if not c.startswith("_")}
        rows = [{**row, "id": str(uuid.uuid4()), "index": i} for i in range(1, MAX_LINE_ITEMS)]
        await session.execute(insert(InvoiceLineItem), rows)
        await session.execute(update(Invoice).where(Invoice.id == invoice["id"]).values(next_line_index=MAX_LINE_ITEMS))

    in_database(server, fill)
    refused = client.post(f"/invoices/{invoice['id']}/line-items", json=line_body())
    assert refused.status_code == 400 and "at most 5000 line items" in refused.json()["error"]["message"]
    assert client.delete(f"/invoices/{invoice['id']}/line-items/{first['id']}").status_code == 200
    assert client.post(f"/invoices/{invoice['id']}/line-items", json=line_body()).status_code == 201  # room again
