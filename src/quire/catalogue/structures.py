"""Pricing structures: the seven ``pricingType`` shapes as frozen values, parsed strictly from the wire.

Two wire flavours exist in the 2024-01-01 contract:

- ``PRICE``: the structures of ``/prices`` (``ONE_TIME``, ``FIXED``, ``LINEAR``, ... ``SEAT_BASED`` with
  ``seatTypeId``, ``includedSeats``, ``chargeMethod`` and four proration strategies);
- ``LIST_PRICE``: the structures of ``/list-prices`` (``*PricingStructure``: volume tiers may carry
  ``minPrice``/``maxPrice``; the seat structure is the newer one with ``seatMetricId``,
  ``contractedMinimumSeats`` and two proration strategies, and its tiers have no ``isPricePercentage``).

``parse_structure`` validates a client's JSON object and raises ``ValidationFailed`` naming the exact
field (``structure.tiers[1].upperBound``); ``to_wire`` renders the canonical form that is stored and
echoed (decimals without trailing zeros, absent optional fields omitted). Nothing here touches a
database or the clock; ``pricing.py`` consumes these values. Rules: docs/catalogue.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from quire.catalogue.enums import (
    BILLING_FREQUENCY,
    LIST_SEAT_PRORATION_STRATEGY,
    PRICING_TYPE,
    SEAT_CHARGE_METHOD,
    SEAT_PRORATION_STRATEGY,
    USAGE_CALCULATION_MODE,
)
from quire.core.errors import ValidationFailed
from quire.core.money import InvalidDecimal, decimal_str, parse_decimal

MAX_TIERS = 100
MAX_SEATS = 1_000_000_000
MAX_IDENT = 64


class Flavour(StrEnum):
    PRICE = "PRICE"
    LIST_PRICE = "LIST_PRICE"


@dataclass(frozen=True)
class Tier:
    """One band. Its lower bound is the previous tier's ``upper_bound`` (0 for the first), exclusive;
    ``upper_bound`` is inclusive and ``None`` only on the last, unbounded tier."""

    upper_bound: Decimal | None
    price: Decimal
    fee: Decimal | None = None
    is_percentage: bool = False
    min_price: Decimal | None = None  # list-price volume tiers only; stored and echoed, see docs/pricing.md
    max_price: Decimal | None = None


@dataclass(frozen=True)
class OneTime:
    pricing_type: ClassVar[str] = "ONE_TIME"
    price: Decimal


@dataclass(frozen=True)
class Fixed:
    pricing_type: ClassVar[str] = "FIXED"
    price: Decimal


@dataclass(frozen=True)
class Linear:
    pricing_type: ClassVar[str] = "LINEAR"
    price_per_unit: Decimal
    is_percentage: bool = False
    usage_metric_id: str = ""


@dataclass(frozen=True)
class Package:
    pricing_type: ClassVar[str] = "PACKAGE"
    package_size: Decimal
    price_per_package: Decimal
    usage_metric_id: str = ""


@dataclass(frozen=True)
class Volume:
    pricing_type: ClassVar[str] = "VOLUME"
    tiers: tuple[Tier, ...]
    usage_metric_id: str = ""


@dataclass(frozen=True)
class Graduated:
    pricing_type: ClassVar[str] = "GRADUATED"
    tiers: tuple[Tier, ...]
    usage_calculation_mode: str = "BILLING_PERIOD"
    usage_metric_id: str = ""


@dataclass(frozen=True)
class SeatBased:
    """Both seat flavours. A list price's ``contractedMinimumSeats`` is ``included_seats`` with the
    ``CHARGE_MINIMUM`` method (contracted seats are always billed); ``seat_ref`` is ``seatTypeId`` or
    ``seatMetricId``."""

    pricing_type: ClassVar[str] = "SEAT_BASED"
    price_per_seat: Decimal
    proration_strategy: str = "USE_MAXIMUM"
    included_seats: int = 0
    charge_method: str = "CHARGE_CONSUMED"
    tiers: tuple[Tier, ...] = ()
    overages_billing_frequency: str | None = None
    seat_ref: str = ""


Structure = OneTime | Fixed | Linear | Package | Volume | Graduated | SeatBased

#: Structures whose charge does not depend on usage: the only ones that may be billed IN_ADVANCE.
FIXED_FEE_TYPES = frozenset({"ONE_TIME", "FIXED", "SEAT_BASED"})


# --- strict field readers -------------------------------------------------------------------------


def invalid(field: str, message: str) -> ValidationFailed:
    """400 ``ValidationError`` on one field, shaped like the schema errors: "<field>: <message>"."""
    return ValidationFailed(f"{field}: {message}", fields=[{"field": field, "message": message}])


_fail = invalid


def _required(raw: dict[str, Any], key: str, path: str) -> Any:
    value = raw.get(key)
    if value is None:
        raise _fail(f"{path}.{key}", "is required")
    return value


def _decimal(raw: dict[str, Any], key: str, path: str, *, required: bool = True, positive: bool = False,
             whole: bool = False) -> Decimal | None:
    field = f"{path}.{key}"
    value = raw.get(key)
    if value is None:
        if required:
            raise _fail(field, "is required")
        return None
    try:
        parsed = parse_decimal(value, field=field, allow_negative=False)
    except InvalidDecimal as exc:
        raise ValidationFailed(str(exc), field=field) from None
    if positive and parsed <= 0:
        raise _fail(field, "must be greater than 0")
    if whole and parsed != parsed.to_integral_value():
        raise _fail(field, "must be a whole number")
    return parsed


def _bool(raw: dict[str, Any], key: str, path: str) -> bool:
    value = _required(raw, key, path)
    if not isinstance(value, bool):
        raise _fail(f"{path}.{key}", "must be true or false")
    return value


def _int(raw: dict[str, Any], key: str, path: str) -> int:
    value = _required(raw, key, path)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{path}.{key}", "must be a whole number (a JSON integer)")
    if not 0 <= value <= MAX_SEATS:
        raise _fail(f"{path}.{key}", f"must be between 0 and {MAX_SEATS}")
    return value


def _ident(raw: dict[str, Any], key: str, path: str) -> str:
    value = _required(raw, key, path)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_IDENT or not _storable(value):
        raise _fail(f"{path}.{key}", f"must be a non-blank id of at most {MAX_IDENT} characters")
    return value


def _storable(text: str) -> bool:
    """No U+0000 (PostgreSQL refuses it) and no lone surrogate (not encodable as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _enum(raw: dict[str, Any], key: str, path: str, allowed: tuple[str, ...], *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if value is None:
        raise _fail(f"{path}.{key}", "is required")
    if not isinstance(value, str) or value not in allowed:
        raise _fail(f"{path}.{key}", f"must be one of {', '.join(allowed)}")
    return value


# --- tiers ----------------------------------------------------------------------------------------


def _tier(raw: Any, path: str, *, percentage_field: bool, min_max: bool, whole_bounds: bool) -> Tier:
    if not isinstance(raw, dict):
        raise _fail(path, "must be an object")
    is_percentage = _bool(raw, "isPricePercentage", path) if percentage_field else False
    tier = Tier(
        upper_bound=_decimal(raw, "upperBound", path, required=False, positive=True, whole=whole_bounds),
        price=_decimal(raw, "price", path),  # type: ignore[arg-type]
        fee=_decimal(raw, "fee", path, required=False),
        is_percentage=is_percentage,
        min_price=_decimal(raw, "minPrice", path, required=False) if min_max else None,
        max_price=_decimal(raw, "maxPrice", path, required=False) if min_max else None,
    )
    if (tier.min_price is not None or tier.max_price is not None) and not is_percentage:
        raise _fail(f"{path}.{'minPrice' if tier.min_price is not None else 'maxPrice'}",
                    "applies only to percentage tiers (isPricePercentage true)")
    if tier.min_price is not None and tier.max_price is not None and tier.min_price > tier.max_price:
        raise _fail(f"{path}.minPrice", "must not be greater than maxPrice")
    return tier


def _tiers(raw: dict[str, Any], path: str, *, allow_empty: bool = False, percentage_field: bool = True,
           min_max: bool = False, whole_bounds: bool = False) -> tuple[Tier, ...]:
    """Contiguous tiers: upper bounds strictly ascending, only the last one unbounded (and it must be)."""
    field = f"{path}.tiers"
    items = _required(raw, "tiers", path)
    if not isinstance(items, list):
        raise _fail(field, "must be a list of tiers")
    if not items and not allow_empty:
        raise _fail(field, "must contain at least one tier")
    if len(items) > MAX_TIERS:
        raise _fail(field, f"must contain at most {MAX_TIERS} tiers")
    tiers = tuple(
        _tier(item, f"{field}[{i}]", percentage_field=percentage_field, min_max=min_max, whole_bounds=whole_bounds)
        for i, item in enumerate(items)
    )
    previous: Decimal | None = None
    for i, tier in enumerate(tiers):
        last = i == len(tiers) - 1
        if tier.upper_bound is None and not last:
            raise _fail(f"{field}[{i}].upperBound", "only the last tier may be unbounded")
        if tier.upper_bound is not None and last:
            raise _fail(f"{field}[{i}].upperBound", "the last tier must be unbounded (no upperBound)")
        if tier.upper_bound is not None and previous is not None and tier.upper_bound <= previous:
            raise _fail(f"{field}[{i}].upperBound", f"must be greater than the previous tier's upperBound ({decimal_str(previous)})")
        previous = tier.upper_bound
    if len({t.is_percentage for t in tiers}) > 1:
        raise _fail(f"{field}[0].isPricePercentage", "must be the same on every tier")
    return tiers


# --- structures -----------------------------------------------------------------------------------


def parse_structure(raw: Any, flavour: Flavour, path: str = "structure") -> Structure:
    """Validate a wire structure (``ValidationFailed`` names the field) and return its value."""
    if not isinstance(raw, dict):
        raise _fail(path, "must be an object")
    kind = _enum(raw, "pricingType", path, PRICING_TYPE)
    listing = flavour is Flavour.LIST_PRICE
    if kind == "ONE_TIME":
        return OneTime(price=_decimal(raw, "price", path))  # type: ignore[arg-type]
    if kind == "FIXED":
        return Fixed(price=_decimal(raw, "price", path))  # type: ignore[arg-type]
    if kind == "LINEAR":
        return Linear(
            price_per_unit=_decimal(raw, "pricePerUnit", path),  # type: ignore[arg-type]
            usage_metric_id=_ident(raw, "usageMetricId", path),
            is_percentage=_bool(raw, "isPricePercentage", path),
        )
    if kind == "PACKAGE":
        return Package(
            package_size=_decimal(raw, "packageSize", path, positive=True),  # type: ignore[arg-type]
            price_per_package=_decimal(raw, "pricePerPackage", path),  # type: ignore[arg-type]
            usage_metric_id=_ident(raw, "usageMetricId", path),
        )
    if kind == "VOLUME":
        return Volume(tiers=_tiers(raw, path, min_max=listing), usage_metric_id=_ident(raw, "usageMetricId", path))
    if kind == "GRADUATED":
        return Graduated(
            tiers=_tiers(raw, path),
            usage_metric_id=_ident(raw, "usageMetricId", path),
            usage_calculation_mode=_enum(raw, "usageCalculationMode", path, USAGE_CALCULATION_MODE),  # type: ignore[arg-type]
        )
    return _seat_based(raw, path, listing)


def _seat_based(raw: dict[str, Any], path: str, listing: bool) -> SeatBased:
    tiers = _tiers(raw, path, allow_empty=True, percentage_field=not listing, whole_bounds=True)
    if any(t.is_percentage for t in tiers):
        raise _fail(f"{path}.tiers[0].isPricePercentage", "seat tiers price seats, not amounts: must be false")
    common = {
        "price_per_seat": _decimal(raw, "pricePerSeat", path),
        "tiers": tiers,
        "overages_billing_frequency": _enum(raw, "overagesBillingFrequency", path, BILLING_FREQUENCY, required=False),
    }
    if listing:
        return SeatBased(
            seat_ref=_ident(raw, "seatMetricId", path),
            proration_strategy=_enum(raw, "prorationStrategy", path, LIST_SEAT_PRORATION_STRATEGY),  # type: ignore[arg-type]
            included_seats=_int(raw, "contractedMinimumSeats", path),
            charge_method="CHARGE_MINIMUM",
            **common,  # type: ignore[arg-type]
        )
    return SeatBased(
        seat_ref=_ident(raw, "seatTypeId", path),
        proration_strategy=_enum(raw, "prorationStrategy", path, SEAT_PRORATION_STRATEGY),  # type: ignore[arg-type]
        included_seats=_int(raw, "includedSeats", path),
        charge_method=_enum(raw, "chargeMethod", path, SEAT_CHARGE_METHOD),  # type: ignore[arg-type]
        **common,  # type: ignore[arg-type]
    )


# --- canonical wire form --------------------------------------------------------------------------


def _put(out: dict[str, Any], key: str, value: Decimal | None) -> None:
    if value is not None:
        out[key] = decimal_str(value)


def _tier_wire(tier: Tier, *, percentage_field: bool, min_max: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "upperBound", tier.upper_bound)
    out["price"] = decimal_str(tier.price)
    _put(out, "fee", tier.fee)
    if percentage_field:
        out["isPricePercentage"] = tier.is_percentage
    if min_max:
        _put(out, "maxPrice", tier.max_price)
        _put(out, "minPrice", tier.min_price)
    return out


def to_wire(structure: Structure, flavour: Flavour) -> dict[str, Any]:
    """The canonical JSON object (stored, echoed, and fed back to ``parse_structure``)."""
    listing = flavour is Flavour.LIST_PRICE
    out: dict[str, Any] = {"pricingType": structure.pricing_type}
    match structure:
        case OneTime() | Fixed():
            out["price"] = decimal_str(structure.price)
        case Linear():
            out |= {"pricePerUnit": decimal_str(structure.price_per_unit), "usageMetricId": structure.usage_metric_id,
                    "isPricePercentage": structure.is_percentage}
        case Package():
            out |= {"packageSize": decimal_str(structure.package_size),
                    "pricePerPackage": decimal_str(structure.price_per_package), "usageMetricId": structure.usage_metric_id}
        case Volume():
            out["tiers"] = [_tier_wire(t, percentage_field=True, min_max=listing) for t in structure.tiers]
            out["usageMetricId"] = structure.usage_metric_id
        case Graduated():
            out["tiers"] = [_tier_wire(t, percentage_field=True, min_max=False) for t in structure.tiers]
            out["usageMetricId"] = structure.usage_metric_id
            out["usageCalculationMode"] = structure.usage_calculation_mode
        case SeatBased():
            out[("seatMetricId" if listing else "seatTypeId")] = structure.seat_ref
            out["pricePerSeat"] = decimal_str(structure.price_per_seat)
            out["prorationStrategy"] = structure.proration_strategy
            if listing:
                out["contractedMinimumSeats"] = structure.included_seats
            else:
                out["includedSeats"] = structure.included_seats
                out["chargeMethod"] = structure.charge_method
            if structure.overages_billing_frequency is not None:
                out["overagesBillingFrequency"] = structure.overages_billing_frequency
            out["tiers"] = [_tier_wire(t, percentage_field=not listing, min_max=False) for t in structure.tiers]
    return out


# --- rules across the price's fields --------------------------------------------------------------


def check_price_rules(
    structure: Structure,
    *,
    billing_frequency: str,
    billing_type: str,
    has_calculation_period: bool,
) -> None:
    """Rules that need more than the structure (400 naming the field)."""
    if billing_type == "IN_ADVANCE" and structure.pricing_type not in FIXED_FEE_TYPES:
        raise _fail("billingType", f"IN_ADVANCE is only for fixed fees (ONE_TIME, FIXED, SEAT_BASED), "
                                   f"not {structure.pricing_type}: usage is billed in arrears")
    if isinstance(structure, Graduated) and structure.usage_calculation_mode == "PERIODIC" and not has_calculation_period:
        raise _fail("usageCalculationPeriod", "is required when usageCalculationMode is PERIODIC")
    # Overages may be billed more often (monthly overages of a yearly price) or less often (an annual
    # true-up of a monthly price, as in the contract's own example), but they recur.
    if isinstance(structure, SeatBased) and structure.overages_billing_frequency == "ONE_TIME":
        raise _fail("structure.overagesBillingFrequency", "must be a recurring frequency (MONTHLY, QUARTERLY or YEARLY)")
