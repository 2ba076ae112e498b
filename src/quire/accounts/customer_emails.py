"""Whether Quire may email an account's customers (``sendCustomerNotifications``, docs/accounts.md).

A module of its own, importing only the table: the outbox and the billing engine ask it, and the account
service (merchant settings, which record events that send emails) must not be imported by them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.models import Account


async def customer_notifications_on(session: AsyncSession, account_id: str) -> bool:
    """``sendCustomerNotifications`` of the account: may Quire email its customers?"""
    value = await session.scalar(select(Account.send_customer_notifications).where(Account.id == account_id))
    return bool(value) if value is not None else True
