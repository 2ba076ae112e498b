"""E-invoice downloads over HTTP (Quire extension): ?format=ubl and ?format=facturx on invoices and credit notes."""

from __future__ import annotations

from io import BytesIO

from lxml import etree
from pypdf import PdfReader

from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.factories import address
from tests.support import ApiClient, LiveServer

MERCHANT = {
    "legalCompanyName": "Seller Ltd", "email": "billing@seller.example", "taxId": "GB980780684",
    "address": address(line1="2 New Street", town="London", postcode="EC1V 9HX"),
}


def _einvoice_client(server: LiveServer) -> ApiClient:
    return ApiClient(server.base_url, server.new_account("E-invoicing", merchant_settings=MERCHANT))


def test_ubl_and_facturx_of_a_finalized_invoice(server: LiveServer) -> None:
    with _einvoice_client(server) as client:
        customer = new_customer(client, legalName="Buyer GmbH", address=address(town="Berlin", postcode="10115", country="DE"))
        invoice = new_invoice(client, "EUR", customer, purchaseOrderNumber="PO-7", customerTaxId="DE136695976")
        add_line(client, invoice["id"], title="Licence", quantity="3", rate="100.00", taxRate="0.2")
        draft = client.get(f"/invoices/{invoice['id']}/download", params={"format": "ubl"})
        assert draft.status_code == 400 and draft.json()["error"]["type"].startswith("EInvoice")
        number = action(client, invoice["id"], "finalize").json()["invoiceNumber"]

        ubl = client.get(f"/invoices/{invoice['id']}/download", params={"format": "ubl"})
        assert ubl.status_code == 200, ubl.text
        assert ubl.headers["content-type"].startswith("application/xml")
        assert f'filename="{number}.xml"' in ubl.headers["content-disposition"]
        root = etree.fromstring(ubl.content)
        ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
        assert root.findtext("cbc:ID", namespaces=ns) == number
        assert root.find(".//cbc:PayableAmount", ns).text == "360.00"

        facturx = client.get(f"/invoices/{invoice['id']}/download", params={"format": "facturx"})
        assert facturx.status_code == 200 and facturx.headers["content-type"] == "application/pdf"
        attachments = PdfReader(BytesIO(facturx.content)).attachments
        assert "factur-x.xml" in attachments
        assert number.encode() in attachments["factur-x.xml"][0]

        assert client.get(f"/invoices/{invoice['id']}/download", params={"format": "docx"}).status_code == 400


def test_missing_seller_data_is_a_400_naming_it(client: ApiClient) -> None:
    invoice = new_invoice(client)  # this account has no merchant settings: no seller name, address or VAT id
    add_line(client, invoice["id"])
    action(client, invoice["id"], "finalize")
    for fmt in ("ubl", "facturx"):
        response = client.get(f"/invoices/{invoice['id']}/download", params={"format": fmt})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["type"] == "EInvoiceDataMissing"
        assert any(f["field"].startswith("merchantDetails") for f in error["fields"]), error


def test_credit_note_ubl(server: LiveServer) -> None:
    with _einvoice_client(server) as client:
        customer = new_customer(client, legalName="Buyer Ltd")
        invoice = new_invoice(client, "GBP", customer, purchaseOrderNumber="PO-9", customerTaxId="GB434031494")
        line = add_line(client, invoice["id"], title="Licence", quantity="1", rate="100.00", taxRate="0.2")
        action(client, invoice["id"], "finalize")
        note = client.post("/credit-notes", json={"invoiceId": invoice["id"], "customerId": customer["id"], "currency": "GBP"})
        assert note.status_code == 201, note.text
        nid = note.json()["id"]
        added = client.post(f"/credit-notes/{nid}/line-items", json={
            "creditNoteId": nid, "title": "Refund", "quantity": "1", "rate": "50.00", "taxRate": "0.2",
            "externalIds": [], "lineItemId": line["id"]})
        assert added.status_code == 201, added.text
        assert client.post(f"/credit-notes/{nid}/finalize").status_code == 200
        ubl = client.get(f"/credit-notes/{nid}/download", params={"format": "ubl"})
        assert ubl.status_code == 200, ubl.text
        assert b"CreditNote" in ubl.content and b"60.00" in ubl.content
