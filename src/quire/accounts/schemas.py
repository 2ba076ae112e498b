"""The ``SequenceAccount`` object (tag Accounts) and its update request."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from quire.core.pages import ListPage
from quire.core.schemas import ApiModel, CountryCode, Email, RequestModel, Timestamp

#: ``alertEmailAddresses`` holds at most this many addresses.
MAX_ALERT_ADDRESSES = 20


class SequenceAccountRead(ApiModel):
    id: str
    created_at: Timestamp
    sequence_organisation_id: str
    company_name: str
    company_number: str
    country: CountryCode
    send_customer_notifications: bool
    alert_email_addresses: list[str]


class SequenceAccountPage(ListPage[SequenceAccountRead]):
    pass


class SequenceAccountUpdate(RequestModel):
    # ``null`` (which 2024-07-30 allows) clears the list, as ``[]`` does; absent is still 400 (required).
    alert_email_addresses: Annotated[list[Email], BeforeValidator(lambda v: [] if v is None else v),
                                     Field(max_length=MAX_ALERT_ADDRESSES)]
