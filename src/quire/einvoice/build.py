"""From the API's JSON (the same dicts the PDF renderer takes) to a checked :class:`Document`. Pure.

Nothing is guessed: a value the norm needs and the document lacks is collected as a
:class:`Problem`, and all of them are raised together, so one 400 names every field to fix:

1. ``EInvoiceDataMissing`` — required data absent (number of a draft, seller VAT id, addresses, …);
2. ``EInvoiceNotRepresentable`` — data present that EN 16931 cannot carry as is;
3. ``EInvoiceRoundingConflict`` — per-line tax that breaks the per-rate formula (see ``tax``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from quire.core.money import CURRENCIES, format_amount, quantize
from quire.einvoice import tax
from quire.einvoice.errors import (
    EInvoiceDataMissing,
    EInvoiceNotRepresentable,
    EInvoiceRoundingConflict,
    Problem,
)
from quire.einvoice.model import Category, Document, Kind, Line, PaymentAccount, Period, Profile, TaxBreakdown
from quire.einvoice.parties import Endpoint, Party, peppol_endpoint, read_address, vat_identifier
from quire.einvoice.values import date, decimal, percent, plain, text

_NUMBER_FIELD = {Kind.INVOICE: "invoiceNumber", Kind.CREDIT_NOTE: "creditNoteNumber"}
_DRAFTS = frozenset({"DRAFT", "IN_PROGRESS"})
# PEPPOL-EN16931-R120 lets the line net differ from quantity × price by this much.
_PRICE_SLACK = Decimal("0.02")
_ZERO = Decimal(0)
_T = TypeVar("_T")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class _Builder:
    def __init__(self, kind: Kind, doc: Mapping[str, Any], profile: Profile) -> None:
        self.kind, self.doc, self.profile = kind, doc, profile
        self.missing: list[Problem] = []
        self.wrong: list[Problem] = []
        self.currency = (text(doc.get("currency")) or "").upper()
        self.tax_status = text(doc.get("customerTaxStatus"))

    def need(self, field: str, message: str) -> None:
        if Problem(field, message) not in self.missing:
            self.missing.append(Problem(field, message))

    def refuse(self, field: str, message: str) -> None:
        if Problem(field, message) not in self.wrong:
            self.wrong.append(Problem(field, message))

    def amount(self, value: Any, field: str) -> Decimal:
        """A money amount in the currency's minor units; a problem (and 0) otherwise."""
        parsed = decimal(value)
        if parsed is None:
            self.need(field, "a decimal amount string is required")
            return _ZERO
        if self.currency in CURRENCIES and quantize(parsed, self.currency) != parsed:
            self.refuse(field, f"{value} has more decimals than {self.currency} allows")
        return parsed

    # --- header -----------------------------------------------------------------------------------

    def number(self) -> str:
        field = _NUMBER_FIELD[self.kind]
        status = (text(self.doc.get("status")) or "").upper()
        number = text(self.doc.get(field))
        if status in _DRAFTS or number is None:
            self.need(field, "a draft has no number and cannot be e-invoiced: finalize it first (BT-1)")
        if status == "VOIDED":
            self.refuse("status", "a voided document is no longer a claim and cannot be e-invoiced")
        return number or ""

    def issue_date(self) -> dt.date | None:
        issued = date(self.doc.get("issueDate"))
        if issued is None:
            self.need("issueDate", "the issue date is required (BT-2)")
        return issued

    def due_date(self, amount_due: Decimal) -> dt.date | None:
        if self.kind is not Kind.INVOICE:
            return None
        due = date(self.doc.get("dueDate"))
        if due is None and amount_due > 0:
            self.need("dueDate", "an invoice with an amount due needs its due date (BT-9; BR-CO-25)")
        return due

    def header_checks(self) -> None:
        if self.currency not in CURRENCIES:
            self.need("currency", f"one of the supported ISO 4217 currency codes is required (BT-5), not {self.currency!r}")
        if self.profile is Profile.PEPPOL and not (self.buyer_reference() or text(self.doc.get("purchaseOrderNumber"))):
            field = "reference" if self.kind is Kind.INVOICE else "purchaseOrderNumber"
            self.need(field, "Peppol requires the buyer's reference (BT-10, `reference`) or its purchase order "
                             "number (BT-13, `purchaseOrderNumber`) (PEPPOL-EN16931-R003)")

    def buyer_reference(self) -> str | None:
        return text(self.doc.get("reference")) if self.kind is Kind.INVOICE else None

    def period(self) -> Period | None:
        raw = _mapping(self.doc.get("billingPeriod"))
        start = date(raw.get("start", self.doc.get("billingPeriodStart")))
        end = date(raw.get("endInclusive", raw.get("end", self.doc.get("billingPeriodEnd"))))
        return Period(start, end) if start is not None and end is not None and start <= end else None

    # --- parties ----------------------------------------------------------------------------------

    def seller(self) -> Party | None:
        m = _mapping(self.doc.get("merchantDetails"))
        if not m:
            self.need("merchantDetails", "the document has no merchant details (they are copied from the merchant "
                                         "settings when it is created), so it has no seller (BG-4)")
            return None
        name = text(m.get("legalCompanyName"))
        if name is None:
            self.need("merchantDetails.legalCompanyName", "the seller's legal name is required (BT-27)")
        address = read_address(m.get("address"), "merchantDetails.address", self.missing)
        country = address.country if address else ""
        vat = vat_identifier(m.get("taxId"), country)
        if vat is None:
            self.need("merchantDetails.taxId", "the seller's VAT identifier is required (BT-31; BR-CO-26, BR-S-02)")
        endpoint = self.endpoint(vat, "merchantDetails.taxId", "BT-34")
        if name is None or address is None or vat is None:
            return None
        return Party(name, address, vat, endpoint, text(m.get("email")), text(m.get("phoneNumber")))

    def buyer(self, needs_vat: bool) -> Party | None:
        name = text(self.doc.get("customerLegalCompanyName"))
        if name is None:
            self.need("customerLegalCompanyName", "the buyer's legal name is required (BT-44)")
        address = read_address(self.doc.get("customerBillingAddress"), "customerBillingAddress", self.missing)
        vat = vat_identifier(self.doc.get("customerTaxId"), address.country if address else "")
        if vat is None and needs_vat:
            self.need("customerTaxId", "a reverse-charged supply needs the buyer's VAT identifier (BT-48; BR-AE-02)")
        elif vat is None and self.profile is Profile.PEPPOL:
            self.need("customerTaxId", "Peppol needs the buyer's electronic address (BT-49; PEPPOL-EN16931-R010), "
                                       "which Quire derives from the buyer's VAT identifier")
        endpoint = self.endpoint(vat, "customerTaxId", "BT-49")
        if name is None or address is None:
            return None
        return Party(name, address, vat, endpoint)

    def endpoint(self, vat: str | None, field: str, term: str) -> Endpoint | None:
        """BT-34/BT-49 from the VAT identifier; Peppol cannot do without it, plain EN 16931 can."""
        if vat is None or not vat[:2].isalpha():
            return None  # no id, or no country to prefix it with (the address problem is already reported)
        found = peppol_endpoint(vat)
        if found is None and self.profile is Profile.PEPPOL:
            self.need(field, f"no Peppol electronic address ({term}) can be derived from {vat}: the Peppol EAS code "
                             f"list has no scheme for {vat[:2]} VAT numbers, or the number is not valid")
        return found

    # --- payment ----------------------------------------------------------------------------------

    def payment(self, number: str) -> PaymentAccount | None:
        """BG-16 for invoices paid by bank transfer: the merchant's IBAN, else its UK account."""
        options = self.doc.get("paymentOptions")
        if self.kind is not Kind.INVOICE or (isinstance(options, list) and "BANK_TRANSFER" not in options):
            return None
        m = _mapping(self.doc.get("merchantDetails"))
        iban = text(m.get("iban"))
        if iban is not None:
            return PaymentAccount("58" if self.currency == "EUR" else "30", iban.replace(" ", ""), None, number)
        uk = _mapping(m.get("ukAccountDetails"))
        account, sort_code = text(uk.get("accountNumber")), text(uk.get("sortCode"))
        if account is not None:
            return PaymentAccount("30", account, sort_code, number)
        return None


# --- lines ----------------------------------------------------------------------------------------


def _ordered(items: Any) -> list[Mapping[str, Any]]:
    rows = [item for item in items if isinstance(item, Mapping)] if isinstance(items, Sequence) else []
    return sorted(rows, key=lambda row: row["index"] if isinstance(row.get("index"), int) else 1 << 62)


def _price(quantity: Decimal, rate: Decimal, net: Decimal) -> tuple[Decimal, Decimal, Decimal | None]:
    """(BT-129, BT-146, BT-149): price never negative (BR-27), net = quantity × price / base (R120).

    A negative rate (a discount line) is written as a negative quantity at a positive price. When
    rounding the net moved it further than R120's slack from quantity × rate (possible in 0-decimal
    currencies), the price is stated per the whole quantity instead, which is exact.
    """
    q, p = (quantity, rate) if rate >= 0 else (-quantity, -rate)
    if abs(q * p - net) <= _PRICE_SLACK or q == 0:
        return q, p, None
    return q, abs(net), abs(q)


def _line_period(line: Mapping[str, Any]) -> Period | None:
    raw = _mapping(line.get("servicePeriod"))
    start = date(raw.get("startDate", line.get("serviceStartDate", line.get("servicePeriodStart"))))
    end = date(raw.get("endDate", line.get("serviceEndDate", line.get("servicePeriodEnd"))))
    return Period(start, end) if start is not None and end is not None and start <= end else None


def _line(b: _Builder, i: int, raw: Mapping[str, Any], groups: Mapping[str, str], period: Period | None) -> tuple[Line, tax.TaxedLine] | None:
    where = f"lines[{i}]"
    name = text(raw.get("title"))
    if name is None:
        b.need(f"{where}.title", "every line needs a title (BT-153)")
    values = {key: decimal(raw.get(key)) for key in ("quantity", "rate", "taxRate")}
    for key, value in values.items():
        if value is None:
            b.need(f"{where}.{key}", "a decimal string is required")
    net, line_tax = b.amount(raw.get("netTotal"), f"{where}.netTotal"), b.amount(raw.get("totalTax"), f"{where}.totalTax")
    quantity, rate, tax_rate = values["quantity"], values["rate"], values["taxRate"]
    if quantity is None or rate is None or tax_rate is None or name is None:
        return None
    if not 0 <= tax_rate <= 1:
        b.refuse(f"{where}.taxRate", f"{raw.get('taxRate')} is not a fraction between 0 and 1")
        return None
    category = tax.category_for(tax_rate, b.tax_status)
    if category is None:
        _no_category(b, where, tax_rate)
        return None
    if category is not Category.STANDARD and line_tax != 0:
        b.refuse(f"{where}.totalTax", f"a {category.value}-category line (0% rate) cannot carry tax")
    group = text(raw.get("groupId"))
    notes = [f"Group: {groups[group]}"] if group is not None and group in groups else []
    own = _line_period(raw)
    if own is not None and period is not None and not (period.start <= own.start and own.end <= period.end):
        notes.append(f"Service period {own.start.isoformat()} to {own.end.isoformat()}")  # PEPPOL-EN16931-R110/R111
        own = None
    qty, price, base = _price(quantity, rate, net)
    line = Line(str(i + 1), name, text(raw.get("description")), "; ".join(notes) or None, qty, price, base, net,
                category, percent(tax_rate), own)
    return line, tax.TaxedLine(where, category, tax_rate, net, line_tax)


def _no_category(b: _Builder, where: str, tax_rate: Decimal) -> None:
    if tax_rate > 0:
        b.refuse(f"{where}.taxRate", f"the line carries VAT at {plain(percent(tax_rate))}% but the customer's tax "
                                     "status is REVERSE_CHARGED: a reverse-charged supply carries no VAT (BR-AE-05)")
    elif b.tax_status is None:
        b.need("customerTaxStatus", "a 0% line is zero-rated (Z), exempt (E) or reverse-charged (AE) according to "
                                    "the customer's tax status, which the document does not carry (BT-151)")
    else:
        b.refuse("customerTaxStatus", f"{b.tax_status!r} is not TAXED, TAX_EXEMPT or REVERSE_CHARGED")


def _check_totals(b: _Builder, net: Decimal, tax_total: Decimal) -> None:
    for field, expected in (("netTotal", net), ("totalTax", tax_total), ("grossTotal", net + tax_total)):
        if b.doc.get(field) is None:
            continue
        stated = b.amount(b.doc.get(field), field)
        if stated != expected and b.currency in CURRENCIES:
            b.refuse(field, f"{format_amount(stated, b.currency)} does not equal the sum of the lines, "
                            f"{format_amount(expected, b.currency)}")


def _lines(b: _Builder, lines: Any, groups: Any, period: Period | None) -> list[tuple[Line, tax.TaxedLine]]:
    titles = {g["id"]: t for g in _ordered(groups) if isinstance(g.get("id"), str) and (t := text(g.get("title")))}
    built = [_line(b, i, raw, titles, period) for i, raw in enumerate(_ordered(lines))]
    if not built:
        b.need("lines", "an e-invoice needs at least one line item (BR-16)")
    return [pair for pair in built if pair is not None]


def _settle(b: _Builder, taxed: list[tax.TaxedLine]) -> tuple[TaxBreakdown, ...]:
    """Raise what was found, most fundamental first; else the VAT breakdown (which may still conflict)."""
    if b.missing:
        raise EInvoiceDataMissing("The e-invoice cannot be created; missing data", b.missing)
    if b.wrong:
        raise EInvoiceNotRepresentable("The e-invoice cannot express this document", b.wrong)
    breakdown, conflicts = tax.breakdown(taxed, b.currency)
    if conflicts:
        raise EInvoiceRoundingConflict("The e-invoice cannot carry this document's tax", conflicts)
    return breakdown


def _present(value: _T | None) -> _T:
    if value is None:  # pragma: no cover - every None was recorded as a problem and raised by _settle
        raise RuntimeError("e-invoice data was checked but is missing")
    return value


#: Line items or line item groups as the API serialises them.
Rows = Sequence[Mapping[str, Any]]


def build_document(kind: Kind, document: Mapping[str, Any], lines: Rows, groups: Rows, profile: Profile) -> Document:
    """The checked EN 16931 document, or the error that names every problem (see module docstring)."""
    b = _Builder(kind, _mapping(document), profile)
    number, issue_date = b.number(), b.issue_date()
    b.header_checks()
    period = b.period()
    pairs = _lines(b, lines, groups, period)
    seller = b.seller()
    buyer = b.buyer(needs_vat=any(t.category is Category.REVERSE_CHARGE for _, t in pairs))
    net = sum((t.net for _, t in pairs), _ZERO)
    tax_total = sum((t.tax for _, t in pairs), _ZERO)
    _check_totals(b, net, tax_total)
    due = b.due_date(net + tax_total)
    breakdown = _settle(b, [t for _, t in pairs])
    return Document(
        kind=kind, profile=profile, number=number, issue_date=_present(issue_date), due_date=due,
        currency=b.currency, note=text(b.doc.get("memo")), buyer_reference=b.buyer_reference(),
        order_reference=text(b.doc.get("purchaseOrderNumber")),
        preceding_invoice=text(b.doc.get("invoiceNumber")) if kind is Kind.CREDIT_NOTE else None,
        period=period, seller=_present(seller), buyer=_present(buyer),
        deliver_to=read_address(b.doc.get("customerShippingAddress"), "customerShippingAddress", []),
        payment=b.payment(number), lines=tuple(line for line, _ in pairs),
        breakdown=breakdown, line_total=net, tax_total=tax_total, gross_total=net + tax_total,
    )
