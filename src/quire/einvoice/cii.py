"""UN/CEFACT Cross Industry Invoice (CII D16B) for Factur-X / ZUGFeRD, profile EN 16931.

Written from the same checked :class:`~quire.einvoice.model.Document` as the UBL file, so both
syntaxes say the same thing; validated against the Factur-X EN 16931 XML Schema before it is
returned. :mod:`quire.einvoice.facturx` embeds it into the PDF.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree

from quire.core.money import format_amount
from quire.einvoice.model import EN16931_GUIDELINE, TYPE_CODES, UNIT_CODE, Document, Line, Period
from quire.einvoice.parties import Address, Party
from quire.einvoice.values import plain
from quire.einvoice.writer import Writer, serialise

_NS: dict[str | None, str] = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}


class _Cii:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.w = Writer(_NS)
        self.root = self.w.root("rsm:CrossIndustryInvoice")

    def amount(self, parent: etree._Element, tag: str, value: Any, *, currency: bool = False) -> None:
        attrs = {"currencyID": self.doc.currency} if currency else {}
        self.w.add(parent, tag, format_amount(value, self.doc.currency), **attrs)

    def date(self, parent: etree._Element, tag: str, value: dt.date) -> None:
        self.w.add(self.w.add(parent, tag), "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")

    def render(self) -> bytes:
        d, w, r = self.doc, self.w, self.root
        w.add(w.add(w.add(r, "rsm:ExchangedDocumentContext"), "ram:GuidelineSpecifiedDocumentContextParameter"),
              "ram:ID", EN16931_GUIDELINE)
        header = w.add(r, "rsm:ExchangedDocument")
        w.add(header, "ram:ID", d.number)
        w.add(header, "ram:TypeCode", TYPE_CODES[d.kind])
        self.date(header, "ram:IssueDateTime", d.issue_date)
        if d.note:
            w.add(w.add(header, "ram:IncludedNote"), "ram:Content", d.note)
        transaction = w.add(r, "rsm:SupplyChainTradeTransaction")
        for line in d.lines:
            self.line(transaction, line)
        self.agreement(w.add(transaction, "ram:ApplicableHeaderTradeAgreement"))
        self.delivery(w.add(transaction, "ram:ApplicableHeaderTradeDelivery"))
        self.settlement(w.add(transaction, "ram:ApplicableHeaderTradeSettlement"))
        return serialise(r, "facturx-en16931")

    def line(self, parent: etree._Element, line: Line) -> None:
        w = self.w
        item = w.add(parent, "ram:IncludedSupplyChainTradeLineItem")
        document = w.add(item, "ram:AssociatedDocumentLineDocument")
        w.add(document, "ram:LineID", line.number)
        if line.note:
            w.add(w.add(document, "ram:IncludedNote"), "ram:Content", line.note)
        product = w.add(item, "ram:SpecifiedTradeProduct")
        w.add(product, "ram:Name", line.name)
        w.opt(product, "ram:Description", line.description)
        price = w.add(w.add(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        w.add(price, "ram:ChargeAmount", plain(line.price))
        if line.base_quantity is not None:
            w.add(price, "ram:BasisQuantity", plain(line.base_quantity), unitCode=UNIT_CODE)
        w.add(w.add(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", plain(line.quantity), unitCode=UNIT_CODE)
        settlement = w.add(item, "ram:SpecifiedLineTradeSettlement")
        tax = w.add(settlement, "ram:ApplicableTradeTax")
        w.add(tax, "ram:TypeCode", "VAT")
        w.add(tax, "ram:CategoryCode", line.category.value)
        w.add(tax, "ram:RateApplicablePercent", plain(line.percent))
        self.period(settlement, line.period)
        self.amount(w.add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount", line.net)

    def period(self, parent: etree._Element, period: Period | None) -> None:
        if period is not None:
            element = self.w.add(parent, "ram:BillingSpecifiedPeriod")
            self.date(element, "ram:StartDateTime", period.start)
            self.date(element, "ram:EndDateTime", period.end)

    def agreement(self, agreement: etree._Element) -> None:
        d, w = self.doc, self.w
        w.opt(agreement, "ram:BuyerReference", d.buyer_reference)
        self.party(w.add(agreement, "ram:SellerTradeParty"), d.seller, seller=True)
        self.party(w.add(agreement, "ram:BuyerTradeParty"), d.buyer, seller=False)
        if d.order_reference:
            w.add(w.add(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", d.order_reference)

    def delivery(self, delivery: etree._Element) -> None:
        if self.doc.deliver_to is not None:
            party = self.w.add(delivery, "ram:ShipToTradeParty")
            self.w.add(party, "ram:Name", self.doc.buyer.name)
            self.address(party, self.doc.deliver_to)

    def address(self, parent: etree._Element, a: Address) -> None:
        w = self.w
        address = w.add(parent, "ram:PostalTradeAddress")
        w.add(address, "ram:PostcodeCode", a.postcode)
        w.add(address, "ram:LineOne", a.line1)
        w.opt(address, "ram:LineTwo", a.line2)
        w.add(address, "ram:CityName", a.town)
        w.add(address, "ram:CountryID", a.country)
        w.opt(address, "ram:CountrySubDivisionName", a.state)

    def party(self, element: etree._Element, p: Party, *, seller: bool) -> None:
        w = self.w
        w.add(element, "ram:Name", p.name)
        if seller and (p.email or p.phone):
            contact = w.add(element, "ram:DefinedTradeContact")
            if p.phone:
                w.add(w.add(contact, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", p.phone)
            if p.email:
                w.add(w.add(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", p.email)
        self.address(element, p.address)
        if p.endpoint is not None:
            w.add(w.add(element, "ram:URIUniversalCommunication"), "ram:URIID", p.endpoint.value, schemeID=p.endpoint.scheme)
        if p.vat_id is not None:
            w.add(w.add(element, "ram:SpecifiedTaxRegistration"), "ram:ID", p.vat_id, schemeID="VA")

    def settlement(self, settlement: etree._Element) -> None:
        d, w = self.doc, self.w
        if d.payment is not None:
            w.add(settlement, "ram:PaymentReference", d.payment.remittance)
        w.add(settlement, "ram:InvoiceCurrencyCode", d.currency)
        self.payment_means(settlement)
        for entry in d.breakdown:
            tax = w.add(settlement, "ram:ApplicableTradeTax")
            self.amount(tax, "ram:CalculatedAmount", entry.tax)
            w.add(tax, "ram:TypeCode", "VAT")
            w.opt(tax, "ram:ExemptionReason", entry.exemption_reason)
            self.amount(tax, "ram:BasisAmount", entry.taxable)
            w.add(tax, "ram:CategoryCode", entry.category.value)
            w.opt(tax, "ram:ExemptionReasonCode", entry.exemption_code)
            w.add(tax, "ram:RateApplicablePercent", plain(entry.percent))
        self.period(settlement, d.period)
        if d.due_date is not None:
            self.date(w.add(settlement, "ram:SpecifiedTradePaymentTerms"), "ram:DueDateDateTime", d.due_date)
        totals = w.add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
        self.amount(totals, "ram:LineTotalAmount", d.line_total)
        self.amount(totals, "ram:TaxBasisTotalAmount", d.line_total)
        self.amount(totals, "ram:TaxTotalAmount", d.tax_total, currency=True)
        self.amount(totals, "ram:GrandTotalAmount", d.gross_total)
        self.amount(totals, "ram:DuePayableAmount", d.gross_total)
        if d.preceding_invoice:
            w.add(w.add(settlement, "ram:InvoiceReferencedDocument"), "ram:IssuerAssignedID", d.preceding_invoice)

    def payment_means(self, settlement: etree._Element) -> None:
        pay, w = self.doc.payment, self.w
        if pay is None:
            return
        means = w.add(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        w.add(means, "ram:TypeCode", pay.means_code)
        account = w.add(means, "ram:PayeePartyCreditorFinancialAccount")
        w.add(account, "ram:IBANID" if pay.means_code == "58" or pay.account_id[:2].isalpha() else "ram:ProprietaryID",
              pay.account_id)
        if pay.branch_id:
            w.add(w.add(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", pay.branch_id)


def render_cii(doc: Document) -> bytes:
    """The document as Factur-X EN 16931 CII XML (UTF-8 bytes)."""
    return _Cii(doc).render()
