"""How documents print values: money, numbers, percentages and dates (Babel, ``en_GB``), addresses and
payment details. Shared by the PDF (``quire.invoices.pdf``), the hosted invoice page and the emails.

Everything here takes the API's own JSON values (money as decimal strings, ISO dates) and never
raises on odd input: what cannot be read is printed as given.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, format_currency, format_decimal, parse_pattern

from quire.core import money

__all__ = [
    "LOCALE",
    "address_lines",
    "bank_sections",
    "date_range",
    "format_date",
    "format_money",
    "format_number",
    "format_percent",
]

LOCALE = "en_GB"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def text(value: Any) -> str:
    """``value`` as stripped text; ``None`` → ``""``."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(value) if isinstance(value, (Decimal, int, str)) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return result if result.is_finite() else None


def format_money(value: Any, currency: str, *, exact: bool = False) -> str:
    """``"1440.6"``, ``"GBP"`` → ``"£1,440.60"``; ``exact`` keeps sub-minor digits (unit prices).

    Decimals follow ISO 4217 (``money.minor_units``), as the amounts themselves do, not CLDR's display
    digits (CLDR 48 shows COP without decimals while its invoices carry cents); rounding is Quire's own
    half-up. Currencies outside the contract are printed with CLDR's digits.
    """
    amount = decimal(value)
    if amount is None:
        return text(value)
    code = currency.strip().upper() if isinstance(currency, str) else ""
    try:
        if not code:
            return format_decimal(amount, locale=_locale(), decimal_quantization=False)
        if code not in money.CURRENCIES:
            return format_currency(amount, code, locale=_locale(), decimal_quantization=not exact)
        if not exact:
            amount = money.quantize(amount, code)
        return _currency_pattern(money.minor_units(code)).apply(
            amount, _locale(), currency=code, currency_digits=False, decimal_quantization=False
        )
    except (ArithmeticError, ValueError, TypeError, LookupError):
        return f"{code} {amount}".strip()


@functools.cache
def _locale() -> Locale:
    return Locale.parse(LOCALE)


@functools.cache
def _currency_pattern(places: int) -> NumberPattern:
    """The locale's currency pattern with exactly ``places`` decimals (at least, when ``exact``)."""
    pattern = parse_pattern(_locale().currency_formats["standard"].pattern)
    pattern.frac_prec = (places, places)
    return pattern


def format_number(value: Any) -> str:
    """Quantities: ``"1200.5"`` → ``"1,200.5"``, every digit kept."""
    number = decimal(value)
    if number is None:
        return text(value)
    try:
        return format_decimal(number, locale=_locale(), decimal_quantization=False)
    except (ArithmeticError, ValueError, TypeError, LookupError):
        return str(number)


def format_percent(fraction: Any) -> str:
    """``"0.2"`` → ``"20%"``, ``"0.125"`` → ``"12.5%"``."""
    number = decimal(fraction)
    if number is None:
        return text(fraction)
    return f"{format_number(number * 100)}%"


def format_date(value: Any) -> str:
    """ISO ``"2026-11-24"`` (or a timestamp starting so) → ``"24 Nov 2026"``; anything else as is."""
    value_text = text(value)
    try:
        day = dt.date.fromisoformat(value_text[:10])
    except ValueError:
        return value_text
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def date_range(start: Any, end: Any) -> str:
    """``"1 Oct 2026 – 31 Oct 2026"``; one date when both are the same day or one is missing."""
    first, last = format_date(start), format_date(end)
    if first and last:
        return first if first == last else f"{first} – {last}"
    return first or last


@functools.lru_cache(maxsize=1)
def _territories() -> Mapping[str, str]:
    try:
        return _locale().territories
    except Exception:  # noqa: BLE001 - a missing locale only costs country names
        return {}


def address_lines(address: Any) -> list[str]:
    """An address as documents print it: street lines, town/state/postcode, country name."""
    a = mapping(address)
    town_state = ", ".join(part for part in (text(a.get("town")), text(a.get("state"))) if part)
    locality = " ".join(part for part in (town_state, text(a.get("postcode"))) if part)
    country = text(a.get("country"))
    country_name = _territories().get(country.upper(), country) if country else ""
    return [line for line in (text(a.get("line1")), text(a.get("line2")), locality, country_name) if line]


def ordered(items: Any) -> list[Mapping[str, Any]]:
    """The dicts of ``items`` by their ``index`` (then their given order); anything else is dropped."""
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes, Mapping)):
        return []
    rows = [item for item in items if isinstance(item, Mapping)]

    def key(pair: tuple[int, Mapping[str, Any]]) -> tuple[int, int, int]:
        index = pair[1].get("index")
        if isinstance(index, int) and not isinstance(index, bool):
            return (0, index, pair[0])
        return (1, 0, pair[0])

    return [row for _, row in sorted(enumerate(rows), key=key)]


#: The bank-detail blocks of ``merchantDetails``: (key, section title, (label, field) rows); a field that
#: is an address is printed on one line.
_BANK_BLOCKS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("usAchDetails", "US ACH", (
        ("Account name", "accountName"), ("Bank", "bankName"), ("Routing number", "bankRoutingNumber"),
        ("Account number", "accountNumber"),
    )),
    ("usWireDetails", "US wire", (
        ("Account name", "accountName"), ("Bank", "bankName"), ("Bank address", "bankAddress"),
        ("Routing number", "bankRoutingNumber"), ("Account number", "accountNumber"), ("SWIFT/BIC", "swiftCode"),
    )),
    ("caBankAccountDetails", "Canadian bank transfer", (
        ("Institution number", "institutionNumber"), ("Transit number", "transitNumber"), ("Account number", "accountNumber"),
    )),
    ("canadianInternationalDestination", "International transfer (Canada)", (
        ("Account name", "legalName"), ("Bank", "bankName"), ("Bank address", "bankAddress"),
        ("Institution number", "institutionNumber"), ("Transit number", "transitNumber"),
        ("Account number", "accountNumber"), ("SWIFT/BIC", "swiftCode"),
        ("Intermediary bank", "intermediaryBank.bankName"), ("Intermediary address", "intermediaryBank.bankAddress"),
        ("Intermediary SWIFT", "intermediaryBank.swiftCode"), ("Intermediary routing", "intermediaryBank.routingNumber"),
    )),
    ("australianDestination", "Australian bank transfer", (
        ("Account name", "legalName"), ("BSB", "bsb"), ("Account number", "accountNumber"), ("SWIFT/BIC", "swiftCode"),
    )),
)


def _field(block: Mapping[str, Any], path: str) -> Any:
    """``block[path]`` (``"a.b"`` reads a nested object); an address as one line."""
    head, _, rest = path.partition(".")
    if rest:
        return _field(mapping(block.get(head)), rest)
    value = block.get(head)
    return ", ".join(address_lines(value)) if head.endswith("Address") else value


def bank_sections(merchant_details: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """The payment-details sections (title, label/value rows) printed for ``merchantDetails``; the
    PDF and the hosted invoice page show the same."""
    m = mapping(merchant_details)
    sections: list[tuple[str, list[tuple[str, str]]]] = []

    def add(title: str, rows: list[tuple[str, Any]]) -> None:
        kept = [(label, text(value)) for label, value in rows if text(value)]
        if kept:
            sections.append((title, kept))

    iban = re.sub(r"\s+", "", text(m.get("iban")))
    add("", [("IBAN", " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)))])
    uk = mapping(m.get("ukAccountDetails"))
    sort_code = text(uk.get("sortCode"))
    if re.fullmatch(r"\d{6}", sort_code):
        sort_code = f"{sort_code[:2]}-{sort_code[2:4]}-{sort_code[4:]}"
    add("UK bank transfer", [("Sort code", sort_code), ("Account number", uk.get("accountNumber"))])
    for key, title, fields in _BANK_BLOCKS:
        block = mapping(m.get(key))
        add(title, [(label, _field(block, path)) for label, path in fields])
    if sections:
        header: list[tuple[str, Any]] = [("Beneficiary", m.get("legalCompanyName"))]
        if m.get("includeBeneficiaryAddressInPaymentDetails") is True:
            header.append(("Beneficiary address", ", ".join(address_lines(m.get("address")))))
        kept = [(label, text(value)) for label, value in header if text(value)]
        if kept:
            if sections[0][0] == "":
                sections[0] = ("", kept + sections[0][1])
            else:
                sections.insert(0, ("", kept))
    return sections
