"""E-invoices (UBL / Peppol BIS 3.0 and Factur-X EN 16931), validated against the official rules.

Documents are API-shaped dicts whose totals come from Quire's own calculation, so what is validated
is what Quire would serve. Validators: tests/einvoice_support.py (and docs/einvoice.md).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import facturx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from quire.core.money import format_amount
from quire.einvoice import (
    EInvoiceDataMissing,
    EInvoiceNotRepresentable,
    EInvoicePdfNotArchivable,
    EInvoiceRoundingConflict,
    render_facturx,
    render_facturx_credit_note,
    render_ubl,
    render_ubl_credit_note,
)
from quire.einvoice.build import build_document
from quire.einvoice.cii import render_cii
from quire.einvoice.model import Kind, Profile
from quire.einvoice.parties import peppol_endpoint
from quire.billing_documents.calculation import line_totals
from quire.invoices.pdf import render_credit_note_pdf, render_invoice_pdf
from tests.einvoice_support import (
    NS,
    Finding,
    fatal,
    pdfa3_findings,
    peppol_findings,
    schematron_findings,
    validate_cii,
    validate_ubl,
)

# --- documents ------------------------------------------------------------------------------------

GB_ADDRESS = {"line1": "1 High Street", "town": "London", "postcode": "SW1A 1AA", "country": "GB"}
FR_ADDRESS = {"line1": "12 rue de la Paix", "town": "Paris", "postcode": "75002", "country": "FR"}
DE_ADDRESS = {"line1": "Unter den Linden 5", "line2": "3. OG", "town": "Berlin", "postcode": "10117", "country": "DE"}

GB_MERCHANT = {
    "legalCompanyName": "Acme Widgets Ltd", "address": GB_ADDRESS, "email": "billing@acme.example",
    "phoneNumber": "020 7946 0000", "taxId": "GB980780684",
    "ukAccountDetails": {"sortCode": "202015", "accountNumber": "55555555"},
}
FR_MERCHANT = {
    "legalCompanyName": "Atelier Lumière SAS", "address": FR_ADDRESS, "email": "factures@lumiere.example",
    "taxId": "FR40303265045", "iban": "FR7630006000011234567890189",
}
DE_MERCHANT = {
    "legalCompanyName": "Nordlicht GmbH", "address": DE_ADDRESS, "email": "rechnung@nordlicht.example",
    "taxId": "DE136695976", "iban": "DE89370400440532013000",
}


def line(title: str, quantity: str, rate: str, tax_rate: str, index: int, currency: str = "GBP", **extra: Any) -> dict[str, Any]:
    totals = line_totals(Decimal(quantity), Decimal(rate), Decimal(tax_rate), currency)
    return {
        "id": f"line-{index}", "title": title, "quantity": quantity, "rate": rate, "taxRate": tax_rate,
        "netTotal": format_amount(totals.net, currency), "totalTax": format_amount(totals.tax, currency),
        "grossTotal": format_amount(totals.gross, currency), "index": index, "rateDisplay": "ABSOLUTE", **extra,
    }


def totals(lines: list[dict[str, Any]], currency: str) -> dict[str, str]:
    def total(key: str) -> str:
        return format_amount(sum((Decimal(item[key]) for item in lines), Decimal(0)), currency)

    return {"netTotal": total("netTotal"), "totalTax": total("totalTax"), "grossTotal": total("grossTotal")}


def invoice(lines: list[dict[str, Any]], currency: str = "GBP", **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "0190a5c2-0000-7000-8000-000000000001", "status": "FINAL", "invoiceNumber": "INV-00042",
        "issueDate": "2026-11-10", "dueDate": "2026-12-10", "accountingDate": "2026-11-10", "currency": currency,
        "customerLegalCompanyName": "Globex Corporation Ltd",
        "customerBillingAddress": {"line1": "42 Market Road", "town": "Manchester", "postcode": "M1 1AA", "country": "GB"},
        "customerShippingAddress": {"line1": "42 Market Road", "town": "Manchester", "postcode": "M1 1AA", "country": "GB"},
        "customerEmails": ["ap@globex.example"], "customerTaxId": "GB123456782", "customerTaxStatus": "TAXED",
        "purchaseOrderNumber": "PO-7781", "reference": "Annual plan", "memo": "Thank you for your business.",
        "billingPeriod": {"start": "2026-10-01", "endInclusive": "2026-10-31"},
        "paymentOptions": ["BANK_TRANSFER"], "merchantDetails": GB_MERCHANT, "createdAt": "2026-11-10T09:00:00Z",
        **totals(lines, currency),
    }
    doc.update(overrides)
    return doc


GBP_LINES = [
    line("Platform licence", "1", "250", "0.2", 0, description="Annual, 25 seats"),
    line("Support hours", "7.5", "80", "0.2", 1, servicePeriod={"startDate": "2026-10-01", "endDate": "2026-10-31"}),
    line("Onboarding", "1", "149.99", "0.2", 2),
]
EUR_LINES = [
    line("Conseil", "10", "120", "0.2", 0, "EUR", groupId="grp-1"),
    line("Livres", "4", "25", "0.055", 1, "EUR", description="Reduced rate"),
    line("Remise fidélité", "1", "-100", "0.2", 2, "EUR", groupId="grp-1"),
    line("Usage (September)", "1200", "0.05", "0.2", 3, "EUR", servicePeriod={"startDate": "2026-09-01", "endDate": "2026-09-30"}),
]
EUR_GROUPS = [{"id": "grp-1", "title": "Mission Q4", "index": 0, "netTotal": "1100.00", "totalTax": "220.00", "grossTotal": "1320.00"}]
AE_LINES = [
    line("Softwareentwicklung", "40", "95", "0", 0, "EUR"),
    line("Hosting", "1", "310.45", "0", 1, "EUR"),
]
CN_LINES = [
    line("Refund: unused seats", "5", "20", "0.2", 0),
    line("Goodwill credit", "1", "33.33", "0.2", 1),
]


def gbp_invoice(**overrides: Any) -> dict[str, Any]:
    return invoice(GBP_LINES, **overrides)


def eur_invoice(**overrides: Any) -> dict[str, Any]:
    fields = {
        "merchantDetails": FR_MERCHANT, "customerLegalCompanyName": "Beispiel AG", "customerBillingAddress": DE_ADDRESS,
        "customerShippingAddress": DE_ADDRESS, "customerTaxId": "DE 136 695 976",
    }
    return invoice(EUR_LINES, "EUR", **{**fields, **overrides})


def reverse_charged_invoice(**overrides: Any) -> dict[str, Any]:
    fields = {
        "merchantDetails": DE_MERCHANT, "customerLegalCompanyName": "Atelier Lumière SAS", "customerBillingAddress": FR_ADDRESS,
        "customerShippingAddress": FR_ADDRESS, "customerTaxId": "FR40303265045", "customerTaxStatus": "REVERSE_CHARGED",
    }
    return invoice(AE_LINES, "EUR", **{**fields, **overrides})


def credit_note(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "0190a5c2-0000-7000-8000-0000000000c1", "status": "FINAL", "creditNoteNumber": "CN-00003",
        "invoiceNumber": "INV-00042", "issueDate": "2026-11-20", "currency": "GBP",
        "billingPeriodStart": "2026-10-01T00:00:00Z", "billingPeriodEnd": "2026-10-31T00:00:00Z",
        "customerLegalCompanyName": "Globex Corporation Ltd",
        "customerBillingAddress": {"line1": "42 Market Road", "town": "Manchester", "postcode": "M1 1AA", "country": "GB"},
        "customerShippingAddress": {"line1": "42 Market Road", "town": "Manchester", "postcode": "M1 1AA", "country": "GB"},
        "customerEmails": ["ap@globex.example"], "customerTaxId": "GB123456782", "purchaseOrderNumber": "PO-7781",
        "memo": "Credit for unused seats.", "merchantDetails": GB_MERCHANT, **totals(CN_LINES, "GBP"),
    }
    doc.update(overrides)
    return doc


# --- helpers --------------------------------------------------------------------------------------


def assert_valid(findings: list[Finding]) -> None:
    assert fatal(findings) == [], "\n".join(f"{f.rule}: {f.text} @ {f.location}" for f in fatal(findings))


def xpath(xml: bytes, path: str) -> list[str]:
    namespaces = {**NS, "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    return [str(v).strip() if not hasattr(v, "text") else (v.text or "").strip()
            for v in etree.fromstring(xml).xpath(path, namespaces=namespaces)]


def embedded_xml(pdf: bytes) -> bytes:
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    return bytes(xml)


# --- UBL: valid documents -------------------------------------------------------------------------

UBL_CASES = {
    "gbp-3-lines-20pct": lambda: render_ubl(gbp_invoice(), GBP_LINES, []),
    "eur-mixed-20-and-5.5pct": lambda: render_ubl(eur_invoice(), EUR_LINES, EUR_GROUPS),
    "reverse-charged": lambda: render_ubl(reverse_charged_invoice(), AE_LINES, []),
    "credit-note": lambda: render_ubl_credit_note(credit_note(), CN_LINES, []),
}


@pytest.mark.parametrize("case", sorted(UBL_CASES))
def test_ubl_passes_xsd_en16931_and_peppol_rules(case: str) -> None:
    assert_valid(validate_ubl(UBL_CASES[case]()))


def test_ubl_gbp_invoice_carries_the_invoice() -> None:
    xml = render_ubl(gbp_invoice(), GBP_LINES, [])
    assert xpath(xml, "/*/cbc:ID") == ["INV-00042"]
    assert xpath(xml, "/*/cac:TaxTotal/cbc:TaxAmount") == ["200.00"]  # 50.00 + 120.00 + 30.00 (29.998)
    assert xpath(xml, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount") == ["1199.99"]
    assert xpath(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == ["S"]
    assert xpath(xml, "//cac:AccountingSupplierParty//cbc:EndpointID/@schemeID") == ["9932"]
    assert xpath(xml, "//cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == ["55555555"]
    assert xpath(xml, "//cac:InvoiceLine[2]/cac:InvoicePeriod/cbc:EndDate") == ["2026-10-31"]


def test_ubl_mixed_rates_have_one_breakdown_per_rate() -> None:
    xml = render_ubl(eur_invoice(), EUR_LINES, EUR_GROUPS)
    assert xpath(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent") == ["5.5", "20"]
    assert xpath(xml, "//cac:TaxSubtotal/cbc:TaxAmount") == ["5.50", "232.00"]
    assert xpath(xml, "//cac:PaymentMeans/cbc:PaymentMeansCode") == ["58"]  # SEPA credit transfer to the IBAN
    # A discount line: negative quantity at a positive price (BR-27).
    assert xpath(xml, "//cac:InvoiceLine[3]/cbc:InvoicedQuantity") == ["-1"]
    assert xpath(xml, "//cac:InvoiceLine[3]/cac:Price/cbc:PriceAmount") == ["100"]
    assert xpath(xml, "//cac:InvoiceLine[1]/cbc:Note") == ["Group: Mission Q4"]
    # A line period outside the invoice period moves to the note (PEPPOL-EN16931-R110/R111).
    assert xpath(xml, "//cac:InvoiceLine[4]/cbc:Note") == ["Service period 2026-09-01 to 2026-09-30"]
    assert xpath(xml, "//cac:InvoiceLine[4]/cac:InvoicePeriod") == []


def test_ubl_reverse_charge_is_category_ae_with_both_vat_ids() -> None:
    xml = render_ubl(reverse_charged_invoice(), AE_LINES, [])
    assert xpath(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == ["AE"]
    assert xpath(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode") == ["VATEX-EU-AE"]
    assert xpath(xml, "//cac:PartyTaxScheme/cbc:CompanyID") == ["DE136695976", "FR40303265045"]
    assert xpath(xml, "/*/cac:TaxTotal/cbc:TaxAmount") == ["0.00"]


def test_ubl_credit_note_references_its_invoice() -> None:
    xml = render_ubl_credit_note(credit_note(), CN_LINES, [])
    assert etree.QName(etree.fromstring(xml)).localname == "CreditNote"
    assert xpath(xml, "/*/cbc:CreditNoteTypeCode") == ["381"]
    assert xpath(xml, "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == ["INV-00042"]
    assert xpath(xml, "//cac:CreditNoteLine/cbc:CreditedQuantity") == ["5", "1"]


def test_zero_rated_and_exempt_lines() -> None:
    lines = [line("Consulting", "2", "100", "0.2", 0), line("Printed books", "3", "12.5", "0", 1)]
    xml = render_ubl(invoice(lines), lines, [])
    assert_valid(validate_ubl(xml))
    assert xpath(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == ["S", "Z"]
    exempt = [line("Training", "1", "400", "0", 0)]
    xml = render_ubl(invoice(exempt, customerTaxStatus="TAX_EXEMPT"), exempt, [])
    assert_valid(validate_ubl(xml))
    assert xpath(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason") == ["Exempt from VAT"]


def test_zero_decimal_currency_states_the_price_per_quantity_when_rounding_moved_the_net() -> None:
    lines = [line("Widget", "3", "100.5", "0.1", 0, "JPY")]  # 301.5 → 302 JPY: off by more than R120's 0.02
    xml = render_ubl(invoice(lines, "JPY"), lines, [])
    assert_valid(validate_ubl(xml))
    assert xpath(xml, "//cac:InvoiceLine/cac:Price/cbc:PriceAmount") == ["302"]
    assert xpath(xml, "//cac:InvoiceLine/cac:Price/cbc:BaseQuantity") == ["3"]


def test_the_validators_catch_a_broken_document() -> None:
    """Guards the harness itself: a tampered total and a missing endpoint must be reported."""
    xml = render_ubl(gbp_invoice(), GBP_LINES, [])
    tampered = xml.replace(b'<cbc:PayableAmount currencyID="GBP">1199.99<', b'<cbc:PayableAmount currencyID="GBP">1199.98<')
    assert {f.rule for f in fatal(schematron_findings(tampered, "ubl"))} >= {"BR-CO-16"}
    no_endpoint = re.sub(rb"<cbc:EndpointID[^>]*>[^<]*</cbc:EndpointID>", b"", xml, count=1)
    assert "PEPPOL-EN16931-R020" in {f.rule for f in fatal(peppol_findings(no_endpoint))}


# --- Factur-X -------------------------------------------------------------------------------------

FACTURX_CASES = {
    "gbp-3-lines-20pct": lambda: (gbp_invoice(), GBP_LINES, [], False),
    "eur-mixed-20-and-5.5pct": lambda: (eur_invoice(), EUR_LINES, EUR_GROUPS, False),
    "reverse-charged": lambda: (reverse_charged_invoice(), AE_LINES, [], False),
    "credit-note": lambda: (credit_note(), CN_LINES, [], True),
}


def _facturx(case: str) -> bytes:
    doc, lines, groups, is_credit_note = FACTURX_CASES[case]()
    if is_credit_note:
        return render_facturx_credit_note(doc, lines, groups, render_credit_note_pdf(doc, lines, groups))
    return render_facturx(doc, lines, groups, render_invoice_pdf(doc, lines, groups))


@pytest.mark.parametrize("case", sorted(FACTURX_CASES))
def test_facturx_embeds_valid_en16931_cii(case: str) -> None:
    pdf = _facturx(case)
    xml = embedded_xml(pdf)
    assert_valid(validate_cii(xml))
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"
    assert_valid(pdfa3_findings(pdf))
    root: Any = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert "EN 16931" in root["/Metadata"].get_object().get_data().decode("utf-8")  # fx:ConformanceLevel
    assert root["/AF"][0].get_object()["/AFRelationship"] == "/Data"


def test_facturx_carries_the_same_amounts_as_ubl() -> None:
    cii = embedded_xml(_facturx("eur-mixed-20-and-5.5pct"))
    ubl = render_ubl(eur_invoice(), EUR_LINES, EUR_GROUPS)
    assert xpath(cii, "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount") == \
        xpath(ubl, "/*/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")
    assert xpath(cii, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount") == \
        xpath(ubl, "//cac:TaxSubtotal/cbc:TaxAmount")


def test_facturx_validator_catches_a_broken_document() -> None:
    xml = embedded_xml(_facturx("gbp-3-lines-20pct"))
    tampered = xml.replace(b"<ram:DuePayableAmount>1199.99<", b"<ram:DuePayableAmount>1199.98<")
    assert tampered != xml
    assert fatal(schematron_findings(tampered, "cii"))
    # The checker catches a PDF that is not PDF/A (no output intent, no PDF/A metadata)...
    assert {"PDFA-6.2.3", "PDFA-6.6.4"} <= {f.rule for f in pdfa3_findings(plain_pdf())}
    # ...and Quire's own PDFs are PDF/A-3b before any wrapping (Typst, pdf_standards="a-3b").
    assert pdfa3_findings(render_invoice_pdf(gbp_invoice(), GBP_LINES, [])) == []


def plain_pdf(*, font: bool = False) -> bytes:
    """A one-page PDF made without Typst: no output intent, no XMP; with ``font``, text in the standard
    (unembedded) Helvetica, as the earlier fpdf2 renderer wrote on a server without DejaVu."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    content = DecodedStreamObject()
    if font:
        helvetica = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                                      NameObject("/BaseFont"): NameObject("/Helvetica")})
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(helvetica)})})
        content.set_data(b"BT /F1 12 Tf 72 770 Td (Invoice INV-00042) Tj ET")
    else:
        content.set_data(b"0.2 0.3 0.5 rg 72 700 200 40 re f")
    page[NameObject("/Contents")] = writer._add_object(content)
    writer.generate_file_identifiers()  # PDF/A wants a trailer /ID; fpdf2 wrote one
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_facturx_refuses_a_pdf_with_unembedded_fonts() -> None:
    with pytest.raises(EInvoicePdfNotArchivable, match="Helvetica"):
        render_facturx(gbp_invoice(), GBP_LINES, [], plain_pdf(font=True))


def test_facturx_gives_a_pdf_without_an_output_intent_the_srgb_one() -> None:
    # A PDF stored by the earlier renderer has no output intent: the wrapper adds sRGB2014.
    pdf = render_facturx(gbp_invoice(), GBP_LINES, [], plain_pdf())
    assert_valid(pdfa3_findings(pdf))
    root: Any = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    [intent] = root["/OutputIntents"]
    assert intent.get_object()["/OutputConditionIdentifier"] == "sRGB IEC61966-2.1"
    # Typst's own intent is kept, not doubled.
    ours: Any = PdfReader(io.BytesIO(_facturx("gbp-3-lines-20pct"))).trailer["/Root"]
    assert len(ours["/OutputIntents"]) == 1


# --- refusals -------------------------------------------------------------------------------------


def test_a_draft_without_merchant_tax_id_names_every_missing_field() -> None:
    merchant = {**GB_MERCHANT, "taxId": None, "address": {**GB_ADDRESS, "town": ""}}
    draft = gbp_invoice(status="DRAFT", invoiceNumber=None, merchantDetails=merchant, customerBillingAddress={"country": "GB"})
    with pytest.raises(EInvoiceDataMissing) as caught:
        render_ubl(draft, GBP_LINES, [])
    error = caught.value
    assert error.status_code == 400
    body = error.body()["error"]
    assert body["type"] == "EInvoiceDataMissing"
    fields = {f["field"] for f in body["fields"]}
    assert fields == {
        "invoiceNumber", "merchantDetails.taxId", "merchantDetails.address.town",
        "customerBillingAddress.line1", "customerBillingAddress.town", "customerBillingAddress.postcode",
    }
    for field in fields:
        assert field in body["message"]
    assert "finalize" in body["message"]


def test_facturx_refuses_the_same_missing_data_before_touching_the_pdf() -> None:
    with pytest.raises(EInvoiceDataMissing, match="invoiceNumber"):
        render_facturx(gbp_invoice(status="DRAFT", invoiceNumber=None), GBP_LINES, [], b"not a pdf")


def test_reverse_charge_needs_the_customer_vat_id() -> None:
    with pytest.raises(EInvoiceDataMissing) as caught:
        render_facturx(reverse_charged_invoice(customerTaxId=None), AE_LINES, [], b"")
    assert [p.field for p in caught.value.problems] == ["customerTaxId"]
    assert "BR-AE-02" in caught.value.message


def test_peppol_needs_a_buyer_reference_and_a_derivable_endpoint() -> None:
    doc = gbp_invoice(reference=None, purchaseOrderNumber=None, customerTaxId=None)
    with pytest.raises(EInvoiceDataMissing) as caught:
        render_ubl(doc, GBP_LINES, [])
    assert {p.field for p in caught.value.problems} == {"reference", "customerTaxId"}
    us = gbp_invoice(customerTaxId="US12-3456789", customerBillingAddress={**GB_ADDRESS, "country": "US", "state": "NY"})
    with pytest.raises(EInvoiceDataMissing, match="no Peppol electronic address"):
        render_ubl(us, GBP_LINES, [])
    # Factur-X (plain EN 16931) needs neither.
    assert embedded_xml(render_facturx(doc, GBP_LINES, [], render_invoice_pdf(doc, GBP_LINES, [])))


def test_rounding_conflict_is_refused_with_both_figures() -> None:
    lines = [line(f"Seat {i}", "1", "10.01", "0.2", i) for i in range(3)]  # 3 × 2.00 = 6.00; 30.03 × 20% = 6.01
    with pytest.raises(EInvoiceRoundingConflict) as caught:
        render_ubl(invoice(lines), lines, [])
    body = caught.value.body()["error"]
    assert body["type"] == "EInvoiceRoundingConflict"
    assert "6.00 GBP" in body["message"] and "6.01 GBP" in body["message"] and "BR-CO-17" in body["message"]
    with pytest.raises(EInvoiceRoundingConflict):
        render_facturx(invoice(lines), lines, [], b"")


def test_documents_en16931_cannot_express_are_refused() -> None:
    taxed = [line("Consulting", "1", "100", "0.2", 0, "EUR")]
    with pytest.raises(EInvoiceNotRepresentable, match="REVERSE_CHARGED"):
        render_ubl(reverse_charged_invoice(**totals(taxed, "EUR")), taxed, [])
    with pytest.raises(EInvoiceNotRepresentable, match="voided"):
        render_ubl(gbp_invoice(status="VOIDED"), GBP_LINES, [])
    with pytest.raises(EInvoiceNotRepresentable, match="sum of the lines"):
        render_ubl(gbp_invoice(grossTotal="1.00"), GBP_LINES, [])


def test_credit_note_zero_rate_needs_the_tax_status() -> None:
    lines = [line("Refund", "1", "50", "0", 0)]
    doc = credit_note(**totals(lines, "GBP"))
    with pytest.raises(EInvoiceDataMissing, match="customerTaxStatus"):
        render_ubl_credit_note(doc, lines, [])
    assert_valid(validate_ubl(render_ubl_credit_note({**doc, "customerTaxStatus": "TAXED"}, lines, [])))


def test_money_is_never_read_from_floats() -> None:
    lines = [{**GBP_LINES[0], "quantity": 1.0}]
    with pytest.raises(EInvoiceDataMissing, match=r"lines\[0\]\.quantity"):
        render_ubl(gbp_invoice(**totals(lines, "GBP")), lines, [])


@pytest.mark.parametrize(
    ("vat", "scheme", "value"),
    [("GB980780684", "9932", "GB980780684"), ("DE136695976", "9930", "DE136695976"), ("FR40303265045", "9957", "FR40303265045"),
     ("EL094259216", "9933", "094259216"), ("SE556036079301", "0007", "5560360793"), ("NO974760673MVA", "0192", "974760673"),
     ("AU51824753556", "0151", "51824753556")],
)
def test_peppol_endpoint_from_vat_identifier(vat: str, scheme: str, value: str) -> None:
    endpoint = peppol_endpoint(vat)
    assert endpoint is not None and (endpoint.scheme, endpoint.value) == (scheme, value)


# --- property: never an invalid document ----------------------------------------------------------

TAX_RATES = ("0", "0.055", "0.07", "0.1", "0.2", "0.21")


@st.composite
def documents(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    currency = draw(st.sampled_from(("GBP", "EUR", "JPY")))
    status = draw(st.sampled_from(("TAXED", "TAX_EXEMPT", "REVERSE_CHARGED")))
    count = draw(st.integers(1, 6))
    lines = []
    for i in range(count):
        quantity = draw(st.decimals(-5, 500, places=3, allow_nan=False, allow_infinity=False))
        rate = draw(st.decimals(-200, 2000, places=4, allow_nan=False, allow_infinity=False))
        tax_rate = "0" if status == "REVERSE_CHARGED" else draw(st.sampled_from(TAX_RATES))
        lines.append(line(f"Item {i}", str(quantity), str(rate), tax_rate, i, currency))
    parties = reverse_charged_invoice() if status == "REVERSE_CHARGED" else eur_invoice()
    doc = invoice(lines, currency, **{k: parties[k] for k in ("merchantDetails", "customerBillingAddress", "customerTaxId")},
                  customerTaxStatus=status)
    return doc, lines


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_any_invoice_is_either_valid_or_refused_with_a_reason(case: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    doc, lines = case
    try:
        xml = render_ubl(doc, lines, [])
    except EInvoiceRoundingConflict as conflict:
        assert "BR-CO-17" in conflict.message
        return
    assert_valid(validate_ubl(xml))
    assert xpath(xml, "/*/cac:TaxTotal/cbc:TaxAmount") == [doc["totalTax"]]  # the invoice's own tax, unchanged
    assert xpath(xml, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount") == [doc["grossTotal"]]
    assert_valid(validate_cii(render_cii(build_document(Kind.INVOICE, doc, lines, [], Profile.EN16931))))
