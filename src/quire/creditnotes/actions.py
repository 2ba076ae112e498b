"""Lifecycle actions: finalize, send, finalize-and-send, void.

As for invoices (``quire.invoices.actions``): the credit note row is locked before its state is checked,
numbers come from ``quire.core.numbering`` (kind ``credit_note``) in the same transaction, so they are
gap-free; finalizing a note linked to an invoice also locks that invoice and re-checks the
creditable-amount rule.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts import merchant
from quire.core import clock
from quire.core.numbering import format_number, next_number
from quire.creditnotes import creditable, delivery
from quire.creditnotes.lifecycle import Action, CreditNoteStatus, check
from quire.creditnotes.models import CreditNote
from quire.creditnotes.service import get_credit_note

NUMBER_KIND = "credit_note"


async def _assign_number(session: AsyncSession, note: CreditNote) -> None:
    """Number (merchant ``creditNoteNumberPrefix`` + width, default CN00001) and issue date (today, UTC)."""
    settings = await merchant.load(session, note.account_id)
    value = await next_number(session, account_id=note.account_id, kind=NUMBER_KIND)
    note.number_seq = value
    note.credit_note_number = format_number(settings.credit_note_number_prefix, value, settings.credit_note_number_width)
    note.issue_date = clock.today()
    note.finalized_at = clock.now()


async def _transition(session: AsyncSession, account_id: str, credit_note_id: str, action: Action) -> CreditNote:
    note = await get_credit_note(session, account_id, credit_note_id, lock=True)
    target = check(action, note.status)
    assert target is not None
    now = clock.now()
    if action in (Action.FINALIZE, Action.FINALIZE_AND_SEND):
        await creditable.verify_note(session, note)
    if action in (Action.FINALIZE, Action.FINALIZE_AND_SEND) or (action is Action.VOID and note.credit_note_number is None):
        # Voiding a draft numbers it too: voided credit notes keep their place in the sequence.
        await _assign_number(session, note)
    if target is CreditNoteStatus.SENT:
        note.sent_at = now
        note.sent_date = now.date()
    if target is CreditNoteStatus.VOIDED:
        note.voided_at = now
    note.status = target.value
    note.updated_at = now
    await session.flush()
    # Stored PDF and queued email commit with the status change (docs/delivery.md).
    await delivery.after_transition(session, note, action)
    return note


async def finalize(session: AsyncSession, account_id: str, credit_note_id: str) -> CreditNote:
    """DRAFT → FINAL: numbered and frozen."""
    return await _transition(session, account_id, credit_note_id, Action.FINALIZE)


async def send(session: AsyncSession, account_id: str, credit_note_id: str) -> CreditNote:
    """FINAL or SENT → SENT (re-sending is allowed and moves the sent date); the credit note email is
    queued in the outbox (sent after commit), one more per send."""
    return await _transition(session, account_id, credit_note_id, Action.SEND)


async def finalize_and_send(session: AsyncSession, account_id: str, credit_note_id: str) -> CreditNote:
    """DRAFT → SENT in one transaction."""
    return await _transition(session, account_id, credit_note_id, Action.FINALIZE_AND_SEND)


async def void(session: AsyncSession, account_id: str, credit_note_id: str) -> CreditNote:
    """DRAFT, FINAL or SENT → VOIDED (terminal). Its amounts stop counting against the invoice."""
    return await _transition(session, account_id, credit_note_id, Action.VOID)
