"""HTTP routes of the Billing Schedules and Discounts tags (2024-01-01). Thin by design."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from quire.core.http import Account, Session, api_router
from quire.core.pagination import PageQuery, present_page
from quire.core.routing import ObjectRoutes
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

Text = Annotated[str | None, Query(max_length=255)]


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


schedule = ObjectRoutes(router, SCHEDULES, ScheduleRead, present.schedule)
schedule.create("/billing-schedules", "postBillingSchedules", "post_billing_schedule", ScheduleCreate,
                service.create_schedule)
schedule.on_id("GET", "/billing-schedules/{billingScheduleId}", "getBillingSchedulesByBillingScheduleId",
               "get_billing_schedule", service.read_schedule, param="billingScheduleId")
schedule.update("/billing-schedules/{billingScheduleId}", "putBillingSchedulesByBillingScheduleId",
                "put_billing_schedule", ScheduleUpdate, service.update_schedule, param="billingScheduleId")
schedule.on_id("PUT", "/billing-schedules/{billingScheduleId}/activate",
               "putBillingSchedulesByBillingScheduleIdActivate", "activate_billing_schedule",
               service.activate_schedule, param="billingScheduleId")
schedule.on_id("PUT", "/billing-schedules/{billingScheduleId}/archive", "putBillingSchedulesByBillingScheduleIdArchive",
               "archive_billing_schedule", service.archive_schedule, param="billingScheduleId")

settings = ObjectRoutes(router, SCHEDULES, SettingsRead, present.settings)
settings.create("/billing-schedule-settings", "postBillingScheduleSettings", "post_settings", SettingsCreate,
                service.create_settings)
settings.on_id("GET", "/billing-schedule-settings/for-billing-schedule/{id}",
               "getBillingScheduleSettingsForBillingScheduleById", "get_settings_for_schedule",
               service.settings_for_schedule)
settings.get("/billing-schedule-settings/{id}", "getBillingScheduleSettingsById", "get_settings", service.get_settings)
settings.update("/billing-schedule-settings/{id}", "putBillingScheduleSettingsById", "put_settings", SettingsUpdate,
                service.update_settings)
settings.delete("/billing-schedule-settings/{id}", "deleteBillingScheduleSettingsById", "delete_settings",
                service.delete_settings)

discount = ObjectRoutes(router, ["Discounts"], DiscountRead, present.discount)
discount.list("/discounts", "getDiscounts", "get_discounts", DiscountPage, service.list_discounts)
discount.create("/discounts", "postDiscounts", "post_discount", DiscountCreate, service.create_discount)
discount.get("/discounts/{id}", "getDiscountsById", "get_discount", service.get_discount)
discount.update("/discounts/{id}", "putDiscountsById", "put_discount", DiscountUpdate, service.update_discount)
discount.delete("/discounts/{id}", "deleteDiscountsById", "delete_discount", service.delete_discount)
