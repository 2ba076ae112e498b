"""Tax rate use-cases: create, read, edit (a new version), archive, delete, list, and use on a line.

Services flush, never commit: the request's route commits once.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.errors import ValidationFailed
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams
from quire.core.references import unknown_reference
from quire.core.repository import assign, find_owned, insert, list_page, loader, remove, stamp_once
from quire.tax import repository as repo
from quire.tax.models import TaxRate, TaxRateUse
from quire.tax.rules import sub_rates_problem
from quire.tax.schemas import TaxRateCreate, TaxRateUpdate, sub_rates_json


class TaxRateArchived(ValidationFailed):
    error_type = "TaxRateArchived"


class TaxRateNotPublished(ValidationFailed):
    error_type = "TaxRateNotPublished"


class TaxRateInUse(ValidationFailed):
    error_type = "TaxRateInUse"


def _fill(rate: TaxRate, data: TaxRateCreate) -> None:
    problem = sub_rates_problem(data.amount, [s.amount for s in data.sub_rates])
    if problem is not None:
        raise ValidationFailed(problem, field="subRates")
    assign(rate, data, "is_published", "name", "invoice_name", "invoice_short_name", "description", "amount", "country",
           "region", "tax_category_id")
    rate.sub_rates = sub_rates_json(data.sub_rates)


async def create_rate(session: AsyncSession, account_id: str, data: TaxRateCreate) -> TaxRate:
    """Version 0 of a new rate; its sub-rates, if any, add up exactly to its amount."""
    now = clock.now()
    rate = TaxRate(id=uuid7(), account_id=account_id, version_id=uuid7(), version=0, created_at=now, updated_at=now)
    _fill(rate, data)
    return await insert(session, rate)


#: The rate, or 404 (also for another account's rate).
get_rate = loader(TaxRate)


async def update_rate(session: AsyncSession, account_id: str, rate_id: str, data: TaxRateUpdate) -> TaxRate:
    """Replace every field and make a new version (``version`` + 1, new ``versionId``).

    Lines already written keep the rate they were written with. Archived rates are read-only, and
    publishing is one-way.
    """
    rate = await get_rate(session, account_id, rate_id, lock=True)
    if data.id != rate.id:
        raise ValidationFailed("id in the body must be the id of the tax rate in the path", field="id")
    if rate.archived_at is not None:
        raise TaxRateArchived(f"Tax rate {rate_id!r} is archived and can no longer be changed", field="id")
    if rate.is_published and not data.is_published:
        raise ValidationFailed("A published tax rate cannot be unpublished; archive it instead", field="isPublished")
    _fill(rate, data)
    rate.version += 1
    rate.version_id = uuid7()
    rate.updated_at = clock.now()
    await session.flush()
    return rate


async def archive_rate(session: AsyncSession, account_id: str, rate_id: str) -> TaxRate:
    """Archive (idempotent). New invoices can no longer use the rate; invoices that used it keep it."""
    return await stamp_once(session, await get_rate(session, account_id, rate_id, lock=True), "archived_at")


async def delete_rate(session: AsyncSession, account_id: str, rate_id: str) -> TaxRate:
    """Delete a rate no invoice has used; a used rate can only be archived (400 ``TaxRateInUse``)."""
    rate = await get_rate(session, account_id, rate_id, lock=True)
    uses = await repo.count_uses(session, account_id, rate.id)
    if uses:
        raise TaxRateInUse(
            f"Tax rate {rate_id!r} is used on {uses} invoice(s) and cannot be deleted; archive it instead", field="id"
        )
    return await remove(session, rate)


async def list_rates(session: AsyncSession, account_id: str, params: PageParams) -> Page[TaxRate]:
    return await list_page(session, TaxRate, account_id, params)


async def rate_for_line(session: AsyncSession, account_id: str, *, tax_rate_id: str, document_id: str) -> Decimal:
    """The ``amount`` of a rate a line is being written with (Quire's ``taxRateId`` extension).

    The rate must be of the account and published (each 400 naming ``taxRateId``: a line's reference, not
    the URL's object). An archived rate (400) is still allowed on a document that used it before. The use
    is recorded, which makes the rate undeletable.
    """
    # FOR SHARE: the rate cannot be archived or deleted while a line is being written with it (PostgreSQL).
    rate = await find_owned(session, TaxRate, account_id, tax_rate_id, share=True)
    if rate is None:
        raise unknown_reference("taxRateId", f"TaxRate {tax_rate_id!r} was not found")
    used = await repo.is_used_by(session, account_id, rate.id, document_id)
    if rate.archived_at is not None and not used:
        raise TaxRateArchived(f"Tax rate {tax_rate_id!r} is archived; only invoices that used it may keep using it",
                              field="taxRateId")
    if not rate.is_published:
        raise TaxRateNotPublished(f"Tax rate {tax_rate_id!r} is not published yet", field="taxRateId")
    if not used:
        session.add(TaxRateUse(tax_rate_id=rate.id, document_id=document_id, account_id=account_id, created_at=clock.now()))
        await session.flush()
    return rate.amount
