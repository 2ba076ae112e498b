"""Wire shapes of the Customers and Customer Aliases operations, version 2024-01-01."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from quire.core.pages import ListPage
from quire.core.schemas import (
    AccountObject,
    Address,
    ApiModel,
    Email,
    IntegrationService,
    PaymentProvider,
    RequestModel,
    RequiredText,
    ShortText,
    TaxStatus,
    Timestamp,
)
from quire.customers.models import Customer, CustomerAlias, CustomerSettings

AliasValue = Annotated[str, Field(min_length=1, max_length=255)]


class CustomerSortBy(StrEnum):
    CREATED_AT = "createdAt"
    LEGAL_NAME = "legalName"


class IntegrationExternalIdentifier(ApiModel):
    key: IntegrationService
    value: Annotated[str, Field(min_length=1, max_length=255)]


class KeyValueLinkInfo(ApiModel):
    key: str
    value: str
    sync_time: Timestamp


class CustomerCreate(RequestModel):
    legal_name: RequiredText
    contact_name: ShortText | None = None
    address: Address
    email: Email
    billing_emails: Annotated[list[Email], Field(max_length=50)]
    telephone: Annotated[str, Field(max_length=64)] | None = None
    url: Annotated[str, Field(max_length=2048)] | None = None
    label: ShortText | None = None
    tax_status: TaxStatus = "TAXED"
    customer_aliases: Annotated[list[AliasValue], Field(max_length=100)] | None = None
    external_ids: Annotated[list[IntegrationExternalIdentifier], Field(max_length=50)] | None = None
    #: Extension (2024-07-30's name): the parent whose roll-up schedules bill this customer's usage.
    parent_id: Annotated[str, Field(max_length=64)] | None = None


class CustomerUpdate(RequestModel):
    """PUT /customers/{id}: required fields replace; optional fields left out keep their value."""

    legal_name: RequiredText
    contact_name: ShortText | None = None
    address: Address
    email: Email
    billing_emails: Annotated[list[Email], Field(max_length=50)] | None = None
    telephone: Annotated[str, Field(max_length=64)] | None = None
    url: Annotated[str, Field(max_length=2048)] | None = None
    label: ShortText | None = None
    external_ids: Annotated[list[IntegrationExternalIdentifier], Field(max_length=50)] | None = None
    tax_status: TaxStatus
    customer_aliases: Annotated[list[AliasValue], Field(max_length=100)] | None = None
    #: Extension: left out keeps the parent, ``null`` removes it.
    parent_id: Annotated[str, Field(max_length=64)] | None = None


class Customer20240101(ApiModel):
    id: str
    created_at: Timestamp
    sequence_account_id: str
    legal_name: str
    contact_name: str | None = None
    address: Address
    email: str
    billing_emails: list[str]
    telephone: str | None = None
    url: str | None = None
    tax_status: TaxStatus
    label: str | None = None
    external_ids: list[KeyValueLinkInfo]
    archived_at: Timestamp | None = None
    #: Extension: answered only when the customer has a parent (docs/billing-engine.md#roll-up-billing).
    parent_id: str | None = None


class CreateCustomerResponse(ApiModel):
    customer: Customer20240101


class ListCustomersResponse(ListPage[Customer20240101]):
    pass


class CustomerAliasCreate(RequestModel):
    sequence_account_id: Annotated[str, Field(max_length=64)]
    customer_id: Annotated[str, Field(max_length=64)]
    value: AliasValue
    label: ShortText | None = None
    # Accepted by the contract's request model; Quire sets these itself and ignores client values.
    deleted_at: datetime | None = None
    archived_at: datetime | None = None


class CustomerAliasUpdate(RequestModel):
    label: ShortText | None = None


class CustomerAliasRead(AccountObject):
    customer_id: str
    value: str
    label: str | None = None
    created_at: Timestamp
    deleted_at: Timestamp | None = None


class CustomerAliasItems(ApiModel):
    items: list[CustomerAliasRead]


class CustomerAliasPage(ListPage[CustomerAliasRead]):
    pass


class CustomerSettingsCreate(RequestModel):
    customer_id: Annotated[str, Field(max_length=64)]
    payment_provider: PaymentProvider


class CustomerSettingsUpdate(RequestModel):
    payment_provider: PaymentProvider


class CustomerSettingsRead(AccountObject):
    customer_id: str
    payment_provider: PaymentProvider


def present_customer(customer: Customer) -> Customer20240101:
    return Customer20240101.of_row(customer)


def present_alias(alias: CustomerAlias) -> CustomerAliasRead:
    return CustomerAliasRead.of_row(alias)


def present_settings(settings: CustomerSettings) -> CustomerSettingsRead:
    return CustomerSettingsRead.of_row(settings)
