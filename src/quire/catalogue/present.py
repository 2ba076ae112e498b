"""ORM rows → wire models of the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from quire.catalogue.models import ListPrice, Plan, PlanVersion, Price, Product
from quire.catalogue.schemas import BillingProductRead, ListPriceRead, PlanRead, PriceRead, ProductRead
from quire.core.money import format_amount


def product(p: Product) -> ProductRead:
    return ProductRead.of_row(p)


def billing_product(p: Product, prices: list[Price]) -> BillingProductRead:
    return BillingProductRead.of_row(p, prices=[price(x) for x in prices])


def price(p: Price) -> PriceRead:
    return PriceRead.of_row(p, usage_calculation_period=p.usage_calculation_period or None)


def list_price(lp: ListPrice) -> ListPriceRead:
    return ListPriceRead.of_row(lp, usage_calculation_period=lp.usage_calculation_period or None)


@dataclass(frozen=True)
class PlanView:
    """A plan as of one of its versions, with that version's prices in order."""

    plan: Plan
    version: PlanVersion
    prices: list[Price]


def plan(view: PlanView) -> PlanRead:
    """The plan's identity and status with the fields of the version viewed."""
    p, v = view.plan, view.version
    return PlanRead.of_row(
        v,
        id=p.id,
        type=p.type,
        status=p.status,
        minimum=format_amount(v.minimum, v.currency) if v.minimum is not None else None,
        prices=[price(x) for x in view.prices],
        created_at=p.created_at,
        updated_at=v.created_at,
        schedules_count=0,
    )
