"""Invoice payment settings (``/invoice-settings``): one per invoice; they override the billing
schedule's and the customer's settings (Sequence's precedence)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quire.core import clock
from quire.core.errors import NotFound, ValidationFailed
from quire.core.ids import uuid7
from quire.core.references import resolve
from quire.core.repository import insert, loader, remove
from quire.customers.service import get_customer
from quire.invoices import repository as repo
from quire.invoices.models import InvoiceSettings
from quire.invoices.schemas import InvoiceSettingsCreate, InvoiceSettingsUpdate
from quire.invoices.service import get_invoice


async def create(session: AsyncSession, account_id: str, data: InvoiceSettingsCreate) -> InvoiceSettings:
    invoice = await resolve("invoiceId", get_invoice(session, account_id, data.invoice_id))
    if data.customer_id is not None:
        await resolve("customerId", get_customer(session, account_id, data.customer_id))
        if data.customer_id != invoice.customer_id:
            raise ValidationFailed("customerId must be the invoice's customer", field="customerId")
    if await repo.settings_for_invoice(session, account_id, invoice.id) is not None:
        raise ValidationFailed("This invoice already has payment settings; update them instead", field="invoiceId")
    row = InvoiceSettings(id=uuid7(), account_id=account_id, invoice_id=invoice.id,
                          customer_id=data.customer_id or invoice.customer_id,
                          payment_provider=data.payment_provider, created_at=clock.now())
    return await insert(session, row)


get = loader(InvoiceSettings)


async def for_invoice(session: AsyncSession, account_id: str, invoice_id: str) -> InvoiceSettings:
    invoice = await get_invoice(session, account_id, invoice_id)
    row = await repo.settings_for_invoice(session, account_id, invoice.id)
    if row is None:
        raise NotFound(f"Invoice {invoice_id!r} has no payment settings", resource="InvoiceSettings")
    return row


async def update(session: AsyncSession, account_id: str, settings_id: str, data: InvoiceSettingsUpdate) -> InvoiceSettings:
    row = await get(session, account_id, settings_id)
    row.payment_provider = data.payment_provider
    await session.flush()
    return row


async def delete(session: AsyncSession, account_id: str, settings_id: str) -> InvoiceSettings:
    return await remove(session, await get(session, account_id, settings_id))
