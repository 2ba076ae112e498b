"""HTTP routes of the Billing Schedules and Discounts tags (2024-01-01). Thin by design.

Discounts and billing-schedule settings are each an object of a schedule with the same create, read,
update and delete endpoints, added by ``_create_route`` and ``_id_routes``; the schedule's endpoints that
take only its id (read, activate, archive) are added by ``_on_schedule``. (No ``from __future__ import
annotations``: FastAPI reads the endpoints' annotations, some of which name the models given to the helpers.)
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.http import Account, Session, api_router
from quire.core.pagination import PageQuery, UnsortedPageQuery, present_page
from quire.schedules import present, service
from quire.schedules.schemas import (
    DiscountCreate,
    DiscountPage,
    DiscountRead,
    DiscountUpdate,
    SchedulePage,
    ScheduleCreate,
    ScheduleRead,
    ScheduleSortBy,
    ScheduleStatus,
    ScheduleUpdate,
    SettingsCreate,
    SettingsRead,
    SettingsUpdate,
)

router = api_router()
SCHEDULES = ["Billing Schedules"]
DISCOUNTS = ["Discounts"]

Text = Annotated[str | None, Query(max_length=255)]

#: (session, account id, object id) → the object read or deleted.
OnObject = Callable[[AsyncSession, str, str], Awaitable[Any]]


@router.get("/billing-schedules", response_model=SchedulePage, operation_id="getBillingSchedules", tags=SCHEDULES)
async def get_billing_schedules(
    session: Session,
    account: Account,
    params: PageQuery,
    label: Text = None,
    plan_id: Annotated[str | None, Query(alias="planId", max_length=64)] = None,
    customer_id: Annotated[str | None, Query(alias="customerId", max_length=64)] = None,
    status: Annotated[ScheduleStatus | None, Query(alias="billingScheduleStatus")] = None,
    auto_send: Annotated[bool | None, Query(alias="autoSendInvoices")] = None,
    include_archived: Annotated[bool, Query(alias="includeArchivedSchedules")] = False,
    sort_by: Annotated[ScheduleSortBy, Query(alias="sortBy")] = ScheduleSortBy.CREATED_AT,
) -> SchedulePage:
    page = await service.list_schedules(
        session, account, params=params, label=label, plan_id=plan_id, customer_id=customer_id, status=status,
        auto_send=auto_send, include_archived=include_archived,
    )
    found = {d.schedule.id: d for d in await service.details(session, account, page.items)}
    return present_page(SchedulePage, page, lambda s: present.schedule(found[s.id]))


@router.post("/billing-schedules", status_code=201, response_model=ScheduleRead, operation_id="postBillingSchedules",
             tags=SCHEDULES)
async def post_billing_schedule(body: ScheduleCreate, session: Session, account: Account) -> ScheduleRead:
    return present.schedule(await service.create_schedule(session, account, body))


def _on_schedule(method: str, action: str, name: str, apply: OnObject) -> None:
    """``{method} /billing-schedules/{billingScheduleId}[/action]``: ``apply`` to the schedule, answer it."""

    async def endpoint(billingScheduleId: str, session: Session, account: Account) -> ScheduleRead:  # noqa: N803
        return present.schedule(await apply(session, account, billingScheduleId))

    router.add_api_route(
        "/billing-schedules/{billingScheduleId}" + (f"/{action}" if action else ""), endpoint, methods=[method],
        name=name, response_model=ScheduleRead, tags=SCHEDULES,
        operation_id=f"{method.lower()}BillingSchedulesByBillingScheduleId{action.title()}",
    )


_on_schedule("GET", "", "get_billing_schedule", service.read_schedule)


@router.put("/billing-schedules/{billingScheduleId}", response_model=ScheduleRead,
            operation_id="putBillingSchedulesByBillingScheduleId", tags=SCHEDULES)
async def put_billing_schedule(billingScheduleId: str, body: ScheduleUpdate, session: Session,  # noqa: N803
                               account: Account) -> ScheduleRead:
    return present.schedule(await service.update_schedule(session, account, billingScheduleId, body))


_on_schedule("PUT", "activate", "activate_billing_schedule", service.activate_schedule)
_on_schedule("PUT", "archive", "archive_billing_schedule", service.archive_schedule)


def _add(path: str, endpoint: Callable[..., Any], method: str, name: str, operation: str, read: type[BaseModel],
         tags: list[str], **extra: Any) -> None:
    """``{method} {path}``, named ``{method}_{name}`` ("Get Discount"), operation id ``{method}{operation}``."""
    op = method.lower()
    router.add_api_route(path, endpoint, methods=[method], name=f"{op}_{name}", operation_id=op + operation,
                         response_model=read, tags=tags, **extra)


def _create_route(path: str, operation: str, name: str, tags: list[str], read: type[BaseModel],
                  answer: Callable[[Any], Any], model: type[BaseModel],
                  create: Callable[[AsyncSession, str, Any], Awaitable[Any]]) -> None:
    """``POST {path}``: 201 with the object ``create`` made of the body (a ``model``), as ``answer`` presents it."""

    async def post_object(body: model, session: Session, account: Account) -> Any:  # type: ignore[valid-type]
        return answer(await create(session, account, body))

    _add(path, post_object, "POST", name, operation, read, tags, status_code=201)


def _id_routes(path: str, operation: str, name: str, tags: list[str], read: type[BaseModel],
               answer: Callable[[Any], Any], model: type[BaseModel], get: OnObject,
               update: Callable[[AsyncSession, str, str, Any], Awaitable[Any]], delete: OnObject) -> None:
    """``GET``, ``PUT`` (its body a ``model``) and ``DELETE {path}/{id}`` (operation ids ``…ById``)."""

    async def get_object(id: str, session: Session, account: Account) -> Any:
        return answer(await get(session, account, id))

    async def put_object(id: str, body: model, session: Session, account: Account) -> Any:  # type: ignore[valid-type]
        return answer(await update(session, account, id, body))

    async def delete_object(id: str, session: Session, account: Account) -> Any:
        return answer(await delete(session, account, id))

    for method, endpoint in (("GET", get_object), ("PUT", put_object), ("DELETE", delete_object)):
        _add(f"{path}/{{id}}", endpoint, method, name, f"{operation}ById", read, tags)


SETTINGS = ("/billing-schedule-settings", "BillingScheduleSettings", "settings", SCHEDULES, SettingsRead,
            present.settings)
_create_route(*SETTINGS, SettingsCreate, service.create_settings)


@router.get("/billing-schedule-settings/for-billing-schedule/{id}", response_model=SettingsRead,
            operation_id="getBillingScheduleSettingsForBillingScheduleById", tags=SCHEDULES)
async def get_settings_for_schedule(id: str, session: Session, account: Account) -> SettingsRead:
    return present.settings(await service.settings_for_schedule(session, account, id))


_id_routes(*SETTINGS, SettingsUpdate, service.get_settings, service.update_settings, service.delete_settings)


@router.get("/discounts", response_model=DiscountPage, operation_id="getDiscounts", tags=DISCOUNTS)
async def get_discounts(session: Session, account: Account, params: UnsortedPageQuery) -> DiscountPage:
    return present_page(DiscountPage, await service.list_discounts(session, account, params), present.discount)


DISCOUNT = ("/discounts", "Discounts", "discount", DISCOUNTS, DiscountRead, present.discount)
_create_route(*DISCOUNT, DiscountCreate, service.create_discount)
_id_routes(*DISCOUNT, DiscountUpdate, service.get_discount, service.update_discount, service.delete_discount)
