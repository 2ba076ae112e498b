"""Wire shapes of the Tax Rates and Tax Registrations operations, version 2024-01-01.

``amount`` (of a rate and of each sub-rate) is a fraction on the wire, like a line's ``taxRate``:
``"0.2"`` is 20%. The contract's text says "between 0 and 100" while its own example is ``"0.2"``;
Quire follows the example and the line items (docs/tax.md).
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, StrictStr

from quire.core.money import InvalidDecimal, decimal_str, parse_decimal
from quire.core.pages import ListPage
from quire.core.schemas import (
    AccountObject,
    ApiModel,
    CountryCode,
    LongText,
    NoNul,
    RequestModel,
    RequiredText,
    ShortText,
    StateCode,
)
from quire.tax.models import TaxRate, TaxRegistration


Ident = Annotated[str, Field(min_length=1, max_length=64), NoNul]
TaxIdentifier = Annotated[StrictStr, Field(min_length=1, max_length=64), NoNul]
Name = Annotated[RequiredText, NoNul]
MAX_SUB_RATES = 20


def _fraction(value: Any, *, field: str) -> Decimal:
    try:
        parsed = parse_decimal(value, field=field, max_places=10, allow_negative=False)
    except InvalidDecimal as exc:
        raise ValueError(str(exc)) from None
    if parsed > 1:
        raise ValueError(f"{field} must be a fraction between 0 and 1 (\"0.2\" is 20%)")
    return parsed


Amount = Annotated[Decimal, BeforeValidator(partial(_fraction, field="amount"))]


class SubRate(RequestModel):
    """One component of a rate (e.g. a federal and a provincial part); the amounts add up to the rate's."""

    name: Name
    amount: Amount


class TaxRateCreate(RequestModel):
    is_published: StrictBool
    name: Name
    invoice_name: Name
    invoice_short_name: Name
    description: Annotated[LongText, NoNul] | None = None
    amount: Amount
    country: CountryCode
    region: Annotated[ShortText, NoNul] | None = None
    tax_category_id: Ident | None = None
    sub_rates: Annotated[list[SubRate], Field(max_length=MAX_SUB_RATES)] = []


class TaxRateUpdate(TaxRateCreate):
    """PUT /tax-rates/{id}: a full replacement; ``id`` must repeat the path's id."""

    id: Ident


class TaxRateRead(ApiModel):
    id: str
    version_id: str
    sequence_account_id: str
    version: int
    is_published: bool
    name: str
    invoice_name: str
    invoice_short_name: str
    description: str | None = None
    amount: str
    country: CountryCode
    region: str | None = None
    tax_category_id: str | None = None
    sub_rates: list[dict[str, str]]
    is_archived: bool


class TaxRatePage(ListPage[TaxRateRead]):
    pass


class TaxRegistrationWrite(RequestModel):
    """Create and PUT. Create needs exactly one owner (customerId or merchantId); PUT keeps the owner
    when neither is sent."""

    tax_identifier: TaxIdentifier
    customer_id: Ident | None = None
    merchant_id: Ident | None = None
    country: CountryCode
    state: StateCode | None = None


class TaxRegistrationRead(AccountObject):
    tax_identifier: str
    customer_id: str | None = None
    merchant_id: str | None = None
    country: CountryCode
    state: StateCode | None = None


class TaxRegistrationPage(ListPage[TaxRegistrationRead]):
    pass


def sub_rates_json(sub_rates: list[SubRate]) -> list[dict[str, str]]:
    return [{"name": s.name, "amount": decimal_str(s.amount)} for s in sub_rates]


def present_rate(rate: TaxRate) -> TaxRateRead:
    return TaxRateRead.of_row(rate, amount=decimal_str(rate.amount), is_archived=rate.archived_at is not None)


def present_registration(reg: TaxRegistration) -> TaxRegistrationRead:
    return TaxRegistrationRead.of_row(reg)
