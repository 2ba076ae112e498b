"""Wire shapes of the Usage Events and Usage Metrics operations (2024-01-01), and the 2024-07-30
``GET /usage-metrics/{id}/calculate`` answer that Quire serves as an extension.

Usage events are parsed and rendered with ``quire.usage.jsontext`` (exact numbers), so their response
models below document the shape for ``/openapi.json``; the routes render them from ``present_event``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, StrictStr, WithJsonSchema, model_validator

from quire.core.clock import isoformat_z
from quire.core.pages import ListPage
from quire.core.schemas import AccountObject, ApiModel, RequestModel, RequiredText, ShortText, Timestamp, strict_str
from quire.usage.jsontext import RawJson
from quire.usage.models import UsageEventUpload, UsageMetric
from quire.usage.values import check_property_name, text_problem

# The contract's MetricType and AggregationType schemas (tests/unit/test_usage_values.py checks them).
MetricType = Literal["SIMPLE", "GROUPED"]
AggregationType = Literal["COUNT", "UNIQUE", "SUM", "CUSTOM"]


Identifier = Annotated[str, BeforeValidator(strict_str), Field(min_length=1, max_length=255)]
PropertyName = Annotated[str, BeforeValidator(strict_str), AfterValidator(check_property_name)]
FilterValue = StrictStr | StrictBool | StrictInt | Annotated[float, Field(strict=True, allow_inf_nan=False)]


class StorableRequest(RequestModel):
    """Request bodies of usage and seats: every string must be storable (no NUL, no lone surrogate)."""

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        problem = text_problem(data)
        if problem:
            raise ValueError(problem)
        return data


class UsageEventSortBy(StrEnum):
    CREATED_AT = "createdAt"
    EVENT_TIMESTAMP = "eventTimestamp"


class UsageEventCreate(StorableRequest):
    """``POST /usage-events``. Parsed from ``jsontext.loads`` output, so property numbers are Decimals."""

    customer_event_id: Identifier | None = None
    customer_alias: Identifier
    event_type: Identifier
    event_timestamp: Annotated[str, BeforeValidator(strict_str), Field(max_length=64)] | None = None
    event_properties: dict[str, Any] | None = None


class UsageEventRead(ApiModel):
    id: str
    customer_event_id: str
    customer_alias: str
    event_type: str
    sequence_account_id: str
    event_timestamp: Timestamp
    event_properties: dict[str, Any]


class UsageEventPage(ListPage[UsageEventRead]):
    pass


def present_event(event: Any) -> dict[str, Any]:
    """The wire object, ready for ``jsontext.dumps`` (the properties are the stored JSON text)."""
    return {
        "id": event.id,
        "customerEventId": event.customer_event_id,
        "customerAlias": event.customer_alias,
        "eventType": event.event_type,
        "sequenceAccountId": event.account_id,
        "eventTimestamp": isoformat_z(event.event_timestamp),
        "eventProperties": RawJson(event.event_properties),
    }


# --- metrics ------------------------------------------------------------------------------------


class UsageMetricWrite(StorableRequest):
    """Body of ``POST /usage-metrics`` and ``PUT /usage-metrics/{id}`` (PUT replaces the definition)."""

    name: RequiredText
    description: Annotated[str, Field(max_length=10_000)] | None = None
    metric_type: MetricType
    event_type: Identifier
    aggregation_type: AggregationType
    aggregation_property: PropertyName | None = None
    grouping_property: PropertyName | None = None
    unit: ShortText | None = None
    property_filters: dict[PropertyName, Annotated[list[FilterValue], Field(min_length=1, max_length=1000)]] | None = None
    case_sensitive: StrictBool | None = None
    properties_to_negate: Annotated[list[PropertyName], Field(max_length=100)] | None = None
    # Accepted by the contract's create model; Quire sets it itself (DELETE) and ignores client values.
    deleted_at: Any = None

    @model_validator(mode="after")
    def _consistent(self) -> UsageMetricWrite:
        if self.aggregation_type == "CUSTOM":
            raise ValueError(
                "aggregationType CUSTOM is not supported: custom metrics are set up by Sequence staff and "
                "Quire has no custom metric engine (docs/usage.md#custom-metrics)"
            )
        if self.aggregation_type in ("SUM", "UNIQUE") and not self.aggregation_property:
            raise ValueError(f"aggregationProperty is required when aggregationType is {self.aggregation_type}")
        if self.metric_type == "GROUPED" and not self.grouping_property:
            raise ValueError("groupingProperty is required when metricType is GROUPED")
        filters = self.property_filters or {}
        if len(filters) > 100 or sum(len(v) for v in filters.values()) > 1000:
            raise ValueError("propertyFilters may name at most 100 properties and 1000 values in all")
        for value_list in filters.values():
            for value in value_list:
                if isinstance(value, str) and len(value) > 255:
                    raise ValueError("propertyFilters values must have at most 255 characters")
        for name in self.properties_to_negate or []:
            if name not in filters:
                raise ValueError(f"propertiesToNegate names {name!r}, which is not a key of propertyFilters")
        return self


class CustomMetricParameter(ApiModel):
    id: str
    usage_metric_id: str
    name: str
    type: Literal["INTEGER", "POSITIVE_INTEGER"]
    description: str
    default_value: str


class UsageMetricRead(AccountObject):
    name: str
    description: str | None = None
    metric_type: MetricType
    event_type: str
    aggregation_type: AggregationType
    aggregation_property: str | None = None
    grouping_property: str | None = None
    unit: str | None = None
    created_at: Timestamp
    deleted_at: Timestamp | None = None
    property_filters: dict[str, list[Any]]
    case_sensitive: bool
    properties_to_negate: list[str]
    parameters: list[CustomMetricParameter]


def present_metric(metric: UsageMetric) -> UsageMetricRead:
    return UsageMetricRead.of_row(metric, property_filters=metric.property_filters or {},
                                  properties_to_negate=metric.properties_to_negate or [], parameters=[])


#: A metric's value: written by the router as an exact JSON number (not pydantic's decimal string), so
#: the served /openapi.json says number (tests/contract.py validates extension paths against it).
ExactNumber = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class MetricGroupRead(ApiModel):
    group: str | None
    value: ExactNumber
    event_count: int


class UsageMetricCalculation(ApiModel):
    """2024-07-30 ``UsageMetricCalculationResponse``; ``value`` is a JSON number written exactly.

    Quire adds ``groups`` (GROUPED metrics: the value of each group) and the half-open UTC interval.
    """

    name: str
    metric_type: MetricType
    event_type: str
    aggregation_type: AggregationType
    event_count: int
    value: ExactNumber
    unit: str | None = None
    min_event_id: str | None = None
    max_event_id: str | None = None
    groups: list[MetricGroupRead] | None = None
    period_start: datetime
    period_end_exclusive: datetime


# --- CSV uploads (Quire extension) ----------------------------------------------------------------


class UploadError(ApiModel):
    row: int
    message: str


class UsageEventUploadRead(AccountObject):
    status: Literal["PENDING", "PROCESSING", "COMPLETED", "FAILED"]
    filename: str | None = None
    row_count: int
    accepted_count: int
    rejected_count: int
    errors: list[UploadError]
    created_at: Timestamp
    completed_at: Timestamp | None = None


class UsageEventUploadPage(ListPage[UsageEventUploadRead]):
    pass


def present_upload(upload: UsageEventUpload) -> UsageEventUploadRead:
    return UsageEventUploadRead.of_row(upload, errors=upload.errors or [])
