"""Credit-note tax over HTTP (issue 12, class 8; docs/credit-notes.md "Tax on credit lines"): a credit
line that credits an invoice line takes that line's tax rate (another rate is 400 naming taxRate), and
across all credit notes of an invoice the tax, net and gross reversed never exceed what was charged,
with each currency's rounding. Figures are worked by hand in the comments."""

from __future__ import annotations

from typing import Any

from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.support import ApiClient


def issued(client: ApiClient, *lines: dict[str, Any], currency: str = "GBP", **fields: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    invoice = new_invoice(client, currency=currency, **fields)
    made = [add_line(client, invoice["id"], **spec) for spec in lines]
    response = action(client, invoice["id"], "finalize")
    assert response.status_code == 200, response.text
    return response.json(), made


def new_note(client: ApiClient, invoice: dict[str, Any]) -> str:
    response = client.post("/credit-notes", json={"invoiceId": invoice["id"], "currency": invoice["currency"],
                                                  "customerId": invoice["customerId"]})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def body(note_id: str | None, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"title": "Credit", "quantity": "1", "rate": "10.00", "taxRate": "0.2", "externalIds": []}
    if note_id is not None:
        out["creditNoteId"] = note_id
    out.update(fields)
    return out


def post(client: ApiClient, note_id: str, **fields: Any) -> Any:
    return client.post(f"/credit-notes/{note_id}/line-items", json=body(note_id, **fields))


def credit(client: ApiClient, note_id: str, **fields: Any) -> dict[str, Any]:
    response = post(client, note_id, **fields)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def amounts(line: dict[str, Any]) -> tuple[str, str, str]:
    return line["netTotal"], line["totalTax"], line["grossTotal"]


def refused_field(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "ValidationError", error
    assert [f["field"] for f in error["fields"]] == [field], error
    return error  # type: ignore[no-any-return]


def exceeds(response: Any, total: str, remaining: str, requested: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "AmountExceedsCreditable", error
    assert (error["total"], error["remainingCreditable"], error["requestedAmount"]) == (total, remaining, requested), error
    return error  # type: ignore[no-any-return]


def test_a_credit_line_takes_the_credited_lines_rate(client: ApiClient) -> None:
    invoice, (line,) = issued(client, {"title": "Books", "quantity": "1", "rate": "100.00", "taxRate": "0.05"})
    assert (invoice["netTotal"], invoice["totalTax"], invoice["grossTotal"]) == ("100.00", "5.00", "105.00")
    note = new_note(client, invoice)

    # 5% charged, 20% reversed: refused, naming taxRate; so is 0 (no tax reversed on a taxed line).
    error = refused_field(post(client, note, rate="100.00", taxRate="0.2", lineItemId=line["id"]), "taxRate")
    assert "0.05" in error["message"]
    refused_field(post(client, note, rate="100.00", taxRate="0", lineItemId=line["id"]), "taxRate")
    # The contract requires taxRate (2024-01-01 and 2024-07-30): absent is 400 too, not "the line's".
    missing = body(note, rate="100.00", lineItemId=line["id"])
    del missing["taxRate"]
    refused_field(client.post(f"/credit-notes/{note}/line-items", json=missing), "taxRate")
    assert client.get(f"/credit-notes/{note}").json()["grossTotal"] == "0.00"  # nothing was written

    # The same rate, spelt differently, is the line's rate.
    half = credit(client, note, quantity="1", rate="50.00", taxRate="0.050", lineItemId=line["id"])
    assert half["taxRate"] == "0.05" and amounts(half) == ("50.00", "2.50", "52.50")

    # PUT keeps the rule: the line still credits the invoice line.
    path = f"/credit-notes/{note}/line-items/{half['id']}"
    refused_field(client.put(path, json=body(None, rate="50.00", taxRate="0.2")), "taxRate")
    rewritten = client.put(path, json=body(None, quantity="2", rate="50.00", taxRate="0.05"))
    assert rewritten.status_code == 200, rewritten.text
    assert amounts(rewritten.json()) == ("100.00", "5.00", "105.00")
    finalized = client.post(f"/credit-notes/{note}/finalize")
    assert finalized.status_code == 200, finalized.text
    assert (finalized.json()["netTotal"], finalized.json()["totalTax"]) == ("100.00", "5.00")


def test_an_exempt_invoices_line_is_credited_without_tax(client: ApiClient) -> None:
    customer = new_customer(client, taxStatus="TAX_EXEMPT")
    invoice, (line,) = issued(client, {"title": "Hours", "quantity": "2", "rate": "40.00", "taxRate": "0.2"},
                              customer=customer)
    assert invoice["totalTax"] == "0.00"
    note = new_note(client, invoice)
    # The invoice line stored 0; sending the configured 20% again is what a client does on invoices.
    line_ = credit(client, note, quantity="1", rate="40.00", taxRate="0.2", lineItemId=line["id"])
    assert line_["taxRate"] == "0" and amounts(line_) == ("40.00", "0.00", "40.00")
    assert amounts(credit(client, note, quantity="1", rate="40.00", taxRate="0", lineItemId=line["id"])) == (
        "40.00", "0.00", "40.00")


def test_pieces_never_reverse_more_tax_than_the_line_charged(client: ApiClient) -> None:
    # Line A: 0.10 at 20% → tax 0.02. Pieces of 0.03 round up: 0.006 → 0.01 each.
    # Line B: 0.10 at 20% → tax 0.02. Pieces of 0.02 round down: 0.004 → 0.00 each.
    invoice, (a, b) = issued(client, {"title": "A", "quantity": "1", "rate": "0.10", "taxRate": "0.2"},
                             {"title": "B", "quantity": "1", "rate": "0.10", "taxRate": "0.2"})
    assert (invoice["netTotal"], invoice["totalTax"], invoice["grossTotal"]) == ("0.20", "0.04", "0.24")
    first, second = new_note(client, invoice), new_note(client, invoice)

    got = [amounts(credit(client, note, rate="0.03", lineItemId=a["id"])) for note in (first, second, first)]
    assert got == [("0.03", "0.01", "0.04"), ("0.03", "0.01", "0.04"), ("0.03", "0.00", "0.03")]
    assert amounts(credit(client, second, rate="0.01", lineItemId=a["id"])) == ("0.01", "0.00", "0.01")
    # A is credited in full: 0.10 net, 0.02 tax, exactly what it charged; not a cent more of anything.
    exceeds(post(client, first, rate="0.01", lineItemId=a["id"]), "grossTotal", "0.00", "0.01")

    pieces = [credit(client, note, rate="0.02", lineItemId=b["id"]) for note in (first, second, first, second)]
    assert [amounts(p) for p in pieces] == [("0.02", "0.00", "0.02")] * 4
    # The piece that takes the rest of B's net takes the rest of its tax: 0.02 reversed, as charged.
    assert amounts(credit(client, first, rate="0.02", lineItemId=b["id"])) == ("0.02", "0.02", "0.04")

    totals = [client.get(f"/credit-notes/{n}").json() for n in (first, second)]
    assert sorted((t["netTotal"], t["totalTax"], t["grossTotal"]) for t in totals) == [
        ("0.08", "0.01", "0.09"),  # second: A 0.03+0.01, B 0.02+0.02; tax 0.01 + 0
        ("0.12", "0.03", "0.15"),  # first: A 0.03+0.03, B 0.02+0.02+0.02; tax 0.01 + 0 + 0.02
    ]
    # 0.20 net and 0.04 tax over both notes: the invoice's own figures.
    assert [client.post(f"/credit-notes/{n}/finalize").status_code for n in (first, second)] == [200, 200]


def test_a_rewrite_that_completes_the_line_takes_the_rest_of_its_tax(client: ApiClient) -> None:
    # JPY has no minor unit: 3 × ¥5 at 10% → net ¥15, tax round(1.5) = ¥2, gross ¥17.
    invoice, (line,) = issued(client, {"title": "Tea", "quantity": "3", "rate": "5", "taxRate": "0.1"}, currency="JPY")
    assert (invoice["netTotal"], invoice["totalTax"], invoice["grossTotal"]) == ("15", "2", "17")
    note = new_note(client, invoice)
    one = credit(client, note, quantity="1", rate="5", taxRate="0.1", lineItemId=line["id"])  # 0.5 → ¥1
    assert amounts(one) == ("5", "1", "6")
    two = credit(client, note, quantity="1", rate="4", taxRate="0.1", lineItemId=line["id"])  # 0.4 → ¥0
    assert amounts(two) == ("4", "0", "4")
    # Rewriting the second to ¥10 takes the rest of the net (15 - 5), so the rest of the tax (2 - 1).
    put = client.put(f"/credit-notes/{note}/line-items/{two['id']}",
                     json=body(None, quantity="2", rate="5", taxRate="0.1"))
    assert put.status_code == 200, put.text
    assert amounts(put.json()) == ("10", "1", "11")
    assert client.get(f"/credit-notes/{note}").json()["totalTax"] == "2"
    # Growing the first past the line is refused, with the client's own figures (2 × ¥5 + 10% = ¥11).
    error = exceeds(client.put(f"/credit-notes/{note}/line-items/{one['id']}",
                               json=body(None, quantity="2", rate="5", taxRate="0.1")), "grossTotal", "6", "11")
    assert error["lineItemId"] == line["id"]


def test_free_lines_cannot_reverse_more_tax_or_net_than_the_invoice_charged(client: ApiClient) -> None:
    # A: 100.00 at 0% and B: 100.00 at 20% → net 200.00, tax 20.00, gross 220.00.
    invoice, _ = issued(client, {"title": "Zero-rated", "quantity": "1", "rate": "100.00", "taxRate": "0"},
                        {"title": "Standard", "quantity": "1", "rate": "100.00", "taxRate": "0.2"})
    assert (invoice["netTotal"], invoice["totalTax"], invoice["grossTotal"]) == ("200.00", "20.00", "220.00")
    note = new_note(client, invoice)
    # 150.00 at 20%: gross 180.00 fits in 220.00, but 30.00 tax is more than the 20.00 charged.
    error = exceeds(post(client, note, rate="150.00", taxRate="0.2"), "totalTax", "20.00", "30.00")
    assert "lineItemId" not in error and error["invoiceId"] == invoice["id"]
    # 210.00 at 0%: gross 210.00 fits, but 210.00 net is more than the 200.00 charged.
    exceeds(post(client, note, rate="210.00", taxRate="0"), "netTotal", "200.00", "210.00")
    # 100.00 at 20% fits every total; then 20.00 net is left but no tax: 10.00 at 20% is refused.
    credit(client, note, rate="100.00", taxRate="0.2")
    credit(client, note, rate="80.00", taxRate="0")
    exceeds(post(client, note, rate="10.00", taxRate="0.2"), "totalTax", "0.00", "2.00")
    assert amounts(credit(client, note, rate="20.00", taxRate="0")) == ("20.00", "0.00", "20.00")
    final = client.post(f"/credit-notes/{note}/finalize").json()
    assert (final["netTotal"], final["totalTax"], final["grossTotal"]) == ("200.00", "20.00", "220.00")
