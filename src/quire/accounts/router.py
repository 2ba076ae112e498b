"""``/merchant-settings``: a Quire extension (not in Sequence's public API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts import merchant
from quire.accounts.merchant import MerchantSettings
from quire.core.http import account_of, api_router, session_of

router = api_router(tags=["Merchant settings (Quire extension)"])
Session = Annotated[AsyncSession, Depends(session_of)]
Account = Annotated[str, Depends(account_of)]


@router.get("/merchant-settings", response_model=MerchantSettings, operation_id="getMerchantSettings")
async def get_merchant_settings(session: Session, account: Account) -> MerchantSettings:
    return await merchant.load(session, account)


@router.put("/merchant-settings", response_model=MerchantSettings, operation_id="putMerchantSettings")
async def put_merchant_settings(body: MerchantSettings, session: Session, account: Account) -> MerchantSettings:
    """Replace the account's merchant settings; new invoices snapshot them."""
    return await merchant.replace(session, account, body)
