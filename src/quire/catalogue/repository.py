"""Every catalogue query lives here; each one is scoped to an account. By-id loads and pages are
``core.repository``'s; the filters of each list are here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.catalogue.models import ListPrice, Plan, PlanVersion, PlanVersionPrice, Price
from quire.core.ids import is_uuid
from quire.core.repository import Criterion, below, contains, equal

# --- prices ---------------------------------------------------------------------------------------


async def live_prices_by_id(session: AsyncSession, account_id: str, price_ids: Iterable[str], *,
                            lock: bool = False) -> dict[str, Price]:
    """The account's non-deleted prices among ``price_ids`` (locked for plan writes on PostgreSQL, so a
    concurrent DELETE /prices cannot slip a price out from under a new plan version)."""
    ids = [i for i in set(price_ids) if is_uuid(i)]
    if not ids:
        return {}
    stmt = select(Price).where(Price.account_id == account_id, Price.id.in_(ids), Price.deleted_at.is_(None))
    if lock:
        stmt = stmt.order_by(Price.id).with_for_update()  # one lock order for every writer: no deadlock
    return {p.id: p for p in (await session.scalars(stmt)).all()}


async def prices_by_id(session: AsyncSession, account_id: str, price_ids: Iterable[str]) -> dict[str, Price]:
    """Including deleted prices: earlier plan versions keep showing what they contained."""
    ids = list(set(price_ids))
    if not ids:
        return {}
    stmt = select(Price).where(Price.account_id == account_id, Price.id.in_(ids))
    return {p.id: p for p in (await session.scalars(stmt)).all()}


def price_filters(*, currency: str | None, name: str | None, billing_frequency: str | None,
                  product_id: str | None) -> list[Criterion]:
    """``GET /prices``: prices that are not deleted; an empty filter value filters nothing."""
    return [Price.deleted_at.is_(None), equal(Price.currency, currency or None), contains(Price.name, name),
            equal(Price.billing_frequency, billing_frequency or None), equal(Price.product_id, product_id)]


async def prices_of_products(session: AsyncSession, account_id: str, product_ids: list[str]) -> list[Price]:
    if not product_ids:
        return []
    stmt = (
        select(Price)
        .where(Price.account_id == account_id, Price.product_id.in_(product_ids), Price.deleted_at.is_(None))
        .order_by(Price.created_at, Price.id)
    )
    return list((await session.scalars(stmt)).all())


async def plans_currently_using(session: AsyncSession, account_id: str, price_id: str) -> list[str]:
    """Ids of the plans whose latest version contains the price."""
    stmt = (
        select(Plan.id)
        .join(PlanVersion, (PlanVersion.plan_id == Plan.id) & (PlanVersion.version == Plan.current_version))
        .join(PlanVersionPrice, PlanVersionPrice.plan_version_id == PlanVersion.id)
        .where(Plan.account_id == account_id, PlanVersionPrice.account_id == account_id,
               PlanVersionPrice.price_id == price_id)
        .order_by(Plan.id)
    )
    return list((await session.scalars(stmt)).all())


# --- list prices ----------------------------------------------------------------------------------


def list_price_filters(*, currency: str | None, product_id: str | None, billing_frequency: str | None,
                       include_archived: bool) -> list[Criterion]:
    return [None if include_archived else ListPrice.archived_at.is_(None), equal(ListPrice.currency, currency or None),
            equal(ListPrice.product_id, product_id), equal(ListPrice.billing_frequency, billing_frequency or None)]


# --- plans ----------------------------------------------------------------------------------------


async def get_version(session: AsyncSession, account_id: str, plan_id: str, version: int) -> PlanVersion | None:
    stmt = select(PlanVersion).where(
        PlanVersion.account_id == account_id, PlanVersion.plan_id == plan_id, PlanVersion.version == version
    )
    return (await session.scalars(stmt)).one_or_none()


async def current_versions(session: AsyncSession, account_id: str, plans: list[Plan]) -> dict[str, PlanVersion]:
    """The latest version of each plan, in one query."""
    if not plans:
        return {}
    stmt = (
        select(PlanVersion)
        .join(Plan, (PlanVersion.plan_id == Plan.id) & (PlanVersion.version == Plan.current_version))
        .where(PlanVersion.account_id == account_id, Plan.id.in_([p.id for p in plans]))
    )
    return {v.plan_id: v for v in (await session.scalars(stmt)).all()}


async def price_ids_of_versions(session: AsyncSession, account_id: str, version_ids: list[str]) -> dict[str, list[str]]:
    """Each version's price ids, in the order they were given."""
    if not version_ids:
        return {}
    stmt = (
        select(PlanVersionPrice)
        .where(PlanVersionPrice.account_id == account_id, PlanVersionPrice.plan_version_id.in_(version_ids))
        .order_by(PlanVersionPrice.plan_version_id, PlanVersionPrice.position)
    )
    out: dict[str, list[str]] = {v: [] for v in version_ids}
    for row in (await session.scalars(stmt)).all():
        out[row.plan_version_id].append(row.price_id)
    return out


def plan_filters(*, name: str | None, plan_type: str | None, created_before: datetime | None,
                 created_after: datetime | None) -> list[Criterion]:
    """``createdAfter`` is inclusive here: the service passes the midnight after the day asked for."""
    return [contains(Plan.name, name), equal(Plan.type, plan_type or None), below(Plan.created_at, created_before),
            None if created_after is None else Plan.created_at >= created_after]
