"""Wire shapes of the Billing Schedules and Discounts operations, version 2024-01-01.

``POST``/``PUT /billing-schedules`` take the contract's ``oneOf`` (with prices, or with phases) as one
model with both ``priceIds`` and ``phases`` optional; the service requires exactly one on create
(docs/billing-schedules.md). Discount and minimum ``amount`` are JSON numbers on the wire: read exactly
from their decimal text (at most 10 decimal places), answered as JSON numbers.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from quire.catalogue.schemas import PriceRead
from quire.core.pages import ListPage
from quire.core.schemas import (
    AccountObject, ApiModel, CustomerObject, IsoDate, LongText, PaymentProvider, RequestModel, ShortText, Timestamp,
)

ScheduleType = Literal["CUSTOM", "PLAN", "PHASES"]
ScheduleStatus = Literal["DRAFT", "PENDING", "ACTIVE", "SUSPENDED", "CANCELLED", "COMPLETED"]
CalculationType = Literal["PERCENTAGE", "NOMINAL"]

MAX_PLACES = 10
MAX_INTEGER_DIGITS = 18


def _exact_number(value: Any) -> Decimal:
    """A JSON number (int or float as parsed) as the decimal its text wrote; finite, ≤ 10 places."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a number")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError("must be a finite number") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    number = number.normalize() if number != 0 else Decimal(0)
    exponent = int(number.as_tuple().exponent)
    if -exponent > MAX_PLACES:
        raise ValueError(f"must have at most {MAX_PLACES} decimal places")
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(f"must be below 10^{MAX_INTEGER_DIGITS}")
    return number


def _as_json_number(value: Decimal) -> int | float:
    """Integral values as JSON integers, others as the shortest float that reads back as them."""
    return int(value) if value == value.to_integral_value() else float(value)


#: An exact decimal received and answered as a JSON number (the contract types these as ``number``).
WireNumber = Annotated[
    Decimal, BeforeValidator(_exact_number), PlainSerializer(_as_json_number), WithJsonSchema({"type": "number"})
]
Id = Annotated[str, Field(max_length=64)]
IdList = Annotated[list[Id], Field(max_length=500)]


class TaxRateEntry(ApiModel):
    price_id: Id
    tax_rate_id: Id


PriceIds = TypeVar("PriceIds")
Message = TypeVar("Message")


class _DiscountTerms(ApiModel, Generic[PriceIds, Message]):
    """A discount's terms: as written, with the request's limits (``InlineDiscount``), and as answered."""

    price_ids: PriceIds
    separate_line_item: bool
    amount: WireNumber
    discount_calculation_type: CalculationType
    message: Message
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None


class InlineDiscount(_DiscountTerms[IdList, LongText], RequestModel):
    """``CreateDiscountInlineRequestModel``: a discount given with the schedule's create."""


class PhaseDiscount(RequestModel):
    """``EmbeddableDiscount`` inside a ``PhaseRequest`` (valid for the whole phase)."""

    restrict_to_prices: IdList = []
    type: CalculationType
    amount: WireNumber
    message: LongText
    separate_line_item: bool


class MinimumRequest(RequestModel):
    restrict_to_prices: IdList = []
    amount: WireNumber


class PhaseRequest(RequestModel):
    price_ids: IdList
    start_date: IsoDate
    end_date: IsoDate | None = None
    discounts: Annotated[list[PhaseDiscount], Field(max_length=100)] = []
    minimums: Annotated[list[MinimumRequest], Field(max_length=100)] = []


class _ScheduleFields(RequestModel):
    type: ScheduleType
    start_date: IsoDate
    end_date: IsoDate | None = None
    recurrence_day_of_month: int | None = None
    tax_rates: Annotated[list[TaxRateEntry], Field(max_length=500)] = []
    auto_issue_invoices: bool
    purchase_order_number: ShortText | None = None
    roll_up_billing: bool = False
    price_ids: IdList | None = None
    phases: Annotated[list[PhaseRequest], Field(max_length=100)] | None = None


class ScheduleCreate(_ScheduleFields):
    customer_id: Id
    create_as_draft: bool
    discounts: Annotated[list[InlineDiscount], Field(max_length=100)] = []
    collection_payment_provider: PaymentProvider | None = None


class ScheduleUpdate(_ScheduleFields):
    effective_from: IsoDate | None = None


# --- answers ----------------------------------------------------------------------------------------


class EmbeddableDiscountRead(ApiModel):
    restrict_to_prices: list[str]
    type: CalculationType
    amount: WireNumber
    message: str
    separate_line_item: bool


class _ScheduleObject(AccountObject):
    """An object of a billing schedule: ``billingScheduleId`` follows the account's."""

    billing_schedule_id: str


class MinimumRead(_ScheduleObject):
    phase_id: str
    amount: WireNumber
    restrict_to_prices: list[str]
    created_at: Timestamp
    updated_at: Timestamp


class PhaseRead(ApiModel):
    id: str
    created_at: Timestamp
    billing_schedule_id: str
    price_ids: list[str]
    start_date: IsoDate
    end_date: IsoDate | None = None
    discounts: list[EmbeddableDiscountRead]
    minimums: list[MinimumRead]


class ScheduleRead(CustomerObject):
    """``BillingScheduleResponse``."""

    status: ScheduleStatus
    start_date: IsoDate
    end_date: IsoDate | None = None
    tax_rates: list[TaxRateEntry]
    first_billing_date: IsoDate | None = None
    auto_issue_invoices: bool
    purchase_order_number: str | None = None
    reference: str | None = None
    label: str | None = None
    recurrence_day_of_month: int | None = None
    price_ids: list[str]
    prices: list[PriceRead]
    type: ScheduleType
    created_at: Timestamp
    updated_at: Timestamp
    last_invoice_id: str | None = None
    phases: list[PhaseRead]
    archived_at: Timestamp | None = None
    roll_up_billing: bool


class SchedulePage(ListPage[ScheduleRead]):
    pass


class ScheduleSortBy(StrEnum):
    CREATED_AT = "createdAt"


class _OfSchedule(RequestModel):
    billing_schedule_id: Id


class _OfPhase(_OfSchedule):
    phase_id: Id | None = None


# A discount written on its own is an inline discount's terms after its schedule (and phase): pydantic
# orders the fields of the bases listed last first, as the contract orders them.
class DiscountCreate(InlineDiscount, _OfPhase):
    pass


class DiscountUpdate(InlineDiscount, _OfSchedule):
    pass


class _InPhase(_ScheduleObject):
    phase_id: str | None = None


class DiscountRead(_DiscountTerms[list[str], str], _InPhase):
    created_at: Timestamp
    updated_at: Timestamp


class DiscountPage(ListPage[DiscountRead]):
    pass


class SettingsUpdate(RequestModel):
    payment_provider: PaymentProvider


class SettingsCreate(SettingsUpdate, _OfSchedule):
    pass


class SettingsRead(_ScheduleObject):
    payment_provider: PaymentProvider
