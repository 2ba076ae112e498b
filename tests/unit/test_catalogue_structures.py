"""Pure tests of quire.catalogue.structures (strict parsing of the seven structures) and of the catalogue
enumerations against the contract they were copied from."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from quire.catalogue import enums
from quire.catalogue.structures import (
    Flavour,
    Graduated,
    SeatBased,
    Tier,
    check_price_rules,
    parse_structure,
    to_wire,
)
from quire.core.errors import ValidationFailed
from tests.contract import contract_path

CONTRACT = json.loads(contract_path().read_text())
SCHEMAS = CONTRACT["components"]["schemas"]


@pytest.mark.parametrize(
    ("const", "schemas"),
    [
        ("BILLING_FREQUENCY", ["BillingFrequency", "BillingFrequency1"]),
        ("BILLING_TYPE", ["BillingType"]),
        ("USAGE_CALCULATION_MODE", ["UsageCalculationMode"]),
        ("USAGE_CALCULATION_FREQUENCY", ["UsageCalculationFrequency", "UsageCalculationFrequency1"]),
        ("SEAT_PRORATION_STRATEGY", ["SeatProrationStrategy"]),
        ("LIST_SEAT_PRORATION_STRATEGY", ["SeatProrationStrategy1"]),
        ("SEAT_CHARGE_METHOD", ["SeatChargeMethod"]),
        ("PLAN_TYPE", ["PlanType"]),
        ("PLAN_STATUS", ["PlanStatus"]),
        ("PROPAGATION_MODE", ["PropagationMode"]),
    ],
)
def test_enums_are_the_contracts(const: str, schemas: list[str]) -> None:
    for name in schemas:
        assert getattr(enums, const) == tuple(SCHEMAS[name]["enum"]), name


def test_pricing_types_are_the_contracts_discriminator_values() -> None:
    branches = SCHEMAS["PriceResponseModel20240101"]["properties"]["structure"]["oneOf"]
    values = tuple(SCHEMAS[b["$ref"].split("/")[-1]]["properties"]["pricingType"]["enum"][0] for b in branches)
    assert values == enums.PRICING_TYPE


def _examples(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["value"] for e in operation["requestBody"]["content"]["application/json"]["examples"].values()]


def test_every_contract_example_parses_and_round_trips() -> None:
    list_examples = _examples(CONTRACT["paths"]["/list-prices"]["post"])
    assert {e["structure"]["pricingType"] for e in list_examples} == set(enums.PRICING_TYPE)
    for example in list_examples:
        parsed = parse_structure(example["structure"], Flavour.LIST_PRICE)
        assert parse_structure(to_wire(parsed, Flavour.LIST_PRICE), Flavour.LIST_PRICE) == parsed
    for example in _examples(CONTRACT["paths"]["/prices"]["post"]):
        parsed = parse_structure(example["structure"], Flavour.PRICE)
        assert to_wire(parsed, Flavour.PRICE) == example["structure"]


SEAT = {"pricingType": "SEAT_BASED", "seatTypeId": "s", "pricePerSeat": "10", "prorationStrategy": "USE_FIRST",
        "includedSeats": 5, "chargeMethod": "CHARGE_MINIMUM", "tiers": []}
TIERS = [{"upperBound": "100", "price": "1", "fee": "20", "isPricePercentage": False},
         {"price": "0.75", "isPricePercentage": False}]
VALID: dict[str, dict[str, Any]] = {
    "ONE_TIME": {"pricingType": "ONE_TIME", "price": "150.00"},
    "FIXED": {"pricingType": "FIXED", "price": "20"},
    "LINEAR": {"pricingType": "LINEAR", "pricePerUnit": "0.005", "usageMetricId": "m", "isPricePercentage": True},
    "PACKAGE": {"pricingType": "PACKAGE", "packageSize": "250", "pricePerPackage": "10", "usageMetricId": "m"},
    "VOLUME": {"pricingType": "VOLUME", "tiers": TIERS, "usageMetricId": "m"},
    "GRADUATED": {"pricingType": "GRADUATED", "tiers": TIERS, "usageMetricId": "m", "usageCalculationMode": "CUMULATIVE"},
    "SEAT_BASED": SEAT,
}


@pytest.mark.parametrize("kind", list(VALID))
def test_valid_structures(kind: str) -> None:
    parsed = parse_structure(VALID[kind], Flavour.PRICE)
    assert parsed.pricing_type == kind
    wire = to_wire(parsed, Flavour.PRICE)
    assert all(not isinstance(v, float) for v in wire.values())


def _with(kind: str, path: str, value: Any) -> dict[str, Any]:
    """A copy of VALID[kind] with ``path`` (dots and [i]) set to ``value`` (``...`` deletes it)."""
    raw = copy.deepcopy(VALID[kind])
    target: Any = raw
    parts = path.replace("[", ".").replace("]", "").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last: Any = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return raw


INVALID = [
    ("ONE_TIME", "price", ..., "structure.price"),
    ("ONE_TIME", "price", "-1", "structure.price"),
    ("FIXED", "price", "1e3", "structure.price"),
    ("FIXED", "price", 0.1, "structure.price"),
    ("FIXED", "pricingType", "FLAT", "structure.pricingType"),
    ("LINEAR", "isPricePercentage", ..., "structure.isPricePercentage"),
    ("LINEAR", "isPricePercentage", "yes", "structure.isPricePercentage"),
    ("LINEAR", "usageMetricId", "", "structure.usageMetricId"),
    ("LINEAR", "usageMetricId", "m\x00", "structure.usageMetricId"),
    ("LINEAR", "usageMetricId", "m\ud800", "structure.usageMetricId"),
    ("LINEAR", "usageMetricId", 7, "structure.usageMetricId"),
    ("LINEAR", "pricePerUnit", "0.00000000001", "structure.pricePerUnit"),
    ("PACKAGE", "packageSize", "0", "structure.packageSize"),
    ("PACKAGE", "pricePerPackage", ..., "structure.pricePerPackage"),
    ("VOLUME", "tiers", [], "structure.tiers"),
    ("VOLUME", "tiers", "x", "structure.tiers"),
    ("VOLUME", "tiers[0].upperBound", None, "structure.tiers[0].upperBound"),
    ("VOLUME", "tiers[1].upperBound", "200", "structure.tiers[1].upperBound"),
    ("VOLUME", "tiers[0].isPricePercentage", True, "structure.tiers[0].isPricePercentage"),
    ("VOLUME", "tiers[0].fee", "-5", "structure.tiers[0].fee"),
    ("VOLUME", "tiers[0]", "tier", "structure.tiers[0]"),
    ("GRADUATED", "usageCalculationMode", ..., "structure.usageCalculationMode"),
    ("GRADUATED", "usageCalculationMode", "MONTHLY", "structure.usageCalculationMode"),
    ("GRADUATED", "tiers[0].upperBound", "0", "structure.tiers[0].upperBound"),
    ("SEAT_BASED", "includedSeats", "5", "structure.includedSeats"),
    ("SEAT_BASED", "includedSeats", -1, "structure.includedSeats"),
    ("SEAT_BASED", "chargeMethod", ..., "structure.chargeMethod"),
    ("SEAT_BASED", "prorationStrategy", "PRORATE", "structure.prorationStrategy"),
    ("SEAT_BASED", "seatTypeId", ..., "structure.seatTypeId"),
    ("SEAT_BASED", "tiers", [{"upperBound": "1.5", "price": "1", "isPricePercentage": False},
                             {"price": "1", "isPricePercentage": False}], "structure.tiers[0].upperBound"),
    ("SEAT_BASED", "overagesBillingFrequency", "WEEKLY", "structure.overagesBillingFrequency"),
]


@pytest.mark.parametrize(("kind", "path", "value", "field"), INVALID, ids=[f"{k}-{p}-{v!r}" for k, p, v, _ in INVALID])
def test_invalid_structures_name_the_field(kind: str, path: str, value: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_structure(_with(kind, path, value), Flavour.PRICE)
    assert caught.value.status_code == 400
    assert caught.value.body()["error"]["fields"][0]["field"] == field


def test_tiers_must_ascend_and_only_the_last_is_unbounded() -> None:
    tiers = [{"upperBound": "100", "price": "1", "isPricePercentage": False},
             {"upperBound": "100", "price": "1", "isPricePercentage": False},
             {"price": "1", "isPricePercentage": False}]
    with pytest.raises(ValidationFailed, match="greater than the previous"):
        parse_structure({**VALID["VOLUME"], "tiers": tiers}, Flavour.PRICE)
    tiers[1]["upperBound"] = None
    with pytest.raises(ValidationFailed, match="only the last tier may be unbounded"):
        parse_structure({**VALID["VOLUME"], "tiers": tiers}, Flavour.PRICE)


def test_not_an_object() -> None:
    for raw in (None, [], "FIXED", 3):
        with pytest.raises(ValidationFailed):
            parse_structure(raw, Flavour.PRICE)


def test_list_price_flavour() -> None:
    seat = {"pricingType": "SEAT_BASED", "seatMetricId": "m", "pricePerSeat": "1", "prorationStrategy": "USE_FIRST",
            "contractedMinimumSeats": 3, "tiers": []}
    with pytest.raises(ValidationFailed, match="prorationStrategy"):  # 2024-01-01 list prices: 2 strategies only
        parse_structure(seat, Flavour.LIST_PRICE)
    parsed = parse_structure({**seat, "prorationStrategy": "PRORATE_INCREMENTS"}, Flavour.LIST_PRICE)
    assert isinstance(parsed, SeatBased) and parsed.included_seats == 3 and parsed.charge_method == "CHARGE_MINIMUM"
    volume = {"pricingType": "VOLUME", "usageMetricId": "m", "tiers": [
        {"price": "0.01", "isPricePercentage": True, "minPrice": "5", "maxPrice": "1"}]}
    with pytest.raises(ValidationFailed, match="minPrice"):
        parse_structure(volume, Flavour.LIST_PRICE)
    volume["tiers"][0]["isPricePercentage"] = False
    volume["tiers"][0]["maxPrice"] = "10"
    with pytest.raises(ValidationFailed, match="percentage"):
        parse_structure(volume, Flavour.LIST_PRICE)


def test_price_rules() -> None:
    graduated = Graduated((Tier(None, Decimal(1)),), usage_calculation_mode="PERIODIC")
    with pytest.raises(ValidationFailed, match="IN_ADVANCE"):
        check_price_rules(graduated, billing_frequency="MONTHLY", billing_type="IN_ADVANCE", has_calculation_period=True)
    with pytest.raises(ValidationFailed, match="usageCalculationPeriod"):
        check_price_rules(graduated, billing_frequency="MONTHLY", billing_type="IN_ARREARS", has_calculation_period=False)
    seats = SeatBased(Decimal(1), overages_billing_frequency="ONE_TIME")
    with pytest.raises(ValidationFailed, match="overagesBillingFrequency"):
        check_price_rules(seats, billing_frequency="MONTHLY", billing_type="IN_ADVANCE", has_calculation_period=False)
    for overages in ("MONTHLY", "YEARLY"):  # monthly overages of a yearly price; a yearly true-up of a monthly one
        check_price_rules(SeatBased(Decimal(1), overages_billing_frequency=overages), billing_frequency="QUARTERLY",
                          billing_type="IN_ADVANCE", has_calculation_period=False)
