"""Usage events and metrics use-cases. Services flush, never commit: the request's route commits once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core import request_body
from quire.core.contract_requests import REQUESTS
from quire.core.errors import QuireError, ValidationFailed
from quire.core.references import resolve
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams
from quire.core.repository import assign, insert, list_page, loader, stamp_once
from quire.customers import service as customers
from quire.usage import jsontext
from quire.usage import repository as repo
from quire.usage.calculation import MetricResult, MetricSpec, calculate
from quire.usage.models import UsageEvent, UsageMetric
from quire.usage.schemas import UsageEventCreate, UsageEventSortBy, UsageMetricWrite
from quire.usage.values import filter_instant, parse_timestamp, period_bounds, text_problem, timestamp_field

#: Bounds of what ``offset`` may skip on ``GET /usage-events`` (a deeper page is a cursor's job).
MAX_OFFSET = 10_000


class MetricDeleted(QuireError):
    status_code = 400
    error_type = "MetricDeleted"


@dataclass(frozen=True)
class NewEvent:
    """A validated event, ready to store (properties are exact JSON text)."""

    customer_alias: str
    event_type: str
    customer_event_id: str | None
    event_timestamp: datetime | None
    properties_json: str


#: The contract's shape of the ``POST /usage-events`` body (types; nulls only where 2024-07-30 allows them).
EVENT_SHAPE = REQUESTS[("POST", "/usage-events")]


def parse_event_body(raw: bytes) -> NewEvent:
    """Parse ``POST /usage-events`` exactly (numbers stay Decimal) and validate it (400 on any problem):
    what the route does, where ``core.http`` parses the body with ``jsontext.DECODER`` first."""
    if not raw.strip():
        raise ValidationFailed("Request body is required", field="body")
    document = request_body.parse_json(raw, jsontext.DECODER)
    request_body.refuse_shape_errors(request_body.check_shape(document, EVENT_SHAPE))
    return parse_event_document(document)


def parse_event_document(document: Any) -> NewEvent:
    """Validate a body already parsed by ``core.request_body`` (strict JSON, the contract's types)."""
    if not isinstance(document, dict):
        raise ValidationFailed("Request body must be a JSON object", field="body")
    try:
        body = UsageEventCreate.model_validate(document)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
    return new_event(
        customer_alias=body.customer_alias,
        event_type=body.event_type,
        customer_event_id=body.customer_event_id,
        event_timestamp=body.event_timestamp,
        properties=body.event_properties,
    )


_EVENT_KEYS = frozenset({"customerAlias", "eventType", "customerEventId", "eventTimestamp", "eventProperties"})


def _identifier(value: Any) -> bool:
    return type(value) is str and 0 < len(value) <= 255


def parse_event_fast(raw: bytes) -> NewEvent | None:
    """``parse_event_body`` for the common body, several times cheaper, or ``None`` when unsure.

    It takes only bodies that are strict UTF-8 without ``\\u`` escapes (so no string can hold U+0000
    or a lone surrogate), with camelCase keys of ``UsageEventCreate`` only, each value of its exact
    type and length; anything else returns ``None`` and ``parse_event_body`` decides, errors
    included. Whenever it returns an event, it is the one ``parse_event_body`` returns (a property
    test checks it: tests/unit/test_usage_fast_parse.py).
    """
    if b"\\u" in raw:
        return None
    try:
        document = jsontext.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, jsontext.JsonTextError):
        return None
    if type(document) is not dict or not document.keys() <= _EVENT_KEYS:
        return None
    alias, event_type = document.get("customerAlias"), document.get("eventType")
    customer_event_id = document.get("customerEventId")
    stamp, properties = document.get("eventTimestamp"), document.get("eventProperties")
    if not (_identifier(alias) and _identifier(event_type)):
        return None
    if customer_event_id is not None and not _identifier(customer_event_id):
        return None
    if "eventProperties" in document and type(properties) is not dict:  # null included: the route refuses it
        return None
    timestamp = None
    if stamp is not None:
        if type(stamp) is not str or len(stamp) > 64:
            return None
        try:
            timestamp = parse_timestamp(stamp)
        except ValueError:
            return None
    try:
        properties_json = jsontext.dumps(properties or {})
    except (TypeError, jsontext.JsonTextError):
        return None
    return NewEvent(alias, event_type, customer_event_id, timestamp, properties_json)


def new_event(
    *,
    customer_alias: str,
    event_type: str,
    customer_event_id: str | None,
    event_timestamp: str | None,
    properties: dict[str, Any] | None,
) -> NewEvent:
    """Validate the parts of an event that the wire model cannot (timestamp, properties, storable text)."""
    for field, text in (("customerAlias", customer_alias), ("eventType", event_type), ("customerEventId", customer_event_id)):
        problem = text_problem(text)
        if problem:
            raise ValidationFailed(f"{field}: {problem}", field=field)
    timestamp = None if event_timestamp is None else timestamp_field(event_timestamp, "eventTimestamp")
    try:
        properties_json = jsontext.dumps(properties or {})
    except (TypeError, jsontext.JsonTextError) as exc:
        raise ValidationFailed(f"eventProperties: {exc}", field="eventProperties") from None
    return NewEvent(customer_alias, event_type, customer_event_id, timestamp, properties_json)


@dataclass  # not frozen: a frozen dataclass's __init__ costs a setattr call per field (CSV imports)
class StoredEvent:
    """An event as stored by ``ingest_events`` (the columns of ``UsageEvent``, without an ORM instance)."""

    id: str
    account_id: str
    customer_event_id: str
    customer_alias: str
    event_type: str
    event_timestamp: datetime
    event_properties: str
    received_at: datetime
    revision: int


async def ingest_events(session: AsyncSession, account_id: str, events: Sequence[NewEvent]) -> list[StoredEvent]:
    """Store events: an event whose ``customerEventId`` was seen before replaces the stored one.

    The last received event with a ``customerEventId`` is the one that counts (within a batch, the last
    in the batch). Events are never validated against customers: an unknown ``customerAlias`` is stored
    as it is and counts once an alias maps it (resolution happens at calculation time). Without a
    ``customerEventId`` the event's id is used, so it supersedes nothing.
    """
    now = clock.now()
    latest: dict[str, StoredEvent] = {}
    for event in events:
        stored = stored_event(account_id, event, now)
        latest.pop(stored.customer_event_id, None)  # keep the last occurrence, in arrival order
        latest[stored.customer_event_id] = stored
    rows = list(latest.values())
    await repo.upsert_events(session, [vars(row) for row in rows])
    return rows


def stored_event(account_id: str, event: NewEvent, now: datetime) -> StoredEvent:
    """The row of a new event received at ``now``: without a ``customerEventId`` its own id stands in,
    so it supersedes nothing; without a timestamp it happened when received."""
    event_id = uuid7()
    return StoredEvent(
        id=event_id,
        account_id=account_id,
        customer_event_id=event.customer_event_id or event_id,
        customer_alias=event.customer_alias,
        event_type=event.event_type,
        event_timestamp=event.event_timestamp or now,
        event_properties=event.properties_json,
        received_at=now,
        revision=1,
    )


async def list_events(
    session: AsyncSession,
    account_id: str,
    *,
    params: PageParams,
    sort_by: UsageEventSortBy,
    offset: int,
    customer_alias: str | None,
    unmapped_only: bool,
    event_type: str | None,
    event_id: str | None,
    timestamp_before: str | None,
    timestamp_after: str | None,
) -> Page[UsageEvent]:
    """Events, newest received first by default. ``customerAlias`` selects the events of the customer it
    names (under any of its aliases or its id); an alias that names no customer matches literally."""
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationFailed(f"offset must be between 0 and {MAX_OFFSET}", field="offset")
    filters = repo.EventFilters(
        alias_values=await customers.alias_values(session, account_id, customer_alias),
        unmapped_only=unmapped_only,
        event_type=event_type,
        event_id=event_id,
        timestamp_before=filter_instant(timestamp_before, "eventTimestampBefore", after=False),
        timestamp_after=filter_instant(timestamp_after, "eventTimestampAfter", after=True),
    )
    if sort_by is UsageEventSortBy.EVENT_TIMESTAMP:
        column, name = UsageEvent.event_timestamp, "eventTimestamp"
    else:  # ids are UUIDv7: id order is receipt order
        column, name = UsageEvent.id, "createdAt"
    # No totalResultSize: counting a large event table on every page would cost more than the page.
    return await list_page(session, UsageEvent, account_id, params, *repo.event_filters(account_id, filters),
                           sort=column, sort_name=name, with_total=False, offset=offset)


# --- metrics -------------------------------------------------------------------------------------


def _apply(metric: UsageMetric, data: UsageMetricWrite) -> None:
    assign(metric, data, "name", "description", "metric_type", "event_type", "aggregation_type", "aggregation_property",
           "grouping_property", "unit")
    metric.property_filters = {k: list(v) for k, v in (data.property_filters or {}).items()}
    metric.properties_to_negate = list(dict.fromkeys(data.properties_to_negate or []))
    metric.case_sensitive = True if data.case_sensitive is None else data.case_sensitive


async def create_metric(session: AsyncSession, account_id: str, data: UsageMetricWrite) -> UsageMetric:
    now = clock.now()
    metric = UsageMetric(id=uuid7(), account_id=account_id, created_at=now, updated_at=now)
    _apply(metric, data)
    return await insert(session, metric)


#: The metric (deleted ones too: they stay readable), or 404 (also for another account's metric).
get_metric = loader(UsageMetric)


async def update_metric(session: AsyncSession, account_id: str, metric_id: str, data: UsageMetricWrite) -> UsageMetric:
    """Replace the definition. Not retroactive: invoices already generated keep their numbers."""
    metric = await get_metric(session, account_id, metric_id, lock=True)
    if metric.deleted_at is not None:
        raise MetricDeleted(f"Usage metric {metric_id!r} is deleted and cannot be changed")
    _apply(metric, data)
    metric.updated_at = clock.now()
    await session.flush()
    return metric


async def delete_metric(session: AsyncSession, account_id: str, metric_id: str) -> UsageMetric:
    """Soft delete (idempotent): the metric keeps its id and definition and answers with ``deletedAt``."""
    return await stamp_once(session, await get_metric(session, account_id, metric_id, lock=True), "deleted_at")


@dataclass(frozen=True)
class Calculation:
    metric: UsageMetric
    result: MetricResult
    start: datetime
    end: datetime


async def customers_named(session: AsyncSession, account_id: str, customer_aliases: str) -> list[str]:
    """The ids of the customers ``customerAliases`` names (comma-separated ids or aliases, each must name a
    customer of the account, at most 100)."""
    names = list(dict.fromkeys(a.strip() for a in customer_aliases.split(",") if a.strip()))
    if not names:
        raise ValidationFailed("customerAliases must name at least one customer", field="customerAliases")
    if len(names) > 100:
        raise ValidationFailed("customerAliases may name at most 100 customers", field="customerAliases")
    customer_ids: list[str] = []
    for name in names:
        customer = await resolve("customerAliases", customers.get_by_alias(session, account_id, name))
        if customer.id not in customer_ids:
            customer_ids.append(customer.id)
    return customer_ids


async def calculate_metric(
    session: AsyncSession,
    account_id: str,
    metric_id: str,
    *,
    customer_aliases: str,
    period_start: date,
    period_end: date,
) -> Calculation:
    """``GET /usage-metrics/{id}/calculate``: the metric for the customers named by ``customerAliases``
    (comma-separated ids or aliases, each must name a customer) over the inclusive date period."""
    metric = await get_metric(session, account_id, metric_id)
    if period_end < period_start:
        raise ValidationFailed("periodEnd must not be before periodStart", field="periodEnd")
    customer_ids = await customers_named(session, account_id, customer_aliases)
    start, end = period_bounds(period_start, period_end)
    result = await calculate(session, account_id, MetricSpec.of(metric), customer_ids, start, end)
    return Calculation(metric=metric, result=result, start=start, end=end)


async def list_metrics(session: AsyncSession, account_id: str, params: PageParams, *, include_deleted: bool) -> Page[UsageMetric]:
    return await list_page(session, UsageMetric, account_id, params,
                           None if include_deleted else UsageMetric.deleted_at.is_(None))
