"""HTTP routes of the Billing Schedules and Discounts tags (2024-01-01). Thin by design."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

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
Flag = Annotated[bool | None, Query()]


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


@router.get("/billing-schedules/{billingScheduleId}", response_model=ScheduleRead,
            operation_id="getBillingSchedulesByBillingScheduleId", tags=SCHEDULES)
async def get_billing_schedule(billingScheduleId: str, session: Session, account: Account) -> ScheduleRead:  # noqa: N803
    return present.schedule(await service.read_schedule(session, account, billingScheduleId))


@router.put("/billing-schedules/{billingScheduleId}", response_model=ScheduleRead,
            operation_id="putBillingSchedulesByBillingScheduleId", tags=SCHEDULES)
async def put_billing_schedule(billingScheduleId: str, body: ScheduleUpdate, session: Session,  # noqa: N803
                               account: Account) -> ScheduleRead:
    return present.schedule(await service.update_schedule(session, account, billingScheduleId, body))


@router.put("/billing-schedules/{billingScheduleId}/activate", response_model=ScheduleRead,
            operation_id="putBillingSchedulesByBillingScheduleIdActivate", tags=SCHEDULES)
async def activate_billing_schedule(billingScheduleId: str, session: Session, account: Account) -> ScheduleRead:  # noqa: N803
    return present.schedule(await service.activate_schedule(session, account, billingScheduleId))


@router.put("/billing-schedules/{billingScheduleId}/archive", response_model=ScheduleRead,
            operation_id="putBillingSchedulesByBillingScheduleIdArchive", tags=SCHEDULES)
async def archive_billing_schedule(billingScheduleId: str, session: Session, account: Account) -> ScheduleRead:  # noqa: N803
    return present.schedule(await service.archive_schedule(session, account, billingScheduleId))


@router.post("/billing-schedule-settings", status_code=201, response_model=SettingsRead,
             operation_id="postBillingScheduleSettings", tags=SCHEDULES)
async def post_settings(body: SettingsCreate, session: Session, account: Account) -> SettingsRead:
    return present.settings(await service.create_settings(session, account, body))


@router.get("/billing-schedule-settings/for-billing-schedule/{id}", response_model=SettingsRead,
            operation_id="getBillingScheduleSettingsForBillingScheduleById", tags=SCHEDULES)
async def get_settings_for_schedule(id: str, session: Session, account: Account) -> SettingsRead:
    return present.settings(await service.settings_for_schedule(session, account, id))


@router.get("/billing-schedule-settings/{id}", response_model=SettingsRead, operation_id="getBillingScheduleSettingsById",
            tags=SCHEDULES)
async def get_settings(id: str, session: Session, account: Account) -> SettingsRead:
    return present.settings(await service.get_settings(session, account, id))


@router.put("/billing-schedule-settings/{id}", response_model=SettingsRead, operation_id="putBillingScheduleSettingsById",
            tags=SCHEDULES)
async def put_settings(id: str, body: SettingsUpdate, session: Session, account: Account) -> SettingsRead:
    return present.settings(await service.update_settings(session, account, id, body))


@router.delete("/billing-schedule-settings/{id}", response_model=SettingsRead,
               operation_id="deleteBillingScheduleSettingsById", tags=SCHEDULES)
async def delete_settings(id: str, session: Session, account: Account) -> SettingsRead:
    return present.settings(await service.delete_settings(session, account, id))


@router.get("/discounts", response_model=DiscountPage, operation_id="getDiscounts", tags=DISCOUNTS)
async def get_discounts(session: Session, account: Account, params: UnsortedPageQuery) -> DiscountPage:
    return present_page(DiscountPage, await service.list_discounts(session, account, params), present.discount)


@router.post("/discounts", status_code=201, response_model=DiscountRead, operation_id="postDiscounts", tags=DISCOUNTS)
async def post_discount(body: DiscountCreate, session: Session, account: Account) -> DiscountRead:
    return present.discount(await service.create_discount(session, account, body))


@router.get("/discounts/{id}", response_model=DiscountRead, operation_id="getDiscountsById", tags=DISCOUNTS)
async def get_discount(id: str, session: Session, account: Account) -> DiscountRead:
    return present.discount(await service.get_discount(session, account, id))


@router.put("/discounts/{id}", response_model=DiscountRead, operation_id="putDiscountsById", tags=DISCOUNTS)
async def put_discount(id: str, body: DiscountUpdate, session: Session, account: Account) -> DiscountRead:
    return present.discount(await service.update_discount(session, account, id, body))


@router.delete("/discounts/{id}", response_model=DiscountRead, operation_id="deleteDiscountsById", tags=DISCOUNTS)
async def delete_discount(id: str, session: Session, account: Account) -> DiscountRead:
    return present.discount(await service.delete_discount(session, account, id))
