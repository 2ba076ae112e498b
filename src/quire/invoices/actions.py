"""Lifecycle actions (finalize, send, finalize-and-send, void: ``transition``) and the payment status.

Each runs in the request's single transaction with the invoice row locked before its state is
checked, so two concurrent actions on one invoice cannot both succeed, and numbering stays
gap-free (quire.core.numbering).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts import merchant
from quire.billing_documents import actions as documents
from quire.billing_documents import hooks
from quire.billing_documents.snapshot import freeze
from quire.core import clock
from quire.core.errors import InvalidStateTransition
from quire.invoices.delivery import service as delivery
from quire.invoices.lifecycle import Action, allowed_actions, check
from quire.invoices.models import Invoice
from quire.invoices.service import get_invoice, invoice_event

NUMBER_KIND = "invoice"


async def _assign_number(session: AsyncSession, invoice: Invoice) -> None:
    """Number and issue date, as at finalization: issue date today (UTC), due date from terms; what its
    documents print that the row does not hold is frozen (``billing_documents.snapshot``)."""
    settings = await merchant.load(session, invoice.account_id)
    _, invoice.invoice_number = await documents.issue_number(
        session, invoice, counter=NUMBER_KIND, prefix=settings.invoice_number_prefix, width=settings.invoice_number_width
    )
    if invoice.due_date is None:
        invoice.due_date = invoice.issue_date + timedelta(days=settings.payment_terms_days)  # type: ignore[operator]
    freeze(invoice)


async def transition(session: AsyncSession, account_id: str, invoice_id: str, action: Action) -> Invoice:
    """``finalize`` (DRAFT → FINAL: number, issue date and due date assigned; the invoice is frozen), ``send``
    (FINAL or SENT → SENT; the invoice email is queued in the outbox, sent after commit), ``finalize-and-send``
    (DRAFT → SENT in one transaction), ``void`` (DRAFT, FINAL, or an unpaid/uncollectible SENT → VOIDED)."""
    invoice = await get_invoice(session, account_id, invoice_id, lock=True)
    if action is Action.VOID:
        await _not_credited(session, invoice)
    target = check(action, invoice.status, invoice.payment_status)
    await documents.apply(session, invoice, action, target, numbered=invoice.invoice_number is not None,
                          assign_number=lambda: _assign_number(session, invoice))
    if action is Action.VOID:
        await hooks.voided(session, invoice)  # e.g. credits drawn on it are restored (docs/credits.md)
    # Stored PDF, hosted link and queued email commit with the status change (docs/delivery.md).
    await delivery.after_transition(session, invoice, action)
    issued = action in (Action.FINALIZE, Action.FINALIZE_AND_SEND)
    await invoice_event(session, invoice, "INVOICE_ISSUED" if issued else "INVOICE_UPDATED")
    return invoice


async def _not_credited(session: AsyncSession, invoice: Invoice) -> None:
    """An invoice already corrected by an issued credit note cannot be voided as well (that would cancel
    the same amount twice): void the credit notes first, or keep correcting with credit notes."""
    from quire.creditnotes.models import CreditNote  # credit notes build on invoices, not the reverse

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


async def set_payment_status(session: AsyncSession, account_id: str, invoice_id: str, payment_status: str) -> Invoice:
    """Only FINAL and SENT invoices have a payment status to change."""
    invoice = await get_invoice(session, account_id, invoice_id, lock=True)
    check(Action.SET_PAYMENT_STATUS, invoice.status, invoice.payment_status)
    changed = invoice.payment_status != payment_status
    invoice.payment_status = payment_status
    invoice.updated_at = clock.now()
    await session.flush()
    if changed:
        await invoice_event(session, invoice, "INVOICE_UPDATED")
    return invoice
