"""Every tax query lives here; each one is scoped to an account."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.ids import is_uuid
from quire.tax.models import TaxRate, TaxRateUse, TaxRegistration


async def get_rate(
    session: AsyncSession, account_id: str, rate_id: str, *, lock: bool = False, share: bool = False
) -> TaxRate | None:
    """``lock``: FOR UPDATE (archive, edit, delete); ``share``: FOR SHARE (a line using the rate), so a
    rate cannot be archived or deleted while a line is being written with it (PostgreSQL)."""
    if not is_uuid(rate_id):
        return None
    stmt = select(TaxRate).where(TaxRate.account_id == account_id, TaxRate.id == rate_id)
    if lock or share:
        stmt = stmt.with_for_update(read=share and not lock)
    return (await session.scalars(stmt)).one_or_none()


def list_rates_stmt(account_id: str) -> Select[tuple[TaxRate]]:
    return select(TaxRate).where(TaxRate.account_id == account_id)


async def is_used_by(session: AsyncSession, account_id: str, rate_id: str, document_id: str) -> bool:
    stmt = select(func.count()).where(
        TaxRateUse.account_id == account_id, TaxRateUse.tax_rate_id == rate_id, TaxRateUse.document_id == document_id
    )
    return bool(await session.scalar(stmt))


async def count_uses(session: AsyncSession, account_id: str, rate_id: str) -> int:
    stmt = select(func.count()).where(TaxRateUse.account_id == account_id, TaxRateUse.tax_rate_id == rate_id)
    return int(await session.scalar(stmt) or 0)


async def get_registration(session: AsyncSession, account_id: str, registration_id: str) -> TaxRegistration | None:
    if not is_uuid(registration_id):
        return None
    stmt = select(TaxRegistration).where(TaxRegistration.account_id == account_id, TaxRegistration.id == registration_id)
    return (await session.scalars(stmt)).one_or_none()


def list_registrations_stmt(account_id: str) -> Select[tuple[TaxRegistration]]:
    return select(TaxRegistration).where(TaxRegistration.account_id == account_id)


async def registrations_of(
    session: AsyncSession, account_id: str, *, customer_id: str | None = None, merchant_id: str | None = None
) -> list[TaxRegistration]:
    """A customer's or the merchant's registrations, oldest first (the first is the one invoices use)."""
    owner = TaxRegistration.customer_id == customer_id if customer_id is not None else TaxRegistration.merchant_id == merchant_id
    stmt = list_registrations_stmt(account_id).where(owner).order_by(TaxRegistration.created_at, TaxRegistration.id)
    return list((await session.scalars(stmt)).all())
