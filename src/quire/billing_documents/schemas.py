"""Wire pieces every kind shares, so a value valid on an invoice is valid on a credit note: amounts as
decimal strings, ids, emails, metadata, external ids and linked services."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from quire.core.contract_enums import INTEGRATION_SERVICE, RATE_DISPLAY
from quire.core.money import InvalidDecimal, parse_decimal
from quire.core.schemas import ApiModel, Email, KeyValuePair, Timestamp

RateDisplay = Literal[RATE_DISPLAY]  # type: ignore[valid-type]
IntegrationService = Literal[INTEGRATION_SERVICE]  # type: ignore[valid-type]
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
