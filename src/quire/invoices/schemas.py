"""Wire shapes of the Invoices and Invoice Line Items operations, version 2024-01-01.

Amounts are decimal strings on the wire, ``Decimal`` inside; totals are rendered with exactly the
currency's minor units (docs/money.md). Length limits are listed in docs/invoices.md.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from quire.billing_documents.schemas import (
    ExternalId, ExternalIds, GroupTailRead, Ident, LineBodyRead, LineFields, LinkInfo, Metadata, NewDocumentFields,
    RateDisplay, RecipientFields
)
from quire.core.contract_enums import (
    INVOICE_DUNNING_STATUS, INVOICE_PAYMENT_OPTION, INVOICE_PAYMENT_STATUS, INVOICE_STATUS,
    PAYMENT_LINK_DISPLAY_OPTION, REVENUE_CLASSIFICATION
)
from quire.core.pages import ListPage
from quire.core.schemas import (
    AccountObject, Address, ApiModel, AwareDateTime, CurrencyCode, IsoDate, KeyValuePair, LongText, PaymentProvider,
    RequestModel, ShortText, TaxStatus, Timestamp
)
from quire.tax.schemas import TaxIdentifier

InvoiceStatusName = Literal[INVOICE_STATUS]  # type: ignore[valid-type]
PaymentStatusName = Literal[INVOICE_PAYMENT_STATUS]  # type: ignore[valid-type]
PaymentOption = Literal[INVOICE_PAYMENT_OPTION]  # type: ignore[valid-type]
PaymentLinkDisplay = Literal[PAYMENT_LINK_DISPLAY_OPTION]  # type: ignore[valid-type]
RevenueClassification = Literal[REVENUE_CLASSIFICATION]  # type: ignore[valid-type]


def _in_order(first: str, last: str, message: str) -> Any:
    """A model validator: the date ``last`` must not be before ``first`` (else 400 with ``message``)."""
    def ordered(model: Any) -> Any:
        if getattr(model, last) < getattr(model, first):
            raise ValueError(message)
        return model
    return model_validator(mode="after")(ordered)


class InclusiveDateRange(ApiModel):
    start: IsoDate
    end_inclusive: IsoDate

    _ordered = _in_order("start", "end_inclusive", "billingPeriod.endInclusive must not be before billingPeriod.start")


class DateRange(ApiModel):
    start_date: IsoDate
    end_date: IsoDate

    _ordered = _in_order("start_date", "end_date", "servicePeriod.endDate must not be before servicePeriod.startDate")


class RenderSettings(ApiModel):
    payment_link_display: PaymentLinkDisplay = "SHOW_PAYMENT_LINK"


PaymentOptions = Annotated[list[PaymentOption], Field(max_length=2)]


class _InvoiceHead(RequestModel):
    due_date: IsoDate | None = None
    purchase_order_number: ShortText | None = None
    reference: ShortText | None = None


class InvoiceFields(RecipientFields, _InvoiceHead):
    """The body of PUT and PATCH, and the optional part of POST /invoices."""

    payment_options: PaymentOptions | None = None
    billing_period: InclusiveDateRange | None = None
    metadata: Metadata | None = None
    credit_balances: LongText | None = None
    billing_run_id: Ident | None = None
    accounting_date: IsoDate | None = None


class InvoiceCreate(NewDocumentFields, InvoiceFields):
    billing_schedule_id: Ident | None = None
    # Quire extension (docs/tax.md): when omitted, the customer's first tax registration is copied.
    customer_tax_id: TaxIdentifier | None = None


class InvoiceUpdate(InvoiceFields):
    """PUT and PATCH: a merge. Omitted fields keep their value; explicit null clears an optional one."""


class InvoiceRead(AccountObject):
    billing_schedule_id: str | None = None
    status: InvoiceStatusName
    currency: CurrencyCode
    invoice_number: str | None = None
    issue_date: IsoDate | None = None
    due_date: IsoDate | None = None
    purchase_order_number: str | None = None
    reference: str | None = None
    customer_emails: list[str]
    customer_legal_company_name: str
    customer_billing_address: Address
    customer_shipping_address: Address
    memo: str | None = None
    payment_options: list[PaymentOption] | None = None
    billing_period: InclusiveDateRange | None = None
    customer_id: str
    total_tax: str
    net_total: str
    gross_total: str
    metadata: list[KeyValuePair]
    customer_tax_id: str | None = None
    payment_status: PaymentStatusName
    created_at: Timestamp
    credit_note_ids: list[str]
    linked_services: list[LinkInfo]
    merchant_details: dict[str, Any] | None = None
    credit_balances: str | None = None
    dunning_status: Literal[INVOICE_DUNNING_STATUS] | None = None  # type: ignore[valid-type]
    accounting_date: IsoDate
    calculated_at: Timestamp | None = None
    customer_tax_status: TaxStatus | None = None
    render_settings: RenderSettings
    billing_run_id: str | None = None


class InvoicePage(ListPage[InvoiceRead]):
    pass


class PaymentStatusUpdate(RequestModel):
    payment_status: PaymentStatusName


#: ``sortBy`` of GET /invoices (the column each sorts by: ``models.KIND.sorts``).
InvoiceSortBy = StrEnum("InvoiceSortBy", {"CREATED_AT": "createdAt", "CUSTOMER_LEGAL_COMPANY_NAME": "CUSTOMER_LEGAL_COMPANY_NAME",
                                          "GROSS_TOTAL": "GROSS_TOTAL", "ACCOUNTING_DATE": "ACCOUNTING_DATE"})


# --- line items and groups ------------------------------------------------------------------------


class LineItemWrite(LineFields):
    tax_rate_id: Ident | None = None
    service_period_start: AwareDateTime | None = None
    service_period_end: AwareDateTime | None = None
    service_period: DateRange | None = None
    group_id: Ident | None = None
    price_id: Ident | None = None
    rate_display: RateDisplay = "ABSOLUTE"
    external_ids: ExternalIds
    revenue_classification: RevenueClassification | None = None
    credit_grant_id: Ident | None = None

    @model_validator(mode="after")
    def _tax_rate_given(self) -> LineItemWrite:
        if self.tax_rate is None and self.tax_rate_id is None:
            raise ValueError("taxRate is required (or taxRateId, the id of one of your tax rates)")
        return self

    @model_validator(mode="after")
    def _periods(self) -> LineItemWrite:
        if self.service_period_start and self.service_period_end and self.service_period_end < self.service_period_start:
            raise ValueError("servicePeriodEnd must not be before servicePeriodStart")
        return self


class _OfInvoice(ApiModel):
    id: str
    invoice_id: str


class LineItemRead(LineBodyRead, _OfInvoice):
    service_period_start: Timestamp | None = None
    service_period_end: Timestamp | None = None
    service_period: DateRange | None = None
    index: int
    group_id: str | None = None
    net_total: str
    total_tax: str
    gross_total: str
    price_id: str | None = None
    rate_display: RateDisplay
    external_ids: list[ExternalId]
    revenue_classification: RevenueClassification | None = None
    credit_grant_id: str | None = None


class LineItemPage(ListPage[LineItemRead]):
    pass


class GroupRead(GroupTailRead, _OfInvoice):
    pass


class GroupPage(ListPage[GroupRead]):
    pass


# --- invoice payment settings ---------------------------------------------------------------------


class InvoiceSettingsCreate(RequestModel):
    invoice_id: Ident
    payment_provider: PaymentProvider
    customer_id: Ident | None = None


class InvoiceSettingsUpdate(RequestModel):
    payment_provider: PaymentProvider


class InvoiceSettingsRead(AccountObject):
    invoice_id: str
    customer_id: str | None = None
    payment_provider: PaymentProvider
