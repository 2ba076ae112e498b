"""Lifecycle actions: finalize, send, finalize-and-send, void (``transition``).

As for invoices (mechanics: ``quire.billing_documents.actions``): the credit note row is locked before its state is checked,
numbers come from ``quire.core.numbering`` (kind ``credit_note``) in the same transaction, so they are
gap-free; finalizing a note linked to an invoice also locks that invoice and re-checks the
creditable-amount rule.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts import merchant
from quire.billing_documents import actions as documents
from quire.billing_documents.lifecycle import NUMBERING
from quire.billing_documents.snapshot import freeze
from quire.creditnotes import creditable, delivery
from quire.creditnotes.lifecycle import Action, check
from quire.creditnotes.models import CreditNote
from quire.creditnotes.service import credit_note_event, get_credit_note, tax_status_of

NUMBER_KIND = "credit_note"


async def _assign_number(session: AsyncSession, note: CreditNote) -> None:
    """Number (merchant ``creditNoteNumberPrefix`` + width, default CN00001) and issue date (today, UTC);
    the tax status its e-invoices print (the credited invoice's, or the customer's now) is frozen with
    the rest (``billing_documents.snapshot``)."""
    settings = await merchant.load(session, note.account_id)
    note.number_seq, note.credit_note_number = await documents.issue_number(
        session, note, counter=NUMBER_KIND, prefix=settings.credit_note_number_prefix,
        width=settings.credit_note_number_width,
    )
    freeze(note, customerTaxStatus=await tax_status_of(session, note))


async def transition(session: AsyncSession, account_id: str, credit_note_id: str, action: Action) -> CreditNote:
    """``finalize`` (DRAFT → FINAL: numbered and frozen), ``send`` (FINAL or SENT → SENT; re-sending moves the
    sent date and queues one more email), ``finalize-and-send`` (DRAFT → SENT), ``void`` (DRAFT, FINAL or
    SENT → VOIDED, terminal: its amounts stop counting against the invoice)."""
    note = await get_credit_note(session, account_id, credit_note_id, lock=True)
    target = check(action, note.status)
    if action in NUMBERING:
        await creditable.verify_note(session, note)
    await documents.apply(session, note, action, target, numbered=note.credit_note_number is not None,
                          assign_number=lambda: _assign_number(session, note))
    # Stored PDF and queued email commit with the status change (docs/delivery.md).
    await delivery.after_transition(session, note, action)
    issued = action in (Action.FINALIZE, Action.FINALIZE_AND_SEND)
    await credit_note_event(session, note, "CREDIT_NOTE_ISSUED" if issued else "CREDIT_NOTE_UPDATED")
    return note
