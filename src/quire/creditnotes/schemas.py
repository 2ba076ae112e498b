"""Wire shapes of the Credit Notes and Credit Note Line Items operations, version 2024-01-01.

Shared types (amount parsing, emails, metadata, external ids) are the billing-document core's
(``quire.billing_documents.schemas``), so a value that is valid on an invoice is valid on a credit
note. Credit note lines are positive: quantity and rate must not be negative (docs/credit-notes.md).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from quire.billing_documents.schemas import (
    DocumentTailRead, ExternalId, ExternalIds, GroupTailRead, GroupWrite, Ident, LineBodyRead, LineFields, Metadata,
    NewDocumentFields, RateDisplay, RecipientFields, TaxRate
)
from quire.core.contract_enums import CREDIT_NOTE_STATUS
from quire.core.errors import ValidationFailed
from quire.core.pages import ListPage
from quire.core.schemas import (
    AccountObject, ApiModel, AwareDateTime, CurrencyCode, IsoDate, RequestModel, ShortText, Timestamp
)
from quire.outbox.models import OutboxEmail
from quire.outbox.schemas import EmailFields, email_fields

CreditNoteStatusName = Literal[CREDIT_NOTE_STATUS]  # type: ignore[valid-type]


class _CreditNoteHead(RequestModel):
    """What a credit note's create and update bodies may set (all optional here), in the contract's order:
    these, the recipient's fields, then ``CreditNoteFields``' own."""

    billing_period_start: AwareDateTime | None = None
    billing_period_end: AwareDateTime | None = None
    purchase_order_number: ShortText | None = None


class CreditNoteFields(RecipientFields, _CreditNoteHead):
    metadata: Metadata | None = None
    customer_tax_id: Annotated[str, Field(max_length=64)] | None = None


class CreditNoteCreate(NewDocumentFields, CreditNoteFields):
    invoice_id: Ident | None = None


class CreditNoteUpdate(CreditNoteFields):
    """PUT: a merge. Omitted fields keep their value; explicit null clears an optional one."""


class _CreditNoteReadHead(AccountObject):
    status: CreditNoteStatusName
    invoice_id: str | None = None
    invoice_number: str | None = None
    billing_schedule_id: str | None = None
    currency: CurrencyCode
    issue_date: IsoDate | None = None
    billing_period_start: Timestamp | None = None
    billing_period_end: Timestamp | None = None
    credit_note_number: str | None = None


class CreditNoteRead(DocumentTailRead, _CreditNoteReadHead):
    pass


class CreditNotePage(ListPage[CreditNoteRead]):
    pass


#: ``sortBy`` of GET /credit-notes (the column each sorts by: ``models.KIND.sorts``).
CreditNoteSortBy = StrEnum("CreditNoteSortBy", {"CREATED_AT": "createdAt", "GROSS_TOTAL": "GROSS_TOTAL",
                                                "CREDIT_NOTE_NUMBER": "CREDIT_NOTE_NUMBER", "STATUS": "STATUS"})


# --- line items and groups ------------------------------------------------------------------------


class CreditLineFields(LineFields):
    """The body of PUT …/line-items/{id}; it replaces the line's values (groupId and lineItemId stay)."""

    tax_rate: TaxRate
    rate_display: RateDisplay = "ABSOLUTE"
    external_ids: ExternalIds

    @field_validator("quantity", "rate")
    @classmethod
    def _not_negative(cls, value: Decimal, info: Any) -> Decimal:
        if value < 0:
            raise ValueError(f"{info.field_name} must not be negative on a credit note (credit notes are positive)")
        return value


class CreditLineCreate(CreditLineFields):
    credit_note_id: Ident
    group_id: Ident | None = None
    line_item_id: Ident | None = None


class _CreditLineHead(ApiModel):
    id: str
    credit_note_id: str
    group_id: str | None = None
    line_item_id: str | None = None


class CreditLineRead(LineBodyRead, _CreditLineHead):
    index: int
    price_id: str | None = None
    net_total: str
    total_tax: str
    gross_total: str
    rate_display: RateDisplay
    external_ids: list[ExternalId]


class CreditLinePage(ListPage[CreditLineRead]):
    pass


class CreditGroupUpdate(GroupWrite):
    pass


class CreditGroupCreate(CreditGroupUpdate):
    line_item_group_id: Ident | None = None


class _CreditGroupHead(ApiModel):
    id: str
    credit_note_id: str
    line_item_group_id: str | None = None


class CreditGroupRead(GroupTailRead, _CreditGroupHead):
    pass


class CreditGroupPage(ListPage[CreditGroupRead]):
    pass


def check_period(start: datetime | None, end: datetime | None) -> None:
    """billingPeriodEnd must not be before billingPeriodStart (checked on the merged values)."""
    if start is not None and end is not None and end < start:
        raise ValidationFailed("billingPeriodEnd must not be before billingPeriodStart", field="billingPeriodEnd")



# --- delivery (Quire extension, as for invoices: docs/delivery.md) -----------------------------------


class CreditNoteEmailRead(EmailFields):
    credit_note_id: str


class CreditNoteEmailPage(ListPage[CreditNoteEmailRead]):
    pass


def email_read(row: OutboxEmail) -> CreditNoteEmailRead:
    return CreditNoteEmailRead(credit_note_id=row.subject_id, **email_fields(row))
