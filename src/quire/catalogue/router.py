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
from quire.core.schemas import CurrencyCode, IsoDate

router = api_router()
Filter = Annotated[str | None, Query(max_length=255, pattern=FILTER_PATTERN)]
ProductFilter = Annotated[str | None, Query(alias="productId", max_length=64, pattern=FILTER_PATTERN)]

# --- products -------------------------------------------------------------------------------------


@router.get("/products", response_model=ProductPage, operation_id="getProducts", tags=["Products"])
async def get_products(session: Session, account: Account, params: Params, name: Filter = None) -> ProductPage:
    return present_page(ProductPage, await service.list_products(session, account, params=params, name=name),
                        present.product)


@router.post("/products", status_code=201, response_model=ProductRead, operation_id="postProducts", tags=["Products"])
async def post_products(body: ProductCreate, session: Session, account: Account) -> ProductRead:
    return present.product(await service.create_product(session, account, body))


@router.get("/products/{id}", response_model=ProductRead, operation_id="getProductsById", tags=["Products"])
async def get_product(id: str, session: Session, account: Account) -> ProductRead:
    return present.product(await service.get_product(session, account, id))


@router.put("/products/{id}", response_model=ProductRead, operation_id="putProductsById", tags=["Products"])
async def put_product(id: str, body: ProductUpdate, session: Session, account: Account) -> ProductRead:
    return present.product(await service.update_product(session, account, id, body))


# --- prices ---------------------------------------------------------------------------------------


@router.get("/billing-products", response_model=BillingProductPage, operation_id="getBillingProducts", tags=["Prices"])
async def get_billing_products(session: Session, account: Account, params: Params) -> BillingProductPage:
    page, prices = await service.list_billing_products(session, account, params=params)
    return present_page(BillingProductPage, page, lambda p: present.billing_product(p, prices[p.id]))


@router.get("/prices", response_model=PricePage, operation_id="getPrices", tags=["Prices"])
async def get_prices(
    session: Session,
    account: Account,
    params: Params,
    currency: CurrencyCode | None = None,
    name: Filter = None,
    billing_frequency: Annotated[BillingFrequency | None, Query(alias="billingFrequency")] = None,
    product_id: ProductFilter = None,
) -> PricePage:
    page = await service.list_prices(session, account, params=params, currency=currency, name=name,
                                     billing_frequency=billing_frequency, product_id=product_id)
    return present_page(PricePage, page, present.price)


@router.post("/prices", status_code=201, response_model=PriceRead, operation_id="postPrices", tags=["Prices"])
async def post_prices(body: PriceCreate, session: Session, account: Account) -> PriceRead:
    return present.price(await service.create_price(session, account, body))


@router.get("/prices/{id}", response_model=PriceRead, operation_id="getPricesById", tags=["Prices"])
async def get_price(id: str, session: Session, account: Account) -> PriceRead:
    return present.price(await service.get_price(session, account, id))


@router.put("/prices/{id}", response_model=PriceRead, operation_id="putPricesById", tags=["Prices"])
async def put_price(id: str, body: PriceUpdate, session: Session, account: Account) -> PriceRead:
    return present.price(await service.rename_price(session, account, id, body))


@router.delete("/prices/{id}", response_model=PriceRead, operation_id="deletePricesById", tags=["Prices"])
async def delete_price(id: str, session: Session, account: Account) -> PriceRead:
    return present.price(await service.delete_price(session, account, id))


# --- list prices ----------------------------------------------------------------------------------


@router.get("/list-prices", response_model=ListPricePage, operation_id="getListPrices", tags=["List Prices"])
async def get_list_prices(
    session: Session,
    account: Account,
    params: Params,
    currency: CurrencyCode | None = None,
    product_id: ProductFilter = None,
    billing_frequency: Annotated[BillingFrequency | None, Query(alias="billingFrequency")] = None,
    include_archived: Annotated[bool, Query(alias="includeArchived")] = False,
) -> ListPricePage:
    page = await service.list_list_prices(session, account, params=params, currency=currency, product_id=product_id,
                                          billing_frequency=billing_frequency, include_archived=include_archived)
    return present_page(ListPricePage, page, present.list_price)


@router.post("/list-prices", status_code=201, response_model=ListPriceRead, operation_id="postListPrices", tags=["List Prices"])
async def post_list_prices(body: ListPriceWrite, session: Session, account: Account) -> ListPriceRead:
    return present.list_price(await service.create_list_price(session, account, body))


@router.get("/list-prices/{id}", response_model=ListPriceRead, operation_id="getListPricesById", tags=["List Prices"])
async def get_list_price(id: str, session: Session, account: Account) -> ListPriceRead:
    return present.list_price(await service.get_list_price(session, account, id))


@router.put("/list-prices/{id}", response_model=ListPriceRead, operation_id="putListPricesById", tags=["List Prices"])
async def put_list_price(id: str, body: ListPriceWrite, session: Session, account: Account) -> ListPriceRead:
    return present.list_price(await service.replace_list_price(session, account, id, body))


@router.put("/list-prices/{id}/archive", response_model=ListPriceRead, operation_id="putListPricesByIdArchive", tags=["List Prices"])
async def archive_list_price(id: str, session: Session, account: Account) -> ListPriceRead:
    return present.list_price(await service.archive_list_price(session, account, id))


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


@router.post("/plans", status_code=201, response_model=PlanRead, operation_id="postPlans", tags=["Plans"],
             responses=DATABASE_ERRORS1_400)  # the contract's declared 400 body (core/declared_errors.py)
async def post_plans(body: PlanCreate, session: Session, account: Account) -> PlanRead:
    return present.plan(await plans.create_plan(session, account, body))


@router.get("/plans/{planId}", response_model=PlanRead, operation_id="getPlansByPlanId", tags=["Plans"])
async def get_plan(
    planId: str,  # noqa: N803 - the contract's path parameter name
    session: Session,
    account: Account,
    version: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="Quire: an earlier version")] = None,
) -> PlanRead:
    return present.plan(await plans.get_plan(session, account, planId, version))


@router.put("/plans/{planId}", response_model=PlanRead, operation_id="putPlansByPlanId", tags=["Plans"])
async def put_plan(planId: str, body: PlanUpdate, session: Session, account: Account) -> PlanRead:  # noqa: N803
    return present.plan(await plans.update_plan(session, account, planId, body))
