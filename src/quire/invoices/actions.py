"""Lifecycle actions: finalize, send, finalize-and-send, void, payment status.

Each runs in the request's single transaction with the invoice row locked before its state is
checked, so two concurrent actions on one invoice cannot both succeed, and numbering stays
gap-free (quire.core.numbering).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts import merchant
from quire.core import clock
from quire.core.errors import InvalidStateTransition
from quire.core.numbering import format_number, next_number
from quire.invoices.delivery import service as delivery
from quire.invoices.lifecycle import Action, InvoiceStatus, allowed_actions, check
from quire.invoices.models import Invoice
from quire.invoices.service import get_invoice

NUMBER_KIND = "invoice"


async def _assign_number(session: AsyncSession, invoice: Invoice) -> None:
    """Number and issue date, as at finalization: issue date today (UTC), due date from terms."""
    settings = await merchant.load(session, invoice.account_id)
    value = await next_number(session, account_id=invoice.account_id, kind=NUMBER_KIND)
    invoice.invoice_number = format_number(settings.invoice_number_prefix, value, settings.invoice_number_width)
    today = clock.today()
    invoice.issue_date = today
    if invoice.due_date is None:
        invoice.due_date = today + timedelta(days=settings.payment_terms_days)
    invoice.finalized_at = clock.now()


async def _transition(session: AsyncSession, account_id: str, invoice_id: str, action: Action) -> Invoice:
    invoice = await get_invoice(session, account_id, invoice_id, lock=True)
    target = check(action, invoice.status, invoice.payment_status)
    now = clock.now()
    if action in (Action.FINALIZE, Action.FINALIZE_AND_SEND) or (action is Action.VOID and invoice.invoice_number is None):
        # Voiding a draft numbers it too: voided invoices keep their place in the sequence.
        await _assign_number(session, invoice)
    if target is InvoiceStatus.SENT:
        invoice.sent_at = now
        invoice.sent_date = now.date()
    if target is InvoiceStatus.VOIDED:
        invoice.voided_at = now
    assert target is not None
    invoice.status = target.value
    invoice.updated_at = now
    await session.flush()
    # Stored PDF, hosted link and queued email commit with the status change (docs/delivery.md).
    await delivery.after_transition(session, invoice, action)
    return invoice


async def finalize(session: AsyncSession, account_id: str, invoice_id: str) -> Invoice:
    """DRAFT → FINAL: number, issue date and due date assigned; the invoice is frozen."""
    return await _transition(session, account_id, invoice_id, Action.FINALIZE)


async def send(session: AsyncSession, account_id: str, invoice_id: str) -> Invoice:
    """FINAL or SENT → SENT; the invoice email is queued in the outbox (sent after commit)."""
    return await _transition(session, account_id, invoice_id, Action.SEND)


async def finalize_and_send(session: AsyncSession, account_id: str, invoice_id: str) -> Invoice:
    """DRAFT → SENT in one transaction."""
    return await _transition(session, account_id, invoice_id, Action.FINALIZE_AND_SEND)


async def void(session: AsyncSession, account_id: str, invoice_id: str) -> Invoice:
    """DRAFT, FINAL, or an unpaid/uncollectible SENT invoice → VOIDED (terminal).

    An invoice already corrected by an issued credit note cannot be voided as well (that would cancel
    the same amount twice): void the credit notes first, or keep correcting with credit notes.
    """
    from quire.creditnotes.models import CreditNote  # credit notes build on invoices, not the reverse

    invoice = await get_invoice(session, account_id, invoice_id, lock=True)
    issued = await session.scalar(
        select(func.count()).select_from(CreditNote)
        .where(CreditNote.invoice_id == invoice.id, CreditNote.status.in_(("FINAL", "SENT")))
    )
    if issued:
        allowed = [a for a in allowed_actions(invoice.status, invoice.payment_status) if a != Action.VOID.value]
        raise InvalidStateTransition(
            f"Cannot void an invoice that {issued} issued credit note(s) already correct; void them first",
            action=Action.VOID.value, currentStatus=invoice.status, paymentStatus=invoice.payment_status,
            allowedActions=allowed,
        )
    return await _transition(session, account_id, invoice_id, Action.VOID)


async def set_payment_status(session: AsyncSession, account_id: str, invoice_id: str, payment_status: str) -> Invoice:
    """Only FINAL and SENT invoices have a payment status to change."""
    invoice = await get_invoice(session, account_id, invoice_id, lock=True)
    check(Action.SET_PAYMENT_STATUS, invoice.status, invoice.payment_status)
    invoice.payment_status = payment_status
    invoice.updated_at = clock.now()
    await session.flush()
    return invoice
