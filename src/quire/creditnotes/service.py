"""Credit note use-cases: create, read, update, delete, list. Services flush; the route commits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts import merchant
from quire.billing_documents import hooks
from quire.billing_documents import service as documents
from quire.core.errors import ValidationFailed
from quire.core.pagination import Page, PageParams
from quire.core.references import resolve
from quire.core.repository import loader
from quire.creditnotes import repository as repo
from quire.creditnotes.creditable import locked_invoice
from quire.creditnotes.lifecycle import Action, CreditNoteStatus, check
from quire.creditnotes.models import KIND, CreditNote
from quire.creditnotes.repository import CreditNoteFilters
from quire.creditnotes.present import credit_note as present_credit_note
from quire.creditnotes.schemas import CreditNoteCreate, CreditNoteSortBy, CreditNoteUpdate, check_period
from quire.customers.models import Customer
from quire.customers.service import get_customer
from quire.invoices.models import Invoice
from quire.invoices.service import get_invoice, invoice_event

#: The credit note, or 404 — also for another account's credit note.
get_credit_note = loader(CreditNote)


#: ``CREDIT_NOTE_CREATED``, ``CREDIT_NOTE_ISSUED`` (finalized) or ``CREDIT_NOTE_UPDATED`` (any other change).
credit_note_event = hooks.document_events(CreditNote, "CreditNote", "CREDIT_NOTE", present_credit_note)


def _midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=UTC) if day is not None else None


async def _invoice_to_credit(
    session: AsyncSession, account_id: str, data: CreditNoteCreate, customer: Customer
) -> Invoice | None:
    """The linked invoice, row-locked: it must be of this account, FINAL or SENT, and share the credit
    note's currency and customer (each 400 naming the field)."""
    if data.invoice_id is None:
        return None
    invoice = await resolve("invoiceId", locked_invoice(session, account_id, data.invoice_id))
    if invoice.currency != data.currency:
        raise ValidationFailed(f"currency {data.currency} does not match the invoice's currency {invoice.currency}",
                               field="currency")
    if invoice.customer_id != customer.id:
        raise ValidationFailed("customerId does not match the invoice's customer", field="customerId")
    return invoice


def _recipient(customer: Customer, invoice: Invoice | None) -> dict[str, Any]:
    """Who the note is addressed to unless the body says: the invoice's recipient (what was billed), else
    the customer's."""
    if invoice is None:
        return {"emails": customer.billing_emails or [customer.email], "name": customer.legal_name,
                "billing": customer.address}
    return {"emails": invoice.customer_emails, "name": invoice.customer_legal_company_name,
            "billing": invoice.customer_billing_address, "shipping": invoice.customer_shipping_address}


def _from_invoice(data: CreditNoteCreate, invoice: Invoice | None) -> dict[str, Any]:
    """Order number, tax id and billing period: as sent (null included), else the invoice's."""
    given = data.model_fields_set

    def given_or(field: str, fallback: Any) -> Any:
        return getattr(data, field) if field in given else fallback

    # The billing period defaults to the invoice's (its dates at midnight UTC, as in Sequence's examples).
    start = given_or("billing_period_start", _midnight(invoice.billing_period_start) if invoice else None)
    end = given_or("billing_period_end", _midnight(invoice.billing_period_end) if invoice else None)
    check_period(start, end)
    return {
        "customer_tax_id": given_or("customer_tax_id", invoice.customer_tax_id if invoice else None),
        "purchase_order_number": given_or("purchase_order_number", invoice.purchase_order_number if invoice else None),
        "billing_period_start": start,
        "billing_period_end": end,
    }


async def create_credit_note(session: AsyncSession, account_id: str, data: CreditNoteCreate) -> CreditNote:
    """A DRAFT with zero totals. Linked to an invoice (``invoiceId``), it must share the invoice's
    currency and customer, the invoice must be FINAL or SENT, and the invoice lists it in
    ``creditNoteIds``; omitted customer fields are copied from the invoice (what was billed), else
    from the customer. ``merchantDetails`` is the account's merchant block now."""
    # Archived customers may be credited.
    customer = await resolve("customerId", get_customer(session, account_id, data.customer_id))
    invoice = await _invoice_to_credit(session, account_id, data, customer)
    settings = await merchant.load(session, account_id)
    note = documents.new_document(
        session, KIND, data, account_id=account_id, customer_id=customer.id, status=CreditNoteStatus.DRAFT.value,
        **_recipient(customer, invoice), **_from_invoice(data, invoice),
        invoice_id=invoice.id if invoice else None,
        invoice_number=invoice.invoice_number if invoice else None,
        billing_schedule_id=invoice.billing_schedule_id if invoice else None,
        number_seq=0,
        merchant_details=merchant.merchant_details(settings),
    )
    if invoice is not None:
        invoice.credit_note_ids = [*invoice.credit_note_ids, note.id]  # a new list: JSON columns track assignment
    await session.flush()
    await credit_note_event(session, note, "CREDIT_NOTE_CREATED")
    if invoice is not None:  # the invoice lists it now (creditNoteIds)
        await invoice_event(session, invoice, "INVOICE_UPDATED")
    return note


async def update_credit_note(
    session: AsyncSession, account_id: str, credit_note_id: str, data: CreditNoteUpdate
) -> CreditNote:
    """PUT (a merge): only a DRAFT credit note can change; currency, customer and invoice never do."""
    note = await get_credit_note(session, account_id, credit_note_id, lock=True)
    check(Action.EDIT, note.status)
    documents.merge(note, data)
    check_period(note.billing_period_start, note.billing_period_end)
    await session.flush()
    await credit_note_event(session, note, "CREDIT_NOTE_UPDATED")
    return note


async def delete_credit_note(session: AsyncSession, account_id: str, credit_note_id: str) -> CreditNote:
    """Only a DRAFT can be deleted (an issued one is voided). Its amounts stop counting against the
    invoice, and the invoice no longer lists it."""
    note = await get_credit_note(session, account_id, credit_note_id, lock=True)
    check(Action.DELETE, note.status)
    if note.invoice_id is not None:
        invoice = await get_invoice(session, account_id, note.invoice_id, lock=True)
        invoice.credit_note_ids = [cid for cid in invoice.credit_note_ids if cid != note.id]
    deleted = await documents.delete_draft(session, KIND, note)
    await credit_note_event(session, deleted, "CREDIT_NOTE_UPDATED", deleted=True)
    if note.invoice_id is not None:  # it no longer lists the note
        await invoice_event(session, invoice, "INVOICE_UPDATED")
    return deleted


async def list_credit_notes(
    session: AsyncSession, account_id: str, *, params: PageParams, sort_by: CreditNoteSortBy, filters: CreditNoteFilters
) -> Page[CreditNote]:
    return await documents.list_documents(session, KIND, account_id, params, repo.credit_note_criteria(filters), sort_by.value)


async def tax_status_of(session: AsyncSession, note: CreditNote) -> str:
    """The tax status that governs the note's lines: that of the invoice it credits (as snapshotted on
    the invoice), or of its customer when it stands alone."""
    from quire.customers.repository import get_customer
    from quire.invoices.models import Invoice

    if note.invoice_id:
        invoice = await session.get(Invoice, note.invoice_id)
        if invoice is not None and invoice.account_id == note.account_id:
            return invoice.customer_tax_status
    customer = await get_customer(session, note.account_id, note.customer_id)
    return customer.tax_status if customer is not None else "TAXED"
