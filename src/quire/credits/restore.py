"""Credits drawn on an invoice come back when it is voided (or, a draft, deleted): the handlers this
package registers on the billing documents' hooks (``billing_documents.hooks``) when it is imported."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents import hooks


async def on_invoice_voided(session: AsyncSession, invoice: Any) -> None:
    from quire.credits.service import restore  # the service imports invoices; loaded when first needed

    await restore(session, invoice.account_id, invoice.id, "Restored: invoice voided")


async def on_invoice_deleted(session: AsyncSession, invoice: Any) -> None:
    from quire.credits.service import restore

    await restore(session, invoice.account_id, invoice.id, "Restored: invoice deleted")


hooks.register(hooks.on_voided, on_invoice_voided)
hooks.register(hooks.on_deleted, on_invoice_deleted)
