"""Tax registration use-cases. A registration belongs to one customer of the account, or to the
merchant; in Quire the merchant is the account itself, so ``merchantId`` is the ``sequenceAccountId``.

Tax identifiers are checked for shape per country (``taxids``) and stored in compact form.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.errors import NotFound, ValidationFailed
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams
from quire.core.references import reference, resolve
from quire.core.repository import insert, list_page, loader, remove
from quire.customers.service import get_customer
from quire.tax import repository as repo
from quire.tax.models import TaxRegistration
from quire.tax.schemas import TaxRegistrationWrite
from quire.tax.taxids import InvalidTaxId, normalise_tax_id

#: Registrations per customer (or for the merchant): the for-customer/for-merchant lists are not paged.
MAX_PER_OWNER = 50


def _tax_identifier(country: str, value: str) -> str:
    try:
        return normalise_tax_id(country, value)
    except InvalidTaxId as exc:
        raise ValidationFailed(f"taxIdentifier {exc}", field="taxIdentifier") from None


async def _owner(session: AsyncSession, account_id: str, data: TaxRegistrationWrite) -> tuple[str | None, str | None] | None:
    """(customer_id, merchant_id) named by the body, checked; None when the body names no owner."""
    if data.customer_id is not None and data.merchant_id is not None:
        raise ValidationFailed("A tax registration belongs to a customer or to the merchant: send customerId or "
                               "merchantId, not both", field="merchantId")
    if data.customer_id is not None:
        # The customer row lock serialises writes of its registrations (the duplicate check below).
        customer = await resolve("customerId", get_customer(session, account_id, data.customer_id, lock=True))
        return customer.id, None
    if data.merchant_id is not None:
        with reference("merchantId"):
            get_merchant(account_id, data.merchant_id)
        return None, account_id
    return None


def get_merchant(account_id: str, merchant_id: str) -> str:
    """The merchant of an account is the account: any other id is 404."""
    if merchant_id != account_id:
        raise NotFound.of("Merchant", merchant_id)
    return account_id


async def _check_unique(session: AsyncSession, account_id: str, reg: TaxRegistration) -> None:
    siblings = [r for r in await repo.registrations_of(session, account_id, customer_id=reg.customer_id,
                                                         merchant_id=reg.merchant_id) if r.id != reg.id]
    if any(r.country == reg.country and r.tax_identifier == reg.tax_identifier for r in siblings):
        raise ValidationFailed(f"This {'customer' if reg.customer_id else 'merchant'} already has the tax registration "
                               f"{reg.tax_identifier!r} in {reg.country}", field="taxIdentifier")
    if len(siblings) >= MAX_PER_OWNER:
        raise ValidationFailed(f"A customer or the merchant has at most {MAX_PER_OWNER} tax registrations")


async def create_registration(session: AsyncSession, account_id: str, data: TaxRegistrationWrite) -> TaxRegistration:
    """A customer's (``customerId``) or the merchant's (``merchantId``) tax id, valid for its country."""
    owner = await _owner(session, account_id, data)
    if owner is None:
        raise ValidationFailed("A tax registration needs an owner: customerId, or merchantId (your sequenceAccountId)",
                               field="customerId")
    now = clock.now()
    reg = TaxRegistration(
        id=uuid7(), account_id=account_id, customer_id=owner[0], merchant_id=owner[1],
        tax_identifier=_tax_identifier(data.country, data.tax_identifier), country=data.country, state=data.state,
        created_at=now, updated_at=now,
    )
    await _check_unique(session, account_id, reg)
    return await insert(session, reg)


get_registration = loader(TaxRegistration)


async def update_registration(
    session: AsyncSession, account_id: str, registration_id: str, data: TaxRegistrationWrite
) -> TaxRegistration:
    """Replace identifier, country and state (an omitted state is cleared); the owner changes only when
    the body names one. Invoices created before keep the tax id they copied."""
    reg = await get_registration(session, account_id, registration_id)
    owner = await _owner(session, account_id, data)
    if owner is not None:
        reg.customer_id, reg.merchant_id = owner
    reg.tax_identifier = _tax_identifier(data.country, data.tax_identifier)
    reg.country = data.country
    reg.state = data.state
    reg.updated_at = clock.now()
    await _check_unique(session, account_id, reg)
    await session.flush()
    return reg


async def delete_registration(session: AsyncSession, account_id: str, registration_id: str) -> TaxRegistration:
    return await remove(session, await get_registration(session, account_id, registration_id))


async def list_registrations(session: AsyncSession, account_id: str, params: PageParams) -> Page[TaxRegistration]:
    return await list_page(session, TaxRegistration, account_id, params)


async def for_customer(session: AsyncSession, account_id: str, customer_id: str) -> list[TaxRegistration]:
    customer = await get_customer(session, account_id, customer_id)
    return await repo.registrations_of(session, account_id, customer_id=customer.id)


async def for_merchant(session: AsyncSession, account_id: str, merchant_id: str) -> list[TaxRegistration]:
    get_merchant(account_id, merchant_id)
    return await repo.registrations_of(session, account_id, merchant_id=account_id)


async def customer_tax_id(session: AsyncSession, account_id: str, customer_id: str) -> str | None:
    """The identifier of the customer's first (oldest) registration: what a new invoice copies."""
    regs = await repo.registrations_of(session, account_id, customer_id=customer_id)
    return regs[0].tax_identifier if regs else None


async def merchant_tax_id(session: AsyncSession, account_id: str) -> str | None:
    """The identifier of the merchant's first (oldest) registration."""
    regs = await repo.registrations_of(session, account_id, merchant_id=account_id)
    return regs[0].tax_identifier if regs else None
