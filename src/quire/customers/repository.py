"""Every customer query lives here; each one is scoped to an account."""

from __future__ import annotations

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.ids import is_uuid
from quire.core.textfold import casefold, fold
from quire.customers.models import Customer, CustomerAlias, CustomerSettings


async def get_customer(session: AsyncSession, account_id: str, customer_id: str, *, lock: bool = False) -> Customer | None:
    if not is_uuid(customer_id):
        return None
    stmt = select(Customer).where(Customer.account_id == account_id, Customer.id == customer_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


def list_customers_stmt(
    account_id: str,
    *,
    legal_name: str | None,
    email: str | None,
    alias: str | None,
    include_archived: bool,
) -> Select[tuple[Customer]]:
    stmt = select(Customer).where(Customer.account_id == account_id)
    if not include_archived:
        stmt = stmt.where(Customer.archived_at.is_(None))
    if legal_name:
        stmt = stmt.where(casefold(Customer.legal_name).contains(fold(legal_name), autoescape=True))
    if email:
        stmt = stmt.where(casefold(Customer.email).contains(fold(email), autoescape=True))
    if alias is not None:
        has_alias = exists().where(
            CustomerAlias.customer_id == Customer.id,
            CustomerAlias.account_id == account_id,
            CustomerAlias.value == alias,
        )
        stmt = stmt.where(or_(Customer.id == alias, has_alias))
    return stmt


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


async def alias_value_taken(session: AsyncSession, account_id: str, value: str) -> bool:
    taken_by_alias = await session.scalar(
        select(func.count()).where(CustomerAlias.account_id == account_id, CustomerAlias.value == value)
    )
    if taken_by_alias:
        return True
    return is_uuid(value) and await get_customer(session, account_id, value) is not None


async def get_alias(session: AsyncSession, account_id: str, alias_id: str) -> CustomerAlias | None:
    if not is_uuid(alias_id):
        return None
    stmt = select(CustomerAlias).where(CustomerAlias.account_id == account_id, CustomerAlias.id == alias_id)
    return (await session.scalars(stmt)).one_or_none()


async def aliases_of(session: AsyncSession, account_id: str, customer_id: str) -> list[CustomerAlias]:
    stmt = (
        select(CustomerAlias)
        .where(CustomerAlias.account_id == account_id, CustomerAlias.customer_id == customer_id)
        .order_by(CustomerAlias.created_at, CustomerAlias.id)
    )
    return list((await session.scalars(stmt)).all())


def list_aliases_stmt(account_id: str) -> Select[tuple[CustomerAlias]]:
    return select(CustomerAlias).where(CustomerAlias.account_id == account_id)


async def get_settings(session: AsyncSession, account_id: str, settings_id: str) -> CustomerSettings | None:
    if not is_uuid(settings_id):
        return None
    stmt = select(CustomerSettings).where(CustomerSettings.account_id == account_id, CustomerSettings.id == settings_id)
    return (await session.scalars(stmt)).one_or_none()


async def settings_for_customer(session: AsyncSession, account_id: str, customer_id: str) -> CustomerSettings | None:
    stmt = select(CustomerSettings).where(
        CustomerSettings.account_id == account_id, CustomerSettings.customer_id == customer_id
    )
    return (await session.scalars(stmt)).one_or_none()
