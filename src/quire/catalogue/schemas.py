"""Wire shapes of the Products, Prices, List Prices and Plans operations, version 2024-01-01.

``structure`` arrives as a JSON object and is validated by ``structures.parse_structure`` (which names
the failing field precisely); everything else is validated here. Rules: docs/catalogue.md.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from quire.catalogue.enums import (
    BILLING_FREQUENCY,
    BILLING_TYPE,
    PLAN_STATUS,
    PLAN_TYPE,
    PROPAGATION_MODE,
    USAGE_CALCULATION_FREQUENCY,
)
from quire.core.money import InvalidDecimal, parse_decimal
from quire.core.pages import ListPage
from quire.core.schemas import (
    AccountObject,
    ApiModel,
    CurrencyCode,
    IntegrationService,
    IsoDate,
    NoNul,
    RequestModel,
    RequiredText,
    ShortText,
    Timestamp,
)

BillingFrequency = Literal[BILLING_FREQUENCY]  # type: ignore[valid-type]
BillingType = Literal[BILLING_TYPE]  # type: ignore[valid-type]
PlanType = Literal[PLAN_TYPE]  # type: ignore[valid-type]
PlanStatus = Literal[PLAN_STATUS]  # type: ignore[valid-type]
PropagationMode = Literal[PROPAGATION_MODE]  # type: ignore[valid-type]
UsageCalculationFrequency = Literal[USAGE_CALCULATION_FREQUENCY]  # type: ignore[valid-type]


Ident = Annotated[str, Field(min_length=1, max_length=64), NoNul]
Name = Annotated[RequiredText, NoNul]
Label = Annotated[ShortText, NoNul]
ParamText = Annotated[str, Field(max_length=255), NoNul]
ExternalValue = Annotated[str, Field(min_length=1, max_length=255), NoNul]
#: Query filters: free text without NUL (a LIKE on PostgreSQL would fail on it).
FILTER_PATTERN = r"^[^\x00]*$"

MAX_PLAN_PRICES = 100
MAX_ELIGIBLE_CUSTOMERS = 100


def _amount(value: Any) -> Decimal:
    try:
        return parse_decimal(value, field="minimum", allow_negative=False)
    except InvalidDecimal as exc:
        raise ValueError(str(exc)) from None


Minimum = Annotated[Decimal, BeforeValidator(_amount)]


class PriceParameter(ApiModel):
    parameter_id: Ident
    value: ParamText


class IntegrationId(ApiModel):
    service: IntegrationService
    id: ExternalValue


class IntegrationExternalIdentifier(ApiModel):
    """``IntegrationExternalIdentifier1`` of the contract (price ``externalIds``)."""

    key: IntegrationService
    value: ExternalValue


class UsageCalculationPeriod(ApiModel):
    frequency: UsageCalculationFrequency
    interval: Annotated[int, Field(ge=1, le=120, strict=True)]


# --- products -------------------------------------------------------------------------------------


class ProductCreate(RequestModel):
    name: Name
    label: Label | None = None


class ProductUpdate(RequestModel):
    """PUT: ``name`` replaces; ``label`` replaces when sent and is kept when left out."""

    name: Name
    label: Label | None = None


class ProductRead(ApiModel):
    id: str
    name: str
    label: str
    sequence_account_id: str
    created_at: Timestamp
    updated_at: Timestamp


class ProductPage(ListPage[ProductRead]):
    pass


# --- prices (variants) ----------------------------------------------------------------------------


class PricingWrite(RequestModel):
    """What a new price and a list price are both sent with (their other fields differ)."""

    product_id: Ident
    name: Name
    currency: CurrencyCode
    structure: dict[str, Any]
    billing_frequency: BillingFrequency
    billing_type: BillingType


class PriceCreate(PricingWrite):
    external_ids: Annotated[list[IntegrationExternalIdentifier], Field(max_length=50)]
    parameters: Annotated[list[PriceParameter], Field(max_length=50)] | None = None
    list_price_id: Ident | None = None
    usage_calculation_period: UsageCalculationPeriod | None = None


class PriceUpdate(RequestModel):
    """PUT /prices/{id}: only ``name`` may change. Other price fields are kept (``model_extra``) so the
    service can refuse a change to them, and accept them when they repeat the stored value."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    name: Name


class PriceRead(AccountObject):
    """``PriceResponseModel20240101``; inside a plan it is the contract's ``Price`` (with ``deletedAt``)."""

    product_id: str
    name: str
    currency: CurrencyCode
    structure: dict[str, Any]
    billing_frequency: BillingFrequency
    billing_type: BillingType
    created_at: Timestamp
    updated_at: Timestamp
    deleted_at: Timestamp | None = None
    external_ids: list[IntegrationExternalIdentifier]
    parameters: list[PriceParameter]
    list_price_id: str | None = None
    usage_calculation_period: UsageCalculationPeriod | None = None


class PricePage(ListPage[PriceRead]):
    pass


class BillingProductRead(ProductRead):
    prices: list[PriceRead]


class BillingProductPage(ListPage[BillingProductRead]):
    pass


# --- list prices ----------------------------------------------------------------------------------


class ListPriceWrite(PricingWrite):
    """POST and PUT /list-prices: the contract's seven ``*ListPriceRequest`` differ only in ``structure``."""

    integration_ids: Annotated[list[IntegrationId], Field(max_length=50)]
    custom_metric_parameters: Annotated[list[PriceParameter], Field(max_length=50)]
    usage_calculation_period: UsageCalculationPeriod | None = None


class ListPriceRead(ApiModel):
    id: str
    product_id: str
    name: str
    currency: CurrencyCode
    structure: dict[str, Any]
    billing_frequency: BillingFrequency
    usage_calculation_period: UsageCalculationPeriod | None = None
    billing_type: BillingType
    created_at: Timestamp
    updated_at: Timestamp
    integration_ids: list[IntegrationId]
    custom_metric_parameters: list[PriceParameter]
    archived_at: Timestamp | None = None  # Quire addition (compatible: a new response field)


class ListPricePage(ListPage[ListPriceRead]):
    pass


# --- plans ----------------------------------------------------------------------------------------


PriceIds = Annotated[list[Ident], Field(max_length=MAX_PLAN_PRICES)]
# The contract types eligibleCustomerIds items as "any"; Quire requires customer ids (strings).
CustomerIds = Annotated[list[Ident], Field(max_length=MAX_ELIGIBLE_CUSTOMERS)]


class PlanCreate(RequestModel):
    name: Name
    label: Name
    type: PlanType = "REUSABLE"
    currency: CurrencyCode
    minimum: Minimum | None = None
    price_ids: PriceIds
    parent_id: Ident | None = None
    eligible_customer_ids: CustomerIds


class PlanUpdate(RequestModel):
    """PUT /plans/{planId}: the whole next version (``type`` is fixed at creation)."""

    name: Name
    label: Name
    currency: CurrencyCode
    minimum: Minimum | None = None
    price_ids: PriceIds
    parent_id: Ident | None = None
    eligible_customer_ids: CustomerIds
    version_effective_from: IsoDate | None = None
    version_change_behaviour: PropagationMode | None = None
    make_version_effective_from_outset: bool | None = None


class PlanRead(ApiModel):
    id: str
    name: str
    label: str
    type: PlanType
    sequence_account_id: str
    version: int
    currency: CurrencyCode
    minimum: str | None = None
    prices: list[PriceRead]
    parent_id: str | None = None
    eligible_customer_ids: list[str]
    status: PlanStatus
    version_effective_from: IsoDate | None = None
    version_change_behaviour: PropagationMode
    created_at: Timestamp
    updated_at: Timestamp
    schedules_count: int


class PlanPage(ListPage[PlanRead]):
    pass


class PlanSortBy(StrEnum):
    CREATED_AT = "createdAt"
    NAME = "name"
