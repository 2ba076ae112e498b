"""The e-invoice as EN 16931 sees it, independent of syntax: UBL and CII are two spellings of this.

Built (and checked) by :mod:`quire.einvoice.build`; written by :mod:`quire.einvoice.ubl` and
:mod:`quire.einvoice.cii`. Amounts are ``Decimal`` already rounded to the currency's minor units.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from quire.einvoice.parties import Address, Party


class Kind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class Profile(StrEnum):
    """Which rules the document must satisfy on top of EN 16931."""

    PEPPOL = "peppol"  # Peppol BIS Billing 3.0 (UBL)
    EN16931 = "en16931"  # plain EN 16931 (Factur-X profile EN 16931, CII)


class Category(StrEnum):
    """UNTDID 5305 VAT category codes used by Quire (docs/einvoice.md)."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"


# UBL 2.1 / Peppol identifiers (BT-23, BT-24) and document type codes (BT-3, UNTDID 1001).
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
TYPE_CODES = {Kind.INVOICE: "380", Kind.CREDIT_NOTE: "381"}
UNIT_CODE = "C62"  # UN/ECE Recommendation 20 "one": Quire lines carry no unit of measure


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Line:
    number: str  # BT-126
    name: str  # BT-153
    description: str | None  # BT-154
    note: str | None  # BT-127
    quantity: Decimal  # BT-129 (negative for discount lines)
    price: Decimal  # BT-146, never negative (BR-27)
    base_quantity: Decimal | None  # BT-149
    net: Decimal  # BT-131
    category: Category  # BT-151
    percent: Decimal  # BT-152
    period: Period | None  # BG-26


@dataclass(frozen=True)
class TaxBreakdown:
    """One BG-23 entry: a (category, rate) pair."""

    category: Category
    percent: Decimal
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117
    exemption_code: str | None  # BT-121
    exemption_reason: str | None  # BT-120


@dataclass(frozen=True)
class PaymentAccount:
    """BG-16/BG-17: how the buyer pays by credit transfer."""

    means_code: str  # BT-81 (UNTDID 4461: 30 credit transfer, 58 SEPA credit transfer)
    account_id: str  # BT-84
    branch_id: str | None  # BT-86
    remittance: str  # BT-83


@dataclass(frozen=True)
class Document:
    kind: Kind
    profile: Profile
    number: str  # BT-1
    issue_date: dt.date  # BT-2
    due_date: dt.date | None  # BT-9
    currency: str  # BT-5
    note: str | None  # BT-22
    buyer_reference: str | None  # BT-10
    order_reference: str | None  # BT-13
    preceding_invoice: str | None  # BT-25
    period: Period | None  # BG-14
    seller: Party  # BG-4
    buyer: Party  # BG-7
    deliver_to: Address | None  # BG-15 (the customer's shipping address), with BT-70 = the buyer's name
    payment: PaymentAccount | None  # BG-16
    lines: tuple[Line, ...]  # BG-25
    breakdown: tuple[TaxBreakdown, ...]  # BG-23
    line_total: Decimal  # BT-106 = BT-109
    tax_total: Decimal  # BT-110
    gross_total: Decimal  # BT-112 = BT-115
