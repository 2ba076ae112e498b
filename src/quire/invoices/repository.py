"""Every invoice query, scoped by account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from datetime import date, timedelta
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


#: The columns GET /invoices prints (``present.invoice_item``): not the line counters, the lifecycle
#: timestamps or anything else an invoice stores for other readers.
LIST_COLUMNS = tuple(Invoice.__table__.c[name] for name in (
    "id", "account_id", "billing_schedule_id", "status", "currency", "invoice_number", "issue_date", "due_date",
    "purchase_order_number", "reference", "customer_emails", "customer_legal_company_name",
    "customer_billing_address", "customer_shipping_address", "memo", "payment_options", "billing_period_start",
    "billing_period_end", "customer_id", "net_total_minor", "total_tax_minor", "gross_total_minor", "metadata",
    "customer_tax_id", "payment_status", "created_at", "credit_note_ids", "merchant_details", "credit_balances",
    "accounting_date", "customer_tax_status", "render_settings", "billing_run_id",
))


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


def invoice_criteria(f: InvoiceFilters, *, split_on: Any = None) -> list[Criterion]:
    """Date filters are strict ("before 2024-02-01" excludes that day); sent* use the send date. The window
    of ``split_on`` (the date column of ``day_split``) is left to the split's days: given as a range too,
    SQLite's planner reads each day by the range instead of the day."""
    dates = [(column, before, after) for column, before, after in (
        (Invoice.due_date, f.due_before, f.due_after), (Invoice.issue_date, f.invoice_before, f.invoice_after),
        (Invoice.sent_date, f.sent_before, f.sent_after)) if column is not split_on]
    return [
        one_of(Invoice.status, f.statuses), one_of(Invoice.payment_status, f.payment_statuses),
        equal(Invoice.customer_id, f.customer_id), equal(Invoice.billing_schedule_id, f.billing_schedule_id),
        *(criterion for column, before, after in dates for criterion in (below(column, before), above(column, after))),
        one_of(Invoice.currency, f.currencies),
        Invoice.has_quantity.is_(True) if f.exclude_zero_quantity else None,
    ]


#: A date window (both bounds) at most this many days wide is read one day at a time when the list is in
#: creation order: ``core.pagination._merged_parts`` over ``(account_id, <date>, created_at, id)``.
DAY_SPLIT_MAX = 92


def day_split(f: InvoiceFilters, sort_by: str) -> tuple[Any, list[date]] | None:
    """``(date column, each day)`` of the narrowest bounded date filter, when the list is sorted by
    ``createdAt`` and the window is at most ``DAY_SPLIT_MAX`` days; otherwise ``None`` (one ordered scan)."""
    if sort_by != "createdAt":
        return None
    windows = []
    for column, after, before in ((Invoice.due_date, f.due_after, f.due_before),
                                  (Invoice.issue_date, f.invoice_after, f.invoice_before),
                                  (Invoice.sent_date, f.sent_after, f.sent_before)):
        if after is not None and before is not None:
            windows.append(((before - after).days - 1, column, after))  # the days strictly between the two
    if not windows:
        return None
    days, column, after = min(windows, key=lambda w: w[0])
    if not 0 < days <= DAY_SPLIT_MAX:
        return None
    return column, [after + timedelta(days=n) for n in range(1, days + 1)]


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
