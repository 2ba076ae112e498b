"""Customer use-cases. Services flush, never commit: the request's route commits once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.errors import NotFound, ValidationFailed
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams
from quire.core.references import resolve
from quire.core.repository import insert, list_page, loader, remove, stamp_once
from quire.customers import repository as repo
from quire.customers.models import Customer, CustomerAlias, CustomerSettings
from quire.notifications.events import record_event
from quire.customers.schemas import (
    CustomerAliasCreate,
    CustomerAliasUpdate,
    CustomerCreate,
    CustomerSettingsCreate,
    CustomerSettingsUpdate,
    CustomerSortBy,
    CustomerUpdate,
    IntegrationExternalIdentifier,
    present_customer,
)


class AliasAlreadyExists(ValidationFailed):
    error_type = "AliasAlreadyExists"


class CustomerArchived(ValidationFailed):
    error_type = "CustomerArchived"


def _external_ids(items: Iterable[IntegrationExternalIdentifier]) -> list[dict[str, str]]:
    synced = clock.isoformat_z(clock.now())
    return [{"key": item.key, "value": item.value, "syncTime": synced} for item in items]


#: The customer, or 404 (also for another account's customer: they are indistinguishable).
get_customer = loader(Customer)


async def get_active_customer(session: AsyncSession, account_id: str, customer_id: str) -> Customer:
    """For new documents: the customer must exist (404; a request body's reference wraps this in
    ``core.references``, which makes it 400) and not be archived (400)."""
    return billable(await repo.get_customer(session, account_id, customer_id), customer_id)


def billable(customer: Customer | None, customer_id: str) -> Customer:
    """``get_active_customer``'s checks on a customer loaded some other way (None: not found)."""
    if customer is None:
        raise NotFound.of("Customer", customer_id)
    if customer.archived_at is not None:
        raise CustomerArchived(f"Customer {customer_id!r} is archived and cannot be billed", field="customerId")
    return customer


async def _parent_of(session: AsyncSession, account_id: str, parent_id: str | None, child_id: str | None) -> str | None:
    """The parent a customer may take (``parentId``, an extension for roll-up billing): a live customer of
    the account, not the customer itself, with no parent of its own, and only for a customer with no
    children: one level, so a roll-up schedule bills its customer's and its children's usage, no deeper
    (docs/billing-engine.md#roll-up-billing). Otherwise a 400 naming ``parentId``."""
    if parent_id is None:
        return None
    parent = await resolve("parentId", get_customer(session, account_id, parent_id))
    if parent.id == child_id:
        problem = "a customer cannot be its own parent"
    elif parent.archived_at is not None:
        problem = f"Customer {parent_id!r} is archived"
    elif parent.parent_id is not None:
        problem = f"Customer {parent_id!r} has a parent itself (one level only)"
    elif child_id is not None and (await repo.children_of(session, account_id, [child_id]))[child_id]:
        problem = "a customer with children cannot have a parent (one level only)"
    else:
        return parent.id
    raise ValidationFailed(f"parentId: {problem}", field="parentId")


async def child_customers(session: AsyncSession, account_id: str, parent_ids: list[str]) -> dict[str, list[str]]:
    """Each parent's children (their ids), for the billing engine's roll-up."""
    return await repo.children_of(session, account_id, parent_ids)


async def _add_aliases(session: AsyncSession, account_id: str, customer_id: str, values: Iterable[str]) -> None:
    existing = {alias.value for alias in await repo.aliases_of(session, account_id, customer_id)}
    seen: set[str] = set()
    for value in values:
        if value in existing or value in seen or value == customer_id:
            continue
        if await repo.alias_value_taken(session, account_id, value):
            raise AliasAlreadyExists(f"Alias {value!r} is already in use in this account", field="customerAliases")
        seen.add(value)
        session.add(
            CustomerAlias(id=uuid7(), account_id=account_id, customer_id=customer_id, value=value, created_at=clock.now())
        )
    await session.flush()


async def _event(session: AsyncSession, customer: Customer, notification_type: str) -> None:
    await record_event(session, customer.account_id, notification_type, "Customer", customer.id,
                       lambda: present_customer(customer))


async def create_customer(session: AsyncSession, account_id: str, data: CustomerCreate) -> Customer:
    now = clock.now()
    customer = Customer(
        id=uuid7(),
        account_id=account_id,
        created_at=now,
        updated_at=now,
        legal_name=data.legal_name,
        contact_name=data.contact_name,
        address=data.address.model_dump(exclude_none=True),
        email=data.email,
        billing_emails=list(data.billing_emails),
        telephone=data.telephone,
        url=data.url,
        label=data.label,
        tax_status=data.tax_status,
        external_ids=_external_ids(data.external_ids or []),
        parent_id=await _parent_of(session, account_id, data.parent_id, None),
    )
    session.add(customer)
    await session.flush()
    await _add_aliases(session, account_id, customer.id, data.customer_aliases or [])
    await _event(session, customer, "CUSTOMER_CREATED")
    return customer


async def update_customer(session: AsyncSession, account_id: str, customer_id: str, data: CustomerUpdate) -> Customer:
    """Replace the required fields; optional fields that are left out keep their stored value.

    ``customerAliases``, when given, adds the aliases that are missing (existing ones stay).
    """
    customer = await get_customer(session, account_id, customer_id, lock=True)
    customer.legal_name = data.legal_name
    customer.address = data.address.model_dump(exclude_none=True)
    customer.email = data.email
    customer.tax_status = data.tax_status
    given = data.model_fields_set
    for name in ("contact_name", "telephone", "url", "label"):
        if name in given:
            setattr(customer, name, getattr(data, name))
    if data.billing_emails is not None:
        customer.billing_emails = list(data.billing_emails)
    if data.external_ids is not None:
        customer.external_ids = _external_ids(data.external_ids)
    if "parent_id" in given:
        customer.parent_id = await _parent_of(session, account_id, data.parent_id, customer.id)
    customer.updated_at = clock.now()
    await session.flush()
    if data.customer_aliases:
        await _add_aliases(session, account_id, customer.id, data.customer_aliases)
    await _event(session, customer, "CUSTOMER_UPDATED")
    return customer


async def archive_customer(session: AsyncSession, account_id: str, customer_id: str) -> Customer:
    """Archive (idempotent): the customer stays readable and keeps its documents. The first archive is
    the customer's ``CUSTOMER_DELETED`` event (2024-07-30 calls it CUSTOMER_ARCHIVED)."""
    customer = await get_customer(session, account_id, customer_id, lock=True)
    if customer.archived_at is None:
        await stamp_once(session, customer, "archived_at")
        await _event(session, customer, "CUSTOMER_DELETED")
    return customer


async def list_customers(
    session: AsyncSession,
    account_id: str,
    *,
    params: PageParams,
    sort_by: CustomerSortBy,
    legal_name: str | None,
    email: str | None,
    alias: str | None,
    include_archived: bool,
) -> Page[Customer]:
    filters = repo.customer_filters(
        account_id, legal_name=legal_name, email=email, alias=alias, include_archived=include_archived
    )
    column = Customer.legal_name if sort_by is CustomerSortBy.LEGAL_NAME else Customer.created_at
    return await list_page(session, Customer, account_id, params, *filters, sort=column, sort_name=sort_by.value)


async def get_by_alias(session: AsyncSession, account_id: str, alias: str) -> Customer:
    customer = await repo.find_by_alias(session, account_id, alias)
    if customer is None:
        raise NotFound(f"No customer has the alias {alias!r}", resource="Customer")
    return customer


async def alias_values(session: AsyncSession, account_id: str, alias: str | None) -> Any:
    """What a ``customerAlias`` filter of events or seat snapshots matches: every name of the customer it
    names (``repository.names_of``), else the alias itself; ``None`` without a filter."""
    if alias is None:
        return None
    customer = await repo.find_by_alias(session, account_id, alias)
    return [alias] if customer is None else repo.names_of(account_id, customer.id)


# --- aliases --------------------------------------------------------------------------------------


async def create_alias(session: AsyncSession, account_id: str, data: CustomerAliasCreate) -> CustomerAlias:
    if data.sequence_account_id != account_id:
        raise ValidationFailed("sequenceAccountId must be the account of your API credentials", field="sequenceAccountId")
    await resolve("customerId", get_customer(session, account_id, data.customer_id))
    if await repo.alias_value_taken(session, account_id, data.value):
        raise AliasAlreadyExists(f"Alias {data.value!r} is already in use in this account", field="value")
    alias = CustomerAlias(
        id=uuid7(),
        account_id=account_id,
        customer_id=data.customer_id,
        value=data.value,
        label=data.label,
        created_at=clock.now(),
    )
    alias = await insert(session, alias)
    await _alias_event(session, alias)
    return alias


get_alias = loader(CustomerAlias)


async def update_alias(session: AsyncSession, account_id: str, alias_id: str, data: CustomerAliasUpdate) -> CustomerAlias:
    alias = await get_alias(session, account_id, alias_id)
    if "label" in data.model_fields_set:
        alias.label = data.label
    await session.flush()
    await _alias_event(session, alias)
    return alias


async def delete_alias(session: AsyncSession, account_id: str, alias_id: str) -> dict[str, Any]:
    """Delete the alias; the answer is the alias as it was, with ``deletedAt``."""
    alias = await get_alias(session, account_id, alias_id)
    snapshot = alias_dict(alias, deleted=True)
    await session.delete(alias)
    await session.flush()
    await _alias_event(session, alias)
    return snapshot


async def _alias_event(session: AsyncSession, alias: CustomerAlias) -> None:
    """An alias added, relabelled or deleted is a change of its customer: ``CUSTOMER_UPDATED`` (the customer
    as the API answers it; the aliases are read with GET /customers/{id}/aliases)."""
    await _event(session, await get_customer(session, alias.account_id, alias.customer_id), "CUSTOMER_UPDATED")


async def aliases_of_customer(session: AsyncSession, account_id: str, customer_id: str) -> list[CustomerAlias]:
    await get_customer(session, account_id, customer_id)
    return await repo.aliases_of(session, account_id, customer_id)


async def list_aliases(session: AsyncSession, account_id: str, params: PageParams) -> Page[CustomerAlias]:
    return await list_page(session, CustomerAlias, account_id, params)


def alias_dict(alias: CustomerAlias, *, deleted: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": alias.id,
        "sequence_account_id": alias.account_id,
        "customer_id": alias.customer_id,
        "value": alias.value,
        "label": alias.label,
        "created_at": alias.created_at,
    }
    if deleted:
        out["deleted_at"] = clock.now()
    return out


# --- payment settings -----------------------------------------------------------------------------


async def create_settings(session: AsyncSession, account_id: str, data: CustomerSettingsCreate) -> CustomerSettings:
    await resolve("customerId", get_customer(session, account_id, data.customer_id))
    if await repo.settings_for_customer(session, account_id, data.customer_id) is not None:
        raise ValidationFailed("This customer already has payment settings; update them instead", field="customerId")
    settings = CustomerSettings(
        id=uuid7(),
        account_id=account_id,
        customer_id=data.customer_id,
        payment_provider=data.payment_provider,
        created_at=clock.now(),
    )
    return await insert(session, settings)


get_settings = loader(CustomerSettings)


async def update_settings(
    session: AsyncSession, account_id: str, settings_id: str, data: CustomerSettingsUpdate
) -> CustomerSettings:
    settings = await get_settings(session, account_id, settings_id)
    settings.payment_provider = data.payment_provider
    await session.flush()
    return settings


async def delete_settings(session: AsyncSession, account_id: str, settings_id: str) -> CustomerSettings:
    return await remove(session, await get_settings(session, account_id, settings_id))
