"""HTTP routes of the Products, Prices, List Prices and Plans tags (2024-01-01). Thin by design."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from quire.catalogue import plans, present, service
from quire.catalogue.schemas import (
    BillingFrequency,
    FILTER_PATTERN,
    BillingProductPage,
    ListPricePage,
    ListPriceRead,
    ListPriceWrite,
    PlanCreate,
    PlanPage,
    PlanRead,
    PlanSortBy,
    PlanType,
    PlanUpdate,
    PriceCreate,
    PricePage,
    PriceRead,
    PriceUpdate,
    ProductCreate,
    ProductPage,
    ProductRead,
    ProductUpdate,
)
from quire.core.declared_errors import DATABASE_ERRORS1_400
from quire.core.http import Account, Session, api_router
from quire.core.pagination import UnsortedPageQuery as Params, present_page
from quire.core.routing import ObjectRoutes
from quire.core.schemas import CurrencyCode, IsoDate

router = api_router()
Filter = Annotated[str | None, Query(max_length=255, pattern=FILTER_PATTERN)]
ProductFilter = Annotated[str | None, Query(alias="productId", max_length=64, pattern=FILTER_PATTERN)]
Frequency = Annotated[BillingFrequency | None, Query(alias="billingFrequency")]

# --- products -------------------------------------------------------------------------------------


product = ObjectRoutes(router, ["Products"], ProductRead, present.product)
product.list("/products", "getProducts", "get_products", ProductPage, service.list_products, filters={"name": Filter})
product.create("/products", "postProducts", "post_products", ProductCreate, service.create_product)
product.get("/products/{id}", "getProductsById", "get_product", service.get_product)
product.update("/products/{id}", "putProductsById", "put_product", ProductUpdate, service.update_product)


# --- prices ---------------------------------------------------------------------------------------


@router.get("/billing-products", response_model=BillingProductPage, operation_id="getBillingProducts", tags=["Prices"])
async def get_billing_products(session: Session, account: Account, params: Params) -> BillingProductPage:
    page, prices = await service.list_billing_products(session, account, params=params)
    return present_page(BillingProductPage, page, lambda p: present.billing_product(p, prices[p.id]))


price = ObjectRoutes(router, ["Prices"], PriceRead, present.price)
price.list("/prices", "getPrices", "get_prices", PricePage, service.list_prices, filters={
    "currency": CurrencyCode | None, "name": Filter, "billing_frequency": Frequency, "product_id": ProductFilter})
price.create("/prices", "postPrices", "post_prices", PriceCreate, service.create_price)
price.get("/prices/{id}", "getPricesById", "get_price", service.get_price)
price.update("/prices/{id}", "putPricesById", "put_price", PriceUpdate, service.rename_price)
price.delete("/prices/{id}", "deletePricesById", "delete_price", service.delete_price)


# --- list prices ----------------------------------------------------------------------------------


list_price = ObjectRoutes(router, ["List Prices"], ListPriceRead, present.list_price)
list_price.list("/list-prices", "getListPrices", "get_list_prices", ListPricePage, service.list_list_prices, filters={
    "currency": CurrencyCode | None, "product_id": ProductFilter, "billing_frequency": Frequency,
    "include_archived": (Annotated[bool, Query(alias="includeArchived")], False)})
list_price.create("/list-prices", "postListPrices", "post_list_prices", ListPriceWrite, service.create_list_price)
list_price.get("/list-prices/{id}", "getListPricesById", "get_list_price", service.get_list_price)
list_price.update("/list-prices/{id}", "putListPricesById", "put_list_price", ListPriceWrite,
                  service.replace_list_price)
list_price.on_id("PUT", "/list-prices/{id}/archive", "putListPricesByIdArchive", "archive_list_price",
                 service.archive_list_price)


# --- plans ----------------------------------------------------------------------------------------


@router.get("/plans", response_model=PlanPage, operation_id="getPlans", tags=["Plans"])
async def get_plans(
    session: Session,
    account: Account,
    params: Params,
    name: Filter = None,
    created_before: Annotated[IsoDate | None, Query(alias="createdBefore")] = None,
    created_after: Annotated[IsoDate | None, Query(alias="createdAfter")] = None,
    plan_type: Annotated[PlanType | None, Query(alias="type")] = None,
    sort_by: Annotated[PlanSortBy, Query(alias="sortBy")] = PlanSortBy.CREATED_AT,
) -> PlanPage:
    page, views = await plans.list_plans(session, account, params=params, sort_by=sort_by, name=name,
                                         plan_type=plan_type, created_before=created_before, created_after=created_after)
    return PlanPage(items=[present.plan(v) for v in views], pagination=page.meta)


plan = ObjectRoutes(router, ["Plans"], PlanRead, present.plan)
plan.create("/plans", "postPlans", "post_plans", PlanCreate, plans.create_plan,
            responses=DATABASE_ERRORS1_400)  # the contract's declared 400 body (core/declared_errors.py)


@router.get("/plans/{planId}", response_model=PlanRead, operation_id="getPlansByPlanId", tags=["Plans"])
async def get_plan(
    planId: str,  # noqa: N803 - the contract's path parameter name
    session: Session,
    account: Account,
    version: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="Quire: an earlier version")] = None,
) -> PlanRead:
    return present.plan(await plans.get_plan(session, account, planId, version))


plan.update("/plans/{planId}", "putPlansByPlanId", "put_plan", PlanUpdate, plans.update_plan, param="planId")
