"""The seed's example invoice, rendered as a customer sees it, rasterised for the README.

The PNG is rendered on every run (and checked: right size, ink on the page, the number in the text
layer); with QUIRE_WRITE_DOC_IMAGES=1 it is also written to docs/images/invoice-example.png.
"""

from __future__ import annotations

import copy
import os
from io import BytesIO
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from tests.api.invoice_helpers import action, add_example_lines, new_customer
from tests.factories import SEED_INVOICE_REQUEST, address
from tests.support import ApiClient, LiveServer

DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "invoice-example.png"
MERCHANT = {
    "legalCompanyName": "Quire Demo Ltd", "email": "billing@quire-demo.example", "phoneNumber": "+44 20 7946 0000",
    "taxId": "GB980780684", "address": address(line1="2 New Street", town="London", postcode="EC2M 4TP"),
    "iban": "GB33BUKB20201555555555", "ukAccountDetails": {"sortCode": "202015", "accountNumber": "55555555"},
    "primaryColour": "#0A5C73", "paymentTermsDays": 30,
}


def test_seed_invoice_renders_to_png(server: LiveServer, tmp_path: Path) -> None:
    if server.name != "sqlite":
        pytest.skip("one rendering is enough; the PDF does not depend on the database")
    with ApiClient(server.base_url, server.new_account("Quire Demo", merchant_settings=MERCHANT)) as client:
        customer = new_customer(client, legalName="Facebook")
        body = copy.deepcopy(SEED_INVOICE_REQUEST)
        body["customerId"] = customer["id"]
        invoice = client.post("/invoices", json=body).json()
        iid = invoice["id"]
        add_example_lines(client, iid, "October 2022")
        final = action(client, iid, "finalize").json()
        pdf = client.get(f"/invoices/{iid}/download").content

    document = pdfium.PdfDocument(pdf)
    page = document[0]
    assert final["invoiceNumber"] in page.get_textpage().get_text_range()
    image = page.render(scale=1.6).to_pil().convert("L")
    width, height = image.size
    assert (width, height) == (round(595.28 * 1.6), round(841.89 * 1.6)) or abs(width / height - 0.707) < 0.01
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert dark > width * height * 0.005  # text and rules, not a blank page
    out = tmp_path / "invoice.png"
    image.save(out, optimize=True)
    assert out.stat().st_size > 10_000
    if os.environ.get("QUIRE_WRITE_DOC_IMAGES") == "1":
        DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        page.render(scale=1.6).to_pil().save(DOCS_IMAGE, optimize=True)
    document.close()
