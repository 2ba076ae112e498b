"""Plans and their versions. Services flush, never commit.

A plan is a stable id (``plans``) with immutable versions (``plan_versions``): POST writes version 1 and
every PUT writes version n + 1 — the earlier versions are never changed, so an invoice of a past period
can be recalculated exactly from the version it was billed on. Prices are referenced, not copied: they
are immutable after creation except their name, and a deleted price is still shown by the versions that
contained it. ``GET /plans/{planId}`` shows the latest version, ``?version=n`` an earlier one.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from quire.catalogue import repository as repo
from quire.catalogue.models import Plan, PlanVersion, PlanVersionPrice, Price
from quire.catalogue.present import PlanView
from quire.catalogue.schemas import PlanCreate, PlanSortBy, PlanUpdate
from quire.catalogue.structures import invalid
from quire.core import clock
from quire.core.errors import NotFound
from quire.core.ids import uuid7
from quire.core.money import quantize
from quire.core.pagination import Page, PageParams, SortOrder
from quire.core.references import check_all, resolve, unknown_reference
from quire.core.repository import list_page, loader
from quire.customers import service as customers

DEFAULT_CHANGE_BEHAVIOUR = "NEVER"  # existing subscribers are never re-priced silently
DEFAULT_STATUS = "LIVE"  # 2024-01-01 has no endpoint to publish or retire a plan


async def create_plan(session: AsyncSession, account_id: str, data: PlanCreate) -> PlanView:
    """Version 1, effective from today."""
    prices = await _check_version(session, account_id, data, plan_id=None)
    now = clock.now()
    plan = Plan(id=uuid7(), account_id=account_id, type=data.type, status=DEFAULT_STATUS, name=data.name,
                current_version=1, created_at=now, updated_at=now)
    session.add(plan)
    await session.flush()
    version = await _write_version(session, plan, data, prices, number=1, effective_from=clock.today(),
                                   behaviour=DEFAULT_CHANGE_BEHAVIOUR, outset=False)
    return PlanView(plan=plan, version=version, prices=prices)


async def update_plan(session: AsyncSession, account_id: str, plan_id: str, data: PlanUpdate) -> PlanView:
    """A new version (n + 1) with the body's content; the plan row is locked so two PUTs get n+1, n+2.

    ``versionEffectiveFrom`` defaults to today; ``makeVersionEffectiveFromOutset`` means "from the start
    of each schedule" and leaves it empty, whatever date came with it (the contract's own example sends
    both). The currency cannot change.
    """
    plan = await _get_plan(session, account_id, plan_id, lock=True)
    latest = await repo.get_version(session, account_id, plan.id, plan.current_version)
    assert latest is not None
    if data.currency != latest.currency:
        raise invalid("currency", f"a plan's currency cannot change (it is {latest.currency})")
    outset = bool(data.make_version_effective_from_outset)
    prices = await _check_version(session, account_id, data, plan_id=plan.id)
    effective_from = None if outset else (data.version_effective_from or clock.today())
    number = plan.current_version + 1
    version = await _write_version(session, plan, data, prices, number=number, effective_from=effective_from,
                                   behaviour=data.version_change_behaviour or DEFAULT_CHANGE_BEHAVIOUR, outset=outset)
    plan.current_version = number
    plan.name = data.name
    plan.updated_at = version.created_at
    await session.flush()
    return PlanView(plan=plan, version=version, prices=prices)


async def get_plan(session: AsyncSession, account_id: str, plan_id: str, version: int | None = None) -> PlanView:
    """The latest version, or version ``version`` (400 naming ``version`` when the plan has none: the query's
    reference, not the URL's object)."""
    plan = await _get_plan(session, account_id, plan_id)
    number = plan.current_version if version is None else version
    row = await repo.get_version(session, account_id, plan.id, number)
    if row is None:
        raise unknown_reference("version", f"plan {plan_id!r} has no version {number}")
    ids = (await repo.price_ids_of_versions(session, account_id, [row.id]))[row.id]
    by_id = await repo.prices_by_id(session, account_id, ids)
    return PlanView(plan=plan, version=row, prices=[by_id[i] for i in ids])


async def list_plans(session: AsyncSession, account_id: str, *, params: PageParams, sort_by: PlanSortBy,
                     name: str | None, plan_type: str | None, created_before: date | None,
                     created_after: date | None) -> tuple[Page[Plan], list[PlanView]]:
    """Latest versions. Date filters are strict UTC days, like the invoice filters: ``createdBefore`` a
    day excludes that day, ``createdAfter`` a day starts the day after. ``sortBy=name`` is A→Z."""
    filters = repo.plan_filters(name=name, plan_type=plan_type, created_before=_midnight(created_before),
                                created_after=_midnight(created_after, next_day=True))
    if sort_by is PlanSortBy.NAME:
        params = dataclasses.replace(params, sort_order=SortOrder.ASC)
        page = await list_page(session, Plan, account_id, params, *filters, sort=Plan.name, sort_name="name")
    else:
        page = await list_page(session, Plan, account_id, params, *filters)
    versions = await repo.current_versions(session, account_id, page.items)
    ids = await repo.price_ids_of_versions(session, account_id, [v.id for v in versions.values()])
    by_id = await repo.prices_by_id(session, account_id, [i for group in ids.values() for i in group])
    views = []
    for plan in page.items:
        version = versions[plan.id]
        views.append(PlanView(plan=plan, version=version, prices=[by_id[i] for i in ids[version.id]]))
    return page, views


# --- helpers --------------------------------------------------------------------------------------


_get_plan = loader(Plan)


async def _check_version(session: AsyncSession, account_id: str, data: PlanCreate | PlanUpdate,
                         plan_id: str | None) -> list[Price]:
    """Validate a version's content; return its prices in the order given."""
    if data.minimum is not None and quantize(data.minimum, data.currency) != data.minimum:
        raise invalid("minimum", f"has more decimals than {data.currency} allows")
    prices = await _plan_prices(session, account_id, data.price_ids, data.currency)
    await _check_customers(session, account_id, data.eligible_customer_ids)
    if data.parent_id is not None:
        if data.parent_id == plan_id:
            raise invalid("parentId", "a plan cannot be its own parent")
        await resolve("parentId", _get_plan(session, account_id, data.parent_id))
    return prices


async def _plan_prices(session: AsyncSession, account_id: str, price_ids: list[str], currency: str) -> list[Price]:
    """The contract answers 400 for unknown price ids of a plan; all prices share the plan's currency."""
    duplicates = sorted({i for i in price_ids if price_ids.count(i) > 1})
    if duplicates:
        raise invalid("priceIds", f"repeated ids: {', '.join(duplicates)}")
    found = await repo.live_prices_by_id(session, account_id, price_ids, lock=True)
    check_all("priceIds", price_ids, found, "Price")  # 400 naming priceIds[i] (unknown, deleted or foreign)
    for i, price_id in enumerate(price_ids):
        if found[price_id].currency != currency:
            raise invalid(f"priceIds[{i}]", f"price {price_id} is in {found[price_id].currency}, but every price of a "
                                            f"plan must be in the plan's currency ({currency})")
    return [found[i] for i in price_ids]


async def _check_customers(session: AsyncSession, account_id: str, customer_ids: list[str]) -> None:
    known: set[str] = set()
    for customer_id in dict.fromkeys(customer_ids):
        try:
            known.add((await customers.get_customer(session, account_id, customer_id)).id)
        except NotFound:
            pass
    check_all("eligibleCustomerIds", customer_ids, known, "Customer")


async def _write_version(session: AsyncSession, plan: Plan, data: PlanCreate | PlanUpdate, prices: list[Price], *,
                         number: int, effective_from: date | None, behaviour: str, outset: bool) -> PlanVersion:
    version = PlanVersion(
        id=uuid7(), account_id=plan.account_id, plan_id=plan.id, version=number, name=data.name, label=data.label,
        currency=data.currency, minimum=data.minimum, parent_id=data.parent_id,
        eligible_customer_ids=list(dict.fromkeys(data.eligible_customer_ids)), version_effective_from=effective_from,
        version_change_behaviour=behaviour, effective_from_outset=outset, created_at=clock.now(),
    )
    session.add(version)
    await session.flush()
    session.add_all(
        PlanVersionPrice(plan_version_id=version.id, position=i, account_id=plan.account_id, price_id=p.id)
        for i, p in enumerate(prices)
    )
    await session.flush()
    return version


def _midnight(day: date | None, *, next_day: bool = False) -> datetime | None:
    if day is None:
        return None
    if next_day:
        if day == date.max:
            return datetime.max.replace(tzinfo=UTC)
        day = day + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=UTC)
