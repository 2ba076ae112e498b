"""Wire shapes of the Credits operations, version 2024-01-01.

The contract types a grant's ``amount`` and ``costOfCredit`` (and ``grantAmount``/``balance`` of
``GET /credits/{customerId}/grants``) as JSON **numbers**, unlike every other Quire amount: they are read
exactly (the body's numbers are parsed as ``Decimal``, ``DECODER``) and written as numbers. A number has at
most 15 significant digits, so the double a client's JSON parser makes of it reads back exactly
(docs/credits.md). The balances operation types its amounts as strings: decimal strings there.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from quire.billing_documents.schemas import Ident
from quire.core import request_body
from quire.core.pages import ListPage
from quire.core.schemas import ApiModel, CurrencyCode, CustomerObject, IsoDate, RequestModel, RequiredText, Timestamp

#: Significant digits of a JSON number Quire accepts and answers: a double holds any 15-digit decimal exactly.
MAX_DIGITS = 15
#: Decimal places of an amount (a grant's units; money amounts are held to the currency's minor units).
MAX_PLACES = 10

CreditUnitType = Literal["CURRENCY", "METRIC"]
CreditType = Literal["CASH", "USAGE"]


def _exact(text: str) -> Decimal:
    """A JSON number with a fraction or exponent, exactly; refused like the default parser refuses it when a
    double cannot hold it (``1e400``, ``1e-400``), wherever it is in the body."""
    request_body.checked_float(text)
    return Decimal(text)


#: The request parser's strict decoder, with JSON numbers read as exact ``Decimal`` (integers as ``int``).
DECODER = request_body.decoder(_exact, request_body.checked_int)


def parse_number(value: Any, *, field: str) -> Decimal:
    """A JSON number as an exact decimal: at most ``MAX_DIGITS`` significant digits, ``MAX_PLACES`` places."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        raise ValueError(f"{field} must be a number")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{field} must be a finite number")
    sign, digits, exponent = number.normalize().as_tuple()
    assert isinstance(exponent, int)
    if number and len(digits) > MAX_DIGITS:
        raise ValueError(f"{field} has more than {MAX_DIGITS} significant digits (a JSON number must read back "
                         "exactly as a double)")
    if number and -exponent > MAX_PLACES:
        raise ValueError(f"{field} has more than {MAX_PLACES} decimal places")
    if number and number.adjusted() >= MAX_DIGITS:
        raise ValueError(f"{field} is too large (at most {MAX_DIGITS} integer digits)")
    return Decimal(format(number.normalize(), "f")) if number else Decimal(0)


def _as_number(value: Decimal) -> int | float:
    """A decimal of at most 15 significant digits as the JSON number that spells it (exact)."""
    return int(value) if value == value.to_integral_value() else float(value)


#: An amount the contract types as a JSON number: exact ``Decimal`` inside, a number on the wire.
JsonNumber = Annotated[Decimal, PlainSerializer(_as_number, return_type=float, when_used="json"),
                       WithJsonSchema({"type": "number"})]


def _number_in(field: str) -> Any:
    return Annotated[Decimal, BeforeValidator(partial(parse_number, field=field)), WithJsonSchema({"type": "number"})]


class CreditGrantCreate(RequestModel):
    sequence_account_id: Ident
    customer_id: Ident
    name: RequiredText
    credit_unit_type: CreditUnitType
    currency: CurrencyCode
    metric_id: Ident | None = None
    amount: _number_in("amount")  # type: ignore[valid-type]
    cost_of_credit: _number_in("costOfCredit") | None = None  # type: ignore[valid-type]
    effective_date: IsoDate | None = None
    expiry_date: IsoDate | None = None
    # Quire extension (docs/credits.md): the tax rate of the invoice line charging costOfCredit.
    tax_rate_id: Ident | None = None


class CreditGrantRead(CustomerObject):
    name: str
    credit_unit_type: CreditUnitType
    currency: CurrencyCode
    metric_id: str | None = None
    amount: JsonNumber
    cost_of_credit: JsonNumber
    tax_rate_id: str | None = None
    effective_date: IsoDate | None = None
    expiry_date: IsoDate | None = None
    created_at: Timestamp


class CreditGrantPage(ListPage[CreditGrantRead]):
    pass


class CustomerGrantRead(ApiModel):
    id: str
    name: str
    grant_amount: JsonNumber
    balance: JsonNumber
    issue_date: IsoDate
    expiry_date: IsoDate | None = None


class CustomerGrants(ApiModel):
    items: list[CustomerGrantRead]


class BalanceGrantRead(CustomerObject):
    type: CreditType
    currency: CurrencyCode
    metric_id: str | None = None
    name: str
    original_amount: str
    current_balance: str
    expiry_date: IsoDate | None = None
    cost_of_credit: str
    tax_rate_id: str | None = None
    effective_date: IsoDate | None = None
    created_at: Timestamp


class CreditTransactionRead(ApiModel):
    id: str
    grant_id: str
    reason: str | None = None
    invoice_id: str | None = None
    billing_run_id: str | None = None
    type: str
    amount: str
    date: IsoDate


class CreditBalanceRead(ApiModel):
    id: str
    type: CreditType
    name: str
    balance: str
    grants: list[BalanceGrantRead]
    transactions: list[CreditTransactionRead]


class CreditBalances(ApiModel):
    items: list[CreditBalanceRead]
