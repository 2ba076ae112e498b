"""ORM rows → wire models of the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from quire.catalogue.models import ListPrice, Plan, PlanVersion, Price, Product
from quire.catalogue.schemas import (
    BillingProductRead,
    IntegrationExternalIdentifier,
    IntegrationId,
    ListPriceRead,
    PlanRead,
    PriceParameter,
    PriceRead,
    ProductRead,
    UsageCalculationPeriod,
)
from quire.core.money import format_amount


def product(p: Product) -> ProductRead:
    return ProductRead(id=p.id, name=p.name, label=p.label, sequence_account_id=p.account_id, created_at=p.created_at,
                       updated_at=p.updated_at)


def billing_product(p: Product, prices: list[Price]) -> BillingProductRead:
    return BillingProductRead(id=p.id, name=p.name, label=p.label, sequence_account_id=p.account_id,
                              created_at=p.created_at, updated_at=p.updated_at, prices=[price(x) for x in prices])


def _period(raw: dict[str, object] | None) -> UsageCalculationPeriod | None:
    return UsageCalculationPeriod.model_validate(raw) if raw else None


def price(p: Price) -> PriceRead:
    return PriceRead(
        id=p.id,
        sequence_account_id=p.account_id,
        product_id=p.product_id,
        name=p.name,
        currency=p.currency,
        structure=dict(p.structure),
        billing_frequency=p.billing_frequency,
        billing_type=p.billing_type,
        created_at=p.created_at,
        updated_at=p.updated_at,
        deleted_at=p.deleted_at,
        external_ids=[IntegrationExternalIdentifier.model_validate(x) for x in p.external_ids],
        parameters=[PriceParameter.model_validate(x) for x in p.parameters],
        list_price_id=p.list_price_id,
        usage_calculation_period=_period(p.usage_calculation_period),
    )


def list_price(lp: ListPrice) -> ListPriceRead:
    return ListPriceRead(
        id=lp.id,
        product_id=lp.product_id,
        name=lp.name,
        currency=lp.currency,
        structure=dict(lp.structure),
        billing_frequency=lp.billing_frequency,
        usage_calculation_period=_period(lp.usage_calculation_period),
        billing_type=lp.billing_type,
        created_at=lp.created_at,
        updated_at=lp.updated_at,
        integration_ids=[IntegrationId.model_validate(x) for x in lp.integration_ids],
        custom_metric_parameters=[PriceParameter.model_validate(x) for x in lp.custom_metric_parameters],
        archived_at=lp.archived_at,
    )


@dataclass(frozen=True)
class PlanView:
    """A plan as of one of its versions, with that version's prices in order."""

    plan: Plan
    version: PlanVersion
    prices: list[Price]


def plan(view: PlanView) -> PlanRead:
    p, v = view.plan, view.version
    return PlanRead(
        id=p.id,
        name=v.name,
        label=v.label,
        type=p.type,
        sequence_account_id=p.account_id,
        version=v.version,
        currency=v.currency,
        minimum=format_amount(v.minimum, v.currency) if v.minimum is not None else None,
        prices=[price(x) for x in view.prices],
        parent_id=v.parent_id,
        eligible_customer_ids=list(v.eligible_customer_ids),
        status=p.status,
        version_effective_from=v.version_effective_from,
        version_change_behaviour=v.version_change_behaviour,
        created_at=p.created_at,
        updated_at=v.created_at,
        schedules_count=0,
    )
