"""Every invoice query, scoped by account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from datetime import date
from typing import Any

from sqlalchemy import Float, Select, bindparam, case, cast, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.models import Account
from quire.core.ids import is_uuid
from quire.customers.models import Customer
from quire.invoices.models import Invoice, InvoiceLineItem, InvoiceLineItemGroup, InvoiceSettings
from quire.tax.models import TaxRegistration


async def get_invoice(session: AsyncSession, account_id: str, invoice_id: str, *, lock: bool = False) -> Invoice | None:
    if not is_uuid(invoice_id):
        return None
    stmt = select(Invoice).where(Invoice.account_id == account_id, Invoice.id == invoice_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


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


def list_invoices_stmt(account_id: str, f: InvoiceFilters) -> Select[tuple[Invoice]]:
    """Date filters are strict ("before 2024-02-01" excludes that day); sent* use the send date."""
    stmt = select(Invoice).where(Invoice.account_id == account_id)
    if f.statuses:
        stmt = stmt.where(Invoice.status.in_(f.statuses))
    if f.payment_statuses:
        stmt = stmt.where(Invoice.payment_status.in_(f.payment_statuses))
    if f.customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == f.customer_id)
    if f.billing_schedule_id is not None:
        stmt = stmt.where(Invoice.billing_schedule_id == f.billing_schedule_id)
    if f.due_before is not None:
        stmt = stmt.where(Invoice.due_date < f.due_before)
    if f.due_after is not None:
        stmt = stmt.where(Invoice.due_date > f.due_after)
    if f.invoice_before is not None:
        stmt = stmt.where(Invoice.issue_date < f.invoice_before)
    if f.invoice_after is not None:
        stmt = stmt.where(Invoice.issue_date > f.invoice_after)
    if f.sent_before is not None:
        stmt = stmt.where(Invoice.sent_date < f.sent_before)
    if f.sent_after is not None:
        stmt = stmt.where(Invoice.sent_date > f.sent_after)
    if f.currencies:
        stmt = stmt.where(Invoice.currency.in_(f.currencies))
    if f.exclude_zero_quantity:
        stmt = stmt.where(Invoice.has_quantity.is_(True))
    return stmt


async def lines_of(session: AsyncSession, invoice_id: str) -> list[InvoiceLineItem]:
    stmt = select(InvoiceLineItem).where(InvoiceLineItem.invoice_id == invoice_id).order_by(InvoiceLineItem.index)
    return list((await session.scalars(stmt)).all())


async def line_sums_by_group(session: AsyncSession, invoice_id: str) -> dict[str | None, tuple[int, int, int, int]]:
    """Per group (None = ungrouped): sums of the lines' net, tax and gross minor units, and how many
    lines have a non-zero quantity."""
    L = InvoiceLineItem
    stmt = (
        select(
            L.group_id, func.sum(L.net_total_minor), func.sum(L.total_tax_minor), func.sum(L.gross_total_minor),
            func.sum(case((cast(L.quantity, Float) != 0, 1), else_=0)),
        )
        .where(L.invoice_id == invoice_id)
        .group_by(L.group_id)
    )
    return {row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4])) for row in (await session.execute(stmt)).all()}


async def groups_of(session: AsyncSession, invoice_id: str) -> list[InvoiceLineItemGroup]:
    stmt = (
        select(InvoiceLineItemGroup)
        .where(InvoiceLineItemGroup.invoice_id == invoice_id)
        .order_by(InvoiceLineItemGroup.index)
    )
    return list((await session.scalars(stmt)).all())


def lines_stmt(invoice_id: str) -> Select[tuple[InvoiceLineItem]]:
    return select(InvoiceLineItem).where(InvoiceLineItem.invoice_id == invoice_id)


def groups_stmt(invoice_id: str) -> Select[tuple[InvoiceLineItemGroup]]:
    return select(InvoiceLineItemGroup).where(InvoiceLineItemGroup.invoice_id == invoice_id)


async def get_line(session: AsyncSession, invoice_id: str, line_id: str) -> InvoiceLineItem | None:
    if not is_uuid(line_id):
        return None
    stmt = select(InvoiceLineItem).where(InvoiceLineItem.invoice_id == invoice_id, InvoiceLineItem.id == line_id)
    return (await session.scalars(stmt)).one_or_none()


async def get_group(session: AsyncSession, invoice_id: str, group_id: str) -> InvoiceLineItemGroup | None:
    if not is_uuid(group_id):
        return None
    stmt = select(InvoiceLineItemGroup).where(
        InvoiceLineItemGroup.invoice_id == invoice_id, InvoiceLineItemGroup.id == group_id
    )
    return (await session.scalars(stmt)).one_or_none()


async def count_lines(session: AsyncSession, invoice_id: str) -> int:
    return int(await session.scalar(select(func.count()).where(InvoiceLineItem.invoice_id == invoice_id)) or 0)


async def ungroup_lines(session: AsyncSession, group_id: str) -> None:
    await session.execute(update(InvoiceLineItem).where(InvoiceLineItem.group_id == group_id).values(group_id=None))


async def delete_children(session: AsyncSession, invoice_id: str) -> None:
    await session.execute(delete(InvoiceSettings).where(InvoiceSettings.invoice_id == invoice_id))
    await session.execute(delete(InvoiceLineItem).where(InvoiceLineItem.invoice_id == invoice_id))
    await session.execute(delete(InvoiceLineItemGroup).where(InvoiceLineItemGroup.invoice_id == invoice_id))


async def get_settings(session: AsyncSession, account_id: str, settings_id: str) -> InvoiceSettings | None:
    if not is_uuid(settings_id):
        return None
    stmt = select(InvoiceSettings).where(InvoiceSettings.account_id == account_id, InvoiceSettings.id == settings_id)
    return (await session.scalars(stmt)).one_or_none()


async def settings_for_invoice(session: AsyncSession, account_id: str, invoice_id: str) -> InvoiceSettings | None:
    stmt = select(InvoiceSettings).where(
        InvoiceSettings.account_id == account_id, InvoiceSettings.invoice_id == invoice_id
    )
    return (await session.scalars(stmt)).one_or_none()
