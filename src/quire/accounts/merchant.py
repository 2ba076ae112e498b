"""Merchant settings: a documented Quire extension (Sequence sets these in its dashboard).

``GET/PUT /merchant-settings`` edit them; ``quire accounts create --merchant-settings JSON`` seeds
them. Each new invoice copies the merchant block (``merchantDetails``) so later edits never rewrite
an issued document. See docs/merchant-settings.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.models import Account
from quire.core.errors import ValidationFailed
from quire.core.schemas import Address, ApiModel, Email, KeyValuePair, RequestModel, ShortText
from quire.notifications.events import record_event


class SortCodeAccountNumber(ApiModel):
    sort_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    account_number: Annotated[str, Field(pattern=r"^\d{8}$")]


class PaymentReminders(ApiModel):
    """Payment reminders to customers of unpaid SENT invoices (docs/accounts.md#payment-reminders)."""

    enabled: bool = True
    # The first reminder this many days before the due date; the second on the due date.
    days_before_due: Annotated[int, Field(ge=1, le=60)] = 7
    # Copy the merchant's email (as on the invoice email).
    cc_merchant: bool = True


class MerchantSettings(RequestModel):
    legal_company_name: ShortText | None = None
    # The seller's company (registration) number: GET /sequence-accounts' ``companyNumber``.
    company_number: Annotated[str, Field(max_length=64)] | None = None
    address: Address | None = None
    email: Email | None = None
    phone_number: Annotated[str, Field(max_length=64)] | None = None
    tax_id: Annotated[str, Field(max_length=64)] | None = None
    iban: Annotated[str, Field(pattern=r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")] | None = None
    uk_account_details: SortCodeAccountNumber | None = None
    us_ach_details: dict[str, Any] | None = None
    us_wire_details: dict[str, Any] | None = None
    ca_bank_account_details: dict[str, Any] | None = None
    canadian_international_destination: dict[str, Any] | None = None
    australian_destination: dict[str, Any] | None = None
    logo_url: Annotated[str, Field(max_length=2048, pattern=r"^https?://")] | None = None
    primary_colour: Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")] | None = None
    custom_fields: Annotated[list[KeyValuePair], Field(max_length=20)] = []
    include_beneficiary_address_in_payment_details: bool = False
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30
    invoice_number_prefix: Annotated[str, Field(max_length=20, pattern=r"^[A-Za-z0-9_\-]*$")] = "INV"
    invoice_number_width: Annotated[int, Field(ge=1, le=12)] = 5
    credit_note_number_prefix: Annotated[str, Field(max_length=20, pattern=r"^[A-Za-z0-9_\-]*$")] = "CN"
    credit_note_number_width: Annotated[int, Field(ge=1, le=12)] = 5
    payment_reminders: PaymentReminders = PaymentReminders()
    # The customer portal (docs/portal.md): false answers every /portal/ URL of the account with 404.
    customer_portal_enabled: bool = True


_DETAIL_FIELDS = (
    "address", "phoneNumber", "email", "taxId", "iban", "ukAccountDetails", "usAchDetails", "usWireDetails",
    "caBankAccountDetails", "canadianInternationalDestination", "australianDestination", "logoUrl",
    "legalCompanyName", "primaryColour", "customFields", "includeBeneficiaryAddressInPaymentDetails",
)


def parse_settings(raw: dict[str, Any]) -> MerchantSettings:
    try:
        return MerchantSettings.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        raise ValidationFailed(f"Invalid merchant settings: {where}: {first['msg']}", field=where) from None


def merchant_details(settings: MerchantSettings) -> dict[str, Any] | None:
    """The invoice's ``merchantDetails`` block, or None until name, address and email are set."""
    if settings.legal_company_name is None or settings.address is None or settings.email is None:
        return None
    dumped = settings.model_dump(by_alias=True, exclude_none=True, mode="json")
    return {key: dumped[key] for key in _DETAIL_FIELDS if key in dumped}


async def _account(session: AsyncSession, account_id: str) -> Account:
    account = await session.get(Account, account_id)
    assert account is not None, "authenticated account vanished"
    return account


async def load(session: AsyncSession, account_id: str) -> MerchantSettings:
    return parse_settings((await _account(session, account_id)).merchant_settings)


async def replace(session: AsyncSession, account_id: str, settings: MerchantSettings) -> MerchantSettings:
    account = await _account(session, account_id)
    account.merchant_settings = settings.model_dump(by_alias=True, exclude_none=True, mode="json")
    await session.flush()
    await record_event(session, account_id, "MERCHANT_UPDATED", "MerchantSettings", account_id, account.merchant_settings)
    return settings
