"""Every invoice query, scoped by account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.models import Account
from quire.billing_documents import repository as documents
from quire.core.ids import is_uuid
from quire.core.repository import Criterion, above, below, equal, find_owned, one_of
from quire.customers.models import Customer
from quire.invoices.models import Invoice, InvoiceLineItem, InvoiceLineItemGroup, InvoiceSettings
from quire.tax.models import TaxRegistration


async def get_invoice(session: AsyncSession, account_id: str, invoice_id: str, *, lock: bool = False) -> Invoice | None:
    return await find_owned(session, Invoice, account_id, invoice_id, lock=lock)


@dataclass(frozen=True)
class CreationFacts:
    """What a new invoice copies, read in one round trip: the customer, the account's merchant
    settings (stored JSON), and the first tax registration of the customer and of the merchant."""

    customer: Customer | None
    merchant_settings: dict[str, Any] | None = None
    customer_tax_id: str | None = None
    merchant_tax_id: str | None = None


@cache
def _creation_facts_stmt() -> Any:
    """Built once: constructing this select in Python cost more than running it (py-spy)."""
    account_id = bindparam("account_id")

    def first_registration(owner: Any) -> Any:
        return (
            select(TaxRegistration.tax_identifier)
            .where(TaxRegistration.account_id == account_id, owner)
            .order_by(TaxRegistration.created_at, TaxRegistration.id)
            .limit(1)
            .scalar_subquery()
        )

    return (
        select(
            Customer,
            Account.merchant_settings,
            first_registration(TaxRegistration.customer_id == Customer.id),
            first_registration(TaxRegistration.merchant_id == account_id),
        )
        .join(Account, Account.id == Customer.account_id)
        .where(Customer.account_id == account_id, Customer.id == bindparam("customer_id"))
    )


async def creation_facts(session: AsyncSession, account_id: str, customer_id: str) -> CreationFacts:
    if not is_uuid(customer_id):
        return CreationFacts(None)
    result = await session.execute(_creation_facts_stmt(), {"account_id": account_id, "customer_id": customer_id})
    row = result.one_or_none()
    return CreationFacts(None) if row is None else CreationFacts(*row)


@dataclass(frozen=True)
class InvoiceFilters:
    statuses: Sequence[str] = ()
    payment_statuses: Sequence[str] = ()
    customer_id: str | None = None
    billing_schedule_id: str | None = None
    due_before: date | None = None
    due_after: date | None = None
    sent_before: date | None = None
    sent_after: date | None = None
    invoice_before: date | None = None
    invoice_after: date | None = None
    currencies: Sequence[str] = ()
    exclude_zero_quantity: bool = False


def invoice_criteria(f: InvoiceFilters) -> list[Criterion]:
    """Date filters are strict ("before 2024-02-01" excludes that day); sent* use the send date."""
    return [
        one_of(Invoice.status, f.statuses), one_of(Invoice.payment_status, f.payment_statuses),
        equal(Invoice.customer_id, f.customer_id), equal(Invoice.billing_schedule_id, f.billing_schedule_id),
        below(Invoice.due_date, f.due_before), above(Invoice.due_date, f.due_after),
        below(Invoice.issue_date, f.invoice_before), above(Invoice.issue_date, f.invoice_after),
        below(Invoice.sent_date, f.sent_before), above(Invoice.sent_date, f.sent_after),
        one_of(Invoice.currency, f.currencies),
        Invoice.has_quantity.is_(True) if f.exclude_zero_quantity else None,
    ]


async def lines_of(session: AsyncSession, invoice_id: str) -> list[InvoiceLineItem]:
    return await documents.parts_of(session, InvoiceLineItem, invoice_id)


async def groups_of(session: AsyncSession, invoice_id: str) -> list[InvoiceLineItemGroup]:
    return await documents.parts_of(session, InvoiceLineItemGroup, invoice_id)


async def delete_settings(session: AsyncSession, invoice_id: str) -> None:
    await session.execute(delete(InvoiceSettings).where(InvoiceSettings.invoice_id == invoice_id))


async def settings_for_invoice(session: AsyncSession, account_id: str, invoice_id: str) -> InvoiceSettings | None:
    stmt = select(InvoiceSettings).where(
        InvoiceSettings.account_id == account_id, InvoiceSettings.invoice_id == invoice_id
    )
    return (await session.scalars(stmt)).one_or_none()
