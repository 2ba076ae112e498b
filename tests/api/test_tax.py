"""Tax rates, tax registrations, and how they drive invoice tax, driven over HTTP (both databases)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.factories import address, line_body
from tests.support import ApiClient

VAT = {
    "isPublished": True, "name": "UK Sales Tax", "invoiceName": "Value Added Tax", "invoiceShortName": "VAT",
    "description": "Value Added Tax applied to sales in the UK", "amount": "0.2", "country": "GB", "region": "London",
    "taxCategoryId": "ce109c64-dcc0-487a-ac8c-e3237c60cdb6", "subRates": [],
}
MERCHANT = {"legalCompanyName": "Quire Test Ltd", "address": address(line1="2 New Street"), "email": "billing@quire.example"}
GB_VAT, DE_VAT, FR_VAT, AU_ABN = "GB980780684", "DE136695976", "FR40303265045", "53004085616"


def new_rate(client: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/tax-rates", json={**VAT, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def register(client: ApiClient, **body: Any) -> dict[str, Any]:
    response = client.post("/tax-registrations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def pdf_text(client: ApiClient, invoice_id: str) -> str:
    response = client.get(f"/invoices/{invoice_id}/download")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(response.content)).pages)


def assert_400(response: Any, error_type: str = "ValidationError", *, says: str | None = None) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == error_type, error
    if says is not None:
        assert says in error["message"], error["message"]
    return error


# --- tax rates ------------------------------------------------------------------------------------


def test_tax_rate_crud_versions_and_archive(client: ApiClient) -> None:
    rate = new_rate(client)
    for key, value in VAT.items():
        assert rate[key] == value, key
    assert rate["version"] == 0 and rate["isArchived"] is False
    assert rate["sequenceAccountId"] == client.credential.account_id
    assert client.get(f"/tax-rates/{rate['id']}").json() == rate

    listed = client.get("/tax-rates").json()
    assert [r["id"] for r in listed["items"]] == [rate["id"]] and listed["pagination"]["totalResultSize"] == 1

    body = {**VAT, "id": rate["id"], "name": "UK VAT", "amount": "0.05", "region": None, "description": None}
    updated = client.put(f"/tax-rates/{rate['id']}", json=body)
    assert updated.status_code == 200, updated.text
    updated_rate = updated.json()
    assert updated_rate["version"] == 1 and updated_rate["versionId"] != rate["versionId"]
    assert updated_rate["id"] == rate["id"] and updated_rate["name"] == "UK VAT" and updated_rate["amount"] == "0.05"
    assert "region" not in updated_rate and "description" not in updated_rate
    assert_400(client.put(f"/tax-rates/{rate['id']}", json={**body, "id": VAT["taxCategoryId"]}), says="id in the body")
    assert_400(client.put(f"/tax-rates/{rate['id']}", json={**body, "isPublished": False}), says="cannot be unpublished")

    archived = client.put(f"/tax-rates/{rate['id']}/archive")
    assert archived.status_code == 200 and archived.json()["isArchived"] is True
    assert archived.json()["version"] == 1
    assert client.put(f"/tax-rates/{rate['id']}/archive").json() == archived.json()  # idempotent
    assert_400(client.put(f"/tax-rates/{rate['id']}", json=body), "TaxRateArchived")
    assert client.get("/tax-rates").json()["items"][0]["isArchived"] is True

    deleted = client.delete(f"/tax-rates/{rate['id']}")
    assert deleted.status_code == 200 and deleted.json()["id"] == rate["id"]
    assert client.get(f"/tax-rates/{rate['id']}").status_code == 404
    assert client.get("/tax-rates").json()["items"] == []


def test_tax_rate_pages(client: ApiClient) -> None:
    ids = [new_rate(client, name=f"Rate {n}")["id"] for n in range(5)]
    first = client.get("/tax-rates", params={"limit": 2}).json()
    assert [r["id"] for r in first["items"]] == ids[::-1][:2]  # newest first
    second = client.get("/tax-rates", params={"limit": 2, "after": first["pagination"]["after"]}).json()
    assert [r["id"] for r in second["items"]] == ids[::-1][2:4]
    assert client.get("/tax-rates", params={"limit": 0}).status_code == 400
    assert_400(client.get("/tax-rates", params={"after": "not-a-cursor"}))


def test_sub_rates_must_add_up_to_the_amount(client: ApiClient) -> None:
    canada = new_rate(client, name="GST + PST", country="CA", amount="0.12",
                      subRates=[{"name": "GST", "amount": "0.05"}, {"name": "PST", "amount": "0.07"}])
    assert canada["subRates"] == [{"name": "GST", "amount": "0.05"}, {"name": "PST", "amount": "0.07"}]
    assert new_rate(client, amount="0.2", subRates=[{"name": "VAT", "amount": "0.20"}])["subRates"][0]["amount"] == "0.2"
    error = assert_400(client.post("/tax-rates", json={**VAT, "amount": "0.12", "subRates": [
        {"name": "GST", "amount": "0.05"}, {"name": "PST", "amount": "0.06"}]}), says="add up to 0.11")
    assert error["fields"][0]["field"] == "subRates"
    for bad in ([1], ["x"], [{"amount": "0.1"}], [{"name": "A", "amount": "-0.1"}], [{"name": "A", "amount": "2"}],
                [{"name": "A", "amount": 0.1}], [{"name": "", "amount": "0.2"}], None, "0.2"):
        assert_400(client.post("/tax-rates", json={**VAT, "subRates": bad}))
    rate = new_rate(client)
    put = client.put(f"/tax-rates/{rate['id']}", json={**VAT, "id": rate["id"], "subRates": [{"name": "A", "amount": "0.1"}]})
    assert_400(put, says="subRates add up to 0.1 but amount is 0.2")
    assert client.get(f"/tax-rates/{rate['id']}").json()["version"] == 0  # nothing changed


def test_tax_rate_bad_input_is_400(client: ApiClient) -> None:
    assert_400(client.post("/tax-rates", json={**VAT, "amount": "20"}), says="fraction between 0 and 1")
    for field, value in [("amount", "abc"), ("amount", "-0.1"), ("amount", "1e-1"), ("amount", None), ("amount", True),
                         ("country", "XX"), ("isPublished", "yes"), ("name", ""), ("name", 5), ("invoiceName", None),
                         ("invoiceShortName", "x" * 256), ("description", "x" * 10_001), ("taxCategoryId", "x" * 65),
                         ("name", "a\u0000b"), ("region", "\u0000"), ("description", "x\u0000")]:
        assert_400(client.post("/tax-rates", json={**VAT, field: value}))
    for missing in ("isPublished", "name", "invoiceName", "invoiceShortName", "amount", "country"):
        assert_400(client.post("/tax-rates", json={k: v for k, v in VAT.items() if k != missing}))
    assert_400(client.post("/tax-rates", content=b"{", headers={"content-type": "application/json"}))
    assert_400(client.post("/tax-rates", json={**VAT, "amount": 0.25}), says="must be a string")  # the contract's type
    assert client.post("/tax-rates", json={**VAT, "amount": "0.25"}).status_code == 201
    assert client.get("/tax-rates/not-a-uuid").status_code == 404
    assert client.get("/tax-rates").json()["pagination"]["totalResultSize"] == 1


# --- tax registrations ----------------------------------------------------------------------------


def test_registration_crud_for_customers_and_the_merchant(client: ApiClient) -> None:
    account = client.credential.account_id
    customer = new_customer(client)
    reg = register(client, taxIdentifier="GB 980 7806 84", customerId=customer["id"], country="GB")
    assert reg["taxIdentifier"] == GB_VAT and reg["customerId"] == customer["id"] and "merchantId" not in reg
    assert reg["sequenceAccountId"] == account
    assert client.get(f"/tax-registrations/{reg['id']}").json() == reg
    second = register(client, taxIdentifier="US-123", customerId=customer["id"], country="US", state="CA")
    assert second["taxIdentifier"] == "US-123" and second["state"] == "CA"

    mine = register(client, taxIdentifier=DE_VAT, merchantId=account, country="DE")
    assert mine["merchantId"] == account and "customerId" not in mine
    merchant_list = client.get(f"/tax-registrations/for-merchant/{account}").json()
    assert merchant_list == {"items": [mine], "pagination": {"totalResultSize": 1}}
    customer_list = client.get(f"/tax-registrations/for-customer/{customer['id']}").json()
    assert [r["id"] for r in customer_list["items"]] == [reg["id"], second["id"]]  # oldest first
    assert customer_list["pagination"]["totalResultSize"] == 2
    listed = client.get("/tax-registrations", params={"limit": 2}).json()
    assert [r["id"] for r in listed["items"]] == [mine["id"], second["id"]] and listed["pagination"]["totalResultSize"] == 3
    assert "after" in listed["pagination"]

    updated = client.put(f"/tax-registrations/{second['id']}", json={"taxIdentifier": FR_VAT, "country": "FR"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["taxIdentifier"] == FR_VAT and "state" not in updated.json()
    assert updated.json()["customerId"] == customer["id"]
    moved = client.put(f"/tax-registrations/{second['id']}", json={"taxIdentifier": FR_VAT, "country": "FR", "merchantId": account})
    assert moved.status_code == 200 and moved.json()["merchantId"] == account and "customerId" not in moved.json()
    assert len(client.get(f"/tax-registrations/for-merchant/{account}").json()["items"]) == 2

    deleted = client.delete(f"/tax-registrations/{reg['id']}")
    assert deleted.status_code == 200 and deleted.json() == reg
    assert client.get(f"/tax-registrations/{reg['id']}").status_code == 404
    assert client.get(f"/tax-registrations/for-customer/{customer['id']}").json()["items"] == []


def test_registration_refusals(client: ApiClient, other_client: ApiClient) -> None:
    account = client.credential.account_id
    customer = new_customer(client)
    register(client, taxIdentifier=GB_VAT, customerId=customer["id"], country="GB")
    assert_400(client.post("/tax-registrations", json={"taxIdentifier": GB_VAT, "customerId": customer["id"], "country": "GB"}),
               says="already has the tax registration")
    assert_400(client.post("/tax-registrations", json={"taxIdentifier": GB_VAT, "country": "GB"}), says="needs an owner")
    assert_400(client.post("/tax-registrations", json={
        "taxIdentifier": GB_VAT, "country": "GB", "customerId": customer["id"], "merchantId": account}), says="not both")
    foreign = new_customer(other_client)
    # Another account's customer or merchant named in the body: 400 naming the field (issue 12).
    refused = client.post("/tax-registrations", json={"taxIdentifier": GB_VAT, "country": "GB", "customerId": foreign["id"]})
    assert refused.status_code == 400 and refused.json()["error"]["fields"][0]["field"] == "customerId", refused.text
    refused = client.post("/tax-registrations", json={
        "taxIdentifier": GB_VAT, "country": "GB", "merchantId": other_client.credential.account_id})
    assert refused.status_code == 400 and refused.json()["error"]["fields"][0]["field"] == "merchantId", refused.text
    for body in [{"taxIdentifier": GB_VAT}, {"country": "GB", "merchantId": account},
                 {"taxIdentifier": "", "country": "GB", "merchantId": account},
                 {"taxIdentifier": 980780684, "country": "GB", "merchantId": account},
                 {"taxIdentifier": "x" * 65, "country": "US", "merchantId": account},
                 {"taxIdentifier": "   ", "country": "US", "merchantId": account},
                 {"taxIdentifier": "a\u0000b", "country": "US", "merchantId": account},
                 {"taxIdentifier": GB_VAT, "country": "UK", "merchantId": account},
                 {"taxIdentifier": GB_VAT, "country": "GB", "merchantId": account, "state": "XX"}]:
        assert_400(client.post("/tax-registrations", json=body))
    assert client.get(f"/tax-registrations/for-merchant/{other_client.credential.account_id}").status_code == 404
    assert client.get("/tax-registrations/for-customer/nope").status_code == 404


VALID_IDS = [
    ("GB", "GB980780684", GB_VAT), ("GB", "980 7806 84", GB_VAT), ("GB", "gb980780684", GB_VAT),
    ("DE", "DE136695976", DE_VAT), ("DE", "136 695 976", DE_VAT), ("DE", "de-136695976", DE_VAT),
    ("FR", "FR40303265045", FR_VAT), ("FR", "40 303 265 045", FR_VAT),
    ("AU", "53 004 085 616", AU_ABN), ("AU", "53004085616", AU_ABN),
    ("GR", "GR094259216", "EL094259216"), ("US", "12-3456789", "12-3456789"),
]
INVALID_IDS = [
    ("GB", "GB123456789", "check digits"), ("GB", "GB12345", "not a valid GB VAT number"), ("GB", "GBABCDEFGHI", "format"),
    ("DE", "DE123456789", "check digits"), ("DE", "DE12345678", "length"), ("DE", FR_VAT, "VAT number of FR"),
    ("FR", "FR00303265045", "check digits"), ("FR", "FR4030326504", "not a valid FR VAT number"),
    ("AU", "12345678901", "check digits"), ("AU", "5300408561", "length"), ("AU", "ABN53004085616", "Australian Business Number"),
]


@pytest.mark.parametrize(("country", "sent", "stored"), VALID_IDS)
def test_valid_tax_ids_are_stored_compact(client: ApiClient, country: str, sent: str, stored: str) -> None:
    reg = register(client, taxIdentifier=sent, country=country, merchantId=client.credential.account_id)
    assert reg["taxIdentifier"] == stored and reg["country"] == country


@pytest.mark.parametrize(("country", "sent", "reason"), INVALID_IDS)
def test_invalid_tax_ids_are_400_saying_why(client: ApiClient, country: str, sent: str, reason: str) -> None:
    customer = new_customer(client)
    error = assert_400(client.post("/tax-registrations", json={"taxIdentifier": sent, "country": country,
                                                              "customerId": customer["id"]}), says=reason)
    assert error["fields"] == [{"field": "taxIdentifier", "message": error["message"]}]
    assert sent in error["message"]
    reg = register(client, taxIdentifier="ok", country="US", customerId=customer["id"])
    put = client.put(f"/tax-registrations/{reg['id']}", json={"taxIdentifier": sent, "country": country})
    assert_400(put, says=reason)
    assert client.get(f"/tax-registrations/{reg['id']}").json() == reg


# --- invoices ---------------------------------------------------------------------------------------


def test_reverse_charge_invoice_end_to_end(client: ApiClient) -> None:
    account = client.credential.account_id
    assert client.put("/merchant-settings", json=MERCHANT).status_code == 200
    register(client, taxIdentifier=GB_VAT, merchantId=account, country="GB")
    customer = new_customer(client, legalName="Berlin GmbH", taxStatus="REVERSE_CHARGED", address=address(country="DE"))
    register(client, taxIdentifier="DE 136 695 976", customerId=customer["id"], country="DE")
    register(client, taxIdentifier=FR_VAT, customerId=customer["id"], country="FR")  # not the first: not copied

    invoice = new_invoice(client, "EUR", customer)
    assert invoice["customerTaxStatus"] == "REVERSE_CHARGED"
    assert invoice["customerTaxId"] == DE_VAT
    assert invoice["merchantDetails"]["taxId"] == GB_VAT
    line = add_line(client, invoice["id"], quantity="3", rate="100.00", taxRate="0.2")
    assert (line["taxRate"], line["netTotal"], line["totalTax"], line["grossTotal"]) == ("0", "300.00", "0.00", "300.00")
    stored = client.get(f"/invoices/{invoice['id']}/line-items").json()["items"][0]
    assert stored["taxRate"] == "0" and stored["totalTax"] == "0.00"
    put = client.put(f"/invoices/{invoice['id']}/line-items/{line['id']}", json=line_body(rate="50", taxRate="0.19"))
    assert put.status_code == 200 and put.json()["taxRate"] == "0" and put.json()["totalTax"] == "0.00"
    final = action(client, invoice["id"], "finalize")
    assert final.status_code == 200, final.text
    assert (final.json()["netTotal"], final.json()["totalTax"], final.json()["grossTotal"]) == ("50.00", "0.00", "50.00")

    text = pdf_text(client, invoice["id"])
    assert "Reverse charge" in text
    assert DE_VAT in text and GB_VAT in text
    assert FR_VAT not in text

    # The invoice is a snapshot: later registration changes do not rewrite it.
    for reg in client.get(f"/tax-registrations/for-customer/{customer['id']}").json()["items"]:
        assert client.delete(f"/tax-registrations/{reg['id']}").status_code == 200
    assert client.get(f"/invoices/{invoice['id']}").json()["customerTaxId"] == DE_VAT
    assert "customerTaxId" not in new_invoice(client, "EUR", customer)


def test_tax_exempt_invoice_gets_zero_tax(client: ApiClient) -> None:
    customer = new_customer(client, taxStatus="TAX_EXEMPT")
    register(client, taxIdentifier=AU_ABN, customerId=customer["id"], country="AU")
    rate = new_rate(client)
    invoice = new_invoice(client, "AUD", customer)
    assert invoice["customerTaxId"] == AU_ABN
    bare = add_line(client, invoice["id"], taxRate="0.1")
    by_rate = add_line(client, invoice["id"], taxRateId=rate["id"])
    assert bare["taxRate"] == by_rate["taxRate"] == "0"
    assert client.get(f"/invoices/{invoice['id']}").json()["totalTax"] == "0.00"
    assert action(client, invoice["id"], "finalize").status_code == 200
    text = pdf_text(client, invoice["id"])
    assert "exempt from tax" in text and AU_ABN in text

    # A TAXED customer's lines keep their rate; the status is the invoice's snapshot.
    taxed = new_invoice(client, "AUD")
    assert add_line(client, taxed["id"], taxRate="0.1")["totalTax"] == "10.00"
    assert "customerTaxId" not in taxed


def test_customer_tax_id_sent_on_create_wins(client: ApiClient) -> None:
    customer = new_customer(client, taxStatus="REVERSE_CHARGED")
    register(client, taxIdentifier=DE_VAT, customerId=customer["id"], country="DE")
    invoice = new_invoice(client, "EUR", customer, customerTaxId="ATU12345678")
    assert invoice["customerTaxId"] == "ATU12345678"
    assert_400(client.post("/invoices", json={"currency": "EUR", "customerId": customer["id"], "customerTaxId": ""}))
    assert_400(client.post("/invoices", json={"currency": "EUR", "customerId": customer["id"], "customerTaxId": "\u0000"}))
    # Merchant settings' own taxId wins over the merchant's registration.
    assert client.put("/merchant-settings", json={**MERCHANT, "taxId": "GB-OWN"}).status_code == 200
    register(client, taxIdentifier=GB_VAT, merchantId=client.credential.account_id, country="GB")
    assert new_invoice(client, "EUR", customer)["merchantDetails"]["taxId"] == "GB-OWN"


def test_lines_may_reference_a_tax_rate(client: ApiClient, other_client: ApiClient) -> None:
    rate = new_rate(client, amount="0.2")
    invoice = new_invoice(client)
    iid = invoice["id"]
    line = client.post(f"/invoices/{iid}/line-items", json={
        k: v for k, v in line_body(taxRateId=rate["id"], quantity="2", rate="10.00").items() if k != "taxRate"}).json()
    assert (line["taxRate"], line["totalTax"], line["grossTotal"]) == ("0.2", "4.00", "24.00")
    body = {k: v for k, v in line_body(quantity="1", rate="10.00", taxRateId=rate["id"]).items() if k != "taxRate"}
    only_id = client.post(f"/invoices/{iid}/line-items", json=body)
    assert only_id.status_code == 201 and only_id.json()["taxRate"] == "0.2"
    both = add_line(client, iid, taxRate="0.05", taxRateId=rate["id"])
    assert both["taxRate"] == "0.2"  # the referenced rate wins

    # A new version changes new lines only; lines already written keep their rate.
    assert client.put(f"/tax-rates/{rate['id']}", json={**VAT, "id": rate["id"], "amount": "0.25"}).status_code == 200
    assert add_line(client, iid, taxRateId=rate["id"])["taxRate"] == "0.25"
    assert client.get(f"/invoices/{iid}/line-items").json()["items"][0]["taxRate"] == "0.2"

    draft_rate = new_rate(client, isPublished=False)
    assert_400(client.post(f"/invoices/{iid}/line-items", json=line_body(taxRateId=draft_rate["id"])), "TaxRateNotPublished")
    foreign = new_rate(other_client)
    for unknown in (foreign["id"], "nope"):  # a line's reference: 400 naming taxRateId, not 404 (issue 12)
        refused = client.post(f"/invoices/{iid}/line-items", json=line_body(taxRateId=unknown))
        assert refused.status_code == 400 and refused.json()["error"]["fields"][0]["field"] == "taxRateId", refused.text
    no_rate = {k: v for k, v in line_body().items() if k != "taxRate"}
    assert_400(client.post(f"/invoices/{iid}/line-items", json=no_rate), says="taxRate is required")
    assert_400(client.post(f"/invoices/{iid}/line-items", json=line_body(taxRateId="x" * 65)))

    # Archived: still valid on the invoice that used it, refused on any other; a used rate is not deletable.
    assert_400(client.delete(f"/tax-rates/{rate['id']}"), "TaxRateInUse")
    assert client.put(f"/tax-rates/{rate['id']}/archive").status_code == 200
    again = client.put(f"/invoices/{iid}/line-items/{line['id']}", json=line_body(quantity="3", taxRateId=rate["id"]))
    assert again.status_code == 200 and again.json()["taxRate"] == "0.25"
    assert add_line(client, iid, taxRateId=rate["id"])["taxRate"] == "0.25"
    other_invoice = new_invoice(client)
    assert_400(client.post(f"/invoices/{other_invoice['id']}/line-items", json=line_body(taxRateId=rate["id"])), "TaxRateArchived")
    assert action(client, iid, "finalize").status_code == 200
    assert client.get(f"/tax-rates/{rate['id']}").json()["isArchived"] is True
    assert client.delete(f"/tax-rates/{draft_rate['id']}").status_code == 200  # never used


def test_cross_account_is_not_found_on_every_tax_endpoint(client: ApiClient, other_client: ApiClient) -> None:
    account = client.credential.account_id
    rate = new_rate(client)
    customer = new_customer(client)
    reg = register(client, taxIdentifier=GB_VAT, customerId=customer["id"], country="GB")
    rid, gid = rate["id"], reg["id"]
    attempts = [
        ("GET", f"/tax-rates/{rid}", None),
        ("PUT", f"/tax-rates/{rid}", {**VAT, "id": rid}),
        ("DELETE", f"/tax-rates/{rid}", None),
        ("PUT", f"/tax-rates/{rid}/archive", None),
        ("GET", f"/tax-registrations/{gid}", None),
        ("PUT", f"/tax-registrations/{gid}", {"taxIdentifier": GB_VAT, "country": "GB"}),
        ("DELETE", f"/tax-registrations/{gid}", None),
        ("GET", f"/tax-registrations/for-customer/{customer['id']}", None),
        ("GET", f"/tax-registrations/for-merchant/{account}", None),
    ]
    for method, path, body in attempts:
        response = other_client.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["type"] == "NotFound"
    # Named in a body instead of the path: 400 naming the field (issue 12).
    for field, owner in (("customerId", customer["id"]), ("merchantId", account)):
        response = other_client.post("/tax-registrations", json={"taxIdentifier": GB_VAT, "country": "GB", field: owner})
        assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == field, response.text
    assert other_client.get("/tax-rates").json()["items"] == []
    assert other_client.get("/tax-registrations").json()["items"] == []
    assert client.get(f"/tax-rates/{rid}").json() == rate
    assert client.get(f"/tax-registrations/{gid}").json() == reg


def test_unauthenticated_tax_requests_are_401(anonymous: ApiClient) -> None:
    for path in ("/tax-rates", "/tax-registrations"):
        assert anonymous.get(path).status_code == 401
    assert anonymous.post("/tax-rates", json=VAT).status_code == 401
