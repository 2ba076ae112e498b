"""Invoice use-cases: create, read, update, delete, list. Services flush; the route commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts import merchant
from quire.billing_documents import hooks
from quire.billing_documents import service as documents
from quire.core import clock
from quire.core.pagination import Page, PageParams
from quire.core.references import reference
from quire.core.repository import loader
from quire.customers.service import billable
from quire.invoices import repository as repo
from quire.invoices.lifecycle import Action, InvoiceStatus, PaymentStatus, check
from quire.invoices.models import KIND, Invoice
from quire.invoices.repository import InvoiceFilters
from quire.invoices.present import invoice as present_invoice
from quire.invoices.schemas import InvoiceCreate, InvoiceSortBy, InvoiceUpdate

DEFAULT_PAYMENT_OPTIONS = ["BANK_TRANSFER"]
DEFAULT_RENDER_SETTINGS = {"paymentLinkDisplay": "SHOW_PAYMENT_LINK"}
# Fields every invoice response must carry: null is refused for them on update.
_NOT_NULLABLE = documents.NOT_NULLABLE | {"accounting_date"}


#: The invoice, or 404 — also for another account's invoice.
get_invoice = loader(Invoice)


#: ``INVOICE_CREATED``, ``INVOICE_ISSUED`` (finalized: numbered and issued, by ``finalize`` or
#: ``finalize-and-send``) or ``INVOICE_UPDATED`` (any other change: lines, send, void, payment status).
invoice_event = hooks.document_events(Invoice, "Invoice", "INVOICE", present_invoice)


async def create_invoice(session: AsyncSession, account_id: str, data: InvoiceCreate) -> Invoice:
    """A DRAFT with zero totals. Omitted customer fields are copied from the customer now (a
    snapshot: later edits of the customer do not rewrite this invoice); merchantDetails likewise.
    ``customerTaxId`` defaults to the customer's first tax registration (docs/tax.md)."""
    facts = await repo.creation_facts(session, account_id, data.customer_id)  # one query for all of these
    with reference("customerId"):  # unknown or another account's: 400 naming it, not 404
        customer = billable(facts.customer, data.customer_id)
    details = merchant.merchant_details(merchant.parse_settings(facts.merchant_settings))
    if details is not None and "taxId" not in details and facts.merchant_tax_id is not None:
        # The seller's tax id: the merchant settings' taxId, else the merchant's first tax registration.
        details["taxId"] = facts.merchant_tax_id
    now = clock.now()
    invoice = documents.new_document(
        session, KIND, data, account_id=account_id, customer_id=customer.id, status=InvoiceStatus.DRAFT.value,
        emails=customer.billing_emails or [customer.email], name=customer.legal_name, billing=customer.address, now=now,
        billing_schedule_id=data.billing_schedule_id,
        billing_run_id=data.billing_run_id,
        payment_status=PaymentStatus.UNPAID.value,
        due_date=data.due_date,
        accounting_date=data.accounting_date or now.date(),
        purchase_order_number=data.purchase_order_number,
        reference=data.reference,
        customer_tax_id=data.customer_tax_id or facts.customer_tax_id,
        customer_tax_status=customer.tax_status,
        payment_options=list(data.payment_options) if data.payment_options is not None else list(DEFAULT_PAYMENT_OPTIONS),
        billing_period_start=data.billing_period.start if data.billing_period else None,
        billing_period_end=data.billing_period.end_inclusive if data.billing_period else None,
        credit_balances=data.credit_balances,
        render_settings=dict(DEFAULT_RENDER_SETTINGS),
        merchant_details=details,
        credit_note_ids=[],
        has_quantity=False,
    )
    await session.flush()
    await invoice_event(session, invoice, "INVOICE_CREATED")
    return invoice


async def update_invoice(session: AsyncSession, account_id: str, invoice_id: str, data: InvoiceUpdate) -> Invoice:
    """PUT and PATCH (both merges): only a DRAFT or IN_PROGRESS invoice can change."""
    invoice = await get_invoice(session, account_id, invoice_id, lock=True)
    check(Action.EDIT, invoice.status, invoice.payment_status)
    documents.merge(invoice, data, not_nullable=_NOT_NULLABLE, own=("billing_period",))
    if "billing_period" in data.model_fields_set:
        invoice.billing_period_start = data.billing_period.start if data.billing_period else None
        invoice.billing_period_end = data.billing_period.end_inclusive if data.billing_period else None
    await session.flush()
    await invoice_event(session, invoice, "INVOICE_UPDATED")
    return invoice


async def delete_invoice(session: AsyncSession, account_id: str, invoice_id: str) -> Invoice:
    """Only a DRAFT can be deleted (a finalized one is voided; a sent one is credited)."""
    invoice = await get_invoice(session, account_id, invoice_id, lock=True)
    check(Action.DELETE, invoice.status, invoice.payment_status)
    await repo.delete_settings(session, invoice.id)
    deleted = await documents.delete_draft(session, KIND, invoice)
    await hooks.deleted(session, deleted)  # e.g. credits drawn on it are restored (docs/credits.md)
    await invoice_event(session, deleted, "INVOICE_UPDATED", deleted=True)
    return deleted


async def list_invoices(
    session: AsyncSession, account_id: str, *, params: PageParams, sort_by: InvoiceSortBy, filters: InvoiceFilters
) -> Page[Any]:
    """A page of rows of the columns the list prints (``repo.LIST_COLUMNS``, presented by
    ``present.invoice_item``): a list of 50 invoices builds no ORM object and no pydantic model."""
    split = repo.day_split(filters, sort_by.value)
    criteria = repo.invoice_criteria(filters, split_on=split[0] if split else None)
    return await documents.list_documents(session, KIND, account_id, params, criteria, sort_by.value,
                                          columns=repo.LIST_COLUMNS, split=split)
