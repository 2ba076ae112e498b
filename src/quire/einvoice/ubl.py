"""UBL 2.1 Invoice and CreditNote per Peppol BIS Billing 3.0 (EN 16931), from the API's JSON.

``render_ubl`` and ``render_ubl_credit_note`` take the same camelCase dicts the PDF renderer takes
(``present.invoice``/``line``/``group`` dumped ``by_alias``) and return the XML bytes, or raise a
400 ``EInvoice*`` error that names what is missing (docs/einvoice.md). Element order follows the
UBL 2.1 schema, which is checked before the bytes are returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from lxml import etree

from quire.core.money import format_amount
from quire.einvoice.build import Rows, build_document
from quire.einvoice.model import (
    PEPPOL_CUSTOMIZATION,
    PEPPOL_PROFILE,
    TYPE_CODES,
    UNIT_CODE,
    Category,
    Document,
    Kind,
    Line,
    Period,
    Profile,
)
from quire.einvoice.parties import Address, Party
from quire.einvoice.values import plain
from quire.einvoice.writer import Writer, serialise

__all__ = ["render_ubl", "render_ubl_credit_note"]

_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_ROOTS = {
    Kind.INVOICE: ("Invoice", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "ubl-invoice"),
    Kind.CREDIT_NOTE: ("CreditNote", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2", "ubl-creditnote"),
}


class _Ubl:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        name, namespace, self.schema = _ROOTS[doc.kind]
        self.w = Writer({None: namespace, "cac": _CAC, "cbc": _CBC})
        self.root = self.w.root(name)
        self.is_invoice = doc.kind is Kind.INVOICE

    def money(self, parent: etree._Element, tag: str, amount: Any) -> None:
        self.w.add(parent, tag, format_amount(amount, self.doc.currency), currencyID=self.doc.currency)

    def render(self) -> bytes:
        d, w, r = self.doc, self.w, self.root
        w.add(r, "cbc:CustomizationID", PEPPOL_CUSTOMIZATION)
        w.add(r, "cbc:ProfileID", PEPPOL_PROFILE)
        w.add(r, "cbc:ID", d.number)
        w.add(r, "cbc:IssueDate", d.issue_date.isoformat())
        if self.is_invoice:
            w.opt(r, "cbc:DueDate", d.due_date.isoformat() if d.due_date else None)
        w.add(r, "cbc:InvoiceTypeCode" if self.is_invoice else "cbc:CreditNoteTypeCode", TYPE_CODES[d.kind])
        w.opt(r, "cbc:Note", d.note)
        w.add(r, "cbc:DocumentCurrencyCode", d.currency)
        w.opt(r, "cbc:BuyerReference", d.buyer_reference)
        self.period(r, d.period)
        if d.order_reference:
            w.add(w.add(r, "cac:OrderReference"), "cbc:ID", d.order_reference)
        if d.preceding_invoice:
            w.add(w.add(w.add(r, "cac:BillingReference"), "cac:InvoiceDocumentReference"), "cbc:ID", d.preceding_invoice)
        self.party(w.add(r, "cac:AccountingSupplierParty"), d.seller, seller=True)
        self.party(w.add(r, "cac:AccountingCustomerParty"), d.buyer, seller=False)
        self.delivery()
        self.payment_means()
        self.tax_total()
        self.totals()
        for line in d.lines:
            self.line(line)
        return serialise(r, self.schema)

    def period(self, parent: etree._Element, period: Period | None) -> None:
        if period is not None:
            element = self.w.add(parent, "cac:InvoicePeriod")
            self.w.add(element, "cbc:StartDate", period.start.isoformat())
            self.w.add(element, "cbc:EndDate", period.end.isoformat())

    def delivery(self) -> None:
        if self.doc.deliver_to is not None:
            delivery = self.w.add(self.root, "cac:Delivery")
            self.address(self.w.add(delivery, "cac:DeliveryLocation"), "cac:Address", self.doc.deliver_to)
            self.w.add(self.w.add(self.w.add(delivery, "cac:DeliveryParty"), "cac:PartyName"), "cbc:Name", self.doc.buyer.name)

    def address(self, parent: etree._Element, tag: str, a: Address) -> None:
        w = self.w
        address = w.add(parent, tag)
        w.add(address, "cbc:StreetName", a.line1)
        w.opt(address, "cbc:AdditionalStreetName", a.line2)
        w.add(address, "cbc:CityName", a.town)
        w.add(address, "cbc:PostalZone", a.postcode)
        w.opt(address, "cbc:CountrySubentity", a.state)
        w.add(w.add(address, "cac:Country"), "cbc:IdentificationCode", a.country)

    def party(self, parent: etree._Element, p: Party, *, seller: bool) -> None:
        w = self.w
        party = w.add(parent, "cac:Party")
        if p.endpoint is not None:
            w.add(party, "cbc:EndpointID", p.endpoint.value, schemeID=p.endpoint.scheme)
        w.add(w.add(party, "cac:PartyName"), "cbc:Name", p.name)
        self.address(party, "cac:PostalAddress", p.address)
        if p.vat_id is not None:
            scheme = w.add(party, "cac:PartyTaxScheme")
            w.add(scheme, "cbc:CompanyID", p.vat_id)
            w.add(w.add(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
        w.add(w.add(party, "cac:PartyLegalEntity"), "cbc:RegistrationName", p.name)
        if seller and (p.email or p.phone):
            contact = w.add(party, "cac:Contact")
            w.opt(contact, "cbc:Telephone", p.phone)
            w.opt(contact, "cbc:ElectronicMail", p.email)

    def payment_means(self) -> None:
        pay = self.doc.payment
        if pay is None:
            return
        w = self.w
        means = w.add(self.root, "cac:PaymentMeans")
        w.add(means, "cbc:PaymentMeansCode", pay.means_code)
        w.add(means, "cbc:PaymentID", pay.remittance)
        account = w.add(means, "cac:PayeeFinancialAccount")
        w.add(account, "cbc:ID", pay.account_id)
        if pay.branch_id:
            w.add(w.add(account, "cac:FinancialInstitutionBranch"), "cbc:ID", pay.branch_id)

    def tax_total(self) -> None:
        w = self.w
        total = w.add(self.root, "cac:TaxTotal")
        self.money(total, "cbc:TaxAmount", self.doc.tax_total)
        for entry in self.doc.breakdown:
            sub = w.add(total, "cac:TaxSubtotal")
            self.money(sub, "cbc:TaxableAmount", entry.taxable)
            self.money(sub, "cbc:TaxAmount", entry.tax)
            self.category(sub, "cac:TaxCategory", entry.category, entry.percent, entry.exemption_code, entry.exemption_reason)

    def category(
        self, parent: Any, tag: str, category: Category, percent: Decimal, code: str | None = None, reason: str | None = None
    ) -> None:
        """A VAT category: its code, rate and (on a breakdown) exemption reason."""
        w = self.w
        element = w.add(parent, tag)
        w.add(element, "cbc:ID", category.value)
        w.add(element, "cbc:Percent", plain(percent))
        w.opt(element, "cbc:TaxExemptionReasonCode", code)
        w.opt(element, "cbc:TaxExemptionReason", reason)
        w.add(w.add(element, "cac:TaxScheme"), "cbc:ID", "VAT")

    def totals(self) -> None:
        d = self.doc
        totals = self.w.add(self.root, "cac:LegalMonetaryTotal")
        self.money(totals, "cbc:LineExtensionAmount", d.line_total)
        self.money(totals, "cbc:TaxExclusiveAmount", d.line_total)
        self.money(totals, "cbc:TaxInclusiveAmount", d.gross_total)
        self.money(totals, "cbc:PayableAmount", d.gross_total)

    def line(self, line: Line) -> None:
        w = self.w
        element = w.add(self.root, "cac:InvoiceLine" if self.is_invoice else "cac:CreditNoteLine")
        w.add(element, "cbc:ID", line.number)
        w.opt(element, "cbc:Note", line.note)
        quantity_tag = "cbc:InvoicedQuantity" if self.is_invoice else "cbc:CreditedQuantity"
        w.add(element, quantity_tag, plain(line.quantity), unitCode=UNIT_CODE)
        self.money(element, "cbc:LineExtensionAmount", line.net)
        self.period(element, line.period)
        item = w.add(element, "cac:Item")
        w.opt(item, "cbc:Description", line.description)
        w.add(item, "cbc:Name", line.name)
        self.category(item, "cac:ClassifiedTaxCategory", line.category, line.percent)
        price = w.add(element, "cac:Price")
        w.add(price, "cbc:PriceAmount", plain(line.price), currencyID=self.doc.currency)
        if line.base_quantity is not None:
            w.add(price, "cbc:BaseQuantity", plain(line.base_quantity), unitCode=UNIT_CODE)


def render_ubl(invoice_json: Mapping[str, Any], lines_json: Rows, groups_json: Rows) -> bytes:
    """The finalized invoice as a Peppol BIS Billing 3.0 UBL ``Invoice`` (UTF-8 XML bytes)."""
    return _Ubl(build_document(Kind.INVOICE, invoice_json, lines_json, groups_json, Profile.PEPPOL)).render()


def render_ubl_credit_note(credit_note_json: Mapping[str, Any], lines_json: Rows, groups_json: Rows) -> bytes:
    """The finalized credit note as a Peppol BIS Billing 3.0 UBL ``CreditNote`` (UTF-8 XML bytes)."""
    return _Ubl(build_document(Kind.CREDIT_NOTE, credit_note_json, lines_json, groups_json, Profile.PEPPOL)).render()
