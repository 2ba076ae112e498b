"""HTTP routes of the Usage Events and Usage Metrics tags (2024-01-01), plus three Quire extensions:
``GET /usage-metrics`` and ``GET /usage-metrics/{id}/calculate`` (shaped as in 2024-07-30), and the
CSV upload status at ``GET /usage-events/csv[/{id}]``. Thin by design.

Usage event bodies are read and written with ``quire.usage.jsontext`` so that property numbers are
exact; those routes therefore take the raw request and return a ready ``Response``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.background import BackgroundTask

from quire.core.http import Account, Session, api_router, json_numbers, single_statement
from quire.core.request_body import parsed_body
from quire.core.pagination import PageQuery, UnsortedPageQuery
from quire.core.routing import ObjectRoutes
from quire.core.schemas import IsoDate
from quire.usage import jsontext, service, uploads
from quire.usage.schemas import (
    UsageEventCreate,
    UsageEventPage,
    UsageEventRead,
    UsageEventSortBy,
    UsageEventUploadPage,
    UsageEventUploadRead,
    UsageMetricCalculation,
    UsageMetricRead,
    UsageMetricWrite,
    present_event,
    present_metric,
    present_upload,
)

router = api_router()
EVENTS = ["Usage Events"]
METRICS = ["Usage Metrics"]
EXTENSION = ["Usage (Quire extension)"]

_EVENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": UsageEventCreate.model_json_schema(by_alias=True)}},
    }
}
_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}},
        }}},
    }
}


def _json(payload: Any, status: int = 200, **kwargs: Any) -> Response:
    return Response(jsontext.dumps(payload), status_code=status, media_type="application/json", **kwargs)


@router.post("/usage-events", status_code=201, response_model=UsageEventRead, operation_id="postUsageEvents",
             tags=EVENTS, openapi_extra=_EVENT_BODY)
@single_statement
@json_numbers(jsontext.DECODER)
async def post_usage_event(request: Request, session: Session, account: Account) -> Response:
    event = service.parse_event_document(parsed_body(request))
    stored = await service.ingest_events(session, account, [event])
    return _json(present_event(stored[0]), 201)


@router.get("/usage-events", response_model=UsageEventPage, operation_id="getUsageEvents", tags=EVENTS)
async def get_usage_events(
    session: Session,
    account: Account,
    params: PageQuery,
    offset: Annotated[int, Query()] = 0,
    customer_alias: Annotated[str | None, Query(alias="customerAlias", max_length=255)] = None,
    unmapped_aliases_only: Annotated[bool, Query(alias="unmappedAliasesOnly")] = False,
    event_type: Annotated[str | None, Query(alias="eventType", max_length=255)] = None,
    event_id: Annotated[str | None, Query(alias="eventId", max_length=255)] = None,
    event_timestamp_before: Annotated[str | None, Query(alias="eventTimestampBefore", max_length=64)] = None,
    event_timestamp_after: Annotated[str | None, Query(alias="eventTimestampAfter", max_length=64)] = None,
    sort_by: Annotated[UsageEventSortBy, Query(alias="sortBy")] = UsageEventSortBy.CREATED_AT,
) -> Response:
    page = await service.list_events(
        session, account, params=params, sort_by=sort_by, offset=offset, customer_alias=customer_alias,
        unmapped_only=unmapped_aliases_only, event_type=event_type, event_id=event_id,
        timestamp_before=event_timestamp_before, timestamp_after=event_timestamp_after,
    )
    meta = page.meta.model_dump(by_alias=True, exclude_none=True)
    return _json({"items": [present_event(e) for e in page.items], "pagination": meta})


@router.post("/usage-events/csv", status_code=201, operation_id="postUsageEventsCsv", tags=EVENTS, openapi_extra=_CSV_BODY)
async def post_usage_events_csv(request: Request, session: Session, account: Account) -> Response:
    """Stores the file and answers 201 at once; rows are processed after the response. The body (a Quire
    addition; the contract declares none) names the upload to poll at ``GET /usage-events/csv/{id}``."""
    filename, data = uploads.form_file(request.headers.get("content-type"), await request.body())
    upload = await uploads.create_upload(session, account, filename=filename, data=data)
    work = BackgroundTask(uploads.process_pending, request.app.state.sessionmaker, request.app.state.write_lock)
    body = present_upload(upload).model_dump(mode="json", by_alias=True, exclude_none=True)
    return JSONResponse(body, status_code=201, headers={"Location": f"/usage-events/csv/{upload.id}"}, background=work)


ObjectRoutes(router, EXTENSION, UsageEventUploadRead, present_upload).list(
    "/usage-events/csv", "getUsageEventUploads", "get_usage_event_uploads", UsageEventUploadPage, uploads.list_uploads)


@router.get("/usage-events/csv/{id}", response_model=UsageEventUploadRead, operation_id="getUsageEventUploadById", tags=EXTENSION)
async def get_usage_event_upload(id: str, request: Request, session: Session, account: Account) -> Response:
    upload = await uploads.get_upload(session, account, id)
    work = None
    if uploads.needs_worker(upload):
        work = BackgroundTask(uploads.process_pending, request.app.state.sessionmaker, request.app.state.write_lock)
    body = present_upload(upload).model_dump(mode="json", by_alias=True, exclude_none=True)
    return JSONResponse(body, background=work)


# --- metrics -------------------------------------------------------------------------------------


metric = ObjectRoutes(router, METRICS, UsageMetricRead, present_metric)
metric.create("/usage-metrics", "postUsageMetrics", "post_usage_metric", UsageMetricWrite, service.create_metric)


@router.get("/usage-metrics", response_model=dict[str, Any], operation_id="getUsageMetrics", tags=EXTENSION)
async def get_usage_metrics(
    session: Session,
    account: Account,
    params: UnsortedPageQuery,
    include_deleted: Annotated[bool, Query(alias="includeDeleted")] = False,
) -> dict[str, Any]:
    """List of metrics (in Sequence's 2024-07-30, not in 2024-01-01), newest first."""
    page = await service.list_metrics(session, account, params, include_deleted=include_deleted)
    return {
        "items": [present_metric(m).model_dump(mode="json", by_alias=True, exclude_none=True) for m in page.items],
        "pagination": page.meta.model_dump(by_alias=True, exclude_none=True),
    }


metric.get("/usage-metrics/{id}", "getUsageMetricsById", "get_usage_metric", service.get_metric)
metric.update("/usage-metrics/{id}", "putUsageMetricsById", "put_usage_metric", UsageMetricWrite, service.update_metric)
metric.delete("/usage-metrics/{id}", "deleteUsageMetricsById", "delete_usage_metric", service.delete_metric)


def _calculation_body(calc: service.Calculation) -> dict[str, Any]:
    metric, result = calc.metric, calc.result
    body: dict[str, Any] = {
        "name": metric.name,
        "metricType": metric.metric_type,
        "eventType": metric.event_type,
        "aggregationType": metric.aggregation_type,
        "eventCount": result.total.event_count,
        "value": result.total.value,
    }
    optional = {"unit": metric.unit, "minEventId": result.total.min_event_id, "maxEventId": result.total.max_event_id}
    body.update({k: v for k, v in optional.items() if v is not None})
    if result.groups is not None:
        body["groups"] = [_group(g) for g in result.groups]
    body["periodStart"] = calc.start.isoformat().replace("+00:00", "Z")
    body["periodEndExclusive"] = calc.end.isoformat().replace("+00:00", "Z")
    return body


def _group(group: Any) -> dict[str, Any]:
    return {"group": group.group, "value": group.value, "eventCount": group.event_count}


@router.get("/usage-metrics/{id}/calculate", response_model=UsageMetricCalculation,
            operation_id="getUsageMetricsByUsageMetricIdCalculate", tags=EXTENSION)
async def calculate_usage_metric(
    id: str,
    session: Session,
    account: Account,
    customer_aliases: Annotated[str, Query(alias="customerAliases", max_length=10_000)],
    period_start: Annotated[IsoDate, Query(alias="periodStart")],
    period_end: Annotated[IsoDate, Query(alias="periodEnd")],
    custom_parameters: Annotated[str | None, Query(alias="customParameters", max_length=2048)] = None,
) -> Response:
    """The metric for the customers named by ``customerAliases`` (comma-separated ids or aliases) over
    ``periodStart``..``periodEnd`` inclusive (UTC days). ``customParameters`` is accepted and unused."""
    del custom_parameters
    calc = await service.calculate_metric(
        session, account, id, customer_aliases=customer_aliases, period_start=period_start, period_end=period_end
    )
    return _json(_calculation_body(calc))

