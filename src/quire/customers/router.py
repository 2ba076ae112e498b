"""HTTP routes of the Customers and Customer Aliases tags (2024-01-01). Thin by design."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from quire.core.http import Account, Session, api_router
from quire.core.pagination import PageQuery
from quire.core.routing import ObjectRoutes
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


customer = ObjectRoutes(router, ["Customers"], Customer20240101, present_customer)
customer.create("/customers", "postCustomers", "post_customers", CustomerCreate, service.create_customer,
                present=lambda c: CreateCustomerResponse(customer=present_customer(c)),
                response_model=CreateCustomerResponse)


customer.list("/customers", "getCustomers", "get_customers", ListCustomersResponse, service.list_customers,
              query=PageQuery, filters={
                  "sort_by": (Annotated[CustomerSortBy, Query(alias="sortBy")], CustomerSortBy.CREATED_AT),
                  "legal_name": Annotated[str | None, Query(alias="legalName", max_length=255)],
                  "email": Annotated[str | None, Query(max_length=254)],
                  "alias": Annotated[str | None, Query(max_length=255)],
                  "include_archived": (Annotated[bool, Query(alias="includeArchived")], False)})
customer.get("/customers/{id}", "getCustomersById", "get_customer", service.get_customer)
customer.update("/customers/{id}", "putCustomersById", "put_customer", CustomerUpdate, service.update_customer)
customer.delete("/customers/{id}", "deleteCustomersById", "delete_customer", service.archive_customer,
                description="Archives the customer (2024-01-01 semantics), like PUT /customers/{id}/archive.")
customer.on_id("PUT", "/customers/{id}/archive", "putCustomersByIdArchive", "archive_customer",
               service.archive_customer)
customer.on_id("GET", "/customers/by-alias/{alias}", "getCustomersByAliasByAlias", "get_customer_by_alias",
               service.get_by_alias, param="alias", tags=["Customer Aliases"])


@router.get("/customers/{id}/aliases", response_model=CustomerAliasItems, operation_id="getCustomersByIdAliases", tags=["Customer Aliases"])
async def get_customer_aliases(id: str, session: Session, account: Account) -> CustomerAliasItems:
    return CustomerAliasItems(items=[present_alias(a) for a in await service.aliases_of_customer(session, account, id)])


alias = ObjectRoutes(router, ["Customer Aliases"], CustomerAliasRead, present_alias)
alias.list("/customer-aliases", "getCustomerAliases", "get_customer_alias_list", CustomerAliasPage,
           service.list_aliases)
alias.create("/customer-aliases", "postCustomerAliases", "post_customer_alias", CustomerAliasCreate,
             service.create_alias)
alias.update("/customer-aliases/{id}", "putCustomerAliasesById", "put_customer_alias", CustomerAliasUpdate,
             service.update_alias)
alias.on_id("DELETE", "/customer-aliases/{id}", "deleteCustomerAliasesById", "delete_customer_alias",
            service.delete_alias, present=CustomerAliasRead.model_validate)

settings = ObjectRoutes(router, ["Customers"], CustomerSettingsRead, present_settings)
settings.create("/customer-settings", "postCustomerSettings", "post_customer_settings", CustomerSettingsCreate,
                service.create_settings)
settings.get("/customer-settings/{id}", "getCustomerSettingsById", "get_customer_settings", service.get_settings)
settings.update("/customer-settings/{id}", "putCustomerSettingsById", "put_customer_settings",
                CustomerSettingsUpdate, service.update_settings)
settings.delete("/customer-settings/{id}", "deleteCustomerSettingsById", "delete_customer_settings",
                service.delete_settings)
