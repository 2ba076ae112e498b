"""HTTP routes of the Customers and Customer Aliases tags (2024-01-01). Thin by design."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from quire.core.http import Account, Session, api_router
from quire.core.pagination import PageQuery, UnsortedPageQuery, present_page
from quire.customers import service
from quire.customers.schemas import (
    CreateCustomerResponse,
    Customer20240101,
    CustomerAliasCreate,
    CustomerAliasItems,
    CustomerAliasPage,
    CustomerAliasRead,
    CustomerAliasUpdate,
    CustomerCreate,
    CustomerSettingsCreate,
    CustomerSettingsRead,
    CustomerSettingsUpdate,
    CustomerSortBy,
    CustomerUpdate,
    ListCustomersResponse,
    present_alias,
    present_customer,
    present_settings,
)

router = api_router()


@router.post("/customers", status_code=201, response_model=CreateCustomerResponse, operation_id="postCustomers", tags=["Customers"])
async def post_customers(body: CustomerCreate, session: Session, account: Account) -> CreateCustomerResponse:
    return CreateCustomerResponse(customer=present_customer(await service.create_customer(session, account, body)))


@router.get("/customers", response_model=ListCustomersResponse, operation_id="getCustomers", tags=["Customers"])
async def get_customers(
    session: Session,
    account: Account,
    params: PageQuery,
    sort_by: Annotated[CustomerSortBy, Query(alias="sortBy")] = CustomerSortBy.CREATED_AT,
    legal_name: Annotated[str | None, Query(alias="legalName", max_length=255)] = None,
    email: Annotated[str | None, Query(max_length=254)] = None,
    alias: Annotated[str | None, Query(max_length=255)] = None,
    include_archived: Annotated[bool, Query(alias="includeArchived")] = False,
) -> ListCustomersResponse:
    page = await service.list_customers(
        session, account, params=params, sort_by=sort_by, legal_name=legal_name, email=email, alias=alias,
        include_archived=include_archived,
    )
    return present_page(ListCustomersResponse, page, present_customer)


@router.get("/customers/{id}", response_model=Customer20240101, operation_id="getCustomersById", tags=["Customers"])
async def get_customer(id: str, session: Session, account: Account) -> Customer20240101:
    return present_customer(await service.get_customer(session, account, id))


@router.put("/customers/{id}", response_model=Customer20240101, operation_id="putCustomersById", tags=["Customers"])
async def put_customer(id: str, body: CustomerUpdate, session: Session, account: Account) -> Customer20240101:
    return present_customer(await service.update_customer(session, account, id, body))


@router.delete("/customers/{id}", response_model=Customer20240101, operation_id="deleteCustomersById", tags=["Customers"])
async def delete_customer(id: str, session: Session, account: Account) -> Customer20240101:
    """Archives the customer (2024-01-01 semantics), like PUT /customers/{id}/archive."""
    return present_customer(await service.archive_customer(session, account, id))


@router.put("/customers/{id}/archive", response_model=Customer20240101, operation_id="putCustomersByIdArchive", tags=["Customers"])
async def archive_customer(id: str, session: Session, account: Account) -> Customer20240101:
    return present_customer(await service.archive_customer(session, account, id))


@router.get("/customers/by-alias/{alias}", response_model=Customer20240101, operation_id="getCustomersByAliasByAlias", tags=["Customer Aliases"])
async def get_customer_by_alias(alias: str, session: Session, account: Account) -> Customer20240101:
    return present_customer(await service.get_by_alias(session, account, alias))


@router.get("/customers/{id}/aliases", response_model=CustomerAliasItems, operation_id="getCustomersByIdAliases", tags=["Customer Aliases"])
async def get_customer_aliases(id: str, session: Session, account: Account) -> CustomerAliasItems:
    return CustomerAliasItems(items=[present_alias(a) for a in await service.aliases_of_customer(session, account, id)])


@router.get("/customer-aliases", response_model=CustomerAliasPage, operation_id="getCustomerAliases", tags=["Customer Aliases"])
async def get_customer_alias_list(session: Session, account: Account, params: UnsortedPageQuery) -> CustomerAliasPage:
    return present_page(CustomerAliasPage, await service.list_aliases(session, account, params), present_alias)


@router.post("/customer-aliases", status_code=201, response_model=CustomerAliasRead, operation_id="postCustomerAliases", tags=["Customer Aliases"])
async def post_customer_alias(body: CustomerAliasCreate, session: Session, account: Account) -> CustomerAliasRead:
    return present_alias(await service.create_alias(session, account, body))


@router.put("/customer-aliases/{id}", response_model=CustomerAliasRead, operation_id="putCustomerAliasesById", tags=["Customer Aliases"])
async def put_customer_alias(id: str, body: CustomerAliasUpdate, session: Session, account: Account) -> CustomerAliasRead:
    return present_alias(await service.update_alias(session, account, id, body))


@router.delete("/customer-aliases/{id}", response_model=CustomerAliasRead, operation_id="deleteCustomerAliasesById", tags=["Customer Aliases"])
async def delete_customer_alias(id: str, session: Session, account: Account) -> CustomerAliasRead:
    return CustomerAliasRead.model_validate(await service.delete_alias(session, account, id))


@router.post("/customer-settings", status_code=201, response_model=CustomerSettingsRead, operation_id="postCustomerSettings", tags=["Customers"])
async def post_customer_settings(body: CustomerSettingsCreate, session: Session, account: Account) -> CustomerSettingsRead:
    return present_settings(await service.create_settings(session, account, body))


@router.get("/customer-settings/{id}", response_model=CustomerSettingsRead, operation_id="getCustomerSettingsById", tags=["Customers"])
async def get_customer_settings(id: str, session: Session, account: Account) -> CustomerSettingsRead:
    return present_settings(await service.get_settings(session, account, id))


@router.put("/customer-settings/{id}", response_model=CustomerSettingsRead, operation_id="putCustomerSettingsById", tags=["Customers"])
async def put_customer_settings(id: str, body: CustomerSettingsUpdate, session: Session, account: Account) -> CustomerSettingsRead:
    return present_settings(await service.update_settings(session, account, id, body))


@router.delete("/customer-settings/{id}", response_model=CustomerSettingsRead, operation_id="deleteCustomerSettingsById", tags=["Customers"])
async def delete_customer_settings(id: str, session: Session, account: Account) -> CustomerSettingsRead:
    return present_settings(await service.delete_settings(session, account, id))
