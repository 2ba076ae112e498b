"""Wire pieces every kind shares, so a value valid on an invoice is valid on a credit note: amounts as
decimal strings, ids, emails, metadata, external ids and linked services, the recipient and line fields
of request bodies, and a group's body."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from quire.core.contract_enums import RATE_DISPLAY
from quire.core.money import InvalidDecimal, parse_decimal
from quire.core.schemas import (
    Address, ApiModel, CurrencyCode, Email, IntegrationService, KeyValuePair, LongText, RequestModel, RequiredText, Timestamp
)

RateDisplay = Literal[RATE_DISPLAY]  # type: ignore[valid-type]
Ident = Annotated[str, Field(min_length=1, max_length=64)]


def _decimal(value: Any, *, field: str, allow_negative: bool = True, upper: Decimal | None = None) -> Decimal:
    try:
        parsed = parse_decimal(value, field=field, max_places=10, allow_negative=allow_negative)
    except InvalidDecimal as exc:
        raise ValueError(str(exc)) from None
    if upper is not None and parsed > upper:
        raise ValueError(f"{field} must be a fraction between 0 and 1 (\"0.2\" is 20%)")
    return parsed


Quantity = Annotated[Decimal, BeforeValidator(partial(_decimal, field="quantity"))]
Rate = Annotated[Decimal, BeforeValidator(partial(_decimal, field="rate"))]
TaxRate = Annotated[Decimal, BeforeValidator(partial(_decimal, field="taxRate", allow_negative=False, upper=Decimal(1)))]

Emails = Annotated[list[Email], Field(max_length=50)]
Metadata = Annotated[list[KeyValuePair], Field(max_length=100)]


class LinkInfo(ApiModel):
    external_id: str
    external_service: IntegrationService
    sync_time: Timestamp


class ExternalId(ApiModel):
    key: IntegrationService
    value: Annotated[str, Field(min_length=1, max_length=255)]


ExternalIds = Annotated[list[ExternalId], Field(max_length=20)]


# --- request bodies ---------------------------------------------------------------------------------
# A kind's model may take shared fields from here and still keep the wire order of 2024-01-01 (which is
# also the order of validation errors): pydantic lists the fields of the last base first, then those of
# the bases before it, then the class's own.


class RecipientFields(RequestModel):
    """Who the document is addressed to, and its memo (optional: omitted ones are copied from the customer,
    or from the credited invoice)."""

    customer_emails: Emails | None = None
    customer_legal_company_name: RequiredText | None = None
    customer_billing_address: Address | None = None
    customer_shipping_address: Address | None = None
    memo: LongText | None = None


class NewDocumentFields(RequestModel):
    """What a create body must name."""

    currency: CurrencyCode
    customer_id: Ident


class LineFields(RequestModel):
    """What every line write sends first."""

    title: RequiredText
    description: LongText | None = None
    quantity: Quantity
    rate: Rate
    # Required by the contract; invoice lines also accept ``taxRateId`` instead (an extension, docs/tax.md).
    tax_rate: TaxRate | None = None


class GroupWrite(RequestModel):
    title: RequiredText
    description: LongText | None = None


# --- responses: the shared tail of a kind's model (its own leading fields in the last base) ------------


class DocumentTailRead(ApiModel):
    """The order number, customer and recipient, amounts, metadata and links of a document: the end of a
    credit note's response."""

    purchase_order_number: str | None = None
    customer_id: str
    customer_emails: list[str]
    customer_legal_company_name: str
    customer_billing_address: Address
    customer_shipping_address: Address
    memo: str | None = None
    total_tax: str
    net_total: str
    gross_total: str
    metadata: list[KeyValuePair]
    customer_tax_id: str | None = None
    linked_services: list[LinkInfo]
    merchant_details: dict[str, Any] | None = None


class LineBodyRead(ApiModel):
    """What a line answers after its ids, before its kind's own fields."""

    title: str
    description: str | None = None
    quantity: str
    rate: str
    tax_rate: str


class GroupTailRead(ApiModel):
    """A group's own fields, after its id and its document's."""

    title: str
    description: str | None = None
    index: int
    net_total: str
    total_tax: str
    gross_total: str
