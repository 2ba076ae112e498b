"""Seller and buyer: addresses, VAT identifiers and Peppol electronic addresses. Pure.

- A tax id is written as a VAT identifier (BT-31 seller, BT-48 buyer). EN 16931 BR-CO-09 wants it
  prefixed with the issuing country; ids typed without one get the party's country (Greece: ``EL``).
- Peppol BIS 3.0 needs an electronic address for both parties (BT-34, BT-49; PEPPOL-EN16931-R010/R020),
  from the Peppol EAS code list (PEPPOL-EN16931-CL008). Quire stores no Peppol participant id, so the
  address is derived from the VAT identifier with the EAS scheme for that country's VAT numbers
  (``9932`` GB, ``9930`` DE, ``9957`` FR, …), or from the national registry number inside it where
  the list has no VAT scheme (SE ``0007``, NO ``0192``, AU ``0151``). Other countries have none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from babel import Locale
from stdnum.au import abn as au_abn
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from quire.einvoice.errors import Problem
from quire.einvoice.values import text

# Peppol EAS codes for VAT numbers, by VAT prefix (value: the VAT number with its prefix).
_EAS_VAT: dict[str, str] = {
    "AD": "9922", "AL": "9923", "AT": "9914", "BA": "9924", "BE": "9925", "BG": "9926", "CH": "9927",
    "CY": "9928", "CZ": "9929", "DE": "9930", "EE": "9931", "GB": "9932", "HR": "9934", "HU": "9910",
    "IE": "9935", "LI": "9936", "LT": "9937", "LU": "9938", "LV": "9939", "MC": "9940", "ME": "9941",
    "MK": "9942", "MT": "9943", "NL": "9944", "PL": "9945", "PT": "9946", "RO": "9947", "RS": "9948",
    "SI": "9949", "SK": "9950", "SM": "9951", "TR": "9952", "VA": "9953", "ES": "9920", "FR": "9957",
    "IT": "0211", "FI": "0213", "DK": "0198",
}
_GREEK_TIN = "9933"  # value: the 9-digit TIN without "EL" (Peppol GR-R-009/GR-R-010)
_SEPARATORS = re.compile(r"[\s.\-/]")


@dataclass(frozen=True)
class Address:
    line1: str
    line2: str | None
    town: str
    state: str | None
    postcode: str
    country: str


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    value: str


@dataclass(frozen=True)
class Party:
    name: str
    address: Address
    vat_id: str | None
    endpoint: Endpoint | None
    email: str | None = None
    phone: str | None = None


@cache
def _country_codes() -> frozenset[str]:
    codes = {str(code) for code in Locale("en").territories if len(str(code)) == 2 and str(code).isalpha()}
    return frozenset(codes | {"EL", "XI"})


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def read_address(raw: Any, where: str, problems: list[Problem]) -> Address | None:
    """The address at ``where``; line1, town, postcode and country are all required (BT-35..BT-40)."""
    a = _mapping(raw)
    parts = {name: text(a.get(name)) for name in ("line1", "line2", "town", "state", "postcode", "country")}
    missing = [name for name in ("line1", "town", "postcode", "country") if parts[name] is None]
    for name in missing:
        problems.append(Problem(f"{where}.{name}", "required in the postal address"))
    country = (parts["country"] or "").upper()
    if parts["country"] is not None and country not in _country_codes() - {"EL"}:
        problems.append(Problem(f"{where}.country", f"{parts['country']!r} is not an ISO 3166 country code"))
        return None
    if missing:
        return None
    return Address(
        line1=parts["line1"] or "", line2=parts["line2"], town=parts["town"] or "", state=parts["state"],
        postcode=parts["postcode"] or "", country=country,
    )


def vat_identifier(raw: Any, country: str) -> str | None:
    """``raw`` cleaned of spaces and punctuation, upper-cased, with a country prefix (BR-CO-09)."""
    value = text(raw)
    if value is None:
        return None
    cleaned = _SEPARATORS.sub("", value).upper()
    if not cleaned:
        return None
    if len(cleaned) > 2 and cleaned[:2] in _country_codes():
        return cleaned
    return ("EL" if country == "GR" else country) + cleaned


def peppol_endpoint(vat_id: str) -> Endpoint | None:
    """The Peppol electronic address derived from a prefixed VAT identifier, or None if there is none."""
    prefix, number = vat_id[:2], vat_id[2:]
    if prefix == "EL":
        return Endpoint(_GREEK_TIN, number) if re.fullmatch(r"[0-9]{9}", number) else None
    if prefix == "SE" and re.fullmatch(r"[0-9]{10}01", number) and se_orgnr.is_valid(number[:10]):
        return Endpoint("0007", number[:10])
    if prefix == "NO":
        digits = number.removesuffix("MVA")
        return Endpoint("0192", digits) if no_orgnr.is_valid(digits) else None
    if prefix == "AU":
        return Endpoint("0151", number) if au_abn.is_valid(number) else None
    scheme = _EAS_VAT.get(prefix)
    return Endpoint(scheme, vat_id) if scheme else None
