"""ORM rows → wire models: the fields every document has (``quire.billing_documents.present``), then the
invoice's own (columns of the same name are copied: ``ApiModel.of_row``)."""

from __future__ import annotations

from quire.billing_documents.present import amounts, document_fields, line_fields
from quire.invoices.models import Invoice, InvoiceLineItem, InvoiceLineItemGroup, InvoiceSettings
from quire.invoices.schemas import (
    DateRange, GroupRead, InclusiveDateRange, InvoiceRead, InvoiceSettingsRead, LineItemRead, RenderSettings
)


def invoice(inv: Invoice) -> InvoiceRead:
    period = None
    if inv.billing_period_start is not None and inv.billing_period_end is not None:
        period = InclusiveDateRange(start=inv.billing_period_start, end_inclusive=inv.billing_period_end)
    return InvoiceRead.of_row(inv, **document_fields(inv), billing_period=period,
                              render_settings=RenderSettings.model_validate(inv.render_settings))


def line(item: InvoiceLineItem, currency: str) -> LineItemRead:
    period = DateRange.model_validate(item.service_period) if item.service_period else None
    return LineItemRead.of_row(item, **line_fields(item, currency), service_period=period)


def group(grp: InvoiceLineItemGroup, currency: str) -> GroupRead:
    return GroupRead.of_row(grp, **amounts(grp, currency))


def settings(s: InvoiceSettings) -> InvoiceSettingsRead:
    return InvoiceSettingsRead.of_row(s)
