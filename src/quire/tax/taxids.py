"""Tax identifier shape checks per country, delegated to python-stdnum. Pure: text in, text out.

Which countries are checked, and how (docs/tax.md):
- GB: a UK VAT number (``stdnum.gb.vat``: 9 or 12 digits with the HMRC check digits, or GD/HA numbers);
- the 27 EU member states: an EU VAT number (``stdnum.eu.vat`` → the national module's own rules and
  check digits); the country prefix may be omitted (it is added), Greece uses ``EL``;
- AU: an Australian Business Number (``stdnum.au.abn``: 11 digits, modulus-89 check).
Other countries are stored as sent (trimmed): no library we trust knows all their formats.

Only the shape is checked (length, characters, check digits), never whether the number is registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from stdnum import exceptions as stdnum_errors
from stdnum.au import abn as au_abn
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.util import clean

#: EU member states and the prefix of their VAT numbers (Greece: EL).
EU_VAT_PREFIXES: dict[str, str] = {
    cc: ("EL" if cc == "GR" else cc)
    for cc in ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
               "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
}

_REASONS: dict[type[Exception], str] = {
    stdnum_errors.InvalidChecksum: "its check digits do not match",
    stdnum_errors.InvalidLength: "it has the wrong length",
    stdnum_errors.InvalidFormat: "it has the wrong format",
    stdnum_errors.InvalidComponent: "a part of it (such as the country prefix) is not valid",
}


class InvalidTaxId(ValueError):
    """The identifier does not have the shape of the country's tax number; ``str()`` says why."""


@dataclass(frozen=True)
class Scheme:
    label: str
    expected: str


def scheme_for(country: str) -> Scheme | None:
    """What Quire checks for a registration in ``country``, or None when it stores ids as sent."""
    if country == "GB":
        return Scheme("GB VAT number", "GB followed by 9 or 12 digits, e.g. GB980780684")
    if country == "AU":
        return Scheme("Australian Business Number (ABN)", "11 digits, e.g. 53 004 085 616")
    if country in EU_VAT_PREFIXES:
        prefix = EU_VAT_PREFIXES[country]
        return Scheme(f"{country} VAT number", f"{prefix} followed by the national VAT number")
    return None


def normalise_tax_id(country: str, value: str) -> str:
    """The identifier in its compact canonical form (``"GB 980 7806 84"`` → ``"GB980780684"``).

    Raises ``InvalidTaxId`` with a reason when the country's format is known and ``value`` does not fit it.
    """
    text = value.strip()
    if not text:
        raise InvalidTaxId("must not be blank")
    scheme = scheme_for(country)
    if scheme is None:
        return text
    try:
        return _validate(country, text)
    except InvalidTaxId:
        raise
    except stdnum_errors.ValidationError as exc:
        reason = next((r for kind, r in _REASONS.items() if isinstance(exc, kind)), "it is not valid")
        raise InvalidTaxId(f"{text!r} is not a valid {scheme.label}: {reason}; expected {scheme.expected}") from None
    except Exception:  # noqa: BLE001 - odd input must never become a 500
        raise InvalidTaxId(f"{text!r} is not a valid {scheme.label}; expected {scheme.expected}") from None


def _validate(country: str, text: str) -> str:
    if country == "GB":
        return "GB" + str(gb_vat.validate(text))
    if country == "AU":
        return str(au_abn.validate(text))
    prefix = EU_VAT_PREFIXES[country]
    compact = clean(text, " -./,").upper()
    if country == "GR" and compact.startswith("GR"):
        compact = "EL" + compact[2:]
    if not compact.startswith(prefix):
        other = compact[:2]
        if other in EU_VAT_PREFIXES.values() and eu_vat.is_valid(compact):
            raise InvalidTaxId(
                f"{text!r} is a VAT number of {other}, but the registration's country is {country}"
            )
        compact = prefix + compact
    return str(eu_vat.validate(compact))
