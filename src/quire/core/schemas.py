"""The camelCase base model and the strict wire types shared by every domain."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Self

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator
from pydantic.alias_generators import to_camel
from sqlalchemy import inspect as sa_inspect

from quire.core.clock import isoformat_z
from quire.core.errors import ValidationFailed


class ApiModel(BaseModel):
    """Sequence's camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=False,
    )

    @classmethod
    def of_row(cls, row: Any, /, **values: Any) -> Self:
        """The model of a table row: see ``row_values``."""
        return cls(**row_values(cls, row, **values))


class AccountObject(ApiModel):
    """An object of one account as answered: its ``id`` and ``sequenceAccountId`` come first."""

    id: str
    sequence_account_id: str


class CustomerObject(AccountObject):
    """An object of one of the account's customers: ``customerId`` follows the account's."""

    customer_id: str


#: (model, row class) -> the (field, column) pairs ``row_values`` copies, worked out once per pair.
_ROW_COLUMNS: dict[tuple[type[BaseModel], type], tuple[tuple[str, str], ...]] = {}


def row_values(model: type[BaseModel], row: Any, /, **values: Any) -> dict[str, Any]:
    """``values`` completed with each of the model's fields read from the row's column of the same name
    (``sequence_account_id`` from ``account_id``, Sequence's name for the owning account). Only mapped
    columns are read, never relationships; ``values`` give the fields that are computed or named otherwise."""
    pairs = _ROW_COLUMNS.get((model, type(row)))
    if pairs is None:
        columns = {attr.key for attr in sa_inspect(type(row)).column_attrs}
        named = {name: "account_id" if name == "sequence_account_id" else name for name in model.model_fields}
        pairs = _ROW_COLUMNS[(model, type(row))] = tuple(
            (name, column) for name, column in named.items() if column in columns)
    for name, column in pairs:
        if name not in values:
            values[name] = getattr(row, column)
    return values


class RequestModel(ApiModel):
    """Request bodies: strings are not coerced from numbers or booleans."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", strict=False)

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        # PostgreSQL text cannot hold U+0000, and no UTF-8 database can hold an unpaired surrogate
        # ("\ud800" is valid JSON): refuse both for every database alike (400, not a 500 at INSERT).
        where = _unstorable_at(data)
        if where is not None:
            # A QuireError passes through pydantic untouched: the 400 names the offending field.
            raise ValidationFailed(
                f"{where or 'body'}: text must not contain the NUL character (U+0000) or unpaired surrogates",
                field=where or "body",
            )
        return data


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable_at(value: Any, path: str = "") -> str | None:
    """The path (``address.town``, ``items[2]``) of the first string holding U+0000 or an unpaired
    surrogate, or None; ``""`` is the value itself."""
    if isinstance(value, str):
        return path if _UNSTORABLE.search(value) is not None else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _UNSTORABLE.search(key) is not None:
                return inner
            found = _unstorable_at(item, inner)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable_at(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _aware_utc(value: datetime) -> datetime:
    """A timestamp with a time zone, held in UTC (and representable there: 9999-12-31T23:00-05:00 is not)."""
    if value.tzinfo is None:
        raise ValueError("must carry a time zone (e.g. 2024-01-01T00:00:00Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


#: Request timestamps: ISO 8601 with a zone, converted to UTC; naive or unrepresentable ones are 400.
AwareDateTime = Annotated[datetime, AfterValidator(_aware_utc)]


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError("must be a date in the format YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"is not a valid date: {exc}") from None


def _check_email(value: str) -> str:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from None
    return value


def strict_str(value: Any) -> Any:
    """A ``BeforeValidator``: a string as sent, never one coerced from a number or a boolean."""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def storable_text(value: str) -> str:
    """An ``AfterValidator`` (``NoNul``): text both databases can store, no U+0000 (PostgreSQL) and no
    lone surrogate (not UTF-8), refused as a 400 rather than a 500 in the driver."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it contains a lone surrogate)") from None
    return value


NoNul = AfterValidator(storable_text)


#: A calendar date on the wire: exactly ``YYYY-MM-DD``.
IsoDate = Annotated[date, BeforeValidator(_parse_date), PlainSerializer(lambda d: d.isoformat(), return_type=str)]
#: A timestamp on the wire: UTC ISO-8601 with ``Z``.
Timestamp = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str)]
#: An email address, validated for shape, echoed exactly as sent.
Email = Annotated[str, BeforeValidator(strict_str), Field(max_length=254), AfterValidator(_check_email)]

# Length limits for free text (docs/errors.md lists them).
ShortText = Annotated[str, Field(max_length=255)]
LongText = Annotated[str, Field(max_length=10_000)]


class KeyValuePair(ApiModel):
    key: Annotated[str, Field(max_length=255)]
    value: Annotated[str, Field(max_length=2_000)]


# --- Types shared by several domains, built from the contract's own enumerations -----------------
from typing import Literal  # noqa: E402

from pydantic import model_validator  # noqa: E402

from quire.core.contract_enums import (  # noqa: E402
    COUNTRY_CODE,
    CURRENCY,
    INTEGRATION_SERVICE,
    PAYMENT_PROVIDER,
    STATE,
    TAX_STATUS,
)

#: ISO 3166-1 alpha-2, as the contract lists them.
CountryCode = Literal[COUNTRY_CODE]  # type: ignore[valid-type]
#: A US state (an address's ``state``).
StateCode = Literal[STATE]  # type: ignore[valid-type]
#: ISO 4217, as the contract lists them.
CurrencyCode = Literal[CURRENCY]  # type: ignore[valid-type]
#: The system an external id belongs to (``externalIds[].key``, list prices' ``integrationIds``).
IntegrationService = Literal[INTEGRATION_SERVICE]  # type: ignore[valid-type]
#: A customer's or invoice's payment provider.
PaymentProvider = Literal[PAYMENT_PROVIDER]  # type: ignore[valid-type]
#: A customer's tax status, copied onto its invoices.
TaxStatus = Literal[TAX_STATUS]  # type: ignore[valid-type]
RequiredText = Annotated[str, BeforeValidator(strict_str), Field(min_length=1, max_length=255)]


class Address(ApiModel):
    """Sequence's ``Address``: line1, town, postcode, country required; state required in the US."""

    line1: RequiredText
    line2: Annotated[str, Field(max_length=255)] | None = None
    town: RequiredText
    state: StateCode | None = None
    postcode: Annotated[str, BeforeValidator(strict_str), Field(min_length=1, max_length=32)]
    country: CountryCode

    @model_validator(mode="after")
    def _us_needs_state(self) -> Address:
        if self.country == "US" and self.state is None:
            raise ValueError("state is required when country is US")
        return self
