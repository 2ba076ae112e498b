"""Rows → wire models of billing schedules, discounts and settings."""

from __future__ import annotations

from quire.catalogue import present as catalogue_present
from quire.schedules.models import BillingScheduleDiscount, BillingScheduleSettings, ScheduleDetail
from quire.schedules.schemas import (
    DiscountRead,
    EmbeddableDiscountRead,
    MinimumRead,
    PhaseRead,
    ScheduleRead,
    SettingsRead,
)


def schedule(d: ScheduleDetail) -> ScheduleRead:
    s = d.schedule
    return ScheduleRead.of_row(
        s,
        prices=[catalogue_present.price(d.prices[i]) for i in s.price_ids if i in d.prices],
        phases=[
            PhaseRead.of_row(
                p,
                discounts=[
                    EmbeddableDiscountRead(restrict_to_prices=x.price_ids, type=x.calculation_type, amount=x.amount,
                                           message=x.message, separate_line_item=x.separate_line_item)
                    for x in d.discounts.get(p.id, [])
                ],
                minimums=[MinimumRead.of_row(m) for m in d.minimums.get(p.id, [])],
            )
            for p in d.phases
        ],
    )


def discount(x: BillingScheduleDiscount) -> DiscountRead:
    return DiscountRead.of_row(x, discount_calculation_type=x.calculation_type)


def settings(x: BillingScheduleSettings) -> SettingsRead:
    return SettingsRead.of_row(x)
