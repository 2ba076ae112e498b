"""Catalogue enumerations of the 2024-01-01 contract.

Kept here rather than in ``quire.core.contract_enums`` so the catalogue does not regenerate a file that
other domains regenerate too; ``tests/unit/test_catalogue_structures.py`` checks every tuple against the
contract, so the contract stays the only source.
"""

from __future__ import annotations

#: Contract ``BillingFrequency`` (also ``BillingFrequency1``).
BILLING_FREQUENCY: tuple[str, ...] = ("ONE_TIME", "MONTHLY", "QUARTERLY", "YEARLY")
#: Contract ``BillingType``.
BILLING_TYPE: tuple[str, ...] = ("IN_ARREARS", "IN_ADVANCE")
#: Contract ``UsageCalculationMode``.
USAGE_CALCULATION_MODE: tuple[str, ...] = ("BILLING_PERIOD", "CUMULATIVE", "PERIODIC")
#: Contract ``UsageCalculationFrequency`` (also ``UsageCalculationFrequency1``).
USAGE_CALCULATION_FREQUENCY: tuple[str, ...] = ("MONTHLY", "QUARTERLY", "YEARLY")
#: Contract ``SeatProrationStrategy`` (price variants, 2024-01-01 seat structure).
SEAT_PRORATION_STRATEGY: tuple[str, ...] = ("USE_FIRST", "USE_MAXIMUM", "PRORATE_INCREMENTS", "PRORATE_ALL_CHANGES")
#: Contract ``SeatProrationStrategy1`` (list prices, the newer seat structure).
LIST_SEAT_PRORATION_STRATEGY: tuple[str, ...] = ("USE_MAXIMUM", "PRORATE_INCREMENTS")
#: Contract ``SeatChargeMethod``.
SEAT_CHARGE_METHOD: tuple[str, ...] = ("CHARGE_FIXED", "CHARGE_OVERAGES", "CHARGE_CONSUMED", "CHARGE_MINIMUM")
#: Contract ``PlanType``.
PLAN_TYPE: tuple[str, ...] = ("CUSTOM", "REUSABLE")
#: Contract ``PlanStatus``.
PLAN_STATUS: tuple[str, ...] = ("DRAFT", "LIVE", "RETIRED")
#: Contract ``PropagationMode`` (``versionChangeBehaviour``).
PROPAGATION_MODE: tuple[str, ...] = ("NEVER", "IMMEDIATE", "NEXT_BILLING_DATE")
#: The ``pricingType`` discriminator values (the seven structures).
PRICING_TYPE: tuple[str, ...] = ("ONE_TIME", "FIXED", "LINEAR", "PACKAGE", "VOLUME", "GRADUATED", "SEAT_BASED")

#: Months in one period of each recurring frequency (ONE_TIME has none).
FREQUENCY_MONTHS: dict[str, int] = {"MONTHLY": 1, "QUARTERLY": 3, "YEARLY": 12}
