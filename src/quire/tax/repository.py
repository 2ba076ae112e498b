"""Every tax query lives here; each one is scoped to an account."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.repository import owned
from quire.tax.models import TaxRateUse, TaxRegistration


async def is_used_by(session: AsyncSession, account_id: str, rate_id: str, document_id: str) -> bool:
    stmt = select(func.count()).where(
        TaxRateUse.account_id == account_id, TaxRateUse.tax_rate_id == rate_id, TaxRateUse.document_id == document_id
    )
    return bool(await session.scalar(stmt))


async def count_uses(session: AsyncSession, account_id: str, rate_id: str) -> int:
    stmt = select(func.count()).where(TaxRateUse.account_id == account_id, TaxRateUse.tax_rate_id == rate_id)
    return int(await session.scalar(stmt) or 0)


async def registrations_of(
    session: AsyncSession, account_id: str, *, customer_id: str | None = None, merchant_id: str | None = None
) -> list[TaxRegistration]:
    """A customer's or the merchant's registrations, oldest first (the first is the one invoices use)."""
    owner = TaxRegistration.customer_id == customer_id if customer_id is not None else TaxRegistration.merchant_id == merchant_id
    stmt = owned(TaxRegistration, account_id, owner).order_by(TaxRegistration.created_at, TaxRegistration.id)
    return list((await session.scalars(stmt)).all())
