"""``/sequence-accounts`` (tag Accounts, 2024-01-01) and ``/merchant-settings`` (a Quire extension, not in
Sequence's public API)."""

from __future__ import annotations

from quire.accounts import merchant, service
from quire.accounts.merchant import MerchantSettings
from quire.accounts.schemas import SequenceAccountPage, SequenceAccountRead, SequenceAccountUpdate
from quire.core.http import Account, Session, api_router
from quire.core.routing import ObjectRoutes

router = api_router(tags=["Merchant settings (Quire extension)"])

accounts = ObjectRoutes(router, ["Accounts"], SequenceAccountRead, service.present_account)
accounts.list("/sequence-accounts", "getSequenceAccounts", "get_sequence_accounts", SequenceAccountPage,
              service.list_accounts)
accounts.get("/sequence-accounts/{id}", "getSequenceAccountsById", "get_sequence_account", service.get_account)
accounts.update("/sequence-accounts/{id}", "putSequenceAccountsById", "put_sequence_account", SequenceAccountUpdate,
                service.update_account)


@router.get("/merchant-settings", response_model=MerchantSettings, operation_id="getMerchantSettings")
async def get_merchant_settings(session: Session, account: Account) -> MerchantSettings:
    return await merchant.load(session, account)


@router.put("/merchant-settings", response_model=MerchantSettings, operation_id="putMerchantSettings")
async def put_merchant_settings(body: MerchantSettings, session: Session, account: Account) -> MerchantSettings:
    """Replace the account's merchant settings; new invoices snapshot them."""
    return await merchant.replace(session, account, body)
