"""Every customer query lives here; each one is scoped to an account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.ids import is_uuid
from quire.core.repository import Criterion, contains, find_owned
from quire.customers.models import Customer, CustomerAlias, CustomerSettings


async def get_customer(session: AsyncSession, account_id: str, customer_id: str, *, lock: bool = False) -> Customer | None:
    return await find_owned(session, Customer, account_id, customer_id, lock=lock)


def customer_filters(
    account_id: str, *, legal_name: str | None, email: str | None, alias: str | None, include_archived: bool
) -> list[Criterion]:
    """``GET /customers``' filters: ``alias`` matches the customer's id or any of its aliases."""
    by_alias = None
    if alias is not None:
        has_alias = exists().where(
            CustomerAlias.customer_id == Customer.id, CustomerAlias.account_id == account_id, CustomerAlias.value == alias
        )
        by_alias = or_(Customer.id == alias, has_alias)
    return [
        None if include_archived else Customer.archived_at.is_(None),
        contains(Customer.legal_name, legal_name),
        contains(Customer.email, email),
        by_alias,
    ]


async def find_by_alias(session: AsyncSession, account_id: str, alias: str) -> Customer | None:
    """The customer whose id or alias is ``alias`` (a customer's id always works as an alias)."""
    if "\x00" in alias:  # no stored alias can hold U+0000 (and PostgreSQL cannot compare it)
        return None
    if is_uuid(alias):
        customer = await get_customer(session, account_id, alias)
        if customer is not None:
            return customer
    stmt = (
        select(Customer)
        .join(CustomerAlias, CustomerAlias.customer_id == Customer.id)
        .where(CustomerAlias.account_id == account_id, CustomerAlias.value == alias)
    )
    return (await session.scalars(stmt)).one_or_none()


def names_of(account_id: str, customer_id: str) -> Any:
    """The values naming a customer in events and seat snapshots: its id and every alias (a subquery,
    resolved when the query runs)."""
    return select(CustomerAlias.value).where(
        CustomerAlias.account_id == account_id, CustomerAlias.customer_id == customer_id
    ).union_all(select(Customer.id).where(Customer.account_id == account_id, Customer.id == customer_id))


async def alias_value_taken(session: AsyncSession, account_id: str, value: str) -> bool:
    taken_by_alias = await session.scalar(
        select(func.count()).where(CustomerAlias.account_id == account_id, CustomerAlias.value == value)
    )
    if taken_by_alias:
        return True
    return is_uuid(value) and await get_customer(session, account_id, value) is not None


async def aliases_of(session: AsyncSession, account_id: str, customer_id: str) -> list[CustomerAlias]:
    stmt = (
        select(CustomerAlias)
        .where(CustomerAlias.account_id == account_id, CustomerAlias.customer_id == customer_id)
        .order_by(CustomerAlias.created_at, CustomerAlias.id)
    )
    return list((await session.scalars(stmt)).all())


async def settings_for_customer(session: AsyncSession, account_id: str, customer_id: str) -> CustomerSettings | None:
    stmt = select(CustomerSettings).where(
        CustomerSettings.account_id == account_id, CustomerSettings.customer_id == customer_id
    )
    return (await session.scalars(stmt)).one_or_none()


async def children_of(session: AsyncSession, account_id: str, parent_ids: list[str]) -> dict[str, list[str]]:
    """The ids of the customers whose parent is each of ``parent_ids`` (roll-up billing), in id order."""
    out: dict[str, list[str]] = {parent: [] for parent in parent_ids}
    if parent_ids:
        rows = await session.execute(select(Customer.parent_id, Customer.id).where(
            Customer.account_id == account_id, Customer.parent_id.in_(parent_ids)).order_by(Customer.id))
        for parent, child in rows:
            out[parent].append(child)
    return out
